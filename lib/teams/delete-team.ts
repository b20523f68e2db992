import { eq } from "drizzle-orm";
import { teams } from "@/db/schema";
import { authorize } from "../auth/actor";
import { NotFoundError } from "../errors";
import { requireId } from "../ids";
import { recordAudit } from "../audit/record-audit";
import type { Ctx } from "../context";

/** Deletes a team and its memberships (not its users). */
export async function deleteTeam({ db, actor }: Ctx, teamId: string): Promise<void> {
  authorize(actor, "teams.manage");
  requireId(teamId, "team");
  await db.transaction(async (tx) => {
    const [row] = await tx.delete(teams).where(eq(teams.id, teamId)).returning();
    if (!row) throw new NotFoundError("No such team");
    await recordAudit(tx, actor, { action: "team.delete", targetType: "team", targetId: teamId, details: { slug: row.slug, name: row.name } });
  });
}
