#!/usr/bin/env node
/**
 * LLM gateway overhead benchmark (issue 5): an OpenAI-style chat completion through the portal's
 * LLM gateway versus directly to the same fake provider, in one run. Target: added p50 ≤ 1 ms at
 * concurrency 1 (non-streaming). See README.md for the method and the results.
 *
 *   npm run bench:llm                          # defaults below, ≈ 3 min on 2 cores
 *   npm run bench:llm -- --rounds 5 --paths direct,workerd,workerd-disk,workerd-no-events
 *
 * Paths (all against one fake provider process, provider.mjs):
 *   direct               fetch → fake provider, with the provider key
 *   workerd              fetch → the portal Worker in workerd (Miniflare's API, no dev proxy, the
 *                        exact bundle `wrangler deploy --dry-run` produces) → fake provider; a member
 *                        with no rate limit and no budget, a provider with the cache off. The verdict.
 *   workerd-passthrough  not the gateway: a 10-line Worker that only forwards the request, run the
 *                        same way (the floor any Worker pays here)
 *   workerd-cache-hit    the portal, a provider with the cache on, the identical request every time:
 *                        every timed call is a hit and never reaches the provider (checked)
 *   workerd-limits       the portal, a member with a rate limit and a blocking budget: every call
 *                        also pays admission and settlement at the Counters Durable Object
 *   workerd-disk         (not in the defaults) the portal with its Durable Objects' SQLite files on
 *                        disk (Miniflare's default) instead of tmpfs, in a second workerd
 *   workerd-no-events    (not in the defaults) a second workerd running a copy of the Worker whose
 *                        LLM route does not enqueue its usage event (setup.mjs VARIANTS)
 *
 * Modes: non-streaming at concurrency 1 and at --concurrency (16); streaming (SSE with
 * `stream_options.include_usage`) at concurrency 1 for direct and workerd, timed to the first body
 * chunk and to the end. Every call uses Node's fetch (undici, keep-alive) and reads the whole answer.
 * Rounds alternate the paths (order rotated each round); each run starts with a warm-up. Reported:
 * the median over rounds of each run's p50/p99/throughput, and the median over rounds of the
 * *paired* difference to the direct run of the same round and mode.
 *
 * Options: --rounds N (3)  --calls1 N (2000)  --callsN N (2000)  --streams N (300)  --warmup N (200)
 *          --concurrency N (16)  --paths direct,workerd,…  --json FILE (raw per-run numbers)
 *          --accept-encoding identity|fetch (identity; fetch: undici's own "gzip, deflate", see below)
 */
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { codeLine, drainedEvents, driveCalls, loadAverage, loadLine, machineInfo, medianAndRange, median, pairedMedian, percentile } from "../lib/common.mjs";
import * as h from "../portal/harness.mjs";
import { CACHED_SLUG, MODEL, PROVIDER_KEY, SLUG, VARIANTS, gatewayConfig, passthroughWorker, startPortal, startProvider, startSink, workerVariant } from "./setup.mjs";

const { values: opts } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    calls1: { type: "string", default: "2000" },
    callsN: { type: "string", default: "2000" },
    streams: { type: "string", default: "300" },
    warmup: { type: "string", default: "200" },
    concurrency: { type: "string", default: "16" },
    paths: { type: "string", default: "direct,workerd,workerd-passthrough,workerd-cache-hit,workerd-limits" },
    "accept-encoding": { type: "string", default: "identity" },
    json: { type: "string" },
  },
});
const ROUNDS = Number(opts.rounds);
const WARMUP = Number(opts.warmup);
const HIGH_C = Number(opts.concurrency);
const PATHS = opts.paths.split(",").map((s) => s.trim());
const KNOWN = ["direct", "workerd", "workerd-passthrough", "workerd-cache-hit", "workerd-limits", "workerd-disk", ...Object.keys(VARIANTS).map((v) => `workerd-${v}`)];
for (const p of PATHS) if (!KNOWN.includes(p)) throw new Error(`unknown path ${p} (known: ${KNOWN.join(", ")})`);
if (!PATHS.includes("direct") || !PATHS.includes("workerd")) throw new Error("--paths must include direct (the baseline) and workerd (the verdict)");

/** What each run does: non-streaming at c=1 (the target) and at HIGH_C, streaming at c=1. */
const MODES = [
  { key: "json-1", stream: false, concurrency: 1, calls: Number(opts.calls1) },
  { key: `json-${HIGH_C}`, stream: false, concurrency: HIGH_C, calls: Number(opts.callsN) },
  { key: "stream-1", stream: true, concurrency: 1, calls: Number(opts.streams), paths: ["direct", "workerd"] },
];
const TARGETS = { addedP50Ms: 1 };
const { log } = h;

/** A small, realistic chat request: 22 input words; the fake answers "echo: <last user message>", 18 words (a stream: 22 SSE events). */
const REQUEST = {
  model: MODEL,
  max_tokens: 64,
  messages: [
    { role: "system", content: "You are a terse assistant." },
    { role: "user", content: "Summarise in one sentence why a company puts a gateway in front of its LLM providers, please." },
  ],
};
const BODY = { json: JSON.stringify(REQUEST), stream: JSON.stringify({ ...REQUEST, stream: true, stream_options: { include_usage: true } }) };

/** One chat completion, whole answer read; latency in ms (and time to the first body chunk when streaming). */
async function call(t, stream, cache = t.cache) {
  t.sent++;
  const t0 = performance.now();
  const res = await fetch(t.url, { method: "POST", headers: t.headers, body: stream ? BODY.stream : BODY.json });
  if (!stream) {
    const text = await res.text();
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 120)}`);
    if (cache && res.headers.get("x-portcullis-cache") !== cache) throw new Error(`x-portcullis-cache ${res.headers.get("x-portcullis-cache")}, expected ${cache}`);
    return { ms };
  }
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 120)}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let first = null;
  let tail = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    first ??= performance.now() - t0;
    tail = (tail + decoder.decode(value, { stream: true })).slice(-64);
  }
  const ms = performance.now() - t0;
  if (!tail.includes("data: [DONE]")) throw new Error(`stream ended without [DONE]: …${tail}`);
  return { ms, ttfb: first };
}

/** `calls` calls by `concurrency` workers; per-call latencies of the successful ones. */
async function drive(t, concurrency, calls, stream) {
  const latencies = [];
  const ttfbs = [];
  const run = await driveCalls(
    Array.from({ length: concurrency }),
    calls,
    async () => {
      const r = await call(t, stream);
      latencies.push(r.ms);
      if (stream) ttfbs.push(r.ttfb);
    },
    ` on ${t.name}`,
  );
  return { latencies, ttfbs, ...run };
}

const sortedOf = (xs) => Float64Array.from(xs).sort();

/** The fake records every request; clearing it between runs keeps its memory flat and lets a run count what reached it. */
async function providerRequests(provider, clear) {
  const res = await fetch(`${provider.url}/__fake/requests`, { method: clear ? "DELETE" : "GET" });
  return clear ? (await res.arrayBuffer(), 0) : (await res.json()).requests.length;
}

// ------------------------------------------------------------------ main

async function main(S) {
  const date = new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC";
  const machine = { date, ...machineInfo({ miniflare: "miniflare", wrangler: "wrangler" }) };

  const helpers = await h.repoHelpers(S);
  const provider = await startProvider(S);
  log(`fake provider at ${provider.url}, pid ${provider.pid}`);
  const sink = await startSink(S);
  log(`event sink at ${sink.url}, pid ${sink.pid}`);
  const { plain, limited, signed, vars } = await gatewayConfig(helpers, provider.url, sink.url);
  const worker = h.buildWorker(S);
  machine.workerSha256 = worker.sha256.slice(0, 12);

  /** The portals: the Worker as built on memory-backed storage; on disk and cut-down variants when asked for. */
  const portals = {};
  const wanted = [["main", worker, "memory"]];
  if (PATHS.includes("workerd-disk")) wanted.push(["disk", worker, "disk"]);
  for (const v of Object.keys(VARIANTS)) if (PATHS.includes(`workerd-${v}`)) wanted.push([v, workerVariant(S, worker, v), "memory"]);
  if (PATHS.includes("workerd-passthrough")) wanted.push(["passthrough", passthroughWorker(S, worker), "memory"]);
  for (const [key, code, storage] of wanted) {
    const started = performance.now();
    const gateway = key !== "passthrough";
    const portal = { ...(await startPortal(S, code, gateway ? vars : { PROVIDER_URL: provider.url, PROVIDER_KEY }, storage)), gateway };
    if (gateway) await h.pushBundle(portal.origin, signed);
    portals[key] = portal;
    log(`portal ${key} at ${portal.origin} (workerd pids ${portal.pids.join(",")}, storage ${portal.storage}) ready and configured in ${Math.round(performance.now() - started)} ms`);
  }
  machine.storage = Object.fromEntries(Object.entries(portals).map(([k, p]) => [k, p.storage]));

  const json = { "content-type": "application/json", ...(opts["accept-encoding"] === "fetch" ? {} : { "accept-encoding": opts["accept-encoding"] }) };
  const viaPortal = (name, portal, slug, member, cache) => ({
    name,
    url: `${portal.origin}/llm/${slug}/v1/chat/completions`,
    headers: { ...json, authorization: `Bearer ${member.token}` },
    cache,
    pids: portal.pids,
    portal,
    events: !name.endsWith("no-events"),
    sent: 0,
  });
  const all = {
    direct: { name: "direct", url: `${provider.url}/v1/chat/completions`, headers: { ...json, authorization: `Bearer ${PROVIDER_KEY}` }, pids: [], sent: 0 },
    workerd: viaPortal("workerd", portals.main, SLUG, plain, "BYPASS"),
    "workerd-cache-hit": viaPortal("workerd-cache-hit", portals.main, CACHED_SLUG, plain, "HIT"),
    "workerd-limits": viaPortal("workerd-limits", portals.main, SLUG, limited, "BYPASS"),
    ...(portals.disk ? { "workerd-disk": viaPortal("workerd-disk", portals.disk, SLUG, plain, "BYPASS") } : {}),
    ...(portals.passthrough
      ? { "workerd-passthrough": { name: "workerd-passthrough", url: `${portals.passthrough.origin}/v1/chat/completions`, headers: json, pids: portals.passthrough.pids, sent: 0 } }
      : {}),
    ...Object.fromEntries(Object.keys(VARIANTS).filter((v) => portals[v]).map((v) => [`workerd-${v}`, viaPortal(`workerd-${v}`, portals[v], SLUG, plain, "BYPASS")])),
  };
  const targets = Object.fromEntries(PATHS.map((p) => [p, all[p]]));

  // Fill the cache once: the cache-hit path then checks that every call it times is a HIT.
  if (targets["workerd-cache-hit"]) await call(targets["workerd-cache-hit"], false, "MISS");

  const runs = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const mode of MODES) {
      const paths = PATHS.filter((p) => !mode.paths || mode.paths.includes(p));
      // Rotate the order each round so that no path always runs first (or right after another).
      const order = paths.map((_, i) => paths[(i + round - 1) % paths.length]);
      for (const name of order) {
        const t = targets[name];
        await providerRequests(provider, true);
        const warm = await drive(t, mode.concurrency, Math.max(WARMUP, 10 * mode.concurrency), mode.stream);
        const cpuBefore = { client: process.cpuUsage(), provider: h.cpuMs(provider.pid), sink: h.cpuMs(sink.pid), workerd: t.pids.map(h.cpuMs) };
        const { latencies, ttfbs, wallMs, failed, errors } = await drive(t, mode.concurrency, mode.calls, mode.stream);
        const client = process.cpuUsage(cpuBefore.client);
        const providerCpu = (h.cpuMs(provider.pid) ?? 0) - (cpuBefore.provider ?? 0);
        const sinkCpu = (h.cpuMs(sink.pid) ?? 0) - (cpuBefore.sink ?? 0);
        const workerdCpu = t.pids.reduce((sum, pid, i) => sum + ((h.cpuMs(pid) ?? 0) - (cpuBefore.workerd[i] ?? 0)), 0);
        // Every call but a cache hit reaches the provider exactly once; a hit never does.
        const reached = await providerRequests(provider, false);
        const expected = name === "workerd-cache-hit" ? 0 : warm.latencies.length + latencies.length;
        if (reached !== expected) throw new Error(`${name} ${mode.key}: the provider saw ${reached} requests, expected ${expected}`);
        const sorted = sortedOf(latencies);
        const calls = latencies.length;
        const run = {
          round,
          mode: mode.key,
          path: name,
          calls,
          p50: percentile(sorted, 0.5),
          p99: percentile(sorted, 0.99),
          max: sorted[calls - 1],
          ...(mode.stream ? { ttfbP50: percentile(sortedOf(ttfbs), 0.5), ttfbP99: percentile(sortedOf(ttfbs), 0.99) } : {}),
          throughput: (calls / wallMs) * 1000,
          failed,
          errors,
          // CPU milliseconds per call, per process: where the time goes.
          cpuPerCall: { client: (client.user + client.system) / 1000 / calls, provider: providerCpu / calls, workerd: workerdCpu / calls, sink: sinkCpu / calls },
        };
        runs.push(run);
        log(
          `round ${round} ${mode.key.padEnd(8)} ${name.padEnd(18)} p50 ${run.p50.toFixed(3)} ms  p99 ${run.p99.toFixed(3)} ms  ` +
            (mode.stream ? `ttfb p50 ${run.ttfbP50.toFixed(3)} ms  ` : "") +
            `${run.throughput.toFixed(0)} calls/s  cpu/call client ${run.cpuPerCall.client.toFixed(3)} provider ${run.cpuPerCall.provider.toFixed(3)} workerd ${run.cpuPerCall.workerd.toFixed(3)} sink ${run.cpuPerCall.sink.toFixed(3)} ms` +
            (failed ? `  FAILED ${failed}: ${JSON.stringify(errors)}` : ""),
        );
      }
    }
  }
  machine.loadAfter = loadAverage();

  // Every gateway call yields one usage event: check the buffer kept up and delivered them all.
  const eventStatus = await drainedEvents(Object.entries(portals).flatMap(([name, p]) => (p.gateway ? [[name, p.origin]] : [])), helpers, vars.PORTCULLIS_EDGE_SECRET);
  const expectedEvents = Object.values(targets).reduce((n, t) => n + (t.portal && t.events ? t.sent : 0), 0);
  const result = { machine, runs, eventStatus, sink: await sink.stats(), expectedEvents };
  report(result);
  if (opts.json) writeFileSync(opts.json, JSON.stringify(result, null, 2));
}

// ------------------------------------------------------------------ report

function report({ machine, runs, eventStatus, sink, expectedEvents }) {
  const f = (x, d = 3) => x.toFixed(d);
  const mark = (ok) => (ok ? "✓" : "✗");
  const of = (name, mode) => runs.filter((r) => r.path === name && r.mode === mode);
  const range = (rs, key, d = 3) => medianAndRange(rs.map((r) => r[key]), d);
  const cpu = (rs) => ["client", "provider", "workerd", "sink"].map((k) => f(median(rs.map((r) => r.cpuPerCall[k])))).join(" · ");
  /** Median over rounds of fn(run of `name`, run of `base` in the same round and mode). */
  const paired = (name, base, mode, fn) => pairedMedian(runs, name, base, (r) => r.mode === mode, fn);
  const [json1, jsonN, stream1] = MODES.map((m) => m.key);
  const lines = [];
  lines.push(`Run ${machine.date}: ${machine.nproc} cores (nproc; ${machine.cpu}), ${machine.memGiB} GiB, Node ${machine.node}, miniflare ${machine.miniflare}, wrangler ${machine.wrangler}`);
  lines.push(codeLine(machine));
  lines.push(loadLine(machine));
  lines.push(`Durable Object storage: ${Object.entries(machine.storage).map(([k, v]) => `portal ${k} ${v}`).join(", ")}`);
  lines.push(
    `${ROUNDS} rounds, median of rounds (range in small print); per run ${MODES[0].calls} calls at c=1, ${MODES[1].calls} at c=${HIGH_C}, ${MODES[2].calls} streams at c=1; warm-up before each run; accept-encoding ${opts["accept-encoding"]}`,
  );
  lines.push("");
  lines.push(`| path | mode | calls/run | failed | p50 ms | p99 ms | calls/s | CPU ms/call client · provider · workerd · sink |`);
  lines.push("|---|---|---:|---:|---:|---:|---:|---|");
  for (const mode of [json1, jsonN]) {
    for (const name of PATHS) {
      const rs = of(name, mode);
      lines.push(`| ${name} | JSON c=${mode.split("-")[1]} | ${rs[0].calls} | ${rs.reduce((n, r) => n + r.failed, 0)} | ${range(rs, "p50")} | ${range(rs, "p99")} | ${range(rs, "throughput", 0)} | ${cpu(rs)} |`);
    }
  }
  lines.push("");
  lines.push(`| path | mode | streams/run | failed | first chunk p50 ms | first chunk p99 ms | whole stream p50 ms | whole stream p99 ms | CPU ms/stream client · provider · workerd · sink |`);
  lines.push("|---|---|---:|---:|---:|---:|---:|---:|---|");
  for (const name of MODES[2].paths.filter((p) => PATHS.includes(p))) {
    const rs = of(name, stream1);
    lines.push(`| ${name} | SSE c=1 | ${rs[0].calls} | ${rs.reduce((n, r) => n + r.failed, 0)} | ${range(rs, "ttfbP50")} | ${range(rs, "ttfbP99")} | ${range(rs, "p50")} | ${range(rs, "p99")} | ${cpu(rs)} |`);
  }
  for (const r of runs.filter((x) => x.failed)) lines.push(`Failed calls, round ${r.round} ${r.path} ${r.mode}: ${JSON.stringify(r.errors)}`);
  lines.push("");
  lines.push("| paired per round, median over rounds | value | target | met |");
  lines.push("|---|---:|---:|:---:|");
  const addedP50 = paired("workerd", "direct", json1, (p, d) => p.p50 - d.p50);
  lines.push(`| **workerd − direct: added p50, JSON c=1** | **${f(addedP50)} ms** | ≤ ${TARGETS.addedP50Ms} ms | ${mark(addedP50 <= TARGETS.addedP50Ms)} |`);
  lines.push(`| workerd − direct: added p99, JSON c=1 | ${f(paired("workerd", "direct", json1, (p, d) => p.p99 - d.p99))} ms | – | |`);
  lines.push(`| workerd ÷ direct: throughput, JSON c=${HIGH_C} | ${f(paired("workerd", "direct", jsonN, (p, d) => p.throughput / d.throughput) * 100, 1)} % | – | |`);
  lines.push(`| workerd − direct: added p50, JSON c=${HIGH_C} | ${f(paired("workerd", "direct", jsonN, (p, d) => p.p50 - d.p50))} ms | – | |`);
  lines.push(`| workerd − direct: added first-chunk p50, SSE c=1 | ${f(paired("workerd", "direct", stream1, (p, d) => p.ttfbP50 - d.ttfbP50))} ms | – | |`);
  lines.push(`| workerd − direct: added whole-stream p50, SSE c=1 | ${f(paired("workerd", "direct", stream1, (p, d) => p.p50 - d.p50))} ms | – | |`);
  const workerdCpu = median(of("workerd", jsonN).map((r) => r.cpuPerCall.workerd));
  lines.push(`| workerd: CPU per call in workerd, JSON c=${HIGH_C} (→ calls/s one workerd thread can serve) | ${f(workerdCpu)} ms (${f(1000 / workerdCpu, 0)}/s) | – | |`);
  if (PATHS.includes("workerd-passthrough")) {
    const name = "workerd-passthrough";
    lines.push(`| ${name} − direct: added p50, JSON c=1 (the floor: any Worker here) | ${f(paired(name, "direct", json1, (p, d) => p.p50 - d.p50))} ms | – | |`);
    lines.push(`| workerd − ${name}: p50, JSON c=1 (the gateway's own share) | ${f(paired("workerd", name, json1, (p, d) => p.p50 - d.p50))} ms | – | |`);
    lines.push(`| workerd − ${name}: workerd CPU per call, JSON c=${HIGH_C} | ${f(paired("workerd", name, jsonN, (p, d) => p.cpuPerCall.workerd - d.cpuPerCall.workerd))} ms | – | |`);
    lines.push(`| ${name} ÷ direct: throughput, JSON c=${HIGH_C} | ${f(paired(name, "direct", jsonN, (p, d) => p.throughput / d.throughput) * 100, 1)} % | – | |`);
  }
  for (const name of PATHS.filter((p) => !["direct", "workerd", "workerd-passthrough"].includes(p))) {
    lines.push(`| ${name} − direct: added p50, JSON c=1 | ${f(paired(name, "direct", json1, (p, d) => p.p50 - d.p50))} ms | – | |`);
    lines.push(`| ${name} − workerd: p50, JSON c=1 | ${f(paired(name, "workerd", json1, (p, d) => p.p50 - d.p50))} ms | – | |`);
    lines.push(`| ${name} − workerd: workerd CPU per call, JSON c=${HIGH_C} | ${f(paired(name, "workerd", jsonN, (p, d) => p.cpuPerCall.workerd - d.cpuPerCall.workerd))} ms | – | |`);
    lines.push(`| ${name} ÷ direct: throughput, JSON c=${HIGH_C} | ${f(paired(name, "direct", jsonN, (p, d) => p.throughput / d.throughput) * 100, 1)} % | – | |`);
  }
  lines.push("");
  for (const [name, stats] of Object.entries(eventStatus)) lines.push(`Events (portal ${name}): ${stats.pending} pending, ${stats.dropped} dropped, last error ${stats.lastError ?? "none"}.`);
  lines.push(`Event sink received ${sink.events} usage events in ${sink.batches} batches; the gateway answered ${expectedEvents} calls that emit one each.`);
  console.log(lines.join("\n"));
}

await h.runInSession(main);
