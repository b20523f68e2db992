/**
 * Rollups of `mcp_events` and `llm_events` for charts and budgets, so that neither reads raw events
 * at scale: per UTC hour, day or ISO week (`bucket` is the hour's, day's or Monday's start), by the
 * dimensions the pages filter and group on. They are kept by statement-level triggers on the event
 * tables (db/migrations/0019_events-partitioned.sql, as changed by 0024), in the transaction of the insert and only from
 * the rows it really inserted (the transition table of `INSERT … ON CONFLICT DO NOTHING`), so a
 * redelivered or duplicated event is never counted twice, whatever wrote it (ingest, seeds, tests).
 *
 * Each rollup is narrow and answers one kind of view with few rows:
 * - `*_rollup_hourly` / `_daily` (/ `_weekly`): everyone's calls by server and tool (MCP) or provider
 *   and model (LLM), method or operation, decision, denial code, status…: no team, no user;
 * - `*_latency_hourly` / `*_latency_daily`: a duration histogram (lib/core/events/duration-histogram.ts)
 *   per server and tool, or provider and model, for p50/p95 latency;
 * - `*_team_rollup_daily` (/ `_weekly`): like the daily rollup, per team (an LLM call counts once for
 *   each team of its caller), read through the team index;
 * - no per-user copy of the daily rollups: one person's figures (a member's own page, their Overview)
 *   are read from their events through the events' `(user_id, time, id)` index — a per-user rollup
 *   had nearly a row per event and was most of ingest's cost (migration 0024, bench/events/README.md);
 * - `llm_user_totals_daily` / `_weekly`: one row per user and API key with the totals that rankings
 *   of every user and budgets need;
 * - `mcp_list_rollup_daily`: what tool lists cost in context, per server (one user's lists are read
 *   from their events, through a partial index of lists).
 *
 * Retention (lib/events/retention.ts) drops raw partitions and the hourly rows of the same days; the
 * daily and weekly rollups stay as the long-term record. Weekly rollups (ISO weeks) exist where a
 * 30-day view would otherwise read tens of thousands of daily rows.
 *
 * Every measure is a plain sum (or a max, or the latest of something), so a rollup row merges by
 * addition: counts of calls, sums of `coalesce(x, 0)` for amounts, and `*_count` for how many calls
 * reported the amount (averages). Rows differing only in NULL dimensions are one row
 * (`NULLS NOT DISTINCT` keys).
 */
import { bigint, index, integer, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";

const bucket = () => timestamp("bucket", { withTimezone: true, mode: "string" }).notNull();
const sum = (name: string) => bigint(name, { mode: "number" }).notNull().default(0);

// ------------------------------------------------------------------ MCP requests

const mcpDimensions = () => ({
  serverSlug: text("server_slug"),
  /** Requests the portal answered itself (server_slug null) on a server's own endpoint `/mcp/{slug}`: that slug. */
  endpointServer: text("endpoint_server"),
  tool: text("tool"),
  method: text("method").notNull(),
  decision: text("decision").$type<"allowed" | "denied">().notNull(),
  /** A denial's code, the reason's leading `UPPER_CASE` word (POLICY_DENIED, RATE_LIMITED, SERVER_BLOCKED…); null when allowed. */
  reasonCode: text("reason_code"),
  via: text("via").$type<"codemode">(),
});

const mcpMeasures = () => ({
  calls: sum("calls"),
  /** Allowed calls that failed (a JSON-RPC error or `isError`); denials are counted by `decision`. */
  errors: sum("errors"),
  /** Calls a block-list entry in log mode let through. */
  wouldBlock: sum("would_block"),
  /** Calls Code Mode code made (parent_id set). */
  innerCalls: sum("inner_calls"),
  resultTokens: sum("result_tokens"),
  resultCount: sum("result_count"),
  codemodeTokens: sum("codemode_tokens"),
  durationMs: sum("duration_ms"),
  durationCount: sum("duration_count"),
});

function mcpRollup(name: "mcp_rollup_hourly" | "mcp_rollup_daily" | "mcp_rollup_weekly") {
  return pgTable(name, { bucket: bucket(), ...mcpDimensions(), ...mcpMeasures(), bytesIn: sum("bytes_in"), bytesOut: sum("bytes_out") }, (t) => [
    unique(`${name}_key`).on(t.bucket, t.serverSlug, t.endpointServer, t.tool, t.method, t.decision, t.reasonCode, t.via).nullsNotDistinct(),
  ]);
}

export const mcpRollupHourly = mcpRollup("mcp_rollup_hourly");
export const mcpRollupDaily = mcpRollup("mcp_rollup_daily");
export const mcpRollupWeekly = mcpRollup("mcp_rollup_weekly");

/** Time waiting for the upstream, of the calls that were forwarded (duration_ms set): a histogram for p50/p95. */
const latencyMeasures = () => ({ calls: sum("calls"), durationMs: sum("duration_ms"), durationHistogram: integer("duration_histogram").array().notNull() });

function mcpLatency(name: "mcp_latency_hourly" | "mcp_latency_daily") {
  return pgTable(name, { bucket: bucket(), serverSlug: text("server_slug"), tool: text("tool"), ...latencyMeasures() }, (t) => [
    unique(`${name}_key`).on(t.bucket, t.serverSlug, t.tool).nullsNotDistinct(),
  ]);
}

function llmLatency(name: "llm_latency_hourly" | "llm_latency_daily") {
  return pgTable(name, { bucket: bucket(), providerSlug: text("provider_slug").notNull(), model: text("model"), ...latencyMeasures() }, (t) => [
    unique(`${name}_key`).on(t.bucket, t.providerSlug, t.model).nullsNotDistinct(),
  ]);
}

export const mcpLatencyHourly = mcpLatency("mcp_latency_hourly");
export const mcpLatencyDaily = mcpLatency("mcp_latency_daily");

/** By the event's team (the caller's first; null without one). */
export const mcpTeamRollupDaily = pgTable(
  "mcp_team_rollup_daily",
  { bucket: bucket(), teamId: uuid("team_id"), ...mcpDimensions(), ...mcpMeasures() },
  (t) => [
    unique("mcp_team_rollup_daily_key").on(t.bucket, t.teamId, t.serverSlug, t.endpointServer, t.tool, t.method, t.decision, t.reasonCode, t.via).nullsNotDistinct(),
    index("mcp_team_rollup_daily_team_idx").on(t.teamId, t.bucket),
  ],
);

/**
 * Tool lists (`tools/list`) and what they put into context, per server, by the event's team:
 * - `own`: a list on a server's own endpoint (`/mcp/{slug}`), its whole `result_tokens`;
 * - `shared`: a server's share of an aggregate list at `/mcp` (`server_tokens`);
 * - `codemode`: a server's share of the catalog a Code Mode list replaced (`server_tokens`);
 * - `codemode_sent`: Code Mode lists themselves (server null): how many, and the tokens they sent.
 * `last_*`: the newest list of the bucket (by time, then id) and its tokens.
 */
export const mcpListRollupDaily = pgTable(
  "mcp_list_rollup_daily",
  {
    bucket: bucket(),
    teamId: uuid("team_id"),
    kind: text("kind").$type<"own" | "shared" | "codemode" | "codemode_sent">().notNull(),
    server: text("server"),
    lists: sum("lists"),
    tokens: sum("tokens"),
    lastTime: timestamp("last_time", { withTimezone: true, mode: "string" }).notNull(),
    lastId: uuid("last_id").notNull(),
    lastTokens: bigint("last_tokens", { mode: "number" }).notNull(),
  },
  (t) => [unique("mcp_list_rollup_daily_key").on(t.bucket, t.teamId, t.kind, t.server).nullsNotDistinct()],
);

// ------------------------------------------------------------------ LLM calls

const llmDimensions = () => ({
  providerSlug: text("provider_slug").notNull(),
  providerKind: text("provider_kind").notNull(),
  model: text("model"),
  decision: text("decision").$type<"allowed" | "denied">().notNull(),
  reasonCode: text("reason_code"),
  /** The HTTP status the caller got (429: blocked by a rate limit). */
  status: integer("status").notNull(),
  cache: text("cache"),
});

const llmMeasures = () => ({
  calls: sum("calls"),
  /** Calls admitted over a `flag` budget. */
  overBudget: sum("over_budget"),
  wouldBlock: sum("would_block"),
  inputTokens: sum("input_tokens"),
  outputTokens: sum("output_tokens"),
  cachedInputTokens: sum("cached_input_tokens"),
  cacheWriteTokens: sum("cache_write_tokens"),
  costMicroUsd: sum("cost_micro_usd"),
  durationMs: sum("duration_ms"),
  durationCount: sum("duration_count"),
});

function llmRollup(name: "llm_rollup_hourly" | "llm_rollup_daily") {
  return pgTable(name, { bucket: bucket(), ...llmDimensions(), operation: text("operation").notNull(), ...llmMeasures() }, (t) => [
    unique(`${name}_key`).on(t.bucket, t.providerSlug, t.providerKind, t.model, t.operation, t.decision, t.reasonCode, t.status, t.cache).nullsNotDistinct(),
  ]);
}

export const llmRollupHourly = llmRollup("llm_rollup_hourly");
export const llmRollupDaily = llmRollup("llm_rollup_daily");
export const llmLatencyHourly = llmLatency("llm_latency_hourly");
export const llmLatencyDaily = llmLatency("llm_latency_daily");

/** One row per team of the caller at the time of the call: a call by someone in two teams counts for both (as team budgets count it). */
function llmTeamRollup(name: "llm_team_rollup_daily" | "llm_team_rollup_weekly") {
  return pgTable(name, { bucket: bucket(), teamId: uuid("team_id").notNull(), ...llmDimensions(), ...llmMeasures() }, (t) => [
    unique(`${name}_key`).on(t.bucket, t.teamId, t.providerSlug, t.providerKind, t.model, t.decision, t.reasonCode, t.status, t.cache).nullsNotDistinct(),
    index(`${name}_team_idx`).on(t.teamId, t.bucket),
  ]);
}

export const llmTeamRollupDaily = llmTeamRollup("llm_team_rollup_daily");
export const llmTeamRollupWeekly = llmTeamRollup("llm_team_rollup_weekly");

/**
 * Per user, API token, team set and day (or ISO week): calls, errors, denials, and the tokens and
 * spend of allowed calls (`portcullis_llm_tokens`, what budgets count) — user and token budgets (by
 * the user and token indexes), the ranking of every user (weeks, then the days at a range's ends),
 * spend per member and per key.
 */
function llmUserTotals(name: "llm_user_totals_daily" | "llm_user_totals_weekly") {
  return pgTable(
    name,
    {
      bucket: bucket(),
      userId: uuid("user_id"),
      tokenId: uuid("token_id"),
      /** Every team of the caller at the time of the call, as on the event. */
      teamIds: uuid("team_ids").array().notNull(),
      calls: sum("calls"),
      errors: sum("errors"),
      denied: sum("denied"),
      tokens: sum("tokens"),
      costMicroUsd: sum("cost_micro_usd"),
      email: text("email"),
    },
    (t) => [
      unique(`${name}_key`).on(t.bucket, t.userId, t.tokenId, t.teamIds).nullsNotDistinct(),
      index(`${name}_user_idx`).on(t.userId, t.bucket),
      index(`${name}_token_idx`).on(t.tokenId, t.bucket),
      index(`${name}_teams_idx`).using("gin", t.teamIds),
    ],
  );
}

export const llmUserTotalsDaily = llmUserTotals("llm_user_totals_daily");
export const llmUserTotalsWeekly = llmUserTotals("llm_user_totals_weekly");
