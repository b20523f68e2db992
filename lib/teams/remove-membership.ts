import { and, eq } from "drizzle-orm";
import { memberships } from "@/db/schema";
import { authorize } from "../auth/actor";
import { NotFoundError } from "../errors";
import { requireId } from "../ids";
import { recordAudit } from "../audit/record-audit";
import type { Ctx } from "../context";

export async function removeMembership({ db, actor }: Ctx, teamId: string, userId: string): Promise<void> {
  authorize(actor, "teams.manage");
  requireId(teamId, "team");
  requireId(userId, "user");
  await db.transaction(async (tx) => {
    const [row] = await tx
      .delete(memberships)
      .where(and(eq(memberships.teamId, teamId), eq(memberships.userId, userId)))
      .returning();
    if (!row) throw new NotFoundError("That user is not a member of this team");
    await recordAudit(tx, actor, { action: "membership.remove", targetType: "team", targetId: teamId, details: { userId, source: row.source } });
  });
}
