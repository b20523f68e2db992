import { teams } from "@/db/schema";
import { authorize } from "../auth/actor";
import { ConflictError } from "../errors";
import { recordAudit } from "../audit/record-audit";
import type { Ctx } from "../context";
import { loadTeamOutput } from "./queries";
import { CreateTeamInput, type TeamOutput } from "./schemas";

export async function createTeam({ db, actor }: Ctx, rawInput: unknown): Promise<TeamOutput> {
  authorize(actor, "teams.manage");
  const input = CreateTeamInput.parse(rawInput);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(teams)
      .values({ slug: input.slug, name: input.name, description: input.description ?? null, idpGroup: input.idpGroup ?? null })
      .onConflictDoNothing()
      .returning();
    if (!row) throw new ConflictError(`A team with slug "${input.slug}"${input.idpGroup ? ` or IdP group "${input.idpGroup}"` : ""} already exists`);
    await recordAudit(tx, actor, { action: "team.create", targetType: "team", targetId: row.id, details: { slug: row.slug, name: row.name, idpGroup: row.idpGroup } });
    return loadTeamOutput(tx, row.id);
  });
}
