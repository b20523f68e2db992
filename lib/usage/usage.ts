/**
 * Usage: what MCP results cost in model context, and what LLM calls cost in tokens and dollars,
 * from the events the portal delivered (`mcp_events`, `llm_events`).
 *
 * Figures come from the events' rollups (db/schema/event-rollups.ts, read over the range by
 * lib/events/rollup-source.ts): everyone's by week, day and hour, a team's and a user's by week or
 * day, tool lists by day, and raw events only for a part of the range that no whole bucket covers
 * (one user's tool lists from their events, which are few). Each side (MCP, LLM, tool lists) is one
 * statement over those rows. Tool lists count every list in the range (their average and the latest
 * per server).
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
 * - LLM: every call counts as a call; tokens (`tokensOf`, lib/budgets/spend.ts, the edge's
 *   `totalTokens`) and `cost_micro_usd` count only allowed calls, exactly as budgets count spend.
 *   A team's figures sum every call whose caller belonged to it (`team_ids`), so a call by someone
 *   in two teams counts for both.
 */
import { and, sql, type SQL } from "drizzle-orm";
import {
  apiTokens,
  llmEvents,
  llmRollupDaily,
  llmRollupHourly,
  llmTeamRollupDaily,
  llmTeamRollupWeekly,
  llmUserTotalsDaily,
  llmUserTotalsWeekly,
  mcpEvents,
  mcpListRollupDaily,
  mcpRollupDaily,
  mcpRollupHourly,
  mcpRollupWeekly,
  mcpTeamRollupDaily,
  teams,
  users,
} from "@/db/schema";
import { PgTransaction } from "drizzle-orm/pg-core";
import type { Queryable } from "@/db/client";
import { authorize, can, type Actor } from "../auth/actor";
import { teamsLedBy } from "../teams/queries";
import { tokensOf } from "@/lib/budgets/spend";
import { effectivePrices } from "@/lib/llm-providers/prices";
import { promptCacheSavings, type PromptCacheRow } from "./cache-savings";
import { rollupRange, type RollupSource } from "@/lib/events/rollup-source";
import type { Ctx } from "../context";
import { ForbiddenError, ValidationError } from "../errors";
import { endOfBound, rangeProblem, startOfBound, USAGE_DEFAULT_DAYS, USAGE_HOURLY_UP_TO_DAYS, USAGE_TOP, UsageQuery, type UsageOutput } from "./schemas";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
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

/** Every UTC hour the range touches, oldest first, as ISO instants. */
function hoursOf(from: Date, to: Date): string[] {
  const first = Math.floor(from.getTime() / HOUR_MS) * HOUR_MS;
  return Array.from({ length: Math.ceil((to.getTime() - first) / HOUR_MS) }, (_, i) => new Date(first + i * HOUR_MS).toISOString());
}

const zeroBucket = { mcpCalls: 0, mcpDenied: 0, llmCalls: 0, llmBlocked: 0, llmTokens: 0, costMicroUsd: 0 };

/** Every UTC day the range touches, oldest first. */
function daysOf(from: Date, to: Date): string[] {
  const first = utcMidnight(from.getTime());
  const last = utcMidnight(to.getTime() - 1);
  return Array.from({ length: (last - first) / DAY_MS + 1 }, (_, i) => new Date(first + i * DAY_MS).toISOString().slice(0, 10));
}

export async function getUsage({ db, actor }: Ctx, rawQuery: unknown = {}, now: Date = new Date()): Promise<UsageOutput> {
  authorize(actor, "usage.read");
  const query = UsageQuery.parse(rawQuery);
  const { from, to } = resolveUsageRange(query, now);
  const teamId = query.teamId ?? null;
  const scope = await usageScope(db, actor, teamId);
  const ownUsageOnly = scope === "own";
  // Only bootstrap and system actors have no user, and both are admins; fail closed all the same.
  if (ownUsageOnly && !actor.userId) throw new ForbiddenError("Only a signed-in user may see their own usage");
  const userId = ownUsageOnly ? actor.userId : (query.userId ?? null);

  const fromIso = from.toISOString();
  const toIso = to.toISOString();
  const range = { from, to };
  const byUser = userId ? sql`user_id = ${userId}::uuid` : undefined;
  const inTeams = teamId ? sql`team_ids @> array[${teamId}]::uuid[]` : undefined;

  // Each view from the rollup with the fewest rows that answers it: a user's own rows, a team's, or
  // everyone's. The portal records one team per MCP event (the caller's first); an LLM call counts for
  // each team of its caller.
  const teamMcp = teamId ? sql`team_id = ${teamId}::uuid` : undefined;
  const mcpPart = async () =>
    userId
      ? mcpTotals(db, await rollupRange(db, MCP_BY_USER, range, and(byUser, teamMcp)))
      : teamId
        ? mcpTotals(db, await rollupRange(db, MCP_BY_TEAM, range, teamMcp))
        : // Everyone's: weeks where they fit, but the daily series from days (a week's row would land on its Monday).
          mcpTotals(db, await rollupRange(db, MCP_ALL, range), await rollupRange(db, MCP_ALL_DAYS, range));
  const llmPart = async () => {
    let calls: SQL;
    let perTeam: SQL;
    let days: SQL | undefined;
    if (userId) {
      calls = await rollupRange(db, LLM_BY_USER, range, and(byUser, inTeams));
      perTeam = sql`select s.*, t.team_id from (${calls}) as s cross join unnest(s.team_ids) as t(team_id)`;
    } else if (teamId) {
      calls = await rollupRange(db, LLM_BY_TEAM, range, sql`team_id = ${teamId}::uuid`);
      perTeam = calls;
      // The daily series from days: a week's row would land on its Monday.
      days = await rollupRange(db, LLM_BY_TEAM_DAYS, range, sql`team_id = ${teamId}::uuid`);
    } else {
      calls = await rollupRange(db, LLM_ALL, range);
      perTeam = await rollupRange(db, LLM_BY_TEAM, range);
    }
    return llmTotals(db, { calls, days, perTeam, teamId });
  };
  // The users' and the keys' rankings: most of the LLM side's work at ten million events (tens of
  // thousands of per-user rows each), so each a statement of its own, run alongside the others.
  const rankingsPart = async () => {
    const totals = await rollupRange(db, LLM_USER_TOTALS, range, and(byUser, inTeams));
    const [topUsers, topKeys] = await inTurnOrAtOnce(db, [() => rankUsers(db, totals), () => rankKeys(db, totals)]);
    return { byUser: topUsers, byKey: topKeys };
  };
  // The series by hour for short ranges: everyone's from the hourly rollups, one user's from their
  // events (by the user index; few). A whole team's has no hourly rollup: by day.
  const grain: "hour" | "day" = to.getTime() - from.getTime() <= USAGE_HOURLY_UP_TO_DAYS * DAY_MS && (userId || !teamId) ? "hour" : "day";
  const hourlyPart = async () => {
    if (grain === "day") return null;
    const mcp = userId ? await rollupRange(db, MCP_BY_USER, range, and(byUser, teamMcp)) : await rollupRange(db, MCP_ALL_HOURS, range);
    const llm = userId ? await rollupRange(db, LLM_BY_USER, range, and(byUser, inTeams)) : await rollupRange(db, LLM_ALL_HOURS, range);
    return hourlySeries(db, mcp, llm);
  };
  const listsPart = async () => listTotals(db, userId ? await rollupRange(db, LISTS_BY_USER, range, and(byUser, teamMcp)) : await rollupRange(db, LISTS, range, teamMcp));
  const [mcp, llm, rankings, lists, hourly, prices] = await inTurnOrAtOnce(db, [mcpPart, llmPart, rankingsPart, listsPart, hourlyPart, () => effectivePrices(db)]);
  const listTokens = lists
    .filter((l) => l.kind === "plain")
    .map((l) => ({ server: l.server, lists: l.lists, avgTokens: Math.round(l.tokens / l.lists), lastTokens: l.lastTokens }))
    .sort((a, b) => b.avgTokens - a.avgTokens || (a.server ?? "").localeCompare(b.server ?? ""));
  const catalogs = lists.filter((l) => l.kind === "codemode");
  const sent = lists.find((l) => l.kind === "codemode_sent");
  const catalogTokens = catalogs.reduce((n, l) => n + l.tokens, 0);
  const codemode = {
    lists: sent?.lists ?? 0,
    catalogTokens,
    sentTokens: sent?.tokens ?? 0,
    savedTokens: catalogTokens - (sent?.tokens ?? 0),
    executes: mcp.codemode?.executes ?? 0,
    innerCalls: mcp.codemode?.innerCalls ?? 0,
    byServer: catalogs.map((l) => ({ server: l.server, catalogTokens: l.tokens })).sort((a, b) => b.catalogTokens - a.catalogTokens || ((a.server ?? "") < (b.server ?? "") ? -1 : 1)),
  };

  const mcpByDay = new Map(mcp.daily.map((r) => [r.day, r]));
  const llmByDay = new Map(llm.daily.map((r) => [r.day, r]));
  const daily = daysOf(from, to).map((day) => {
    const l = llmByDay.get(day);
    return { day, mcpCalls: mcpByDay.get(day)?.calls ?? 0, llmCalls: l?.calls ?? 0, llmTokens: l?.tokens ?? 0, costMicroUsd: l?.costMicroUsd ?? 0 };
  });
  const buckets: UsageOutput["series"]["buckets"] = hourly
    ? hoursOf(from, to).map((bucket) => ({ bucket, ...zeroBucket, ...hourly.get(bucket) }))
    : daily.map((d) => ({
        bucket: `${d.day}T00:00:00.000Z`,
        mcpCalls: d.mcpCalls,
        mcpDenied: mcpByDay.get(d.day)?.denied ?? 0,
        llmCalls: d.llmCalls,
        llmBlocked: llmByDay.get(d.day)?.blocked ?? 0,
        llmTokens: d.llmTokens,
        costMicroUsd: d.costMicroUsd,
      }));
  const prompt = promptCacheSavings(llm.promptCache, prices.prices);
  const cache = {
    ...llm.cache,
    promptCachedTokens: prompt.cachedTokens,
    promptSavedMicroUsd: prompt.savedMicroUsd,
    unpricedCachedTokens: prompt.unpricedCachedTokens,
    savedMicroUsd: llm.cache.hitCostMicroUsd + prompt.savedMicroUsd,
  };

  return {
    range: { from: fromIso, to: toIso, days: daily.length },
    filters: { teamId, userId, ownUsageOnly, scope },
    mcp: { byServer: mcp.byServer, byTool: mcp.byTool, listTokens, codemode },
    llm: { byModel: llm.byModel, cache, byUser: rankings.byUser, byKey: rankings.byKey, byTeam: llm.byTeam, daily },
    series: { grain, buckets },
  };
}

/**
 * Runs `tasks`: on the database (a pool) at once, each on a connection of its own; in a transaction
 * (one connection, which must never run two queries at once) one after another.
 */
async function inTurnOrAtOnce<T extends readonly unknown[]>(db: Queryable, tasks: { [K in keyof T]: () => Promise<T[K]> }): Promise<T> {
  if (!(db instanceof PgTransaction)) return (await Promise.all(tasks.map((task) => task()))) as unknown as T;
  const results: unknown[] = [];
  for (const task of tasks) results.push(await task());
  return results as unknown as T;
}

/**
 * What the caller may see: everyone's (`usage.read-all`), a team's — the whole team's usage, per
 * member and per API key — when they lead the team they filter by (team role `lead`), or else their
 * own (a team filter then narrows their own calls).
 */
export async function usageScope(db: Queryable, actor: Actor, teamId: string | null): Promise<"all" | "team" | "own"> {
  if (can(actor, "usage.read-all")) return "all";
  if (teamId && (await teamsLedBy(db, actor.userId)).some((t) => t.id === teamId)) return "team";
  return "own";
}

// ------------------------------------------------------------------ from the rollups

const MCP_COLUMNS = sql`bucket, server_slug, endpoint_server, tool, method, via, decision, calls, inner_calls, result_tokens, result_count`;
/** Raw MCP events as rollup rows (db/migrations/0019: `portcullis_mcp_rollup`). */
const mcpRaw = (where: SQL) => sql`select date_trunc('hour', time, 'UTC') as bucket, server_slug, portcullis_endpoint_server(server_slug, endpoint) as endpoint_server,
    tool, method, via, decision, count(*) as calls, count(parent_id) as inner_calls, coalesce(sum(result_tokens), 0)::bigint as result_tokens, count(result_tokens) as result_count
  from ${mcpEvents} where ${where} group by 1, 2, 3, 4, 5, 6, 7`;
const MCP_ALL: RollupSource = {
  rollups: [
    { grain: "week", table: mcpRollupWeekly },
    { grain: "day", table: mcpRollupDaily },
    { grain: "hour", table: mcpRollupHourly },
  ],
  events: mcpEvents,
  columns: MCP_COLUMNS,
  raw: mcpRaw,
};
/** Everyone's by day and hour only: for series by day. */
const MCP_ALL_DAYS: RollupSource = { ...MCP_ALL, rollups: MCP_ALL.rollups.filter((r) => r.grain !== "week") };
/** Everyone's by hour only: for series by hour. */
const MCP_ALL_HOURS: RollupSource = { ...MCP_ALL, rollups: MCP_ALL.rollups.filter((r) => r.grain === "hour") };
/** One user's, from their events (the events' user index): no rollup per user (migration 0024), so by hour as well as by day. */
const MCP_BY_USER: RollupSource = { rollups: [], events: mcpEvents, columns: MCP_COLUMNS, raw: mcpRaw };

const MCP_BY_TEAM: RollupSource = { rollups: [{ grain: "day", table: mcpTeamRollupDaily }], events: mcpEvents, columns: MCP_COLUMNS, raw: mcpRaw };

const LLM_COLUMNS = sql`bucket, provider_slug, provider_kind, model, decision, cache, calls, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cost_micro_usd`;
/**
 * Raw LLM events as rows of an LLM rollup (db/migrations/0019: `portcullis_llm_rollup`): `also` the
 * rollup's further columns (the team of the team rollup, one row per team of the caller; the caller's
 * teams of the per-user rollup).
 */
const llmRaw =
  (also: { select: SQL; from?: SQL } | null) =>
  (where: SQL): SQL =>
    sql`select date_trunc('hour', time, 'UTC') as bucket, provider_slug, provider_kind, model, decision, cache, count(*) as calls,
    coalesce(sum(input_tokens), 0)::bigint as input_tokens, coalesce(sum(output_tokens), 0)::bigint as output_tokens,
    coalesce(sum(cached_input_tokens), 0)::bigint as cached_input_tokens, coalesce(sum(cache_write_tokens), 0)::bigint as cache_write_tokens,
    coalesce(sum(cost_micro_usd), 0)::bigint as cost_micro_usd${also ? sql`, ${also.select}` : sql``}
  from ${llmEvents}${also?.from ?? sql``} where ${where} group by 1, 2, 3, 4, 5, 6${also ? sql`, ${also.select}` : sql``}`;
const LLM_ALL: RollupSource = {
  rollups: [
    { grain: "day", table: llmRollupDaily },
    { grain: "hour", table: llmRollupHourly },
  ],
  events: llmEvents,
  columns: LLM_COLUMNS,
  raw: llmRaw(null),
};
const LLM_BY_TEAM: RollupSource = {
  rollups: [
    { grain: "week", table: llmTeamRollupWeekly },
    { grain: "day", table: llmTeamRollupDaily },
  ],
  events: sql`${llmEvents} cross join unnest(team_ids) as team_id`,
  columns: sql`${LLM_COLUMNS}, team_id`,
  raw: llmRaw({ select: sql`team_id`, from: sql` cross join unnest(team_ids) as team_id` }),
};
const LLM_BY_TEAM_DAYS: RollupSource = { ...LLM_BY_TEAM, rollups: LLM_BY_TEAM.rollups.filter((r) => r.grain !== "week") };
/** One user's, from their events (the events' user index), as MCP_BY_USER. */
const LLM_BY_USER: RollupSource = { rollups: [], events: llmEvents, columns: sql`${LLM_COLUMNS}, team_ids`, raw: llmRaw({ select: sql`team_ids` }) };
const LLM_ALL_HOURS: RollupSource = { ...LLM_ALL, rollups: LLM_ALL.rollups.filter((r) => r.grain === "hour") };
const ALLOWED_TOKENS = tokensOf({ kind: sql`provider_kind`, input: sql`input_tokens`, output: sql`output_tokens`, cached: sql`cached_input_tokens`, write: sql`cache_write_tokens` });
/** Per user, key and week or day: calls, and what allowed calls cost (db/schema/event-rollups.ts `llm_user_totals_*`). */
const LLM_USER_TOTALS: RollupSource = {
  rollups: [
    { grain: "week", table: llmUserTotalsWeekly },
    { grain: "day", table: llmUserTotalsDaily },
  ],
  events: llmEvents,
  columns: sql`bucket, user_id, token_id, team_ids, calls, tokens, cost_micro_usd, email`,
  raw: (where) => sql`select date_trunc('hour', time, 'UTC') as bucket, user_id, token_id, team_ids, count(*) as calls,
    coalesce(sum(${ALLOWED_TOKENS}) filter (where decision = 'allowed'), 0)::bigint as tokens,
    coalesce(sum(cost_micro_usd) filter (where decision = 'allowed'), 0)::bigint as cost_micro_usd, max(email) as email
  from ${llmEvents} where ${where} group by 1, 2, 3, 4`,
};

/**
 * Tool lists as rows of `mcp_list_rollup_daily` (db/migrations/0019: `portcullis_mcp_rollup`): a
 * server's own list (`plain`), each server's share of an aggregate list (`plain`) or of the catalog a
 * Code Mode list replaced (`codemode`), and the Code Mode lists themselves (`codemode_sent`).
 */
const listRaw = (where: SQL) => sql`select date_trunc('hour', time, 'UTC') as bucket, team_id, kind, server, count(*) as lists, sum(tokens)::bigint as tokens,
    max(time) as last_time, (array_agg(id order by time desc, id desc))[1] as last_id, (array_agg(tokens order by time desc, id desc))[1] as last_tokens
  from (
    select time, id, team_id, 'plain' as kind, coalesce(server_slug, portcullis_endpoint_server(server_slug, endpoint)) as server, result_tokens::bigint as tokens
      from ${mcpEvents} where ${where} and method = 'tools/list' and via is null and server_tokens is null and result_tokens is not null
    union all
    select time, id, team_id, case when via = 'codemode' then 'codemode' else 'plain' end, share.key, share.value::bigint
      from ${mcpEvents} cross join jsonb_each_text(server_tokens) as share where ${where} and method = 'tools/list' and server_tokens is not null and (via is null or via = 'codemode')
    union all
    select time, id, team_id, 'codemode_sent', null, coalesce(codemode_tokens, 0)::bigint
      from ${mcpEvents} where ${where} and method = 'tools/list' and via = 'codemode'
  ) as lists group by 1, 2, 3, 4`;
const LIST_COLUMNS = sql`bucket, team_id, kind, server, lists, tokens, last_time, last_id, last_tokens`;
const LISTS: RollupSource = { rollups: [{ grain: "day", table: mcpListRollupDaily }], events: mcpEvents, columns: LIST_COLUMNS, raw: listRaw };
/** One user's lists, from their events: a partial index holds each user's lists (`mcp_events_user_lists_idx`). */
const LISTS_BY_USER: RollupSource = { rollups: [], events: mcpEvents, columns: LIST_COLUMNS, raw: listRaw };

/** Per kind and server: lists, their tokens, and the newest one's tokens (by time, then id). */
async function listTotals(db: Queryable, source: SQL) {
  const result = (await db.execute(sql`select kind, server, sum(lists)::bigint as lists, sum(tokens)::bigint as tokens,
      (array_agg(last_tokens order by last_time desc, last_id desc))[1] as last_tokens
    from (${source}) as src group by kind, server`)) as unknown as { rows: { kind: string; server: string | null; lists: unknown; tokens: unknown; last_tokens: unknown }[] };
  return result.rows.map((r) => ({ kind: r.kind, server: r.server, lists: Number(r.lists), tokens: Number(r.tokens), lastTokens: Number(r.last_tokens) }));
}

const DAY_OF_BUCKET = sql`to_char(bucket at time zone 'UTC', 'YYYY-MM-DD')`;

const rowOf = async <T>(db: Queryable, query: SQL): Promise<T> => ((await db.execute(query)) as unknown as { rows: T[] }).rows[0]!;

/** Every MCP figure the rollups answer, in one statement (one pass over the range's rollup rows). */
async function mcpTotals(db: Queryable, source: SQL, daySource: SQL = sql`select * from agg`) {
  return rowOf<{
    byServer: UsageOutput["mcp"]["byServer"];
    byTool: UsageOutput["mcp"]["byTool"];
    daily: { day: string; calls: number; denied: number }[];
    codemode: { executes: number; innerCalls: number };
  }>(
    db,
    sql`with agg as materialized (${source})
    select
      (select coalesce(json_agg(json_build_object('server', server, 'calls', calls, 'denied', denied, 'contextTokens', context_tokens)
          order by context_tokens desc, calls desc, server asc nulls first), '[]')
        from (select coalesce(server_slug, endpoint_server) as server, sum(calls) as calls,
            coalesce(sum(calls) filter (where decision = 'denied'), 0) as denied, sum(result_tokens) as context_tokens
          from agg group by 1) s) as "byServer",
      (select coalesce(json_agg(json_build_object('server', server, 'tool', tool, 'calls', calls, 'contextTokens', context_tokens, 'avgContextTokens', avg_context_tokens)
          order by context_tokens desc, calls desc, server asc, tool asc), '[]')
        from (select server_slug as server, tool, sum(calls) as calls, sum(result_tokens) as context_tokens,
            coalesce(round(sum(result_tokens) / nullif(sum(result_count), 0)), 0) as avg_context_tokens
          from agg where method = 'tools/call' and tool is not null group by server_slug, tool
          order by context_tokens desc, calls desc, server asc, tool asc limit ${USAGE_TOP}) t) as "byTool",
      -- Summed per stored bucket first, then per day: date_trunc on a few dozen buckets, not on each of
      -- the ~50,000 daily rows of a month at ten million events (~40 ms of this statement's ~60).
      (select coalesce(json_agg(json_build_object('day', ${DAY_OF_BUCKET}, 'calls', calls, 'denied', denied)), '[]')
        from (select date_trunc('day', bucket, 'UTC') as bucket, sum(calls) as calls, sum(denied) as denied
          from (select bucket, sum(calls) as calls, coalesce(sum(calls) filter (where decision = 'denied'), 0) as denied from (${daySource}) as days group by bucket) as b
          group by 1) d) as daily,
      (select json_build_object('executes', coalesce(sum(calls - inner_calls) filter (where method = 'tools/call'), 0), 'innerCalls', coalesce(sum(inner_calls), 0))
        from agg where via = 'codemode') as codemode`,
  );
}

/**
 * The LLM figures but the rankings, in one statement: by model and day from `calls`, by team from
 * `perTeam` (rows with a `team_id`; only `teamId` when given). Tokens and spend count allowed calls only.
 */
async function llmTotals(db: Queryable, sources: { calls: SQL; days?: SQL; perTeam: SQL; teamId: string | null }) {
  const allowed = (expr: SQL) => sql`coalesce(sum(${expr}) filter (where decision = 'allowed'), 0)`;
  const allowedHit = (expr: SQL) => sql`coalesce(sum(${expr}) filter (where decision = 'allowed' and cache = 'hit'), 0)`;
  return rowOf<{
    byModel: UsageOutput["llm"]["byModel"];
    byTeam: UsageOutput["llm"]["byTeam"];
    daily: { day: string; calls: number; blocked: number; tokens: number; costMicroUsd: number }[];
    cache: { hits: number; hitTokens: number; hitCostMicroUsd: number };
    promptCache: PromptCacheRow[];
  }>(
    db,
    sql`with agg as materialized (${sources.calls})
    select
      (select coalesce(json_agg(json_build_object('provider', provider_slug, 'model', model, 'calls', calls, 'tokens', tokens, 'costMicroUsd', cost, 'cacheHits', cache_hits)
          order by cost desc, tokens desc, provider_slug asc, model asc), '[]')
        from (select provider_slug, model, sum(calls) as calls, ${allowed(ALLOWED_TOKENS)} as tokens, ${allowed(sql`cost_micro_usd`)} as cost,
            coalesce(sum(calls) filter (where cache = 'hit'), 0) as cache_hits
          from agg group by provider_slug, model) m) as "byModel",
      (select json_build_object('hits', ${allowedHit(sql`calls`)}, 'hitTokens', ${allowedHit(ALLOWED_TOKENS)}, 'hitCostMicroUsd', ${allowedHit(sql`cost_micro_usd`)}) from agg) as cache,
      -- Prompt-cache tokens of calls the provider answered (a response-cache hit replays the original's counts).
      (select coalesce(json_agg(json_build_object('kind', provider_kind, 'model', model, 'cachedTokens', cached, 'writeTokens', writes)), '[]')
        from (select provider_kind, model, sum(cached_input_tokens) as cached, sum(cache_write_tokens) as writes
          from agg where decision = 'allowed' and cache is distinct from 'hit' group by 1, 2 having sum(cached_input_tokens) + sum(cache_write_tokens) > 0) p) as "promptCache",
      (select coalesce(json_agg(json_build_object('day', ${DAY_OF_BUCKET}, 'calls', calls, 'blocked', blocked, 'tokens', tokens, 'costMicroUsd', cost)), '[]')
        from (select date_trunc('day', bucket, 'UTC') as bucket, sum(calls) as calls, coalesce(sum(calls) filter (where decision = 'denied'), 0) as blocked,
            ${allowed(ALLOWED_TOKENS)} as tokens, ${allowed(sql`cost_micro_usd`)} as cost
          from ${sources.days ? sql`(${sources.days}) as days` : sql`agg`} group by 1) d) as daily,
      (select coalesce(json_agg(json_build_object('teamId', team_id, 'slug', slug, 'calls', calls, 'tokens', tokens, 'costMicroUsd', cost)
          order by cost desc, tokens desc, slug asc), '[]')
        from (select t.team_id, ${teams.slug} as slug, sum(calls) as calls, ${allowed(ALLOWED_TOKENS)} as tokens, ${allowed(sql`cost_micro_usd`)} as cost
          from (${sources.perTeam}) as t left join ${teams} on ${teams.id} = t.team_id
          ${sources.teamId ? sql`where t.team_id = ${sources.teamId}::uuid` : sql``}
          group by t.team_id, ${teams.slug}) tm) as "byTeam"`,
  );
}

/**
 * The users with the most spend, from per-user totals (`llm_user_totals_*` rows), with their address:
 * the current one, or for a user since deleted the greatest on their calls (calls without a user carry
 * no address; the rollups' user index finds a deleted user's rows). Summed straight from the rows: at
 * 10.6 M events summing them first per user and key into a CTE, then again per user, took twice as long.
 */
async function rankUsers(db: Queryable, totals: SQL) {
  return (
    await rowOf<{ byUser: UsageOutput["llm"]["byUser"] }>(
      db,
      sql`select coalesce(json_agg(json_build_object('userId', top.user_id, 'email', coalesce(${users.email},
            (select max(email) from (${totals}) as mine where mine.user_id = top.user_id)), 'calls', calls, 'tokens', tokens, 'costMicroUsd', cost)
          order by cost desc, tokens desc, top.user_id asc), '[]') as "byUser"
        from (select user_id, sum(calls) as calls, sum(tokens) as tokens, sum(cost_micro_usd) as cost from (${totals}) as u
          group by user_id order by cost desc, tokens desc, user_id asc limit ${USAGE_TOP}) as top left join ${users} on ${users.id} = top.user_id`,
    )
  ).byUser;
}

/** API keys (calls made with a portal token rather than a sign-in), most spend first, from per-user totals. */
async function rankKeys(db: Queryable, totals: SQL) {
  return (
    await rowOf<{ byKey: UsageOutput["llm"]["byKey"] }>(
      db,
      sql`select coalesce(json_agg(json_build_object('tokenId', top.token_id, 'name', ${apiTokens.name}, 'prefix', ${apiTokens.prefix}, 'userId', top.user_id,
            'email', ${users.email}, 'calls', calls, 'tokens', tokens, 'costMicroUsd', cost)
          order by cost desc, tokens desc, top.token_id asc), '[]') as "byKey"
        from (select token_id, user_id, sum(calls) as calls, sum(tokens) as tokens, sum(cost_micro_usd) as cost from (${totals}) as u
          where token_id is not null group by token_id, user_id order by cost desc, tokens desc, token_id asc limit ${USAGE_TOP}) as top
          left join ${apiTokens} on ${apiTokens.id} = top.token_id left join ${users} on ${users.id} = top.user_id`,
    )
  ).byKey;
}

/** MCP and LLM figures per UTC hour, from rollup rows of each (`bucket` an hour or finer), keyed by the hour's ISO instant. */
async function hourlySeries(db: Queryable, mcp: SQL, llm: SQL): Promise<Map<string, Partial<UsageOutput["series"]["buckets"][number]>>> {
  const hour = sql`to_char(date_trunc('hour', bucket, 'UTC') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:00:00.000"Z"')`;
  const result = (await db.execute(sql`with m as (select ${hour} as hour, sum(calls) as calls, coalesce(sum(calls) filter (where decision = 'denied'), 0) as denied from (${mcp}) as s group by 1),
      l as (select ${hour} as hour, sum(calls) as calls, coalesce(sum(calls) filter (where decision = 'denied'), 0) as blocked,
          coalesce(sum(${ALLOWED_TOKENS}) filter (where decision = 'allowed'), 0) as tokens, coalesce(sum(cost_micro_usd) filter (where decision = 'allowed'), 0) as cost
        from (${llm}) as s group by 1)
    select coalesce(m.hour, l.hour) as hour, coalesce(m.calls, 0) as mcp_calls, coalesce(m.denied, 0) as mcp_denied, coalesce(l.calls, 0) as llm_calls,
        coalesce(l.blocked, 0) as llm_blocked, coalesce(l.tokens, 0) as llm_tokens, coalesce(l.cost, 0) as cost
      from m full join l on l.hour = m.hour`)) as unknown as { rows: Record<string, string | number>[] };
  return new Map(
    result.rows.map((r) => [
      String(r.hour),
      {
        mcpCalls: Number(r.mcp_calls),
        mcpDenied: Number(r.mcp_denied),
        llmCalls: Number(r.llm_calls),
        llmBlocked: Number(r.llm_blocked),
        llmTokens: Number(r.llm_tokens),
        costMicroUsd: Number(r.cost),
      },
    ]),
  );
}
