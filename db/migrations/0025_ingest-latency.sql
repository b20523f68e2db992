-- Ingest at ten million events (issue 18): the latency rollups build and add their histograms inline.
-- Before, each upserted latency row called two SQL functions (portcullis_histogram_of to build a group's
-- histogram, portcullis_histogram_add to add it to the stored one), each a subquery over unnest: about a
-- quarter of what the latency rollups cost per event (bench/events/README.md). Now a group's histogram is
-- 41 filtered sums of its bucket counts, and adding it is 41 additions of elements, both in the statement.
-- The histograms are the same (41 buckets, lib/core/events/duration-histogram.ts); the functions stay for
-- what reads them (portcullis_histogram_sum). The rest of both functions is 0024's, unchanged.
CREATE OR REPLACE FUNCTION portcullis_mcp_rollup() RETURNS trigger
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

  WITH counted AS (
    SELECT date_trunc('hour', time, 'UTC') AS bucket, server_slug, tool, portcullis_duration_bucket(duration_ms) AS b, count(*)::integer AS n, sum(duration_ms) AS ms
      FROM new_events WHERE duration_ms IS NOT NULL GROUP BY 1, 2, 3, 4
  ),
  upserted_hour AS (
  INSERT INTO mcp_latency_hourly AS r (bucket, server_slug, tool, calls, duration_ms, duration_histogram)
    SELECT bucket, server_slug, tool, sum(n), sum(ms), ARRAY[coalesce(sum(n) FILTER (WHERE b = 0), 0), coalesce(sum(n) FILTER (WHERE b = 1), 0), coalesce(sum(n) FILTER (WHERE b = 2), 0), coalesce(sum(n) FILTER (WHERE b = 3), 0), coalesce(sum(n) FILTER (WHERE b = 4), 0), coalesce(sum(n) FILTER (WHERE b = 5), 0), coalesce(sum(n) FILTER (WHERE b = 6), 0), coalesce(sum(n) FILTER (WHERE b = 7), 0), coalesce(sum(n) FILTER (WHERE b = 8), 0), coalesce(sum(n) FILTER (WHERE b = 9), 0), coalesce(sum(n) FILTER (WHERE b = 10), 0), coalesce(sum(n) FILTER (WHERE b = 11), 0), coalesce(sum(n) FILTER (WHERE b = 12), 0), coalesce(sum(n) FILTER (WHERE b = 13), 0), coalesce(sum(n) FILTER (WHERE b = 14), 0), coalesce(sum(n) FILTER (WHERE b = 15), 0), coalesce(sum(n) FILTER (WHERE b = 16), 0), coalesce(sum(n) FILTER (WHERE b = 17), 0), coalesce(sum(n) FILTER (WHERE b = 18), 0), coalesce(sum(n) FILTER (WHERE b = 19), 0), coalesce(sum(n) FILTER (WHERE b = 20), 0), coalesce(sum(n) FILTER (WHERE b = 21), 0), coalesce(sum(n) FILTER (WHERE b = 22), 0), coalesce(sum(n) FILTER (WHERE b = 23), 0), coalesce(sum(n) FILTER (WHERE b = 24), 0), coalesce(sum(n) FILTER (WHERE b = 25), 0), coalesce(sum(n) FILTER (WHERE b = 26), 0), coalesce(sum(n) FILTER (WHERE b = 27), 0), coalesce(sum(n) FILTER (WHERE b = 28), 0), coalesce(sum(n) FILTER (WHERE b = 29), 0), coalesce(sum(n) FILTER (WHERE b = 30), 0), coalesce(sum(n) FILTER (WHERE b = 31), 0), coalesce(sum(n) FILTER (WHERE b = 32), 0), coalesce(sum(n) FILTER (WHERE b = 33), 0), coalesce(sum(n) FILTER (WHERE b = 34), 0), coalesce(sum(n) FILTER (WHERE b = 35), 0), coalesce(sum(n) FILTER (WHERE b = 36), 0), coalesce(sum(n) FILTER (WHERE b = 37), 0), coalesce(sum(n) FILTER (WHERE b = 38), 0), coalesce(sum(n) FILTER (WHERE b = 39), 0), coalesce(sum(n) FILTER (WHERE b = 40), 0)]::integer[]
      FROM counted
      GROUP BY 1, 2, 3
      ORDER BY 1, 2, 3
  ON CONFLICT ON CONSTRAINT mcp_latency_hourly_key DO UPDATE SET
    calls = r.calls + excluded.calls,
    duration_ms = r.duration_ms + excluded.duration_ms,
    duration_histogram = ARRAY[r.duration_histogram[1] + excluded.duration_histogram[1], r.duration_histogram[2] + excluded.duration_histogram[2], r.duration_histogram[3] + excluded.duration_histogram[3], r.duration_histogram[4] + excluded.duration_histogram[4], r.duration_histogram[5] + excluded.duration_histogram[5], r.duration_histogram[6] + excluded.duration_histogram[6], r.duration_histogram[7] + excluded.duration_histogram[7], r.duration_histogram[8] + excluded.duration_histogram[8], r.duration_histogram[9] + excluded.duration_histogram[9], r.duration_histogram[10] + excluded.duration_histogram[10], r.duration_histogram[11] + excluded.duration_histogram[11], r.duration_histogram[12] + excluded.duration_histogram[12], r.duration_histogram[13] + excluded.duration_histogram[13], r.duration_histogram[14] + excluded.duration_histogram[14], r.duration_histogram[15] + excluded.duration_histogram[15], r.duration_histogram[16] + excluded.duration_histogram[16], r.duration_histogram[17] + excluded.duration_histogram[17], r.duration_histogram[18] + excluded.duration_histogram[18], r.duration_histogram[19] + excluded.duration_histogram[19], r.duration_histogram[20] + excluded.duration_histogram[20], r.duration_histogram[21] + excluded.duration_histogram[21], r.duration_histogram[22] + excluded.duration_histogram[22], r.duration_histogram[23] + excluded.duration_histogram[23], r.duration_histogram[24] + excluded.duration_histogram[24], r.duration_histogram[25] + excluded.duration_histogram[25], r.duration_histogram[26] + excluded.duration_histogram[26], r.duration_histogram[27] + excluded.duration_histogram[27], r.duration_histogram[28] + excluded.duration_histogram[28], r.duration_histogram[29] + excluded.duration_histogram[29], r.duration_histogram[30] + excluded.duration_histogram[30], r.duration_histogram[31] + excluded.duration_histogram[31], r.duration_histogram[32] + excluded.duration_histogram[32], r.duration_histogram[33] + excluded.duration_histogram[33], r.duration_histogram[34] + excluded.duration_histogram[34], r.duration_histogram[35] + excluded.duration_histogram[35], r.duration_histogram[36] + excluded.duration_histogram[36], r.duration_histogram[37] + excluded.duration_histogram[37], r.duration_histogram[38] + excluded.duration_histogram[38], r.duration_histogram[39] + excluded.duration_histogram[39], r.duration_histogram[40] + excluded.duration_histogram[40], r.duration_histogram[41] + excluded.duration_histogram[41]]
  )
  INSERT INTO mcp_latency_daily AS r (bucket, server_slug, tool, calls, duration_ms, duration_histogram)
    SELECT date_trunc('day', bucket, 'UTC'), server_slug, tool, sum(n), sum(ms), ARRAY[coalesce(sum(n) FILTER (WHERE b = 0), 0), coalesce(sum(n) FILTER (WHERE b = 1), 0), coalesce(sum(n) FILTER (WHERE b = 2), 0), coalesce(sum(n) FILTER (WHERE b = 3), 0), coalesce(sum(n) FILTER (WHERE b = 4), 0), coalesce(sum(n) FILTER (WHERE b = 5), 0), coalesce(sum(n) FILTER (WHERE b = 6), 0), coalesce(sum(n) FILTER (WHERE b = 7), 0), coalesce(sum(n) FILTER (WHERE b = 8), 0), coalesce(sum(n) FILTER (WHERE b = 9), 0), coalesce(sum(n) FILTER (WHERE b = 10), 0), coalesce(sum(n) FILTER (WHERE b = 11), 0), coalesce(sum(n) FILTER (WHERE b = 12), 0), coalesce(sum(n) FILTER (WHERE b = 13), 0), coalesce(sum(n) FILTER (WHERE b = 14), 0), coalesce(sum(n) FILTER (WHERE b = 15), 0), coalesce(sum(n) FILTER (WHERE b = 16), 0), coalesce(sum(n) FILTER (WHERE b = 17), 0), coalesce(sum(n) FILTER (WHERE b = 18), 0), coalesce(sum(n) FILTER (WHERE b = 19), 0), coalesce(sum(n) FILTER (WHERE b = 20), 0), coalesce(sum(n) FILTER (WHERE b = 21), 0), coalesce(sum(n) FILTER (WHERE b = 22), 0), coalesce(sum(n) FILTER (WHERE b = 23), 0), coalesce(sum(n) FILTER (WHERE b = 24), 0), coalesce(sum(n) FILTER (WHERE b = 25), 0), coalesce(sum(n) FILTER (WHERE b = 26), 0), coalesce(sum(n) FILTER (WHERE b = 27), 0), coalesce(sum(n) FILTER (WHERE b = 28), 0), coalesce(sum(n) FILTER (WHERE b = 29), 0), coalesce(sum(n) FILTER (WHERE b = 30), 0), coalesce(sum(n) FILTER (WHERE b = 31), 0), coalesce(sum(n) FILTER (WHERE b = 32), 0), coalesce(sum(n) FILTER (WHERE b = 33), 0), coalesce(sum(n) FILTER (WHERE b = 34), 0), coalesce(sum(n) FILTER (WHERE b = 35), 0), coalesce(sum(n) FILTER (WHERE b = 36), 0), coalesce(sum(n) FILTER (WHERE b = 37), 0), coalesce(sum(n) FILTER (WHERE b = 38), 0), coalesce(sum(n) FILTER (WHERE b = 39), 0), coalesce(sum(n) FILTER (WHERE b = 40), 0)]::integer[]
      FROM counted
      GROUP BY 1, 2, 3
      ORDER BY 1, 2, 3
  ON CONFLICT ON CONSTRAINT mcp_latency_daily_key DO UPDATE SET
    calls = r.calls + excluded.calls,
    duration_ms = r.duration_ms + excluded.duration_ms,
    duration_histogram = ARRAY[r.duration_histogram[1] + excluded.duration_histogram[1], r.duration_histogram[2] + excluded.duration_histogram[2], r.duration_histogram[3] + excluded.duration_histogram[3], r.duration_histogram[4] + excluded.duration_histogram[4], r.duration_histogram[5] + excluded.duration_histogram[5], r.duration_histogram[6] + excluded.duration_histogram[6], r.duration_histogram[7] + excluded.duration_histogram[7], r.duration_histogram[8] + excluded.duration_histogram[8], r.duration_histogram[9] + excluded.duration_histogram[9], r.duration_histogram[10] + excluded.duration_histogram[10], r.duration_histogram[11] + excluded.duration_histogram[11], r.duration_histogram[12] + excluded.duration_histogram[12], r.duration_histogram[13] + excluded.duration_histogram[13], r.duration_histogram[14] + excluded.duration_histogram[14], r.duration_histogram[15] + excluded.duration_histogram[15], r.duration_histogram[16] + excluded.duration_histogram[16], r.duration_histogram[17] + excluded.duration_histogram[17], r.duration_histogram[18] + excluded.duration_histogram[18], r.duration_histogram[19] + excluded.duration_histogram[19], r.duration_histogram[20] + excluded.duration_histogram[20], r.duration_histogram[21] + excluded.duration_histogram[21], r.duration_histogram[22] + excluded.duration_histogram[22], r.duration_histogram[23] + excluded.duration_histogram[23], r.duration_histogram[24] + excluded.duration_histogram[24], r.duration_histogram[25] + excluded.duration_histogram[25], r.duration_histogram[26] + excluded.duration_histogram[26], r.duration_histogram[27] + excluded.duration_histogram[27], r.duration_histogram[28] + excluded.duration_histogram[28], r.duration_histogram[29] + excluded.duration_histogram[29], r.duration_histogram[30] + excluded.duration_histogram[30], r.duration_histogram[31] + excluded.duration_histogram[31], r.duration_histogram[32] + excluded.duration_histogram[32], r.duration_histogram[33] + excluded.duration_histogram[33], r.duration_histogram[34] + excluded.duration_histogram[34], r.duration_histogram[35] + excluded.duration_histogram[35], r.duration_histogram[36] + excluded.duration_histogram[36], r.duration_histogram[37] + excluded.duration_histogram[37], r.duration_histogram[38] + excluded.duration_histogram[38], r.duration_histogram[39] + excluded.duration_histogram[39], r.duration_histogram[40] + excluded.duration_histogram[40], r.duration_histogram[41] + excluded.duration_histogram[41]];

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
CREATE OR REPLACE FUNCTION portcullis_llm_rollup() RETURNS trigger
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

  WITH counted AS (
    SELECT date_trunc('hour', time, 'UTC') AS bucket, provider_slug, model, portcullis_duration_bucket(duration_ms) AS b, count(*)::integer AS n, sum(duration_ms) AS ms
      FROM new_events WHERE duration_ms IS NOT NULL GROUP BY 1, 2, 3, 4
  ),
  upserted_hour AS (
  INSERT INTO llm_latency_hourly AS r (bucket, provider_slug, model, calls, duration_ms, duration_histogram)
    SELECT bucket, provider_slug, model, sum(n), sum(ms), ARRAY[coalesce(sum(n) FILTER (WHERE b = 0), 0), coalesce(sum(n) FILTER (WHERE b = 1), 0), coalesce(sum(n) FILTER (WHERE b = 2), 0), coalesce(sum(n) FILTER (WHERE b = 3), 0), coalesce(sum(n) FILTER (WHERE b = 4), 0), coalesce(sum(n) FILTER (WHERE b = 5), 0), coalesce(sum(n) FILTER (WHERE b = 6), 0), coalesce(sum(n) FILTER (WHERE b = 7), 0), coalesce(sum(n) FILTER (WHERE b = 8), 0), coalesce(sum(n) FILTER (WHERE b = 9), 0), coalesce(sum(n) FILTER (WHERE b = 10), 0), coalesce(sum(n) FILTER (WHERE b = 11), 0), coalesce(sum(n) FILTER (WHERE b = 12), 0), coalesce(sum(n) FILTER (WHERE b = 13), 0), coalesce(sum(n) FILTER (WHERE b = 14), 0), coalesce(sum(n) FILTER (WHERE b = 15), 0), coalesce(sum(n) FILTER (WHERE b = 16), 0), coalesce(sum(n) FILTER (WHERE b = 17), 0), coalesce(sum(n) FILTER (WHERE b = 18), 0), coalesce(sum(n) FILTER (WHERE b = 19), 0), coalesce(sum(n) FILTER (WHERE b = 20), 0), coalesce(sum(n) FILTER (WHERE b = 21), 0), coalesce(sum(n) FILTER (WHERE b = 22), 0), coalesce(sum(n) FILTER (WHERE b = 23), 0), coalesce(sum(n) FILTER (WHERE b = 24), 0), coalesce(sum(n) FILTER (WHERE b = 25), 0), coalesce(sum(n) FILTER (WHERE b = 26), 0), coalesce(sum(n) FILTER (WHERE b = 27), 0), coalesce(sum(n) FILTER (WHERE b = 28), 0), coalesce(sum(n) FILTER (WHERE b = 29), 0), coalesce(sum(n) FILTER (WHERE b = 30), 0), coalesce(sum(n) FILTER (WHERE b = 31), 0), coalesce(sum(n) FILTER (WHERE b = 32), 0), coalesce(sum(n) FILTER (WHERE b = 33), 0), coalesce(sum(n) FILTER (WHERE b = 34), 0), coalesce(sum(n) FILTER (WHERE b = 35), 0), coalesce(sum(n) FILTER (WHERE b = 36), 0), coalesce(sum(n) FILTER (WHERE b = 37), 0), coalesce(sum(n) FILTER (WHERE b = 38), 0), coalesce(sum(n) FILTER (WHERE b = 39), 0), coalesce(sum(n) FILTER (WHERE b = 40), 0)]::integer[]
      FROM counted
      GROUP BY 1, 2, 3
      ORDER BY 1, 2, 3
  ON CONFLICT ON CONSTRAINT llm_latency_hourly_key DO UPDATE SET
    calls = r.calls + excluded.calls,
    duration_ms = r.duration_ms + excluded.duration_ms,
    duration_histogram = ARRAY[r.duration_histogram[1] + excluded.duration_histogram[1], r.duration_histogram[2] + excluded.duration_histogram[2], r.duration_histogram[3] + excluded.duration_histogram[3], r.duration_histogram[4] + excluded.duration_histogram[4], r.duration_histogram[5] + excluded.duration_histogram[5], r.duration_histogram[6] + excluded.duration_histogram[6], r.duration_histogram[7] + excluded.duration_histogram[7], r.duration_histogram[8] + excluded.duration_histogram[8], r.duration_histogram[9] + excluded.duration_histogram[9], r.duration_histogram[10] + excluded.duration_histogram[10], r.duration_histogram[11] + excluded.duration_histogram[11], r.duration_histogram[12] + excluded.duration_histogram[12], r.duration_histogram[13] + excluded.duration_histogram[13], r.duration_histogram[14] + excluded.duration_histogram[14], r.duration_histogram[15] + excluded.duration_histogram[15], r.duration_histogram[16] + excluded.duration_histogram[16], r.duration_histogram[17] + excluded.duration_histogram[17], r.duration_histogram[18] + excluded.duration_histogram[18], r.duration_histogram[19] + excluded.duration_histogram[19], r.duration_histogram[20] + excluded.duration_histogram[20], r.duration_histogram[21] + excluded.duration_histogram[21], r.duration_histogram[22] + excluded.duration_histogram[22], r.duration_histogram[23] + excluded.duration_histogram[23], r.duration_histogram[24] + excluded.duration_histogram[24], r.duration_histogram[25] + excluded.duration_histogram[25], r.duration_histogram[26] + excluded.duration_histogram[26], r.duration_histogram[27] + excluded.duration_histogram[27], r.duration_histogram[28] + excluded.duration_histogram[28], r.duration_histogram[29] + excluded.duration_histogram[29], r.duration_histogram[30] + excluded.duration_histogram[30], r.duration_histogram[31] + excluded.duration_histogram[31], r.duration_histogram[32] + excluded.duration_histogram[32], r.duration_histogram[33] + excluded.duration_histogram[33], r.duration_histogram[34] + excluded.duration_histogram[34], r.duration_histogram[35] + excluded.duration_histogram[35], r.duration_histogram[36] + excluded.duration_histogram[36], r.duration_histogram[37] + excluded.duration_histogram[37], r.duration_histogram[38] + excluded.duration_histogram[38], r.duration_histogram[39] + excluded.duration_histogram[39], r.duration_histogram[40] + excluded.duration_histogram[40], r.duration_histogram[41] + excluded.duration_histogram[41]]
  )
  INSERT INTO llm_latency_daily AS r (bucket, provider_slug, model, calls, duration_ms, duration_histogram)
    SELECT date_trunc('day', bucket, 'UTC'), provider_slug, model, sum(n), sum(ms), ARRAY[coalesce(sum(n) FILTER (WHERE b = 0), 0), coalesce(sum(n) FILTER (WHERE b = 1), 0), coalesce(sum(n) FILTER (WHERE b = 2), 0), coalesce(sum(n) FILTER (WHERE b = 3), 0), coalesce(sum(n) FILTER (WHERE b = 4), 0), coalesce(sum(n) FILTER (WHERE b = 5), 0), coalesce(sum(n) FILTER (WHERE b = 6), 0), coalesce(sum(n) FILTER (WHERE b = 7), 0), coalesce(sum(n) FILTER (WHERE b = 8), 0), coalesce(sum(n) FILTER (WHERE b = 9), 0), coalesce(sum(n) FILTER (WHERE b = 10), 0), coalesce(sum(n) FILTER (WHERE b = 11), 0), coalesce(sum(n) FILTER (WHERE b = 12), 0), coalesce(sum(n) FILTER (WHERE b = 13), 0), coalesce(sum(n) FILTER (WHERE b = 14), 0), coalesce(sum(n) FILTER (WHERE b = 15), 0), coalesce(sum(n) FILTER (WHERE b = 16), 0), coalesce(sum(n) FILTER (WHERE b = 17), 0), coalesce(sum(n) FILTER (WHERE b = 18), 0), coalesce(sum(n) FILTER (WHERE b = 19), 0), coalesce(sum(n) FILTER (WHERE b = 20), 0), coalesce(sum(n) FILTER (WHERE b = 21), 0), coalesce(sum(n) FILTER (WHERE b = 22), 0), coalesce(sum(n) FILTER (WHERE b = 23), 0), coalesce(sum(n) FILTER (WHERE b = 24), 0), coalesce(sum(n) FILTER (WHERE b = 25), 0), coalesce(sum(n) FILTER (WHERE b = 26), 0), coalesce(sum(n) FILTER (WHERE b = 27), 0), coalesce(sum(n) FILTER (WHERE b = 28), 0), coalesce(sum(n) FILTER (WHERE b = 29), 0), coalesce(sum(n) FILTER (WHERE b = 30), 0), coalesce(sum(n) FILTER (WHERE b = 31), 0), coalesce(sum(n) FILTER (WHERE b = 32), 0), coalesce(sum(n) FILTER (WHERE b = 33), 0), coalesce(sum(n) FILTER (WHERE b = 34), 0), coalesce(sum(n) FILTER (WHERE b = 35), 0), coalesce(sum(n) FILTER (WHERE b = 36), 0), coalesce(sum(n) FILTER (WHERE b = 37), 0), coalesce(sum(n) FILTER (WHERE b = 38), 0), coalesce(sum(n) FILTER (WHERE b = 39), 0), coalesce(sum(n) FILTER (WHERE b = 40), 0)]::integer[]
      FROM counted
      GROUP BY 1, 2, 3
      ORDER BY 1, 2, 3
  ON CONFLICT ON CONSTRAINT llm_latency_daily_key DO UPDATE SET
    calls = r.calls + excluded.calls,
    duration_ms = r.duration_ms + excluded.duration_ms,
    duration_histogram = ARRAY[r.duration_histogram[1] + excluded.duration_histogram[1], r.duration_histogram[2] + excluded.duration_histogram[2], r.duration_histogram[3] + excluded.duration_histogram[3], r.duration_histogram[4] + excluded.duration_histogram[4], r.duration_histogram[5] + excluded.duration_histogram[5], r.duration_histogram[6] + excluded.duration_histogram[6], r.duration_histogram[7] + excluded.duration_histogram[7], r.duration_histogram[8] + excluded.duration_histogram[8], r.duration_histogram[9] + excluded.duration_histogram[9], r.duration_histogram[10] + excluded.duration_histogram[10], r.duration_histogram[11] + excluded.duration_histogram[11], r.duration_histogram[12] + excluded.duration_histogram[12], r.duration_histogram[13] + excluded.duration_histogram[13], r.duration_histogram[14] + excluded.duration_histogram[14], r.duration_histogram[15] + excluded.duration_histogram[15], r.duration_histogram[16] + excluded.duration_histogram[16], r.duration_histogram[17] + excluded.duration_histogram[17], r.duration_histogram[18] + excluded.duration_histogram[18], r.duration_histogram[19] + excluded.duration_histogram[19], r.duration_histogram[20] + excluded.duration_histogram[20], r.duration_histogram[21] + excluded.duration_histogram[21], r.duration_histogram[22] + excluded.duration_histogram[22], r.duration_histogram[23] + excluded.duration_histogram[23], r.duration_histogram[24] + excluded.duration_histogram[24], r.duration_histogram[25] + excluded.duration_histogram[25], r.duration_histogram[26] + excluded.duration_histogram[26], r.duration_histogram[27] + excluded.duration_histogram[27], r.duration_histogram[28] + excluded.duration_histogram[28], r.duration_histogram[29] + excluded.duration_histogram[29], r.duration_histogram[30] + excluded.duration_histogram[30], r.duration_histogram[31] + excluded.duration_histogram[31], r.duration_histogram[32] + excluded.duration_histogram[32], r.duration_histogram[33] + excluded.duration_histogram[33], r.duration_histogram[34] + excluded.duration_histogram[34], r.duration_histogram[35] + excluded.duration_histogram[35], r.duration_histogram[36] + excluded.duration_histogram[36], r.duration_histogram[37] + excluded.duration_histogram[37], r.duration_histogram[38] + excluded.duration_histogram[38], r.duration_histogram[39] + excluded.duration_histogram[39], r.duration_histogram[40] + excluded.duration_histogram[40], r.duration_histogram[41] + excluded.duration_histogram[41]];

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
