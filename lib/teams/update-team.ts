import { and, eq, ne } from "drizzle-orm";
import { teams } from "@/db/schema";
import { authorize } from "../auth/actor";
import { ConflictError, NotFoundError } from "../errors";
import { requireId } from "../ids";
import { recordAudit } from "../audit/record-audit";
import type { Ctx } from "../context";
import { loadTeamOutput } from "./queries";
import { UpdateTeamInput, type TeamOutput } from "./schemas";

export async function updateTeam({ db, actor }: Ctx, teamId: string, rawInput: unknown): Promise<TeamOutput> {
  authorize(actor, "teams.manage");
  requireId(teamId, "team");
  const input = UpdateTeamInput.parse(rawInput);
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(teams).where(eq(teams.id, teamId));
    if (!before) throw new NotFoundError("No such team");
    if (input.idpGroup) {
      const [clash] = await tx.select({ id: teams.id }).from(teams).where(and(eq(teams.idpGroup, input.idpGroup), ne(teams.id, teamId)));
      if (clash) throw new ConflictError(`Another team is already mapped to IdP group "${input.idpGroup}"`);
    }
    await tx.update(teams).set(input).where(eq(teams.id, teamId));
    await recordAudit(tx, actor, { action: "team.update", targetType: "team", targetId: teamId, details: { slug: before.slug, changes: input } });
    return loadTeamOutput(tx, teamId);
  });
}
