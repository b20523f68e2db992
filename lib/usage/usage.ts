/**
 * Usage: what MCP results cost in model context, and what LLM calls cost in tokens and dollars,
 * from the events the portal delivered (`mcp_events`, `llm_events`).
 *
 * Every query is one SQL aggregate (group by) bounded by the time range, so it walks the
 * (time, id) index — or the (user_id, time) index when a user is named — never the whole table.
 *
 * Who sees what: callers with `usage.read-all` (security, admin) see everyone's usage and may
 * filter by user and team. Everyone else sees only their own: `userId` is forced to the caller's
 * own, whatever was asked (and `filters.ownUsageOnly` says so), so a team filter narrows their
 * own calls and "By team" shows their own share of each team.
 *
 * Counting:
 * - MCP: every request counts as a call; `contextTokens` sums `result_tokens` (o200k tokens of
 *   what the result puts into the model's context; for tools/list, the whole tool list). The
 *   server of a request is its `server_slug`, or for requests the portal answers itself (tools/list)
 *   on a server's own endpoint `/mcp/{slug}`, that slug; at the aggregate `/mcp` it is null.
 * - LLM: every call counts as a call; tokens (`TOKENS`, lib/budgets/spend.ts, the edge's
 *   `totalTokens`) and `cost_micro_usd` count only allowed calls, exactly as budgets count spend.
 *   A team's figures sum every call whose caller belonged to it (`team_ids`), so a call by someone
 *   in two teams counts for both.
 */
import { and, asc, desc, eq, gte, isNotNull, isNull, lt, sql, type SQL } from "drizzle-orm";
import { llmEvents, mcpEvents, teams, users } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { authorize, can } from "../auth/actor";
import { TOKENS } from "@/lib/budgets/spend";
import type { Ctx } from "../context";
import { ForbiddenError, ValidationError } from "../errors";
import { endOfBound, rangeProblem, startOfBound, USAGE_DEFAULT_DAYS, USAGE_TOP, UsageQuery, type UsageOutput } from "./schemas";

const DAY_MS = 86_400_000;
const utcMidnight = (t: number) => t - (((t % DAY_MS) + DAY_MS) % DAY_MS);

/** The query's range as instants: `to` exclusive. Throws ValidationError (400) for an empty, inverted or over-long range. */
export function resolveUsageRange(query: { from?: string; to?: string }, now: Date): { from: Date; to: Date } {
  const to = query.to ? endOfBound(query.to) : now;
  const lastDay = utcMidnight(to.getTime() - 1);
  const from = query.from ? startOfBound(query.from) : new Date(lastDay - (USAGE_DEFAULT_DAYS - 1) * DAY_MS);
  const problem = rangeProblem(from, to);
  if (problem) throw new ValidationError(`query.${problem.field}: ${problem.message}`, { [problem.field]: problem.message });
  return { from, to };
}

/** Every UTC day the range touches, oldest first. */
function daysOf(from: Date, to: Date): string[] {
  const first = utcMidnight(from.getTime());
  const last = utcMidnight(to.getTime() - 1);
  return Array.from({ length: (last - first) / DAY_MS + 1 }, (_, i) => new Date(first + i * DAY_MS).toISOString().slice(0, 10));
}

const num = (expr: SQL) => sql`${expr}`.mapWith(Number);
const count = () => num(sql`count(*)::int`);

// The server of an MCP request: tools/list is answered by the portal and recorded without a server;
// on a server's own endpoint (/mcp/{slug}) the list is that server's.
const MCP_SERVER = sql<string | null>`coalesce(${mcpEvents.serverSlug}, substring(${mcpEvents.endpoint} from '^/mcp/([a-z0-9-]+)$'))`;
const CONTEXT_TOKENS = num(sql`coalesce(sum(${mcpEvents.resultTokens}), 0)::bigint`);

const LLM_ALLOWED = sql`${llmEvents.decision} = 'allowed'`;
const LLM_TOKENS = num(sql`coalesce(sum(${TOKENS}) filter (where ${LLM_ALLOWED}), 0)::bigint`);
const LLM_COST = num(sql`coalesce(sum(${llmEvents.costMicroUsd}) filter (where ${LLM_ALLOWED}), 0)::bigint`);

const mcpDay = sql<string>`to_char(${mcpEvents.time} at time zone 'UTC', 'YYYY-MM-DD')`;
const llmDay = sql<string>`to_char(${llmEvents.time} at time zone 'UTC', 'YYYY-MM-DD')`;

/** Per server: how many lists, their average tokens, and the latest one's (newest first by time, then id). */
function summarizeLists(rows: { server: string | null; tokens: number; time: string; id: string }[]): { server: string | null; lists: number; avgTokens: number; lastTokens: number }[] {
  const by = new Map<string | null, { n: number; sum: number; last: { time: string; id: string; tokens: number } }>();
  for (const r of rows) {
    const s = by.get(r.server);
    if (!s) by.set(r.server, { n: 1, sum: r.tokens, last: r });
    else {
      s.n += 1;
      s.sum += r.tokens;
      if (r.time > s.last.time || (r.time === s.last.time && r.id > s.last.id)) s.last = r;
    }
  }
  return [...by]
    .map(([server, s]) => ({ server, lists: s.n, avgTokens: Math.round(s.sum / s.n), lastTokens: s.last.tokens }))
    .sort((a, b) => b.avgTokens - a.avgTokens || (a.server ?? "").localeCompare(b.server ?? ""));
}

export async function getUsage({ db, actor }: Ctx, rawQuery: unknown = {}, now: Date = new Date()): Promise<UsageOutput> {
  authorize(actor, "usage.read");
  const query = UsageQuery.parse(rawQuery);
  const { from, to } = resolveUsageRange(query, now);
  const ownUsageOnly = !can(actor, "usage.read-all");
  // Only bootstrap and system actors have no user, and both are admins; fail closed all the same.
  if (ownUsageOnly && !actor.userId) throw new ForbiddenError("Only a signed-in user may see their own usage");
  const userId = ownUsageOnly ? actor.userId : (query.userId ?? null);
  const teamId = query.teamId ?? null;

  const fromIso = from.toISOString();
  const toIso = to.toISOString();
  const mcpWhere = and(
    gte(mcpEvents.time, fromIso),
    lt(mcpEvents.time, toIso),
    userId ? eq(mcpEvents.userId, userId) : undefined,
    // The portal records one team per MCP event (the caller's first); LLM events carry all of them.
    teamId ? eq(mcpEvents.teamId, teamId) : undefined,
  );
  const llmWhere = and(
    gte(llmEvents.time, fromIso),
    lt(llmEvents.time, toIso),
    userId ? eq(llmEvents.userId, userId) : undefined,
    teamId ? sql`${llmEvents.teamIds} @> array[${teamId}]::uuid[]` : undefined,
  );

  const perTeam = db
    .select({
      teamId: sql<string>`unnest(${llmEvents.teamIds})`.as("team_id"),
      allowed: sql<boolean>`${LLM_ALLOWED}`.as("allowed"),
      tokens: sql<number>`${TOKENS}`.as("tokens"),
      cost: sql<number>`coalesce(${llmEvents.costMicroUsd}, 0)`.as("cost"),
    })
    .from(llmEvents)
    .where(llmWhere)
    .as("per_team");
  const teamTokens = num(sql`coalesce(sum(${perTeam.tokens}) filter (where ${perTeam.allowed}), 0)::bigint`);
  const teamCost = num(sql`coalesce(sum(${perTeam.cost}) filter (where ${perTeam.allowed}), 0)::bigint`);

  // One query at a time, as lib/budgets/spend.ts does: one connection, and safe inside a transaction.
  const byServer = await db
    .select({
      server: MCP_SERVER,
      calls: count(),
      denied: num(sql`(count(*) filter (where ${mcpEvents.decision} = 'denied'))::int`),
      contextTokens: CONTEXT_TOKENS,
    })
    .from(mcpEvents)
    .where(mcpWhere)
    .groupBy(MCP_SERVER)
    .orderBy(desc(CONTEXT_TOKENS), desc(count()), sql`1 asc nulls first`);
  const byTool = await db
    .select({
      server: mcpEvents.serverSlug,
      tool: sql<string>`${mcpEvents.tool}`,
      calls: count(),
      contextTokens: CONTEXT_TOKENS,
      avgContextTokens: num(sql`coalesce(round(avg(${mcpEvents.resultTokens})), 0)::bigint`),
    })
    .from(mcpEvents)
    .where(and(mcpWhere, eq(mcpEvents.method, "tools/call"), isNotNull(mcpEvents.tool)))
    .groupBy(mcpEvents.serverSlug, mcpEvents.tool)
    .orderBy(desc(CONTEXT_TOKENS), desc(count()), asc(mcpEvents.serverSlug), asc(mcpEvents.tool))
    .limit(USAGE_TOP);
  // Tool lists: a server's own endpoint (/mcp/{slug}) reports the whole list; the aggregate /mcp
  // reports each server's share in server_tokens (newest 10,000 such lists in the range).
  const ownLists = await db
    .select({ server: MCP_SERVER, tokens: num(sql`${mcpEvents.resultTokens}`), time: mcpEvents.time, id: mcpEvents.id })
    .from(mcpEvents)
    .where(and(mcpWhere, eq(mcpEvents.method, "tools/list"), isNotNull(mcpEvents.resultTokens), isNull(mcpEvents.serverTokens), isNull(mcpEvents.via)))
    .orderBy(desc(mcpEvents.time), desc(mcpEvents.id))
    .limit(10_000);
  const sharedLists = await db
    .select({ shares: mcpEvents.serverTokens, time: mcpEvents.time, id: mcpEvents.id })
    .from(mcpEvents)
    // A Code Mode list reports the catalog it replaced, not what was sent: counted below, as savings.
    .where(and(mcpWhere, eq(mcpEvents.method, "tools/list"), isNotNull(mcpEvents.serverTokens), isNull(mcpEvents.via)))
    .orderBy(desc(mcpEvents.time), desc(mcpEvents.id))
    .limit(10_000);
  const listTokens = summarizeLists([
    ...ownLists.map((r) => ({ server: r.server, tokens: r.tokens, time: r.time, id: r.id })),
    ...sharedLists.flatMap((r) => Object.entries(r.shares ?? {}).map(([server, tokens]) => ({ server, tokens, time: r.time, id: r.id }))),
  ]);
  const codemode = await codemodeUsage(db, mcpWhere);
  const byModel = await db
    .select({
      provider: llmEvents.providerSlug,
      model: llmEvents.model,
      calls: count(),
      tokens: LLM_TOKENS,
      costMicroUsd: LLM_COST,
      cacheHits: num(sql`(count(*) filter (where ${llmEvents.cache} = 'hit'))::int`),
    })
    .from(llmEvents)
    .where(llmWhere)
    .groupBy(llmEvents.providerSlug, llmEvents.model)
    .orderBy(desc(LLM_COST), desc(LLM_TOKENS), asc(llmEvents.providerSlug), asc(llmEvents.model));
  const byUser = await db
    .select({
      userId: llmEvents.userId,
      // The user's current address; the one on the events when the user is gone.
      email: sql<string | null>`coalesce(max(${users.email}), max(${llmEvents.email}))`,
      calls: count(),
      tokens: LLM_TOKENS,
      costMicroUsd: LLM_COST,
    })
    .from(llmEvents)
    .leftJoin(users, eq(users.id, llmEvents.userId))
    .where(llmWhere)
    .groupBy(llmEvents.userId)
    .orderBy(desc(LLM_COST), desc(LLM_TOKENS), asc(llmEvents.userId))
    .limit(USAGE_TOP);
  const byTeam = await db
    .select({ teamId: perTeam.teamId, slug: teams.slug, calls: count(), tokens: teamTokens, costMicroUsd: teamCost })
    .from(perTeam)
    .leftJoin(teams, eq(teams.id, perTeam.teamId))
    // Filtered by a team, the calls also count for their callers' other teams: show only the one asked for.
    .where(teamId ? eq(perTeam.teamId, teamId) : undefined)
    .groupBy(perTeam.teamId, teams.slug)
    .orderBy(desc(teamCost), desc(teamTokens), asc(teams.slug));
  const mcpDaily = await db.select({ day: mcpDay, calls: count() }).from(mcpEvents).where(mcpWhere).groupBy(mcpDay);
  const llmDaily = await db.select({ day: llmDay, calls: count(), tokens: LLM_TOKENS, costMicroUsd: LLM_COST }).from(llmEvents).where(llmWhere).groupBy(llmDay);

  const mcpByDay = new Map(mcpDaily.map((r) => [r.day, r.calls]));
  const llmByDay = new Map(llmDaily.map((r) => [r.day, r]));
  const daily = daysOf(from, to).map((day) => {
    const llm = llmByDay.get(day);
    return { day, mcpCalls: mcpByDay.get(day) ?? 0, llmCalls: llm?.calls ?? 0, llmTokens: llm?.tokens ?? 0, costMicroUsd: llm?.costMicroUsd ?? 0 };
  });

  return {
    range: { from: fromIso, to: toIso, days: daily.length },
    filters: { teamId, userId, ownUsageOnly },
    mcp: { byServer, byTool, listTokens, codemode },
    llm: { byModel, byUser, byTeam, daily },
  };
}

/**
 * Code Mode's lists in the range: what they sent against the plain lists they replaced (each Code
 * Mode tools/list event carries both: `codemodeTokens` and `serverTokens`), and how much Code Mode
 * was used (its own calls, and the tool calls its code made).
 */
async function codemodeUsage(db: Queryable, mcpWhere: SQL | undefined): Promise<UsageOutput["mcp"]["codemode"]> {
  const via = eq(mcpEvents.via, "codemode");
  const lists = await db
    .select({ shares: mcpEvents.serverTokens, sent: mcpEvents.codemodeTokens })
    .from(mcpEvents)
    .where(and(mcpWhere, via, eq(mcpEvents.method, "tools/list")))
    .orderBy(desc(mcpEvents.time), desc(mcpEvents.id))
    .limit(10_000);
  const byServer = new Map<string, number>();
  let catalogTokens = 0;
  let sentTokens = 0;
  for (const list of lists) {
    sentTokens += list.sent ?? 0;
    for (const [server, tokens] of Object.entries(list.shares ?? {})) {
      catalogTokens += tokens;
      byServer.set(server, (byServer.get(server) ?? 0) + tokens);
    }
  }
  const [calls] = await db
    .select({
      executes: num(sql`(count(*) filter (where ${mcpEvents.method} = 'tools/call' and ${mcpEvents.parentId} is null))::int`),
      innerCalls: num(sql`(count(*) filter (where ${mcpEvents.parentId} is not null))::int`),
    })
    .from(mcpEvents)
    .where(and(mcpWhere, via));
  return {
    lists: lists.length,
    catalogTokens,
    sentTokens,
    savedTokens: catalogTokens - sentTokens,
    executes: calls?.executes ?? 0,
    innerCalls: calls?.innerCalls ?? 0,
    byServer: [...byServer].map(([server, tokens]) => ({ server, catalogTokens: tokens })).sort((a, b) => b.catalogTokens - a.catalogTokens || (a.server < b.server ? -1 : 1)),
  };
}
