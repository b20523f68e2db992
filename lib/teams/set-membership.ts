import { eq } from "drizzle-orm";
import { memberships, teams, users } from "@/db/schema";
import { authorize } from "../auth/actor";
import { NotFoundError } from "../errors";
import { requireId } from "../ids";
import { recordAudit } from "../audit/record-audit";
import type { Ctx } from "../context";
import { listTeamMembers } from "./queries";
import { PutMemberInput, type TeamMemberOutput } from "./schemas";

/** Adds a user to a team, or changes their role in it. A manual change pins the membership (no IdP re-sync). */
export async function setMembership({ db, actor }: Ctx, teamId: string, userId: string, rawInput: unknown): Promise<TeamMemberOutput> {
  authorize(actor, "teams.manage");
  requireId(teamId, "team");
  requireId(userId, "user");
  const input = PutMemberInput.parse(rawInput);
  await db.transaction(async (tx) => {
    const [team] = await tx.select().from(teams).where(eq(teams.id, teamId));
    if (!team) throw new NotFoundError("No such team");
    const [user] = await tx.select().from(users).where(eq(users.id, userId));
    if (!user) throw new NotFoundError("No such user");
    await tx
      .insert(memberships)
      .values({ teamId, userId, role: input.role, source: "manual" })
      .onConflictDoUpdate({ target: [memberships.teamId, memberships.userId], set: { role: input.role, source: "manual" } });
    await recordAudit(tx, actor, { action: "membership.set", targetType: "team", targetId: teamId, details: { team: team.slug, user: user.email, role: input.role } });
  });
  const members = await listTeamMembers({ db, actor }, teamId);
  const member = members.find((m) => m.userId === userId);
  if (!member) throw new NotFoundError("No such member");
  return member;
}

