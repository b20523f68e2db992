/**
 * Rollups of `mcp_events` and `llm_events` for charts and budgets, so that neither ever scans raw
 * events: per UTC hour and per UTC day (`bucket` is the hour's or the day's start), by the dimensions
 * the pages filter and group on. They are kept by statement-level triggers on the event tables
 * (db/migrations/0017_events-partitioned.sql), in the transaction of the insert and only from the rows
 * it really inserted (the transition table of `INSERT … ON CONFLICT DO NOTHING`), so a redelivered or
 * duplicated event is never counted twice, whatever wrote it (ingest, seeds, tests).
 *
 * - `*_rollup_hourly` / `*_rollup_daily`: everyone's events, without the user (few rows per bucket);
 *   they carry a duration histogram (lib/core/events/duration-histogram.ts) for p50/p95 latency.
 * - `*_user_rollup_daily`: by user (and, for LLM calls, API token) for per-user views and budgets;
 *   read through their user (and token) indexes.
 *
 * Retention (lib/events/retention.ts) drops raw partitions and the hourly rows of the same days; the
 * daily rollups stay as the long-term record.
 *
 * Every measure is a plain sum (or a max), so a rollup row merges by addition: counts of calls, sums of
 * `coalesce(x, 0)` for amounts, and `*_count` for how many calls reported the amount (averages).
 * Rows differing only in NULL dimensions are one row (`NULLS NOT DISTINCT` keys).
 */
import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";

const bucket = () => timestamp("bucket", { withTimezone: true, mode: "string" }).notNull();
const sum = (name: string) => bigint(name, { mode: "number" }).notNull().default(0);
const histogram = () => integer("duration_histogram").array().notNull();

/** The MCP dimensions every rollup has (the user rollup adds the user). */
const mcpDimensions = () => ({
  teamId: uuid("team_id"),
  serverSlug: text("server_slug"),
  /** Requests the portal answered itself (server_slug null) on a server's own endpoint `/mcp/{slug}`: that slug. */
  endpointServer: text("endpoint_server"),
  tool: text("tool"),
  method: text("method").notNull(),
  decision: text("decision").$type<"allowed" | "denied">().notNull(),
  /** A denial's code, the reason's leading `UPPER_CASE` word (POLICY_DENIED, RATE_LIMITED, SERVER_BLOCKED…); null when allowed. */
  reasonCode: text("reason_code"),
  success: boolean("success").notNull(),
  via: text("via").$type<"codemode">(),
  wouldBlock: boolean("would_block").notNull(),
});

const mcpMeasures = () => ({
  calls: sum("calls"),
  /** Calls Code Mode code made (parent_id set). */
  innerCalls: sum("inner_calls"),
  resultTokens: sum("result_tokens"),
  resultCount: sum("result_count"),
  codemodeTokens: sum("codemode_tokens"),
  durationMs: sum("duration_ms"),
  durationCount: sum("duration_count"),
});

function mcpRollup(name: "mcp_rollup_hourly" | "mcp_rollup_daily") {
  return pgTable(
    name,
    {
      bucket: bucket(),
      ...mcpDimensions(),
      blockId: uuid("block_id"),
      ...mcpMeasures(),
      bytesIn: sum("bytes_in"),
      bytesOut: sum("bytes_out"),
      durationHistogram: histogram(),
    },
    (t) => [
      unique(`${name}_key`)
        .on(t.bucket, t.teamId, t.serverSlug, t.endpointServer, t.tool, t.method, t.decision, t.reasonCode, t.success, t.via, t.wouldBlock, t.blockId)
        .nullsNotDistinct(),
    ],
  );
}

export const mcpRollupHourly = mcpRollup("mcp_rollup_hourly");
export const mcpRollupDaily = mcpRollup("mcp_rollup_daily");

export const mcpUserRollupDaily = pgTable(
  "mcp_user_rollup_daily",
  {
    bucket: bucket(),
    userId: uuid("user_id"),
    ...mcpDimensions(),
    ...mcpMeasures(),
    /** The greatest address the user's events carried that day (for users since deleted). */
    email: text("email"),
  },
  (t) => [
    unique("mcp_user_rollup_daily_key")
      .on(t.bucket, t.userId, t.teamId, t.serverSlug, t.endpointServer, t.tool, t.method, t.decision, t.reasonCode, t.success, t.via, t.wouldBlock)
      .nullsNotDistinct(),
    index("mcp_user_rollup_daily_user_idx").on(t.userId, t.bucket),
  ],
);

const llmDimensions = () => ({
  /** Every team of the caller at the time of the call, as on the event: a team's figures are the rows containing it. */
  teamIds: uuid("team_ids").array().notNull(),
  providerSlug: text("provider_slug").notNull(),
  providerKind: text("provider_kind").notNull(),
  model: text("model"),
  decision: text("decision").$type<"allowed" | "denied">().notNull(),
  reasonCode: text("reason_code"),
  /** The HTTP status the caller got (429: blocked by a rate limit). */
  status: integer("status").notNull(),
  cache: text("cache"),
  overBudget: boolean("over_budget").notNull(),
});

const llmMeasures = () => ({
  calls: sum("calls"),
  inputTokens: sum("input_tokens"),
  outputTokens: sum("output_tokens"),
  cachedInputTokens: sum("cached_input_tokens"),
  cacheWriteTokens: sum("cache_write_tokens"),
  costMicroUsd: sum("cost_micro_usd"),
  durationMs: sum("duration_ms"),
  durationCount: sum("duration_count"),
});

function llmRollup(name: "llm_rollup_hourly" | "llm_rollup_daily") {
  return pgTable(
    name,
    {
      bucket: bucket(),
      ...llmDimensions(),
      operation: text("operation").notNull(),
      wouldBlock: boolean("would_block").notNull(),
      blockId: uuid("block_id"),
      ...llmMeasures(),
      durationHistogram: histogram(),
    },
    (t) => [
      unique(`${name}_key`)
        .on(t.bucket, t.teamIds, t.providerSlug, t.providerKind, t.model, t.decision, t.reasonCode, t.status, t.cache, t.overBudget, t.operation, t.wouldBlock, t.blockId)
        .nullsNotDistinct(),
    ],
  );
}

export const llmRollupHourly = llmRollup("llm_rollup_hourly");
export const llmRollupDaily = llmRollup("llm_rollup_daily");

export const llmUserRollupDaily = pgTable(
  "llm_user_rollup_daily",
  {
    bucket: bucket(),
    userId: uuid("user_id"),
    tokenId: uuid("token_id"),
    ...llmDimensions(),
    ...llmMeasures(),
    email: text("email"),
  },
  (t) => [
    unique("llm_user_rollup_daily_key")
      .on(t.bucket, t.userId, t.tokenId, t.teamIds, t.providerSlug, t.providerKind, t.model, t.decision, t.reasonCode, t.status, t.cache, t.overBudget)
      .nullsNotDistinct(),
    index("llm_user_rollup_daily_user_idx").on(t.userId, t.bucket),
    index("llm_user_rollup_daily_token_idx").on(t.tokenId, t.bucket).where(sql`${t.tokenId} is not null`),
  ],
);
