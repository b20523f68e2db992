-- Events partitioned by day, with rollups kept by triggers (issue 18). Written by hand: drizzle-kit
-- cannot express partitioned tables, triggers or functions. db/schema/{portal,llm,event-rollups}.ts
-- describe the same tables for queries; what each piece is for: db/schema/event-rollups.ts and
-- lib/events/partitions.ts.

-- The leading UPPER_CASE code of a denial's reason ("POLICY_DENIED: …", "RATE_LIMITED: …", "TOOL_NOT_APPROVED"); null when allowed or uncoded.
CREATE FUNCTION portcullis_reason_code(decision text, reason text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN decision = 'denied' THEN substring(reason FROM '^[A-Z][A-Z0-9_]+(?=:|$)') END
$$;
--> statement-breakpoint
-- The server of a request the portal answered itself (no server_slug) on a server's own endpoint /mcp/{slug}.
CREATE FUNCTION portcullis_endpoint_server(server_slug text, endpoint text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN server_slug IS NULL THEN substring(endpoint FROM '^/mcp/([a-z0-9-]+)$') END
$$;
--> statement-breakpoint
-- The tokens of an LLM call as the edge meters them (lib/core/llm/usage.ts totalTokens): OpenAI's input already includes its cached tokens.
CREATE FUNCTION portcullis_llm_tokens(kind text, input bigint, output bigint, cached bigint, cache_write bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN kind = 'openai' THEN coalesce(input, 0) + coalesce(output, 0) + coalesce(cache_write, 0)
    ELSE coalesce(input, 0) + coalesce(output, 0) + coalesce(cached, 0) + coalesce(cache_write, 0) END
$$;
--> statement-breakpoint
-- Duration histogram: 41 buckets, two per octave (lib/core/events/duration-histogram.ts holds the same bounds).
-- Bucket 0: under 1 ms; bucket i: from bound i to bound i+1 (ms); bucket 40: 1,048,576 ms and more.
CREATE FUNCTION portcullis_duration_bucket(ms integer) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT width_bucket(ms, '{1,2,3,4,6,8,11,16,23,32,45,64,91,128,181,256,362,512,724,1024,1448,2048,2896,4096,5793,8192,11585,16384,23170,32768,46341,65536,92682,131072,185364,262144,370728,524288,741455,1048576}'::integer[])
$$;
--> statement-breakpoint
-- A histogram from the counts of the buckets present: {bucket numbers}, {their counts}.
CREATE FUNCTION portcullis_histogram_of(buckets integer[], counts bigint[]) RETURNS integer[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT array_agg(coalesce(c, 0)::integer ORDER BY i) FROM generate_series(0, 40) AS i LEFT JOIN unnest(buckets, counts) AS u(b, c) ON u.b = i
$$;
--> statement-breakpoint
-- Element-wise sum of two histograms (a null one adds nothing).
CREATE FUNCTION portcullis_histogram_add(a integer[], b integer[]) RETURNS integer[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a
    ELSE (SELECT array_agg(x + y ORDER BY i) FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i)) END
$$;
--> statement-breakpoint
-- Sum of histograms across rollup rows (for p50/p95 over a range).
CREATE AGGREGATE portcullis_histogram_sum(integer[]) (
  SFUNC = portcullis_histogram_add,
  STYPE = integer[]
);
--> statement-breakpoint
CREATE TABLE "mcp_rollup_hourly" (
	"bucket" timestamp with time zone NOT NULL,
	"server_slug" text,
	"endpoint_server" text,
	"tool" text,
	"method" text NOT NULL,
	"decision" text NOT NULL,
	"reason_code" text,
	"via" text,
	"calls" bigint DEFAULT 0 NOT NULL,
	"errors" bigint DEFAULT 0 NOT NULL,
	"would_block" bigint DEFAULT 0 NOT NULL,
	"inner_calls" bigint DEFAULT 0 NOT NULL,
	"result_tokens" bigint DEFAULT 0 NOT NULL,
	"result_count" bigint DEFAULT 0 NOT NULL,
	"codemode_tokens" bigint DEFAULT 0 NOT NULL,
	"duration_ms" bigint DEFAULT 0 NOT NULL,
	"duration_count" bigint DEFAULT 0 NOT NULL,
	"bytes_in" bigint DEFAULT 0 NOT NULL,
	"bytes_out" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "mcp_rollup_hourly_key" UNIQUE NULLS NOT DISTINCT("bucket","server_slug","endpoint_server","tool","method","decision","reason_code","via")
);
--> statement-breakpoint
CREATE TABLE "mcp_rollup_daily" (
	"bucket" timestamp with time zone NOT NULL,
	"server_slug" text,
	"endpoint_server" text,
	"tool" text,
	"method" text NOT NULL,
	"decision" text NOT NULL,
	"reason_code" text,
	"via" text,
	"calls" bigint DEFAULT 0 NOT NULL,
	"errors" bigint DEFAULT 0 NOT NULL,
	"would_block" bigint DEFAULT 0 NOT NULL,
	"inner_calls" bigint DEFAULT 0 NOT NULL,
	"result_tokens" bigint DEFAULT 0 NOT NULL,
	"result_count" bigint DEFAULT 0 NOT NULL,
	"codemode_tokens" bigint DEFAULT 0 NOT NULL,
	"duration_ms" bigint DEFAULT 0 NOT NULL,
	"duration_count" bigint DEFAULT 0 NOT NULL,
	"bytes_in" bigint DEFAULT 0 NOT NULL,
	"bytes_out" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "mcp_rollup_daily_key" UNIQUE NULLS NOT DISTINCT("bucket","server_slug","endpoint_server","tool","method","decision","reason_code","via")
);
--> statement-breakpoint
CREATE TABLE "mcp_rollup_weekly" (
	"bucket" timestamp with time zone NOT NULL,
	"server_slug" text,
	"endpoint_server" text,
	"tool" text,
	"method" text NOT NULL,
	"decision" text NOT NULL,
	"reason_code" text,
	"via" text,
	"calls" bigint DEFAULT 0 NOT NULL,
	"errors" bigint DEFAULT 0 NOT NULL,
	"would_block" bigint DEFAULT 0 NOT NULL,
	"inner_calls" bigint DEFAULT 0 NOT NULL,
	"result_tokens" bigint DEFAULT 0 NOT NULL,
	"result_count" bigint DEFAULT 0 NOT NULL,
	"codemode_tokens" bigint DEFAULT 0 NOT NULL,
	"duration_ms" bigint DEFAULT 0 NOT NULL,
	"duration_count" bigint DEFAULT 0 NOT NULL,
	"bytes_in" bigint DEFAULT 0 NOT NULL,
	"bytes_out" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "mcp_rollup_weekly_key" UNIQUE NULLS NOT DISTINCT("bucket","server_slug","endpoint_server","tool","method","decision","reason_code","via")
);
--> statement-breakpoint
CREATE TABLE "mcp_latency_hourly" (
	"bucket" timestamp with time zone NOT NULL,
	"server_slug" text,
	"tool" text,
	"calls" bigint DEFAULT 0 NOT NULL,
	"duration_ms" bigint DEFAULT 0 NOT NULL,
	"duration_histogram" integer[] NOT NULL,
	CONSTRAINT "mcp_latency_hourly_key" UNIQUE NULLS NOT DISTINCT("bucket","server_slug","tool")
);
--> statement-breakpoint
CREATE TABLE "mcp_latency_daily" (
	"bucket" timestamp with time zone NOT NULL,
	"server_slug" text,
	"tool" text,
	"calls" bigint DEFAULT 0 NOT NULL,
	"duration_ms" bigint DEFAULT 0 NOT NULL,
	"duration_histogram" integer[] NOT NULL,
	CONSTRAINT "mcp_latency_daily_key" UNIQUE NULLS NOT DISTINCT("bucket","server_slug","tool")
);
--> statement-breakpoint
CREATE TABLE "mcp_team_rollup_daily" (
	"bucket" timestamp with time zone NOT NULL,
	"team_id" uuid,
	"server_slug" text,
	"endpoint_server" text,
	"tool" text,
	"method" text NOT NULL,
	"decision" text NOT NULL,
	"reason_code" text,
	"via" text,
	"calls" bigint DEFAULT 0 NOT NULL,
	"errors" bigint DEFAULT 0 NOT NULL,
	"would_block" bigint DEFAULT 0 NOT NULL,
	"inner_calls" bigint DEFAULT 0 NOT NULL,
	"result_tokens" bigint DEFAULT 0 NOT NULL,
	"result_count" bigint DEFAULT 0 NOT NULL,
	"codemode_tokens" bigint DEFAULT 0 NOT NULL,
	"duration_ms" bigint DEFAULT 0 NOT NULL,
	"duration_count" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "mcp_team_rollup_daily_key" UNIQUE NULLS NOT DISTINCT("bucket","team_id","server_slug","endpoint_server","tool","method","decision","reason_code","via")
);
--> statement-breakpoint
CREATE INDEX "mcp_team_rollup_daily_team_idx" ON "mcp_team_rollup_daily" USING btree ("team_id","bucket");
--> statement-breakpoint
CREATE TABLE "mcp_user_rollup_daily" (
	"bucket" timestamp with time zone NOT NULL,
	"user_id" uuid,
	"team_id" uuid,
	"server_slug" text,
	"endpoint_server" text,
	"tool" text,
	"method" text NOT NULL,
	"decision" text NOT NULL,
	"reason_code" text,
	"via" text,
	"calls" bigint DEFAULT 0 NOT NULL,
	"errors" bigint DEFAULT 0 NOT NULL,
	"would_block" bigint DEFAULT 0 NOT NULL,
	"inner_calls" bigint DEFAULT 0 NOT NULL,
	"result_tokens" bigint DEFAULT 0 NOT NULL,
	"result_count" bigint DEFAULT 0 NOT NULL,
	"codemode_tokens" bigint DEFAULT 0 NOT NULL,
	"duration_ms" bigint DEFAULT 0 NOT NULL,
	"duration_count" bigint DEFAULT 0 NOT NULL,
	"email" text,
	CONSTRAINT "mcp_user_rollup_daily_key" UNIQUE NULLS NOT DISTINCT("bucket","user_id","team_id","server_slug","endpoint_server","tool","method","decision","reason_code","via")
);
--> statement-breakpoint
CREATE INDEX "mcp_user_rollup_daily_user_idx" ON "mcp_user_rollup_daily" USING btree ("user_id","bucket");
--> statement-breakpoint
CREATE TABLE "mcp_list_rollup_daily" (
	"bucket" timestamp with time zone NOT NULL,
	"team_id" uuid,
	"kind" text NOT NULL,
	"server" text,
	"lists" bigint DEFAULT 0 NOT NULL,
	"tokens" bigint DEFAULT 0 NOT NULL,
	"last_time" timestamp with time zone NOT NULL,
	"last_id" uuid NOT NULL,
	"last_tokens" bigint NOT NULL,
	CONSTRAINT "mcp_list_rollup_daily_key" UNIQUE NULLS NOT DISTINCT("bucket","team_id","kind","server")
);
--> statement-breakpoint
CREATE TABLE "llm_rollup_hourly" (
	"bucket" timestamp with time zone NOT NULL,
	"provider_slug" text NOT NULL,
	"provider_kind" text NOT NULL,
	"model" text,
	"decision" text NOT NULL,
	"reason_code" text,
	"status" integer NOT NULL,
	"cache" text,
	"operation" text NOT NULL,
	"calls" bigint DEFAULT 0 NOT NULL,
	"over_budget" bigint DEFAULT 0 NOT NULL,
	"would_block" bigint DEFAULT 0 NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"cached_input_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_write_tokens" bigint DEFAULT 0 NOT NULL,
	"cost_micro_usd" bigint DEFAULT 0 NOT NULL,
	"duration_ms" bigint DEFAULT 0 NOT NULL,
	"duration_count" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "llm_rollup_hourly_key" UNIQUE NULLS NOT DISTINCT("bucket","provider_slug","provider_kind","model","operation","decision","reason_code","status","cache")
);
--> statement-breakpoint
CREATE TABLE "llm_rollup_daily" (
	"bucket" timestamp with time zone NOT NULL,
	"provider_slug" text NOT NULL,
	"provider_kind" text NOT NULL,
	"model" text,
	"decision" text NOT NULL,
	"reason_code" text,
	"status" integer NOT NULL,
	"cache" text,
	"operation" text NOT NULL,
	"calls" bigint DEFAULT 0 NOT NULL,
	"over_budget" bigint DEFAULT 0 NOT NULL,
	"would_block" bigint DEFAULT 0 NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"cached_input_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_write_tokens" bigint DEFAULT 0 NOT NULL,
	"cost_micro_usd" bigint DEFAULT 0 NOT NULL,
	"duration_ms" bigint DEFAULT 0 NOT NULL,
	"duration_count" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "llm_rollup_daily_key" UNIQUE NULLS NOT DISTINCT("bucket","provider_slug","provider_kind","model","operation","decision","reason_code","status","cache")
);
--> statement-breakpoint
CREATE TABLE "llm_latency_hourly" (
	"bucket" timestamp with time zone NOT NULL,
	"provider_slug" text NOT NULL,
	"model" text,
	"calls" bigint DEFAULT 0 NOT NULL,
	"duration_ms" bigint DEFAULT 0 NOT NULL,
	"duration_histogram" integer[] NOT NULL,
	CONSTRAINT "llm_latency_hourly_key" UNIQUE NULLS NOT DISTINCT("bucket","provider_slug","model")
);
--> statement-breakpoint
CREATE TABLE "llm_latency_daily" (
	"bucket" timestamp with time zone NOT NULL,
	"provider_slug" text NOT NULL,
	"model" text,
	"calls" bigint DEFAULT 0 NOT NULL,
	"duration_ms" bigint DEFAULT 0 NOT NULL,
	"duration_histogram" integer[] NOT NULL,
	CONSTRAINT "llm_latency_daily_key" UNIQUE NULLS NOT DISTINCT("bucket","provider_slug","model")
);
--> statement-breakpoint
CREATE TABLE "llm_team_rollup_daily" (
	"bucket" timestamp with time zone NOT NULL,
	"team_id" uuid NOT NULL,
	"provider_slug" text NOT NULL,
	"provider_kind" text NOT NULL,
	"model" text,
	"decision" text NOT NULL,
	"reason_code" text,
	"status" integer NOT NULL,
	"cache" text,
	"calls" bigint DEFAULT 0 NOT NULL,
	"over_budget" bigint DEFAULT 0 NOT NULL,
	"would_block" bigint DEFAULT 0 NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"cached_input_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_write_tokens" bigint DEFAULT 0 NOT NULL,
	"cost_micro_usd" bigint DEFAULT 0 NOT NULL,
	"duration_ms" bigint DEFAULT 0 NOT NULL,
	"duration_count" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "llm_team_rollup_daily_key" UNIQUE NULLS NOT DISTINCT("bucket","team_id","provider_slug","provider_kind","model","decision","reason_code","status","cache")
);
--> statement-breakpoint
CREATE INDEX "llm_team_rollup_daily_team_idx" ON "llm_team_rollup_daily" USING btree ("team_id","bucket");
--> statement-breakpoint
CREATE TABLE "llm_team_rollup_weekly" (
	"bucket" timestamp with time zone NOT NULL,
	"team_id" uuid NOT NULL,
	"provider_slug" text NOT NULL,
	"provider_kind" text NOT NULL,
	"model" text,
	"decision" text NOT NULL,
	"reason_code" text,
	"status" integer NOT NULL,
	"cache" text,
	"calls" bigint DEFAULT 0 NOT NULL,
	"over_budget" bigint DEFAULT 0 NOT NULL,
	"would_block" bigint DEFAULT 0 NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"cached_input_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_write_tokens" bigint DEFAULT 0 NOT NULL,
	"cost_micro_usd" bigint DEFAULT 0 NOT NULL,
	"duration_ms" bigint DEFAULT 0 NOT NULL,
	"duration_count" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "llm_team_rollup_weekly_key" UNIQUE NULLS NOT DISTINCT("bucket","team_id","provider_slug","provider_kind","model","decision","reason_code","status","cache")
);
--> statement-breakpoint
CREATE INDEX "llm_team_rollup_weekly_team_idx" ON "llm_team_rollup_weekly" USING btree ("team_id","bucket");
--> statement-breakpoint
CREATE TABLE "llm_user_rollup_daily" (
	"bucket" timestamp with time zone NOT NULL,
	"user_id" uuid,
	"token_id" uuid,
	"team_ids" uuid[] NOT NULL,
	"provider_slug" text NOT NULL,
	"provider_kind" text NOT NULL,
	"model" text,
	"decision" text NOT NULL,
	"reason_code" text,
	"status" integer NOT NULL,
	"cache" text,
	"calls" bigint DEFAULT 0 NOT NULL,
	"over_budget" bigint DEFAULT 0 NOT NULL,
	"would_block" bigint DEFAULT 0 NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"cached_input_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_write_tokens" bigint DEFAULT 0 NOT NULL,
	"cost_micro_usd" bigint DEFAULT 0 NOT NULL,
	"duration_ms" bigint DEFAULT 0 NOT NULL,
	"duration_count" bigint DEFAULT 0 NOT NULL,
	"email" text,
	CONSTRAINT "llm_user_rollup_daily_key" UNIQUE NULLS NOT DISTINCT("bucket","user_id","token_id","team_ids","provider_slug","provider_kind","model","decision","reason_code","status","cache")
);
--> statement-breakpoint
CREATE INDEX "llm_user_rollup_daily_user_idx" ON "llm_user_rollup_daily" USING btree ("user_id","bucket");
--> statement-breakpoint
CREATE TABLE "llm_user_totals_daily" (
	"bucket" timestamp with time zone NOT NULL,
	"user_id" uuid,
	"token_id" uuid,
	"team_ids" uuid[] NOT NULL,
	"calls" bigint DEFAULT 0 NOT NULL,
	"errors" bigint DEFAULT 0 NOT NULL,
	"denied" bigint DEFAULT 0 NOT NULL,
	"tokens" bigint DEFAULT 0 NOT NULL,
	"cost_micro_usd" bigint DEFAULT 0 NOT NULL,
	"email" text,
	CONSTRAINT "llm_user_totals_daily_key" UNIQUE NULLS NOT DISTINCT("bucket","user_id","token_id","team_ids")
);
--> statement-breakpoint
CREATE INDEX "llm_user_totals_daily_user_idx" ON "llm_user_totals_daily" USING btree ("user_id","bucket");
--> statement-breakpoint
CREATE INDEX "llm_user_totals_daily_token_idx" ON "llm_user_totals_daily" USING btree ("token_id","bucket");
--> statement-breakpoint
CREATE INDEX "llm_user_totals_daily_teams_idx" ON "llm_user_totals_daily" USING gin ("team_ids");
--> statement-breakpoint
CREATE TABLE "llm_user_totals_weekly" (
	"bucket" timestamp with time zone NOT NULL,
	"user_id" uuid,
	"token_id" uuid,
	"team_ids" uuid[] NOT NULL,
	"calls" bigint DEFAULT 0 NOT NULL,
	"errors" bigint DEFAULT 0 NOT NULL,
	"denied" bigint DEFAULT 0 NOT NULL,
	"tokens" bigint DEFAULT 0 NOT NULL,
	"cost_micro_usd" bigint DEFAULT 0 NOT NULL,
	"email" text,
	CONSTRAINT "llm_user_totals_weekly_key" UNIQUE NULLS NOT DISTINCT("bucket","user_id","token_id","team_ids")
);
--> statement-breakpoint
CREATE INDEX "llm_user_totals_weekly_user_idx" ON "llm_user_totals_weekly" USING btree ("user_id","bucket");
--> statement-breakpoint
CREATE INDEX "llm_user_totals_weekly_token_idx" ON "llm_user_totals_weekly" USING btree ("token_id","bucket");
--> statement-breakpoint
CREATE INDEX "llm_user_totals_weekly_teams_idx" ON "llm_user_totals_weekly" USING gin ("team_ids");
--> statement-breakpoint
-- Rollups from the rows a statement really inserted: the transition table of INSERT … ON CONFLICT DO NOTHING
-- holds no duplicate and no redelivered event. Rows are upserted in key order, the rollups in the same order
-- in every transaction, so that concurrent deliveries lock rollup rows in one order (no deadlock).
CREATE FUNCTION portcullis_mcp_rollup() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  WITH fine AS (
    SELECT date_trunc('hour', time, 'UTC') AS bucket, server_slug, portcullis_endpoint_server(server_slug, endpoint) AS endpoint_server, tool, method, decision, portcullis_reason_code(decision, reason) AS reason_code, via, count(*) AS calls, count(*) FILTER (WHERE decision = 'allowed' AND NOT success) AS errors, count(*) FILTER (WHERE would_block) AS would_block, count(parent_id) AS inner_calls, coalesce(sum(result_tokens), 0) AS result_tokens, count(result_tokens) AS result_count, coalesce(sum(codemode_tokens), 0) AS codemode_tokens, coalesce(sum(duration_ms), 0) AS duration_ms, count(duration_ms) AS duration_count, coalesce(sum(bytes_in), 0) AS bytes_in, coalesce(sum(bytes_out), 0) AS bytes_out
      FROM new_events
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
  ),
  upserted_hour AS (
  INSERT INTO mcp_rollup_hourly AS r (bucket, server_slug, endpoint_server, tool, method, decision, reason_code, via, calls, errors, would_block, inner_calls, result_tokens, result_count, codemode_tokens, duration_ms, duration_count, bytes_in, bytes_out)
    SELECT bucket, server_slug, endpoint_server, tool, method, decision, reason_code, via, calls, errors, would_block, inner_calls, result_tokens, result_count, codemode_tokens, duration_ms, duration_count, bytes_in, bytes_out
      FROM fine
      ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
  ON CONFLICT ON CONSTRAINT mcp_rollup_hourly_key DO UPDATE SET
    calls = r.calls + excluded.calls,
    errors = r.errors + excluded.errors,
    would_block = r.would_block + excluded.would_block,
    inner_calls = r.inner_calls + excluded.inner_calls,
    result_tokens = r.result_tokens + excluded.result_tokens,
    result_count = r.result_count + excluded.result_count,
    codemode_tokens = r.codemode_tokens + excluded.codemode_tokens,
    duration_ms = r.duration_ms + excluded.duration_ms,
    duration_count = r.duration_count + excluded.duration_count,
    bytes_in = r.bytes_in + excluded.bytes_in,
    bytes_out = r.bytes_out + excluded.bytes_out
  ),
  upserted_day AS (
  INSERT INTO mcp_rollup_daily AS r (bucket, server_slug, endpoint_server, tool, method, decision, reason_code, via, calls, errors, would_block, inner_calls, result_tokens, result_count, codemode_tokens, duration_ms, duration_count, bytes_in, bytes_out)
    SELECT date_trunc('day', bucket, 'UTC'), server_slug, endpoint_server, tool, method, decision, reason_code, via, sum(calls), sum(errors), sum(would_block), sum(inner_calls), sum(result_tokens), sum(result_count), sum(codemode_tokens), sum(duration_ms), sum(duration_count), sum(bytes_in), sum(bytes_out)
      FROM fine
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
      ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
  ON CONFLICT ON CONSTRAINT mcp_rollup_daily_key DO UPDATE SET
    calls = r.calls + excluded.calls,
    errors = r.errors + excluded.errors,
    would_block = r.would_block + excluded.would_block,
    inner_calls = r.inner_calls + excluded.inner_calls,
    result_tokens = r.result_tokens + excluded.result_tokens,
    result_count = r.result_count + excluded.result_count,
    codemode_tokens = r.codemode_tokens + excluded.codemode_tokens,
    duration_ms = r.duration_ms + excluded.duration_ms,
    duration_count = r.duration_count + excluded.duration_count,
    bytes_in = r.bytes_in + excluded.bytes_in,
    bytes_out = r.bytes_out + excluded.bytes_out
  )
  INSERT INTO mcp_rollup_weekly AS r (bucket, server_slug, endpoint_server, tool, method, decision, reason_code, via, calls, errors, would_block, inner_calls, result_tokens, result_count, codemode_tokens, duration_ms, duration_count, bytes_in, bytes_out)
    SELECT date_trunc('week', bucket, 'UTC'), server_slug, endpoint_server, tool, method, decision, reason_code, via, sum(calls), sum(errors), sum(would_block), sum(inner_calls), sum(result_tokens), sum(result_count), sum(codemode_tokens), sum(duration_ms), sum(duration_count), sum(bytes_in), sum(bytes_out)
      FROM fine
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
      ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
  ON CONFLICT ON CONSTRAINT mcp_rollup_weekly_key DO UPDATE SET
    calls = r.calls + excluded.calls,
    errors = r.errors + excluded.errors,
    would_block = r.would_block + excluded.would_block,
    inner_calls = r.inner_calls + excluded.inner_calls,
    result_tokens = r.result_tokens + excluded.result_tokens,
    result_count = r.result_count + excluded.result_count,
    codemode_tokens = r.codemode_tokens + excluded.codemode_tokens,
    duration_ms = r.duration_ms + excluded.duration_ms,
    duration_count = r.duration_count + excluded.duration_count,
    bytes_in = r.bytes_in + excluded.bytes_in,
    bytes_out = r.bytes_out + excluded.bytes_out;

  WITH fine AS (
    SELECT date_trunc('hour', time, 'UTC') AS bucket, server_slug, tool, sum(n) AS calls, sum(ms) AS duration_ms, portcullis_histogram_of(array_agg(b), array_agg(n)) AS duration_histogram
      FROM (SELECT date_trunc('hour', time, 'UTC') AS time, server_slug, tool, portcullis_duration_bucket(duration_ms) AS b, count(*) AS n, sum(duration_ms) AS ms
        FROM new_events WHERE duration_ms IS NOT NULL GROUP BY 1, 2, 3, 4) AS counted
      GROUP BY 1, 2, 3
  ),
  upserted_hour AS (
  INSERT INTO mcp_latency_hourly AS r (bucket, server_slug, tool, calls, duration_ms, duration_histogram)
    SELECT bucket, server_slug, tool, calls, duration_ms, duration_histogram
      FROM fine
      ORDER BY 1, 2, 3
  ON CONFLICT ON CONSTRAINT mcp_latency_hourly_key DO UPDATE SET
    calls = r.calls + excluded.calls,
    duration_ms = r.duration_ms + excluded.duration_ms,
    duration_histogram = portcullis_histogram_add(r.duration_histogram, excluded.duration_histogram)
  )
  INSERT INTO mcp_latency_daily AS r (bucket, server_slug, tool, calls, duration_ms, duration_histogram)
    SELECT date_trunc('day', bucket, 'UTC'), server_slug, tool, sum(calls), sum(duration_ms), portcullis_histogram_sum(duration_histogram)
      FROM fine
      GROUP BY 1, 2, 3
      ORDER BY 1, 2, 3
  ON CONFLICT ON CONSTRAINT mcp_latency_daily_key DO UPDATE SET
    calls = r.calls + excluded.calls,
    duration_ms = r.duration_ms + excluded.duration_ms,
    duration_histogram = portcullis_histogram_add(r.duration_histogram, excluded.duration_histogram);

  INSERT INTO mcp_team_rollup_daily AS r (bucket, team_id, server_slug, endpoint_server, tool, method, decision, reason_code, via, calls, errors, would_block, inner_calls, result_tokens, result_count, codemode_tokens, duration_ms, duration_count)
    SELECT date_trunc('day', time, 'UTC'), team_id, server_slug, portcullis_endpoint_server(server_slug, endpoint), tool, method, decision, portcullis_reason_code(decision, reason), via, count(*), count(*) FILTER (WHERE decision = 'allowed' AND NOT success), count(*) FILTER (WHERE would_block), count(parent_id), coalesce(sum(result_tokens), 0), count(result_tokens), coalesce(sum(codemode_tokens), 0), coalesce(sum(duration_ms), 0), count(duration_ms)
      FROM new_events
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
      ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9
  ON CONFLICT ON CONSTRAINT mcp_team_rollup_daily_key DO UPDATE SET
    calls = r.calls + excluded.calls,
    errors = r.errors + excluded.errors,
    would_block = r.would_block + excluded.would_block,
    inner_calls = r.inner_calls + excluded.inner_calls,
    result_tokens = r.result_tokens + excluded.result_tokens,
    result_count = r.result_count + excluded.result_count,
    codemode_tokens = r.codemode_tokens + excluded.codemode_tokens,
    duration_ms = r.duration_ms + excluded.duration_ms,
    duration_count = r.duration_count + excluded.duration_count;

  INSERT INTO mcp_user_rollup_daily AS r (bucket, user_id, team_id, server_slug, endpoint_server, tool, method, decision, reason_code, via, calls, errors, would_block, inner_calls, result_tokens, result_count, codemode_tokens, duration_ms, duration_count, email)
    SELECT date_trunc('day', time, 'UTC'), user_id, team_id, server_slug, portcullis_endpoint_server(server_slug, endpoint), tool, method, decision, portcullis_reason_code(decision, reason), via, count(*), count(*) FILTER (WHERE decision = 'allowed' AND NOT success), count(*) FILTER (WHERE would_block), count(parent_id), coalesce(sum(result_tokens), 0), count(result_tokens), coalesce(sum(codemode_tokens), 0), coalesce(sum(duration_ms), 0), count(duration_ms), max(email)
      FROM new_events
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
      ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
  ON CONFLICT ON CONSTRAINT mcp_user_rollup_daily_key DO UPDATE SET
    calls = r.calls + excluded.calls,
    errors = r.errors + excluded.errors,
    would_block = r.would_block + excluded.would_block,
    inner_calls = r.inner_calls + excluded.inner_calls,
    result_tokens = r.result_tokens + excluded.result_tokens,
    result_count = r.result_count + excluded.result_count,
    codemode_tokens = r.codemode_tokens + excluded.codemode_tokens,
    duration_ms = r.duration_ms + excluded.duration_ms,
    duration_count = r.duration_count + excluded.duration_count,
    email = greatest(r.email, excluded.email);

  -- Tool lists, per server: the newest list of each bucket wins `last_*` (by time, then id).
  INSERT INTO mcp_list_rollup_daily AS r (bucket, team_id, kind, server, lists, tokens, last_time, last_id, last_tokens)
    SELECT date_trunc('day', time, 'UTC'), team_id, kind, server, count(*), sum(tokens), max(time), (array_agg(id ORDER BY time DESC, id DESC))[1], (array_agg(tokens ORDER BY time DESC, id DESC))[1]
      FROM (
      SELECT time, id, team_id, 'plain' AS kind, coalesce(server_slug, portcullis_endpoint_server(server_slug, endpoint)) AS server, result_tokens::bigint AS tokens
        FROM new_events WHERE method = 'tools/list' AND via IS NULL AND server_tokens IS NULL AND result_tokens IS NOT NULL
      UNION ALL
      SELECT time, id, team_id, CASE WHEN via = 'codemode' THEN 'codemode' ELSE 'plain' END, share.key, share.value::bigint
        FROM new_events CROSS JOIN jsonb_each_text(server_tokens) AS share WHERE method = 'tools/list' AND server_tokens IS NOT NULL AND (via IS NULL OR via = 'codemode')
      UNION ALL
      SELECT time, id, team_id, 'codemode_sent', NULL, coalesce(codemode_tokens, 0)::bigint
        FROM new_events WHERE method = 'tools/list' AND via = 'codemode'
    ) AS lists
      GROUP BY 1, 2, 3, 4
      ORDER BY 1, 2, 3, 4
  ON CONFLICT ON CONSTRAINT mcp_list_rollup_daily_key DO UPDATE SET
    lists = r.lists + excluded.lists,
    tokens = r.tokens + excluded.tokens,
    last_time = CASE WHEN (excluded.last_time, excluded.last_id) > (r.last_time, r.last_id) THEN excluded.last_time ELSE r.last_time END,
    last_id = CASE WHEN (excluded.last_time, excluded.last_id) > (r.last_time, r.last_id) THEN excluded.last_id ELSE r.last_id END,
    last_tokens = CASE WHEN (excluded.last_time, excluded.last_id) > (r.last_time, r.last_id) THEN excluded.last_tokens ELSE r.last_tokens END;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION portcullis_llm_rollup() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  WITH fine AS (
    SELECT date_trunc('hour', time, 'UTC') AS bucket, provider_slug, provider_kind, model, decision, portcullis_reason_code(decision, reason) AS reason_code, status, cache, operation, count(*) AS calls, count(*) FILTER (WHERE over_budget) AS over_budget, count(*) FILTER (WHERE would_block) AS would_block, coalesce(sum(input_tokens), 0) AS input_tokens, coalesce(sum(output_tokens), 0) AS output_tokens, coalesce(sum(cached_input_tokens), 0) AS cached_input_tokens, coalesce(sum(cache_write_tokens), 0) AS cache_write_tokens, coalesce(sum(cost_micro_usd), 0) AS cost_micro_usd, coalesce(sum(duration_ms), 0) AS duration_ms, count(duration_ms) AS duration_count
      FROM new_events
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
  ),
  upserted_hour AS (
  INSERT INTO llm_rollup_hourly AS r (bucket, provider_slug, provider_kind, model, decision, reason_code, status, cache, operation, calls, over_budget, would_block, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cost_micro_usd, duration_ms, duration_count)
    SELECT bucket, provider_slug, provider_kind, model, decision, reason_code, status, cache, operation, calls, over_budget, would_block, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cost_micro_usd, duration_ms, duration_count
      FROM fine
      ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9
  ON CONFLICT ON CONSTRAINT llm_rollup_hourly_key DO UPDATE SET
    calls = r.calls + excluded.calls,
    over_budget = r.over_budget + excluded.over_budget,
    would_block = r.would_block + excluded.would_block,
    input_tokens = r.input_tokens + excluded.input_tokens,
    output_tokens = r.output_tokens + excluded.output_tokens,
    cached_input_tokens = r.cached_input_tokens + excluded.cached_input_tokens,
    cache_write_tokens = r.cache_write_tokens + excluded.cache_write_tokens,
    cost_micro_usd = r.cost_micro_usd + excluded.cost_micro_usd,
    duration_ms = r.duration_ms + excluded.duration_ms,
    duration_count = r.duration_count + excluded.duration_count
  )
  INSERT INTO llm_rollup_daily AS r (bucket, provider_slug, provider_kind, model, decision, reason_code, status, cache, operation, calls, over_budget, would_block, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cost_micro_usd, duration_ms, duration_count)
    SELECT date_trunc('day', bucket, 'UTC'), provider_slug, provider_kind, model, decision, reason_code, status, cache, operation, sum(calls), sum(over_budget), sum(would_block), sum(input_tokens), sum(output_tokens), sum(cached_input_tokens), sum(cache_write_tokens), sum(cost_micro_usd), sum(duration_ms), sum(duration_count)
      FROM fine
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
      ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9
  ON CONFLICT ON CONSTRAINT llm_rollup_daily_key DO UPDATE SET
    calls = r.calls + excluded.calls,
    over_budget = r.over_budget + excluded.over_budget,
    would_block = r.would_block + excluded.would_block,
    input_tokens = r.input_tokens + excluded.input_tokens,
    output_tokens = r.output_tokens + excluded.output_tokens,
    cached_input_tokens = r.cached_input_tokens + excluded.cached_input_tokens,
    cache_write_tokens = r.cache_write_tokens + excluded.cache_write_tokens,
    cost_micro_usd = r.cost_micro_usd + excluded.cost_micro_usd,
    duration_ms = r.duration_ms + excluded.duration_ms,
    duration_count = r.duration_count + excluded.duration_count;

  WITH fine AS (
    SELECT date_trunc('hour', time, 'UTC') AS bucket, provider_slug, model, sum(n) AS calls, sum(ms) AS duration_ms, portcullis_histogram_of(array_agg(b), array_agg(n)) AS duration_histogram
      FROM (SELECT date_trunc('hour', time, 'UTC') AS time, provider_slug, model, portcullis_duration_bucket(duration_ms) AS b, count(*) AS n, sum(duration_ms) AS ms
        FROM new_events WHERE duration_ms IS NOT NULL GROUP BY 1, 2, 3, 4) AS counted
      GROUP BY 1, 2, 3
  ),
  upserted_hour AS (
  INSERT INTO llm_latency_hourly AS r (bucket, provider_slug, model, calls, duration_ms, duration_histogram)
    SELECT bucket, provider_slug, model, calls, duration_ms, duration_histogram
      FROM fine
      ORDER BY 1, 2, 3
  ON CONFLICT ON CONSTRAINT llm_latency_hourly_key DO UPDATE SET
    calls = r.calls + excluded.calls,
    duration_ms = r.duration_ms + excluded.duration_ms,
    duration_histogram = portcullis_histogram_add(r.duration_histogram, excluded.duration_histogram)
  )
  INSERT INTO llm_latency_daily AS r (bucket, provider_slug, model, calls, duration_ms, duration_histogram)
    SELECT date_trunc('day', bucket, 'UTC'), provider_slug, model, sum(calls), sum(duration_ms), portcullis_histogram_sum(duration_histogram)
      FROM fine
      GROUP BY 1, 2, 3
      ORDER BY 1, 2, 3
  ON CONFLICT ON CONSTRAINT llm_latency_daily_key DO UPDATE SET
    calls = r.calls + excluded.calls,
    duration_ms = r.duration_ms + excluded.duration_ms,
    duration_histogram = portcullis_histogram_add(r.duration_histogram, excluded.duration_histogram);

  WITH fine AS (
    SELECT date_trunc('day', time, 'UTC') AS bucket, team_id, provider_slug, provider_kind, model, decision, portcullis_reason_code(decision, reason) AS reason_code, status, cache, count(*) AS calls, count(*) FILTER (WHERE over_budget) AS over_budget, count(*) FILTER (WHERE would_block) AS would_block, coalesce(sum(input_tokens), 0) AS input_tokens, coalesce(sum(output_tokens), 0) AS output_tokens, coalesce(sum(cached_input_tokens), 0) AS cached_input_tokens, coalesce(sum(cache_write_tokens), 0) AS cache_write_tokens, coalesce(sum(cost_micro_usd), 0) AS cost_micro_usd, coalesce(sum(duration_ms), 0) AS duration_ms, count(duration_ms) AS duration_count
      FROM new_events CROSS JOIN unnest(team_ids) AS team_id
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
  ),
  upserted_day AS (
  INSERT INTO llm_team_rollup_daily AS r (bucket, team_id, provider_slug, provider_kind, model, decision, reason_code, status, cache, calls, over_budget, would_block, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cost_micro_usd, duration_ms, duration_count)
    SELECT bucket, team_id, provider_slug, provider_kind, model, decision, reason_code, status, cache, calls, over_budget, would_block, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cost_micro_usd, duration_ms, duration_count
      FROM fine
      ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9
  ON CONFLICT ON CONSTRAINT llm_team_rollup_daily_key DO UPDATE SET
    calls = r.calls + excluded.calls,
    over_budget = r.over_budget + excluded.over_budget,
    would_block = r.would_block + excluded.would_block,
    input_tokens = r.input_tokens + excluded.input_tokens,
    output_tokens = r.output_tokens + excluded.output_tokens,
    cached_input_tokens = r.cached_input_tokens + excluded.cached_input_tokens,
    cache_write_tokens = r.cache_write_tokens + excluded.cache_write_tokens,
    cost_micro_usd = r.cost_micro_usd + excluded.cost_micro_usd,
    duration_ms = r.duration_ms + excluded.duration_ms,
    duration_count = r.duration_count + excluded.duration_count
  )
  INSERT INTO llm_team_rollup_weekly AS r (bucket, team_id, provider_slug, provider_kind, model, decision, reason_code, status, cache, calls, over_budget, would_block, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cost_micro_usd, duration_ms, duration_count)
    SELECT date_trunc('week', bucket, 'UTC'), team_id, provider_slug, provider_kind, model, decision, reason_code, status, cache, sum(calls), sum(over_budget), sum(would_block), sum(input_tokens), sum(output_tokens), sum(cached_input_tokens), sum(cache_write_tokens), sum(cost_micro_usd), sum(duration_ms), sum(duration_count)
      FROM fine
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
      ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9
  ON CONFLICT ON CONSTRAINT llm_team_rollup_weekly_key DO UPDATE SET
    calls = r.calls + excluded.calls,
    over_budget = r.over_budget + excluded.over_budget,
    would_block = r.would_block + excluded.would_block,
    input_tokens = r.input_tokens + excluded.input_tokens,
    output_tokens = r.output_tokens + excluded.output_tokens,
    cached_input_tokens = r.cached_input_tokens + excluded.cached_input_tokens,
    cache_write_tokens = r.cache_write_tokens + excluded.cache_write_tokens,
    cost_micro_usd = r.cost_micro_usd + excluded.cost_micro_usd,
    duration_ms = r.duration_ms + excluded.duration_ms,
    duration_count = r.duration_count + excluded.duration_count;

  INSERT INTO llm_user_rollup_daily AS r (bucket, user_id, token_id, team_ids, provider_slug, provider_kind, model, decision, reason_code, status, cache, calls, over_budget, would_block, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cost_micro_usd, duration_ms, duration_count, email)
    SELECT date_trunc('day', time, 'UTC'), user_id, token_id, team_ids, provider_slug, provider_kind, model, decision, portcullis_reason_code(decision, reason), status, cache, count(*), count(*) FILTER (WHERE over_budget), count(*) FILTER (WHERE would_block), coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0), coalesce(sum(cached_input_tokens), 0), coalesce(sum(cache_write_tokens), 0), coalesce(sum(cost_micro_usd), 0), coalesce(sum(duration_ms), 0), count(duration_ms), max(email)
      FROM new_events
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
      ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
  ON CONFLICT ON CONSTRAINT llm_user_rollup_daily_key DO UPDATE SET
    calls = r.calls + excluded.calls,
    over_budget = r.over_budget + excluded.over_budget,
    would_block = r.would_block + excluded.would_block,
    input_tokens = r.input_tokens + excluded.input_tokens,
    output_tokens = r.output_tokens + excluded.output_tokens,
    cached_input_tokens = r.cached_input_tokens + excluded.cached_input_tokens,
    cache_write_tokens = r.cache_write_tokens + excluded.cache_write_tokens,
    cost_micro_usd = r.cost_micro_usd + excluded.cost_micro_usd,
    duration_ms = r.duration_ms + excluded.duration_ms,
    duration_count = r.duration_count + excluded.duration_count,
    email = greatest(r.email, excluded.email);

  WITH fine AS (
    SELECT date_trunc('day', time, 'UTC') AS bucket, user_id, token_id, team_ids, count(*) AS calls, count(*) FILTER (WHERE decision = 'allowed' AND NOT success) AS errors, count(*) FILTER (WHERE decision = 'denied') AS denied, coalesce(sum(portcullis_llm_tokens(provider_kind, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens)) FILTER (WHERE decision = 'allowed'), 0) AS tokens, coalesce(sum(cost_micro_usd) FILTER (WHERE decision = 'allowed'), 0) AS cost_micro_usd, max(email) AS email
      FROM new_events
      GROUP BY 1, 2, 3, 4
  ),
  upserted_day AS (
  INSERT INTO llm_user_totals_daily AS r (bucket, user_id, token_id, team_ids, calls, errors, denied, tokens, cost_micro_usd, email)
    SELECT bucket, user_id, token_id, team_ids, calls, errors, denied, tokens, cost_micro_usd, email
      FROM fine
      ORDER BY 1, 2, 3, 4
  ON CONFLICT ON CONSTRAINT llm_user_totals_daily_key DO UPDATE SET
    calls = r.calls + excluded.calls,
    errors = r.errors + excluded.errors,
    denied = r.denied + excluded.denied,
    tokens = r.tokens + excluded.tokens,
    cost_micro_usd = r.cost_micro_usd + excluded.cost_micro_usd,
    email = greatest(r.email, excluded.email)
  )
  INSERT INTO llm_user_totals_weekly AS r (bucket, user_id, token_id, team_ids, calls, errors, denied, tokens, cost_micro_usd, email)
    SELECT date_trunc('week', bucket, 'UTC'), user_id, token_id, team_ids, sum(calls), sum(errors), sum(denied), sum(tokens), sum(cost_micro_usd), max(email)
      FROM fine
      GROUP BY 1, 2, 3, 4
      ORDER BY 1, 2, 3, 4
  ON CONFLICT ON CONSTRAINT llm_user_totals_weekly_key DO UPDATE SET
    calls = r.calls + excluded.calls,
    errors = r.errors + excluded.errors,
    denied = r.denied + excluded.denied,
    tokens = r.tokens + excluded.tokens,
    cost_micro_usd = r.cost_micro_usd + excluded.cost_micro_usd,
    email = greatest(r.email, excluded.email);
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- The partition of one UTC day (`{parent}_pYYYYMMDD`), made when missing. Rows of that day that went to the
-- default partition meanwhile move into it, so making a partition never fails and loses nothing. Safe to call
-- concurrently (an advisory lock serializes makers); run it outside long transactions: attaching a partition
-- briefly locks the parent.
CREATE FUNCTION portcullis_event_partition(parent regclass, day date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  base text := (SELECT relname FROM pg_class WHERE oid = parent);
  name text := base || '_p' || to_char(day, 'YYYYMMDD');
  lo timestamptz := day::timestamp AT TIME ZONE 'UTC';
  hi timestamptz := (day + 1)::timestamp AT TIME ZONE 'UTC';
  waiting boolean;
BEGIN
  IF to_regclass(quote_ident(name)) IS NOT NULL THEN RETURN; END IF;
  PERFORM pg_advisory_xact_lock(724190114);
  IF to_regclass(quote_ident(name)) IS NOT NULL THEN RETURN; END IF;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE time >= $1 AND time < $2)', base || '_default') INTO waiting USING lo, hi;
  IF NOT waiting THEN
    EXECUTE format('CREATE TABLE %I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)', name, parent, lo, hi);
  ELSE
    EXECUTE format('CREATE TABLE %I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name, parent);
    EXECUTE format('WITH moved AS (DELETE FROM %I WHERE time >= $1 AND time < $2 RETURNING *) INSERT INTO %I SELECT * FROM moved', base || '_default', name) USING lo, hi;
    EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', parent, name, lo, hi);
  END IF;
END
$$;
--> statement-breakpoint
-- Drops the day partitions of `parent` before `keep_from` and the default partition's rows before it; returns how many partitions went.
CREATE FUNCTION portcullis_drop_event_partitions(parent regclass, keep_from date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  base text := (SELECT relname FROM pg_class WHERE oid = parent);
  part record;
  dropped integer := 0;
BEGIN
  FOR part IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = parent AND c.relname = base || '_p' || right(c.relname, 8) AND right(c.relname, 8) ~ '^[0-9]{8}$'
    ORDER BY c.relname
  LOOP
    IF to_date(right(part.relname, 8), 'YYYYMMDD') < keep_from THEN
      EXECUTE format('DROP TABLE %I', part.relname);
      dropped := dropped + 1;
    END IF;
  END LOOP;
  EXECUTE format('DELETE FROM %I WHERE time < $1', base || '_default') USING keep_from::timestamp AT TIME ZONE 'UTC';
  RETURN dropped;
END
$$;
--> statement-breakpoint
-- mcp_events: the plain table steps aside; its rows move into the partitioned one below (the trigger rolls them up).
ALTER TABLE "mcp_events" RENAME TO "mcp_events_unpartitioned";
--> statement-breakpoint
ALTER TABLE "mcp_events_unpartitioned" RENAME CONSTRAINT "mcp_events_pkey" TO "mcp_events_unpartitioned_pkey";
--> statement-breakpoint
DROP INDEX "mcp_events_time_idx";
--> statement-breakpoint
DROP INDEX "mcp_events_parent_idx";
--> statement-breakpoint
DROP INDEX "mcp_events_user_idx";
--> statement-breakpoint
DROP INDEX "mcp_events_server_idx";
--> statement-breakpoint
DROP INDEX "mcp_events_decision_idx";
--> statement-breakpoint
DROP INDEX "mcp_events_block_idx";
--> statement-breakpoint
CREATE TABLE "mcp_events" (
	"id" uuid NOT NULL,
	"time" timestamp with time zone NOT NULL,
	"user_id" uuid,
	"email" text,
	"team_id" uuid,
	"token_id" uuid,
	"auth_method" text,
	"client_name" text,
	"client_version" text,
	"client_ip" text,
	"client_country" text,
	"session_id" text,
	"method" text NOT NULL,
	"endpoint" text NOT NULL,
	"server_id" uuid,
	"server_slug" text,
	"server_url" text,
	"tool" text,
	"prompt" text,
	"resource_uri" text,
	"decision" text NOT NULL,
	"reason" text,
	"rule_id" text,
	"success" boolean NOT NULL,
	"error" text,
	"duration_ms" integer,
	"bytes_in" integer,
	"bytes_out" integer,
	"result_tokens" integer,
	"server_tokens" jsonb,
	"bundle_version" integer,
	"via" text,
	"parent_id" uuid,
	"codemode_tokens" integer,
	"block_id" uuid,
	"would_block" boolean DEFAULT false NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "mcp_events_pkey" PRIMARY KEY("time","id")
) PARTITION BY RANGE ("time");
--> statement-breakpoint
CREATE INDEX "mcp_events_parent_idx" ON "mcp_events" USING btree ("parent_id") WHERE "mcp_events"."parent_id" is not null;
--> statement-breakpoint
CREATE INDEX "mcp_events_user_idx" ON "mcp_events" USING btree ("user_id","time","id");
--> statement-breakpoint
CREATE INDEX "mcp_events_server_idx" ON "mcp_events" USING btree ("server_slug","time","id");
--> statement-breakpoint
CREATE INDEX "mcp_events_denied_idx" ON "mcp_events" USING btree ("time","id") WHERE "mcp_events"."decision" = 'denied';
--> statement-breakpoint
CREATE INDEX "mcp_events_block_idx" ON "mcp_events" USING btree ("block_id","time") WHERE "mcp_events"."block_id" is not null;
--> statement-breakpoint
CREATE INDEX "mcp_events_user_lists_idx" ON "mcp_events" USING btree ("user_id","time") WHERE "mcp_events"."method" = 'tools/list';
--> statement-breakpoint
-- Rows of a day without a partition land here until lib/events/partitions.ts makes one (and moves them).
CREATE TABLE "mcp_events_default" PARTITION OF "mcp_events" DEFAULT;
--> statement-breakpoint
CREATE TRIGGER "mcp_events_rollup" AFTER INSERT ON "mcp_events" REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION portcullis_mcp_rollup();
--> statement-breakpoint
SELECT portcullis_event_partition('mcp_events'::regclass, d) FROM (SELECT DISTINCT (time AT TIME ZONE 'UTC')::date AS d FROM "mcp_events_unpartitioned") AS days;
--> statement-breakpoint
INSERT INTO "mcp_events" (id, time, user_id, email, team_id, token_id, auth_method, client_name, client_version, client_ip, client_country, session_id, method, endpoint, server_id, server_slug, server_url, tool, prompt, resource_uri, decision, reason, rule_id, success, error, duration_ms, bytes_in, bytes_out, result_tokens, server_tokens, bundle_version, via, parent_id, codemode_tokens, block_id, would_block, received_at) SELECT id, time, user_id, email, team_id, token_id, auth_method, client_name, client_version, client_ip, client_country, session_id, method, endpoint, server_id, server_slug, server_url, tool, prompt, resource_uri, decision, reason, rule_id, success, error, duration_ms, bytes_in, bytes_out, result_tokens, server_tokens, bundle_version, via, parent_id, codemode_tokens, block_id, would_block, received_at FROM "mcp_events_unpartitioned";
--> statement-breakpoint
DROP TABLE "mcp_events_unpartitioned";
--> statement-breakpoint
-- llm_events: the plain table steps aside; its rows move into the partitioned one below (the trigger rolls them up).
ALTER TABLE "llm_events" RENAME TO "llm_events_unpartitioned";
--> statement-breakpoint
ALTER TABLE "llm_events_unpartitioned" RENAME CONSTRAINT "llm_events_pkey" TO "llm_events_unpartitioned_pkey";
--> statement-breakpoint
DROP INDEX "llm_events_time_idx";
--> statement-breakpoint
DROP INDEX "llm_events_user_idx";
--> statement-breakpoint
DROP INDEX "llm_events_token_idx";
--> statement-breakpoint
DROP INDEX "llm_events_block_idx";
--> statement-breakpoint
CREATE TABLE "llm_events" (
	"id" uuid NOT NULL,
	"time" timestamp with time zone NOT NULL,
	"user_id" uuid,
	"email" text,
	"team_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"token_id" uuid,
	"client_ip" text,
	"provider_slug" text NOT NULL,
	"provider_kind" text NOT NULL,
	"operation" text NOT NULL,
	"model" text,
	"stream" boolean NOT NULL,
	"status" integer NOT NULL,
	"success" boolean NOT NULL,
	"error" text,
	"decision" text NOT NULL,
	"reason" text,
	"rule_id" text,
	"cache" text,
	"input_tokens" integer,
	"output_tokens" integer,
	"cached_input_tokens" integer,
	"cache_write_tokens" integer,
	"cost_micro_usd" bigint,
	"over_budget" boolean DEFAULT false NOT NULL,
	"duration_ms" integer,
	"request_log" text,
	"response_log" text,
	"bundle_version" integer,
	"block_id" uuid,
	"would_block" boolean DEFAULT false NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "llm_events_pkey" PRIMARY KEY("time","id")
) PARTITION BY RANGE ("time");
--> statement-breakpoint
CREATE INDEX "llm_events_user_idx" ON "llm_events" USING btree ("user_id","time","id");
--> statement-breakpoint
CREATE INDEX "llm_events_block_idx" ON "llm_events" USING btree ("block_id","time") WHERE "llm_events"."block_id" is not null;
--> statement-breakpoint
-- Rows of a day without a partition land here until lib/events/partitions.ts makes one (and moves them).
CREATE TABLE "llm_events_default" PARTITION OF "llm_events" DEFAULT;
--> statement-breakpoint
CREATE TRIGGER "llm_events_rollup" AFTER INSERT ON "llm_events" REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION portcullis_llm_rollup();
--> statement-breakpoint
SELECT portcullis_event_partition('llm_events'::regclass, d) FROM (SELECT DISTINCT (time AT TIME ZONE 'UTC')::date AS d FROM "llm_events_unpartitioned") AS days;
--> statement-breakpoint
INSERT INTO "llm_events" (id, time, user_id, email, team_ids, token_id, client_ip, provider_slug, provider_kind, operation, model, stream, status, success, error, decision, reason, rule_id, cache, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cost_micro_usd, over_budget, duration_ms, request_log, response_log, bundle_version, block_id, would_block, received_at) SELECT id, time, user_id, email, team_ids, token_id, client_ip, provider_slug, provider_kind, operation, model, stream, status, success, error, decision, reason, rule_id, cache, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cost_micro_usd, over_budget, duration_ms, request_log, response_log, bundle_version, block_id, would_block, received_at FROM "llm_events_unpartitioned";
--> statement-breakpoint
DROP TABLE "llm_events_unpartitioned";
