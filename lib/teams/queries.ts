import { asc, eq, sql } from "drizzle-orm";
import { memberships, teams, users, type Team } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { authorize } from "../auth/actor";
import { toIso } from "@core/zod/helpers";
import { NotFoundError } from "../errors";
import { requireId } from "../ids";
import type { Ctx } from "../context";
import type { TeamMemberOutput, TeamOutput } from "./schemas";

function toTeamOutput(row: Team, memberCount: number): TeamOutput {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    idpGroup: row.idpGroup,
    memberCount,
    createdAt: toIso(row.createdAt),
  };
}

const memberCount = sql<number>`(select count(*)::int from ${memberships} where ${memberships.teamId} = ${teams.id})`;

export async function loadTeamOutput(db: Queryable, id: string): Promise<TeamOutput> {
  requireId(id, "team");
  const [row] = await db.select({ team: teams, memberCount }).from(teams).where(eq(teams.id, id));
  if (!row) throw new NotFoundError("No such team");
  return toTeamOutput(row.team, row.memberCount);
}

export async function listTeams({ db, actor }: Ctx): Promise<TeamOutput[]> {
  authorize(actor, "teams.read");
  const rows = await db.select({ team: teams, memberCount }).from(teams).orderBy(asc(teams.name));
  return rows.map((r) => toTeamOutput(r.team, r.memberCount));
}

export async function getTeam({ db, actor }: Ctx, id: string): Promise<TeamOutput> {
  authorize(actor, "teams.read");
  return loadTeamOutput(db, id);
}

export async function listTeamMembers({ db, actor }: Ctx, teamId: string): Promise<TeamMemberOutput[]> {
  authorize(actor, "teams.read");
  await loadTeamOutput(db, teamId);
  const rows = await db
    .select({ m: memberships, email: users.email, name: users.name })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.teamId, teamId))
    .orderBy(asc(users.email));
  return rows.map((r) => ({
    userId: r.m.userId,
    email: r.email,
    name: r.name,
    role: r.m.role,
    source: r.m.source,
    createdAt: toIso(r.m.createdAt),
  }));
}

/** The teams a user leads (team role `lead`), by slug: what a lead may see of usage beyond their own. */
export async function teamsLedBy(db: Queryable, userId: string | null): Promise<{ id: string; slug: string; name: string }[]> {
  if (!userId) return [];
  return db
    .select({ id: teams.id, slug: teams.slug, name: teams.name })
    .from(memberships)
    .innerJoin(teams, eq(teams.id, memberships.teamId))
    .where(sql`${memberships.userId} = ${userId}::uuid and ${memberships.role} = 'lead'`)
    .orderBy(asc(teams.slug));
}
