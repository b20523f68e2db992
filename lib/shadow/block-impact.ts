/**
 * "Who would be cut off": the people, teams and clients a block-list entry covers, from two sources.
 *
 * - Through the portal: the events the edge marked with the entry's id (`mcp_events`, `llm_events`
 *   `block_id`), split into calls it let through because the entry was logging (`would_block`) and
 *   calls it refused. These are exact: the edge decided them with the entry itself.
 * - Outside the portal: the shadow traffic the console saw to servers the entry covers (findings
 *   whose URL falls under it): requests per user and UTC day from uploaded logs (`shadow_sightings`),
 *   and the MCP clients laptop scans found configured with them. The portal's block list does not
 *   stop this traffic (it never reaches the portal); the Gateway policy export does, and these people
 *   are the ones to move onto the portal.
 *
 * Every query is an aggregate over the window (the events' partial (block_id, time) index).
 */
import { and, desc, eq, gte, inArray, sql } from "drizzle-orm";
import { llmEvents, mcpEvents, memberships, shadowBlockNotices, shadowFindings, shadowSightings, teams, users, type ShadowBlock } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { authorize } from "@/lib/auth/actor";
import type { Ctx } from "@/lib/context";
import { blockedBy } from "@core/shadow/blocklist";
import { approvedServersBlockedBy, loadBlock, toBlockOutput } from "./blocks";
import { AffectedQuery, type BlockImpactOutput, type BlockNoticeOutput } from "./schemas";

const DAY_MS = 86_400_000;
/** Rows listed per table; `people` (who a notice goes to) is bounded separately. */
const LISTED = 500;
const MAX_PEOPLE = 5_000;

type Counts = { calls: number; wouldBlock: number; blocked: number };
const n = (v: unknown) => Number(v ?? 0);
const byCalls = <T extends Counts>(a: T, b: T) => b.calls - a.calls;

/** Adds LLM rows into MCP rows of the same key. */
function mergeCounts<T extends Counts>(into: Map<string, T>, key: string, row: T, combine?: (a: T, b: T) => Partial<T>): void {
  const have = into.get(key);
  if (!have) into.set(key, row);
  else into.set(key, { ...have, calls: have.calls + row.calls, wouldBlock: have.wouldBlock + row.wouldBlock, blocked: have.blocked + row.blocked, ...combine?.(have, row) });
}

function windowOf(days: number, now: Date): { from: Date; dayList: string[] } {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  const from = new Date(today - (days - 1) * DAY_MS);
  return { from, dayList: Array.from({ length: days }, (_, i) => new Date(from.getTime() + i * DAY_MS).toISOString().slice(0, 10)) };
}

async function portalImpact(db: Queryable, id: string, from: Date, dayList: string[]): Promise<BlockImpactOutput["portal"]> {
  const fromIso = from.toISOString();
  const mcpWhere = and(eq(mcpEvents.blockId, id), gte(mcpEvents.time, fromIso));
  const llmWhere = and(eq(llmEvents.blockId, id), gte(llmEvents.time, fromIso));
  const counts = (wouldBlock: typeof mcpEvents.wouldBlock | typeof llmEvents.wouldBlock) => ({
    calls: sql<number>`count(*)::int`,
    wouldBlock: sql<number>`(count(*) filter (where ${wouldBlock}))::int`,
  });
  const toCounts = (r: { calls: number; wouldBlock: number }): Counts => ({ calls: n(r.calls), wouldBlock: n(r.wouldBlock), blocked: n(r.calls) - n(r.wouldBlock) });

  // One query at a time (one connection; safe inside a transaction), as lib/usage/usage.ts does.
  const users = new Map<string, BlockImpactOutput["portal"]["users"][number]>();
  const userKey = (email: string | null, userId: string | null) => email ?? userId ?? "";
  for (const [table, where] of [
    [mcpEvents, mcpWhere],
    [llmEvents, llmWhere],
  ] as const) {
    const rows = await db
      .select({ email: sql<string | null>`lower(${table.email})`, userId: table.userId, ...counts(table.wouldBlock), last: sql<string>`max(${table.time})` })
      .from(table)
      .where(where)
      .groupBy(sql`1`, table.userId);
    for (const r of rows) {
      const last = new Date(r.last).toISOString();
      mergeCounts(users, userKey(r.email, r.userId), { user: r.email ?? r.userId ?? "unknown caller", email: r.email, userId: r.userId, ...toCounts(r), lastSeen: last }, (a, b) => ({ lastSeen: a.lastSeen > b.lastSeen ? a.lastSeen : b.lastSeen, userId: a.userId ?? b.userId }));
    }
  }

  const teamRows = new Map<string, Counts>();
  const mcpTeams = await db.select({ teamId: sql<string>`${mcpEvents.teamId}`, ...counts(mcpEvents.wouldBlock) }).from(mcpEvents).where(and(mcpWhere, sql`${mcpEvents.teamId} is not null`)).groupBy(mcpEvents.teamId);
  for (const r of mcpTeams) mergeCounts(teamRows, r.teamId, toCounts(r));
  const perTeam = db
    .select({ teamId: sql<string>`unnest(${llmEvents.teamIds})`.as("team_id"), wouldBlock: sql<boolean>`${llmEvents.wouldBlock}`.as("would_block") })
    .from(llmEvents)
    .where(llmWhere)
    .as("per_team");
  const llmTeams = await db.select({ teamId: perTeam.teamId, calls: sql<number>`count(*)::int`, wouldBlock: sql<number>`(count(*) filter (where ${perTeam.wouldBlock}))::int` }).from(perTeam).groupBy(perTeam.teamId);
  for (const r of llmTeams) mergeCounts(teamRows, r.teamId, toCounts(r));
  const teamNames = await namesOfTeams(db, [...teamRows.keys()]);

  const clients = new Map<string, BlockImpactOutput["portal"]["clients"][number]>();
  const mcpClients = await db.select({ client: mcpEvents.clientName, ...counts(mcpEvents.wouldBlock) }).from(mcpEvents).where(mcpWhere).groupBy(mcpEvents.clientName);
  for (const r of mcpClients) mergeCounts(clients, `mcp:${r.client ?? ""}`, { client: r.client ?? "unnamed MCP client", ...toCounts(r) });
  // LLM calls carry no client name: the provider's API is what would stop answering.
  const llmClients = await db.select({ provider: llmEvents.providerSlug, ...counts(llmEvents.wouldBlock) }).from(llmEvents).where(llmWhere).groupBy(llmEvents.providerSlug);
  for (const r of llmClients) mergeCounts(clients, `llm:${r.provider}`, { client: `LLM gateway: ${r.provider}`, ...toCounts(r) });

  const perDay = new Map(dayList.map((day) => [day, { day, wouldBlock: 0, blocked: 0 }]));
  for (const table of [mcpEvents, llmEvents] as const) {
    const rows = await db
      .select({ day: sql<string>`to_char(${table.time} at time zone 'UTC', 'YYYY-MM-DD')`, ...counts(table.wouldBlock) })
      .from(table)
      .where(table === mcpEvents ? mcpWhere : llmWhere)
      .groupBy(sql`1`);
    for (const r of rows) {
      const d = perDay.get(r.day);
      if (d) {
        d.wouldBlock += n(r.wouldBlock);
        d.blocked += n(r.calls) - n(r.wouldBlock);
      }
    }
  }

  const userList = [...users.values()].sort((a, b) => byCalls(a, b) || a.user.localeCompare(b.user));
  const total = userList.reduce((t, u) => ({ calls: t.calls + u.calls, wouldBlock: t.wouldBlock + u.wouldBlock, blocked: t.blocked + u.blocked }), { calls: 0, wouldBlock: 0, blocked: 0 });
  return {
    ...total,
    users: userList.slice(0, MAX_PEOPLE),
    teams: [...teamRows]
      .map(([teamId, c]) => ({ teamId, team: teamNames.get(teamId) ?? "(deleted team)", ...c }))
      .sort((a, b) => byCalls(a, b) || a.team.localeCompare(b.team))
      .slice(0, LISTED),
    clients: [...clients.values()].sort((a, b) => byCalls(a, b) || a.client.localeCompare(b.client)).slice(0, LISTED),
    perDay: [...perDay.values()],
  };
}

async function namesOfTeams(db: Queryable, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.select({ id: teams.id, name: teams.name }).from(teams).where(inArray(teams.id, ids));
  return new Map(rows.map((t) => [t.id, t.name]));
}

async function trafficImpact(db: Queryable, entry: ShadowBlock, from: Date, dayList: string[]): Promise<BlockImpactOutput["traffic"]> {
  const candidates = await db
    .select({ id: shadowFindings.id, url: shadowFindings.url, state: shadowFindings.state, resolution: shadowFindings.resolution, candidate: shadowFindings.candidate, clients: shadowFindings.clients })
    .from(shadowFindings)
    .where(and(eq(shadowFindings.origin, entry.origin), eq(shadowFindings.kind, "remote")));
  const covered = candidates.filter((f) => f.url !== null && blockedBy(f.url, [entry]));
  const perDay = new Map(dayList.map((day) => [day, { day, requests: 0 }]));
  if (covered.length === 0) return { findings: [], requests: 0, users: [], teams: [], clients: [], perDay: [...perDay.values()] };
  const inWindow = and(
    inArray(
      shadowSightings.findingId,
      covered.map((f) => f.id),
    ),
    gte(shadowSightings.day, from.toISOString().slice(0, 10)),
  );
  const requests = sql<number>`sum(${shadowSightings.requests})::bigint`;

  const userRows = await db.select({ user: shadowSightings.user, requests, lastDay: sql<string>`max(${shadowSightings.day})::text` }).from(shadowSightings).where(inWindow).groupBy(shadowSightings.user).orderBy(desc(requests), shadowSightings.user);
  const teamRows = await db
    .select({ teamId: teams.id, team: teams.name, requests })
    .from(shadowSightings)
    .innerJoin(users, sql`lower(${users.email}) = lower(${shadowSightings.user})`)
    .innerJoin(memberships, eq(memberships.userId, users.id))
    .innerJoin(teams, eq(teams.id, memberships.teamId))
    .where(inWindow)
    .groupBy(teams.id, teams.name)
    .orderBy(desc(requests), teams.name)
    .limit(LISTED);
  const dayRows = await db.select({ day: sql<string>`${shadowSightings.day}::text`, requests }).from(shadowSightings).where(inWindow).groupBy(shadowSightings.day);
  for (const r of dayRows) {
    const d = perDay.get(r.day);
    if (d) d.requests += n(r.requests);
  }
  const clientConfigs = new Map<string, number>();
  for (const f of covered) for (const [client, paths] of Object.entries(f.clients)) clientConfigs.set(client, (clientConfigs.get(client) ?? 0) + paths.length);

  return {
    findings: covered.map(({ id, url, state, resolution, candidate }) => ({ id, url: url!, state, resolution, candidate })),
    requests: userRows.reduce((t, r) => t + n(r.requests), 0),
    // A log line that named nobody counts in the totals, not as a person.
    users: userRows
      .filter((r) => r.user !== "")
      .slice(0, MAX_PEOPLE)
      .map((r) => ({ user: r.user, requests: n(r.requests), lastDay: r.lastDay })),
    teams: teamRows.map((r) => ({ ...r, requests: n(r.requests) })),
    clients: [...clientConfigs].map(([client, configs]) => ({ client, configs })).sort((a, b) => b.configs - a.configs || a.client.localeCompare(b.client)),
    perDay: [...perDay.values()],
  };
}

/** Everyone with an e-mail address in either source, with the console user it names (if any). */
async function peopleOf(db: Queryable, portal: BlockImpactOutput["portal"], traffic: BlockImpactOutput["traffic"]): Promise<BlockImpactOutput["people"]> {
  const people = new Map<string, { email: string; userId: string | null; portalCalls: number; trafficRequests: number }>();
  const person = (email: string) => {
    const key = email.toLowerCase();
    let p = people.get(key);
    if (!p) people.set(key, (p = { email: key, userId: null, portalCalls: 0, trafficRequests: 0 }));
    return p;
  };
  for (const u of portal.users) if (u.email?.includes("@")) person(u.email).portalCalls += u.calls;
  for (const u of traffic.users) if (u.user.includes("@")) person(u.user).trafficRequests += u.requests;
  const emails = [...people.keys()];
  for (let i = 0; i < emails.length; i += 1000) {
    const known = await db.select({ id: users.id, email: sql<string>`lower(${users.email})` }).from(users).where(inArray(sql`lower(${users.email})`, emails.slice(i, i + 1000)));
    for (const u of known) people.get(u.email)!.userId = u.id;
  }
  return [...people.values()].sort((a, b) => b.portalCalls + b.trafficRequests - (a.portalCalls + a.trafficRequests) || a.email.localeCompare(b.email)).slice(0, MAX_PEOPLE);
}

export async function listNotices(db: Queryable, blockId: string): Promise<BlockNoticeOutput[]> {
  const rows = await db.select().from(shadowBlockNotices).where(eq(shadowBlockNotices.blockId, blockId)).orderBy(desc(shadowBlockNotices.createdAt)).limit(100);
  return rows.map((r) => ({ id: r.id, message: r.message, recipients: r.recipients, webhookOrigin: r.webhookOrigin, webhookStatus: r.webhookStatus, createdBy: r.createdByLabel, createdAt: r.createdAt.toISOString() }));
}

/** Who the entry covers over the last `days` UTC days (today included), from the portal's events and the shadow traffic. */
export async function blockImpact({ db, actor }: Ctx, id: string, rawQuery: unknown = {}, now = new Date()): Promise<BlockImpactOutput> {
  authorize(actor, "shadow.read");
  const { days } = AffectedQuery.parse(rawQuery);
  const entry = await loadBlock(db, id);
  const { from, dayList } = windowOf(days, now);
  const portal = await portalImpact(db, id, from, dayList);
  const traffic = await trafficImpact(db, entry, from, dayList);
  const notices = await listNotices(db, id);
  return {
    entry: toBlockOutput(entry, now, notices[0] ? new Date(notices[0].createdAt) : null),
    window: { from: from.toISOString(), to: now.toISOString(), days },
    portal: { ...portal, users: portal.users.slice(0, LISTED) },
    traffic: { ...traffic, users: traffic.users.slice(0, LISTED) },
    people: await peopleOf(db, portal, traffic),
    notices,
    approvedServers: await approvedServersBlockedBy(db, entry),
  };
}
