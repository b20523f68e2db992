import { and, desc, eq, isNotNull, sql } from "drizzle-orm";
import { shadowFindings, shadowSightings, memberships, teams, users } from "@/db/schema";
import { authorize } from "@/lib/auth/actor";
import type { Ctx } from "@/lib/context";
import type { ShadowStatsOutput } from "./schemas";

/** The Shadow page's charts: new servers per day, findings by state, top users, teams and hosts. */
export async function shadowStats({ db, actor }: Ctx, days = 30, now = new Date()): Promise<ShadowStatsOutput> {
  authorize(actor, "shadow.read");
  const since = new Date(now.getTime() - (days - 1) * 86_400_000);
  since.setUTCHours(0, 0, 0, 0);
  const perDay = await db
    .select({ day: sql<string>`to_char(${shadowFindings.firstSeen} at time zone 'UTC', 'YYYY-MM-DD')`, kind: shadowFindings.kind, n: sql<number>`count(*)::int` })
    .from(shadowFindings)
    .where(and(eq(shadowFindings.candidate, false), sql`${shadowFindings.firstSeen} >= ${since.toISOString()}`))
    .groupBy(sql`1`, shadowFindings.kind);
  const byDay = new Map<string, { remote: number; stdio: number }>();
  for (let i = 0; i < days; i++) byDay.set(new Date(since.getTime() + i * 86_400_000).toISOString().slice(0, 10), { remote: 0, stdio: 0 });
  for (const r of perDay) {
    const d = byDay.get(r.day);
    if (d) d[r.kind] += Number(r.n);
  }
  const state = sql<string>`case when ${shadowFindings.state} = 'resolved' then 'resolved: ' || replace(${shadowFindings.resolution}::text, '_', ' ') else ${shadowFindings.state}::text end`;
  const byState = await db.select({ state, count: sql<number>`count(*)::int` }).from(shadowFindings).where(eq(shadowFindings.candidate, false)).groupBy(sql`1`).orderBy(sql`1`);
  const topUsers = await db
    .select({ user: shadowSightings.user, requests: sql<number>`sum(${shadowSightings.requests})::bigint`, findings: sql<number>`count(distinct ${shadowSightings.findingId})::int` })
    .from(shadowSightings)
    // Candidates are not findings: their sightings wait out of the charts.
    .innerJoin(shadowFindings, and(eq(shadowFindings.id, shadowSightings.findingId), eq(shadowFindings.candidate, false)))
    .where(sql`${shadowSightings.user} <> ''`)
    .groupBy(shadowSightings.user)
    .orderBy(desc(sql`2`))
    .limit(10);
  const topTeams = await db
    .select({ team: teams.name, requests: sql<number>`sum(${shadowSightings.requests})::bigint`, findings: sql<number>`count(distinct ${shadowSightings.findingId})::int` })
    .from(shadowSightings)
    .innerJoin(shadowFindings, and(eq(shadowFindings.id, shadowSightings.findingId), eq(shadowFindings.candidate, false)))
    .innerJoin(users, sql`lower(${users.email}) = lower(${shadowSightings.user})`)
    .innerJoin(memberships, eq(memberships.userId, users.id))
    .innerJoin(teams, eq(teams.id, memberships.teamId))
    .groupBy(teams.name)
    .orderBy(desc(sql`2`))
    .limit(10);
  const topHosts = await db
    .select({ host: sql<string>`${shadowFindings.host}`, requests: sql<number>`sum(${shadowFindings.requests})::bigint`, findings: sql<number>`count(*)::int` })
    .from(shadowFindings)
    // Local (stdio) servers have no host and make no network requests: the per-day chart counts them.
    .where(and(isNotNull(shadowFindings.host), eq(shadowFindings.candidate, false)))
    .groupBy(sql`1`)
    .orderBy(desc(sql`2`), desc(sql`3`))
    .limit(10);
  const num = <T extends { requests: number; findings: number }>(r: T) => ({ ...r, requests: Number(r.requests), findings: Number(r.findings) });
  return {
    newPerDay: [...byDay].map(([day, v]) => ({ day, ...v })),
    byState: byState.map((r) => ({ state: r.state, count: Number(r.count) })),
    topUsers: topUsers.map(num),
    topTeams: topTeams.map(num),
    topHosts: topHosts.map(num),
  };
}
