/**
 * Operations: how the portal's upstreams are doing — per server and tool, calls, errors, denials and
 * p50/p95 of the time spent waiting for the upstream; denials by reason; calls, errors and denials
 * per hour (ranges up to three days) or per day; LLM providers' latency and rate-limited (429)
 * calls. For the people who run the portal (`config.read`: approvers, security, admins).
 *
 * Everything comes from the rollups (db/schema/event-rollups.ts, through lib/events/rollup-source.ts):
 * latency from `mcp_latency_*` / `llm_latency_*` histograms (lib/core/events/duration-histogram.ts:
 * two buckets per octave, so a quantile is exact to within its bucket, interpolated), counts from
 * `mcp_rollup_*` and `llm_rollup_*`; raw events only at a range's edges no whole bucket covers.
 */
import { sql, type SQL } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import { z } from "zod";
import { llmEvents, llmLatencyDaily, llmLatencyHourly, llmRollupDaily, llmRollupHourly, mcpEvents, mcpLatencyDaily, mcpLatencyHourly, mcpRollupDaily, mcpRollupHourly, mcpRollupWeekly } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { durationQuantile, DURATION_BUCKETS } from "@core/events/duration-histogram";
import { IsoDateTime } from "@core/zod/helpers";
import { rollupRange, type RollupSource } from "@/lib/events/rollup-source";
import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import { RangeQuery } from "./schemas";
import { resolveUsageRange } from "./usage";

export const OPERATIONS_TOP = 50;
/** Up to this many days the series is hourly; beyond, daily. */
const HOURLY_UP_TO_DAYS = 3;

/** Usage's range (from, to; the same defaults and limits), without its user and team filters: operations are everyone's. */
export const OperationsQuery = RangeQuery;
export type OperationsQuery = z.input<typeof OperationsQuery>;

const Count = z.number().int().nonnegative();
const Ms = z.number().nonnegative().nullable().describe("Milliseconds waiting for the upstream; null when no call was forwarded");

export const OperationsOutput = z.object({
  range: z.object({ from: IsoDateTime, to: IsoDateTime.describe("Exclusive") }),
  grain: z.enum(["hour", "day"]).describe("Of the series: hourly for ranges up to three days"),
  mcp: z.object({
    byTool: z
      .array(z.object({ server: z.string().nullable(), tool: z.string(), calls: Count, errors: Count, denied: Count, p50Ms: Ms, p95Ms: Ms }))
      .describe(`tools/call by server and tool, the ${OPERATIONS_TOP} with the most calls`),
    denials: z.array(z.object({ reason: z.string().describe("The denial's code (POLICY_DENIED, RATE_LIMITED, …) or 'other'"), calls: Count })).describe("Every MCP denial by reason, most first"),
    series: z.array(z.object({ bucket: IsoDateTime, calls: Count, errors: Count, denied: Count, wouldBlock: Count })).describe("Every hour or day of the range, oldest first, zero-filled"),
  }),
  llm: z.object({
    byModel: z
      .array(z.object({ provider: z.string(), model: z.string().nullable(), calls: Count, rateLimited: Count.describe("Answered 429 (the portal's limits or the provider's)"), p50Ms: Ms, p95Ms: Ms }))
      .describe("LLM calls by provider and model, most calls first"),
  }),
});
export type OperationsOutput = z.infer<typeof OperationsOutput>;

const MCP_COUNTS: RollupSource = {
  rollups: [
    { grain: "week", table: mcpRollupWeekly },
    { grain: "day", table: mcpRollupDaily },
    { grain: "hour", table: mcpRollupHourly },
  ],
  events: mcpEvents,
  columns: sql`bucket, server_slug, tool, method, decision, reason_code, calls, errors, would_block`,
  raw: (where) => sql`select date_trunc('hour', time, 'UTC') as bucket, server_slug, tool, method, decision, portcullis_reason_code(decision, reason) as reason_code,
      count(*) as calls, count(*) filter (where decision = 'allowed' and not success) as errors, count(*) filter (where would_block) as would_block
    from ${mcpEvents} where ${where} group by 1, 2, 3, 4, 5, 6`,
};
/** The series reads no bucket coarser than its own grain (an hourly series from days would put a whole day in its first hour). */
const MCP_SERIES = {
  hour: { ...MCP_COUNTS, rollups: MCP_COUNTS.rollups.filter((r) => r.grain === "hour") },
  day: { ...MCP_COUNTS, rollups: MCP_COUNTS.rollups.filter((r) => r.grain !== "week") },
} satisfies Record<string, RollupSource>;

/**
 * A latency rollup pair (day, hour) keyed by `keys`, with raw events made into the same histograms
 * as the trigger makes them (db/migrations/0019 `portcullis_mcp_rollup`).
 */
function latencySource(events: typeof mcpEvents | typeof llmEvents, daily: PgTable, hourly: PgTable, keys: SQL): RollupSource {
  return {
    rollups: [
      { grain: "day", table: daily },
      { grain: "hour", table: hourly },
    ],
    events,
    columns: sql`bucket, ${keys}, calls, duration_ms, duration_histogram`,
    raw: (where) =>
      sql`select bucket, ${keys}, sum(n) as calls, sum(ms) as duration_ms, portcullis_histogram_of(array_agg(b), array_agg(n)) as duration_histogram
        from (select date_trunc('hour', time, 'UTC') as bucket, ${keys}, portcullis_duration_bucket(duration_ms) as b, count(*) as n, sum(duration_ms) as ms
          from ${events} where ${where} and duration_ms is not null group by 1, ${keys}, 4) as counted
        group by bucket, ${keys}`,
  };
}
const MCP_LATENCY = latencySource(mcpEvents, mcpLatencyDaily, mcpLatencyHourly, sql`server_slug, tool`);
const LLM_LATENCY = latencySource(llmEvents, llmLatencyDaily, llmLatencyHourly, sql`provider_slug, model`);
const LLM_COUNTS: RollupSource = {
  rollups: [
    { grain: "day", table: llmRollupDaily },
    { grain: "hour", table: llmRollupHourly },
  ],
  events: llmEvents,
  columns: sql`bucket, provider_slug, model, status, calls`,
  raw: (where) => sql`select date_trunc('hour', time, 'UTC') as bucket, provider_slug, model, status, count(*) as calls from ${llmEvents} where ${where} group by 1, 2, 3, 4`,
};

/**
 * The element-wise sum of the rows' histograms (null when no row has one), as `portcullis_histogram_sum`
 * gives it, but with one built-in `sum` per bucket: the aggregate calls a SQL function per row, and
 * over a month's latency rows that was most of Operations' time (~90 ms of ~100 at ten million events).
 */
const histogramSum = (column: SQL) =>
  sql`case when count(${column}) > 0 then array[${sql.join(
    Array.from({ length: DURATION_BUCKETS }, (_, i) => sql`sum(${column}[${sql.raw(String(i + 1))}])`),
    sql`, `,
  )}]::integer[] end`;

const rows = async <T>(db: Queryable, query: SQL): Promise<T[]> => ((await db.execute(query)) as unknown as { rows: T[] }).rows;
const quantiles = (histogram: number[] | null) => ({ p50Ms: histogram ? round(durationQuantile(histogram, 0.5)) : null, p95Ms: histogram ? round(durationQuantile(histogram, 0.95)) : null });
const round = (ms: number | null) => (ms === null ? null : Math.round(ms * 10) / 10);

export async function getOperations({ db, actor }: Ctx, rawQuery: unknown = {}, now: Date = new Date()): Promise<OperationsOutput> {
  authorize(actor, "config.read");
  const query = OperationsQuery.parse(rawQuery);
  const range = resolveUsageRange(query, now);
  const hours = (range.to.getTime() - range.from.getTime()) / 3_600_000;
  const grain: "hour" | "day" = hours <= HOURLY_UP_TO_DAYS * 24 ? "hour" : "day";

  const [counts, series, latency, llmCounts, llmLatency] = await Promise.all([
    rollupRange(db, MCP_COUNTS, range),
    rollupRange(db, MCP_SERIES[grain], range),
    rollupRange(db, MCP_LATENCY, range),
    rollupRange(db, LLM_COUNTS, range),
    rollupRange(db, LLM_LATENCY, range),
  ]);
  const [tools, denials, buckets, toolLatency, models, modelLatency] = await Promise.all([
    rows<{ server: string | null; tool: string; calls: string; errors: string; denied: string }>(
      db,
      sql`select server_slug as server, tool, sum(calls) as calls, sum(errors) as errors, coalesce(sum(calls) filter (where decision = 'denied'), 0) as denied
        from (${counts}) as c where method = 'tools/call' and tool is not null group by server_slug, tool order by sum(calls) desc, server_slug, tool limit ${OPERATIONS_TOP}`,
    ),
    rows<{ reason: string; calls: string }>(db, sql`select coalesce(reason_code, 'other') as reason, sum(calls) as calls from (${counts}) as c where decision = 'denied' group by 1 order by 2 desc, 1`),
    // Summed per stored bucket first, then per day or hour: date_trunc and to_char on a few dozen
    // buckets rather than on every rollup row (~45,000 for a month at ten million events).
    rows<{ bucket: string; calls: string; errors: string; denied: string; would_block: string }>(
      db,
      sql`select to_char(date_trunc(${grain}, bucket, 'UTC') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.000"Z"') as bucket, sum(calls) as calls, sum(errors) as errors,
          sum(denied) as denied, sum(would_block) as would_block
        from (select bucket, sum(calls) as calls, sum(errors) as errors, coalesce(sum(calls) filter (where decision = 'denied'), 0) as denied, sum(would_block) as would_block
          from (${series}) as s group by bucket) as b group by 1`,
    ),
    rows<{ server: string | null; tool: string | null; histogram: number[] | null }>(db, sql`select server_slug as server, tool, ${histogramSum(sql`duration_histogram`)} as histogram from (${latency}) as l group by 1, 2`),
    rows<{ provider: string; model: string | null; calls: string; rate_limited: string }>(
      db,
      sql`select provider_slug as provider, model, sum(calls) as calls, coalesce(sum(calls) filter (where status = 429), 0) as rate_limited from (${llmCounts}) as c group by 1, 2 order by 3 desc, 1, 2`,
    ),
    rows<{ provider: string; model: string | null; histogram: number[] | null }>(db, sql`select provider_slug as provider, model, ${histogramSum(sql`duration_histogram`)} as histogram from (${llmLatency}) as l group by 1, 2`),
  ]);

  const latencyOf = new Map(toolLatency.map((l) => [`${l.server}\u0000${l.tool}`, l.histogram]));
  const modelLatencyOf = new Map(modelLatency.map((l) => [`${l.provider}\u0000${l.model}`, l.histogram]));
  const byBucket = new Map(buckets.map((b) => [b.bucket, b]));
  const step = grain === "hour" ? 3_600_000 : 86_400_000;
  const first = Math.floor(range.from.getTime() / step) * step;
  const seriesOut: OperationsOutput["mcp"]["series"] = [];
  for (let t = first; t < range.to.getTime(); t += step) {
    const key = new Date(t).toISOString();
    const b = byBucket.get(key);
    seriesOut.push({ bucket: key, calls: Number(b?.calls ?? 0), errors: Number(b?.errors ?? 0), denied: Number(b?.denied ?? 0), wouldBlock: Number(b?.would_block ?? 0) });
  }
  return {
    range: { from: range.from.toISOString(), to: range.to.toISOString() },
    grain,
    mcp: {
      byTool: tools.map((t) => ({ server: t.server, tool: t.tool, calls: Number(t.calls), errors: Number(t.errors), denied: Number(t.denied), ...quantiles(latencyOf.get(`${t.server}\u0000${t.tool}`) ?? null) })),
      denials: denials.map((d) => ({ reason: d.reason, calls: Number(d.calls) })),
      series: seriesOut,
    },
    llm: {
      byModel: models.map((m) => ({ provider: m.provider, model: m.model, calls: Number(m.calls), rateLimited: Number(m.rate_limited), ...quantiles(modelLatencyOf.get(`${m.provider}\u0000${m.model}`) ?? null) })),
    },
  };
}
