/**
 * Usage: what MCP results cost in model context, and what LLM calls cost in tokens and dollars,
 * from the events the portal delivered (`mcp_events`, `llm_events`).
 *
 * Figures come from the events' rollups (db/schema/event-rollups.ts, read over the range by
 * lib/events/rollup-source.ts): everyone's by day and hour, a user's from the per-user daily rollup,
 * and raw events only for a part of the range that no whole bucket covers. Each side (MCP, LLM) is
 * one statement over those rows. Tool lists are read from events, the newest 10,000 of each kind in
 * the range, through partial indexes that hold only lists.
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
import { and, desc, eq, gte, isNotNull, lt, sql, type SQL } from "drizzle-orm";
import { llmEvents, llmRollupDaily, llmRollupHourly, llmUserRollupDaily, mcpEvents, mcpRollupDaily, mcpRollupHourly, mcpUserRollupDaily, teams, users } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { authorize, can } from "../auth/actor";
import { tokensOf } from "@/lib/budgets/spend";
import { rollupRange, type RollupSource } from "@/lib/events/rollup-source";
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

// The server of an MCP request: tools/list is answered by the portal and recorded without a server;
// on a server's own endpoint (/mcp/{slug}) the list is that server's.
const MCP_SERVER = sql<string | null>`coalesce(${mcpEvents.serverSlug}, portcullis_endpoint_server(${mcpEvents.serverSlug}, ${mcpEvents.endpoint}))`;
/** A plain (not Code Mode) tools/list, written as the partial list indexes' predicates are. */
const PLAIN_LIST = sql`${mcpEvents.method} = 'tools/list' and ${mcpEvents.via} is null`;

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
  // The portal records one team per MCP event (the caller's first); LLM events carry all of them.
  const mcpFilter = and(userId ? sql`user_id = ${userId}::uuid` : undefined, teamId ? sql`team_id = ${teamId}::uuid` : undefined);
  const llmFilter = and(userId ? sql`user_id = ${userId}::uuid` : undefined, teamId ? sql`team_ids @> array[${teamId}]::uuid[]` : undefined);
  const range = { from, to };

  // One query at a time, as lib/budgets/spend.ts does: one connection, and safe inside a transaction.
  const mcp = await mcpTotals(db, await rollupRange(db, userId ? MCP_BY_USER : MCP_ALL, range, mcpFilter));
  const llmUsers = await rollupRange(db, LLM_BY_USER, range, llmFilter);
  const llm = await llmTotals(db, userId ? llmUsers : await rollupRange(db, LLM_ALL, range, llmFilter), llmUsers, teamId);

  // Tool lists: a server's own endpoint (/mcp/{slug}) reports the whole list; the aggregate /mcp
  // reports each server's share in server_tokens (newest 10,000 such lists in the range). Read from
  // events, through partial indexes that hold only such lists.
  const mcpWhere = and(
    gte(mcpEvents.time, fromIso),
    lt(mcpEvents.time, toIso),
    userId ? eq(mcpEvents.userId, userId) : undefined,
    teamId ? eq(mcpEvents.teamId, teamId) : undefined,
  );
  const ownLists = await db
    .select({ server: MCP_SERVER, tokens: num(sql`${mcpEvents.resultTokens}`), time: mcpEvents.time, id: mcpEvents.id })
    .from(mcpEvents)
    .where(and(mcpWhere, PLAIN_LIST, sql`${mcpEvents.serverTokens} is null`, isNotNull(mcpEvents.resultTokens)))
    .orderBy(desc(mcpEvents.time), desc(mcpEvents.id))
    .limit(10_000);
  const sharedLists = await db
    .select({ shares: mcpEvents.serverTokens, time: mcpEvents.time, id: mcpEvents.id })
    .from(mcpEvents)
    // A Code Mode list reports the catalog it replaced, not what was sent: counted below, as savings.
    .where(and(mcpWhere, PLAIN_LIST, sql`${mcpEvents.serverTokens} is not null`))
    .orderBy(desc(mcpEvents.time), desc(mcpEvents.id))
    .limit(10_000);
  const listTokens = summarizeLists([
    ...ownLists.map((r) => ({ server: r.server, tokens: r.tokens, time: r.time, id: r.id })),
    ...sharedLists.flatMap((r) => Object.entries(r.shares ?? {}).map(([server, tokens]) => ({ server, tokens, time: r.time, id: r.id }))),
  ]);
  const codemode = await codemodeUsage(db, mcpWhere, mcp.codemode);

  const mcpByDay = new Map(mcp.daily.map((r) => [r.day, r.calls]));
  const llmByDay = new Map(llm.daily.map((r) => [r.day, r]));
  const daily = daysOf(from, to).map((day) => {
    const l = llmByDay.get(day);
    return { day, mcpCalls: mcpByDay.get(day) ?? 0, llmCalls: l?.calls ?? 0, llmTokens: l?.tokens ?? 0, costMicroUsd: l?.costMicroUsd ?? 0 };
  });

  return {
    range: { from: fromIso, to: toIso, days: daily.length },
    filters: { teamId, userId, ownUsageOnly },
    mcp: { byServer: mcp.byServer, byTool: mcp.byTool, listTokens, codemode },
    llm: { byModel: llm.byModel, byUser: llm.byUser, byTeam: llm.byTeam, daily },
  };
}

// ------------------------------------------------------------------ from the rollups

const MCP_COLUMNS = sql`bucket, server_slug, endpoint_server, tool, method, via, decision, calls, inner_calls, result_tokens, result_count`;
/** Raw MCP events as rollup rows (db/migrations/0017: `portcullis_mcp_rollup`). */
const mcpRaw = (where: SQL) => sql`select date_trunc('hour', time, 'UTC') as bucket, server_slug, portcullis_endpoint_server(server_slug, endpoint) as endpoint_server,
    tool, method, via, decision, count(*) as calls, count(parent_id) as inner_calls, coalesce(sum(result_tokens), 0)::bigint as result_tokens, count(result_tokens) as result_count
  from ${mcpEvents} where ${where} group by 1, 2, 3, 4, 5, 6, 7`;
const MCP_ALL: RollupSource = {
  rollups: [
    { grain: "day", table: mcpRollupDaily },
    { grain: "hour", table: mcpRollupHourly },
  ],
  events: mcpEvents,
  columns: MCP_COLUMNS,
  raw: mcpRaw,
};
const MCP_BY_USER: RollupSource = { rollups: [{ grain: "day", table: mcpUserRollupDaily }], events: mcpEvents, columns: MCP_COLUMNS, raw: mcpRaw };

const LLM_COLUMNS = sql`bucket, team_ids, provider_slug, provider_kind, model, decision, cache, calls, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cost_micro_usd`;
/** Raw LLM events as rollup rows (db/migrations/0017: `portcullis_llm_rollup`), with the user's columns for the per-user rollup. */
const llmRaw = (byUser: boolean) => (where: SQL) =>
  sql`select date_trunc('hour', time, 'UTC') as bucket, team_ids, provider_slug, provider_kind, model, decision, cache, count(*) as calls,
    coalesce(sum(input_tokens), 0)::bigint as input_tokens, coalesce(sum(output_tokens), 0)::bigint as output_tokens,
    coalesce(sum(cached_input_tokens), 0)::bigint as cached_input_tokens, coalesce(sum(cache_write_tokens), 0)::bigint as cache_write_tokens,
    coalesce(sum(cost_micro_usd), 0)::bigint as cost_micro_usd${byUser ? sql`, user_id, max(email) as email` : sql``}
  from ${llmEvents} where ${where} group by 1, 2, 3, 4, 5, 6, 7${byUser ? sql`, user_id` : sql``}`;
const LLM_ALL: RollupSource = {
  rollups: [
    { grain: "day", table: llmRollupDaily },
    { grain: "hour", table: llmRollupHourly },
  ],
  events: llmEvents,
  columns: LLM_COLUMNS,
  raw: llmRaw(false),
};
const LLM_BY_USER: RollupSource = { rollups: [{ grain: "day", table: llmUserRollupDaily }], events: llmEvents, columns: sql`${LLM_COLUMNS}, user_id, email`, raw: llmRaw(true) };

const DAY_OF_BUCKET = sql`to_char(bucket at time zone 'UTC', 'YYYY-MM-DD')`;
const ROLLUP_TOKENS = tokensOf({ kind: sql`provider_kind`, input: sql`input_tokens`, output: sql`output_tokens`, cached: sql`cached_input_tokens`, write: sql`cache_write_tokens` });

const rowOf = async <T>(db: Queryable, query: SQL): Promise<T> => ((await db.execute(query)) as unknown as { rows: T[] }).rows[0]!;

/** Every MCP figure the rollups answer, in one statement (one pass over the range's rollup rows). */
async function mcpTotals(db: Queryable, source: SQL) {
  return rowOf<{
    byServer: UsageOutput["mcp"]["byServer"];
    byTool: UsageOutput["mcp"]["byTool"];
    daily: { day: string; calls: number }[];
    codemode: { executes: number; innerCalls: number };
  }>(
    db,
    sql`with agg as materialized (
      select ${DAY_OF_BUCKET} as day, server_slug, endpoint_server, tool, method, via, decision,
        sum(calls) as calls, sum(inner_calls) as inner_calls, sum(result_tokens) as result_tokens, sum(result_count) as result_count
      from (${source}) as src group by 1, 2, 3, 4, 5, 6, 7
    )
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
      (select coalesce(json_agg(json_build_object('day', day, 'calls', calls)), '[]') from (select day, sum(calls) as calls from agg group by day) d) as daily,
      (select json_build_object('executes', coalesce(sum(calls - inner_calls) filter (where method = 'tools/call'), 0), 'innerCalls', coalesce(sum(inner_calls), 0))
        from agg where via = 'codemode') as codemode`,
  );
}

/**
 * Every LLM figure, in one statement: by model, team and day from `source`, by user from `perUser`
 * (the per-user rows of the same range and filters). Tokens and spend count allowed calls only.
 */
async function llmTotals(db: Queryable, source: SQL, perUser: SQL, teamId: string | null) {
  const allowed = (expr: SQL) => sql`coalesce(sum(${expr}) filter (where decision = 'allowed'), 0)`;
  return rowOf<{
    byModel: UsageOutput["llm"]["byModel"];
    byUser: UsageOutput["llm"]["byUser"];
    byTeam: UsageOutput["llm"]["byTeam"];
    daily: { day: string; calls: number; tokens: number; costMicroUsd: number }[];
  }>(
    db,
    sql`with agg as materialized (
      select ${DAY_OF_BUCKET} as day, team_ids, provider_slug, model, decision, cache,
        sum(calls) as calls, sum(${ROLLUP_TOKENS}) as tokens, sum(cost_micro_usd) as cost
      from (${source}) as src group by 1, 2, 3, 4, 5, 6
    )
    select
      (select coalesce(json_agg(json_build_object('provider', provider_slug, 'model', model, 'calls', calls, 'tokens', tokens, 'costMicroUsd', cost, 'cacheHits', cache_hits)
          order by cost desc, tokens desc, provider_slug asc, model asc), '[]')
        from (select provider_slug, model, sum(calls) as calls, ${allowed(sql`tokens`)} as tokens, ${allowed(sql`cost`)} as cost,
            coalesce(sum(calls) filter (where cache = 'hit'), 0) as cache_hits
          from agg group by provider_slug, model) m) as "byModel",
      (select coalesce(json_agg(json_build_object('teamId', team_id, 'slug', slug, 'calls', calls, 'tokens', tokens, 'costMicroUsd', cost)
          order by cost desc, tokens desc, slug asc), '[]')
        from (select t.team_id, ${teams.slug} as slug, sum(calls) as calls, ${allowed(sql`tokens`)} as tokens, ${allowed(sql`cost`)} as cost
          from agg cross join unnest(agg.team_ids) as t(team_id) left join ${teams} on ${teams.id} = t.team_id
          ${teamId ? sql`where t.team_id = ${teamId}::uuid` : sql``}
          group by t.team_id, ${teams.slug}) tm) as "byTeam",
      (select coalesce(json_agg(json_build_object('day', day, 'calls', calls, 'tokens', tokens, 'costMicroUsd', cost)), '[]')
        from (select day, sum(calls) as calls, ${allowed(sql`tokens`)} as tokens, ${allowed(sql`cost`)} as cost from agg group by day) d) as daily,
      (select coalesce(json_agg(json_build_object('userId', user_id, 'email', email, 'calls', calls, 'tokens', tokens, 'costMicroUsd', cost)
          order by cost desc, tokens desc, user_id asc), '[]')
        from (select u.user_id, coalesce(max(${users.email}), max(u.email)) as email, sum(calls) as calls,
            ${allowed(ROLLUP_TOKENS)} as tokens, ${allowed(sql`cost_micro_usd`)} as cost
          from (${perUser}) as u left join ${users} on ${users.id} = u.user_id
          group by u.user_id order by cost desc, tokens desc, u.user_id asc limit ${USAGE_TOP}) us) as "byUser"`,
  );
}

/**
 * Code Mode's lists in the range: what they sent against the plain lists they replaced (each Code
 * Mode tools/list event carries both: `codemodeTokens` and `serverTokens`; the newest 10,000, from
 * events), and how much Code Mode was used (its own calls, and the tool calls its code made: `calls`,
 * from the rollups).
 */
async function codemodeUsage(db: Queryable, mcpWhere: SQL | undefined, calls: { executes: number; innerCalls: number } | null): Promise<UsageOutput["mcp"]["codemode"]> {
  const lists = await db
    .select({ shares: mcpEvents.serverTokens, sent: mcpEvents.codemodeTokens })
    .from(mcpEvents)
    .where(and(mcpWhere, sql`${mcpEvents.method} = 'tools/list' and ${mcpEvents.via} = 'codemode'`))
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
