#!/usr/bin/env node
/**
 * Portal overhead benchmark (issue 4, "Benchmark"): `tools/call` through the portal Worker versus
 * directly to the same upstream MCP server, in one run, at concurrency 1 and 32.
 *
 *   npm run bench:portal                       # defaults below
 *   npm run bench:portal -- --rounds 5 --upstream stateless --paths direct,workerd
 *
 * Paths measured (all against one upstream process, see upstream.mjs):
 *   direct   SDK client → upstream
 *   workerd  SDK client → portal Worker in workerd through Miniflare's API (no dev proxy), running
 *            the exact bundle `wrangler deploy --dry-run` produces
 *   wrangler SDK client → wrangler's local dev proxy (ProxyWorker, a second workerd) → the portal
 *            Worker (`unstable_dev`, as the Worker tests start it, given the same bundle)
 *   workerd-<variant>  experiments: the workerd path with one part of the Worker cut out
 *            (harness.mjs VARIANTS, e.g. workerd-no-events), to measure what that part costs
 *
 * Every path uses the official SDK client (Client + StreamableHTTPClientTransport), one connected
 * client (= one MCP session) per concurrent worker, reused for every call as a real agent does.
 * Rounds alternate the paths (order rotated each round); each run starts with a warm-up. Reported:
 * the median over rounds of each run's p50/p99/throughput, and, for the portal paths, the median
 * over rounds of the *paired* difference to the direct run of the same round (same concurrency).
 *
 * Options: --rounds N (3)  --calls1 N (2000)  --calls32 N (5000)  --warmup N (200, at least 10 per client)
 *          --upstream stateful|stateless (stateful)  --paths direct,workerd,wrangler[,workerd-no-events…]
 *          --json FILE  (also write the raw per-run numbers)
 */
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { codeLine, drainedEvents, driveCalls, loadAverage, loadLine, machineInfo, medianAndRange, median, pairedMedian, percentile } from "../lib/common.mjs";
import * as h from "./harness.mjs";

const { values: opts } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    calls1: { type: "string", default: "2000" },
    calls32: { type: "string", default: "5000" },
    warmup: { type: "string", default: "200" },
    upstream: { type: "string", default: "stateful" },
    paths: { type: "string", default: "direct,workerd,wrangler" },
    json: { type: "string" },
  },
});
const ROUNDS = Number(opts.rounds);
const CALLS = { 1: Number(opts.calls1), 32: Number(opts.calls32) };
const WARMUP = Number(opts.warmup);
const CONCURRENCIES = [1, 32];
const PATHS = opts.paths.split(",").map((s) => s.trim());
if (!PATHS.includes("direct")) throw new Error("--paths must include direct (the baseline)");
for (const p of PATHS) if (!["direct", "workerd", "wrangler"].includes(p) && !(p.startsWith("workerd-") && p.slice(8) in h.VARIANTS)) throw new Error(`unknown path ${p}`);

// Node 20's fetch (undici) hangs an abort listener on the SDK transport's long-lived signal per
// request and drops it only when that request is garbage-collected: a warning, not a leak, and the
// same on every path. Every other warning still prints.
process.removeAllListeners("warning");
process.on("warning", (w) => w.name !== "MaxListenersExceededWarning" && console.error(`${w.name}: ${w.message}`));

const TARGETS = { addedP50Ms: 1, addedP99Ms: 3, throughputRatio: 0.8 };
const ARGS = { city: "Paris" };
const { log } = h;

/** `calls` tool calls spread over the first `concurrency` clients; per-call latency in ms of the successful ones. */
async function drive(clients, concurrency, calls, toolName) {
  const latencies = [];
  const run = await driveCalls(clients.slice(0, concurrency), calls, async (client) => {
    const t0 = performance.now();
    const result = await client.callTool({ name: toolName, arguments: ARGS });
    if (result.isError) throw new Error(`tool error: ${JSON.stringify(result.content)}`);
    latencies.push(performance.now() - t0);
  });
  return { latencies: Float64Array.from(latencies), ...run };
}

// ------------------------------------------------------------------ main

async function main(S) {
  const machine = machineInfo({ workerd: "miniflare", wrangler: "wrangler", sdk: "@modelcontextprotocol/sdk" });

  const helpers = await h.repoHelpers(S);
  const upstream = await h.startUpstream(S, opts.upstream);
  log(`upstream (${upstream.mode}) at ${upstream.url}, pid ${upstream.pid}`);
  const sink = await h.startEventSink(S);
  const { token, signed, vars } = await h.portalConfig(helpers, upstream.url, sink.url);
  const worker = PATHS.length > 1 ? h.buildWorker(S) : null;
  machine.workerSha256 = worker?.sha256.slice(0, 12) ?? "-";

  /** path → { url, headers, toolName, pids } */
  const targets = { direct: { url: upstream.url, headers: {}, toolName: h.TOOL, pids: [] } };
  const starters = { workerd: h.startWorkerdPortal, wrangler: h.startWranglerPortal };
  for (const name of PATHS.filter((p) => p !== "direct")) {
    const started = performance.now();
    const portal = name.startsWith("workerd-") ? await h.startWorkerdPortal(S, h.workerVariant(S, worker, name.slice(8)), vars) : await starters[name](S, worker, vars);
    await h.pushBundle(portal.origin, signed);
    log(`${name} portal at ${portal.origin} (workerd pids ${portal.pids.join(",")}) ready and configured in ${Math.round(performance.now() - started)} ms`);
    targets[name] = { url: `${portal.origin}/mcp`, origin: portal.origin, headers: { authorization: `Bearer ${token}` }, toolName: `${h.SLUG}_${h.TOOL}`, pids: portal.pids };
  }

  // One client (= one MCP session) per concurrent worker, per path; they live for the whole run.
  const maxC = Math.max(...CONCURRENCIES);
  const pools = {};
  for (const name of PATHS) {
    pools[name] = await Promise.all(Array.from({ length: maxC }, () => h.connect(targets[name].url, targets[name].headers)));
    // A real agent lists before it calls; the portal also builds its tool-name map here.
    await Promise.all(pools[name].map((c) => c.listTools()));
  }
  log(`${maxC} sessions per path connected`);

  const runs = [];
  let portalCalls = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    for (const concurrency of CONCURRENCIES) {
      // Rotate the order each round so that no path always runs first (or right after another).
      const order = PATHS.map((_, i) => PATHS[(i + round - 1) % PATHS.length]);
      for (const name of order) {
        const t = targets[name];
        const warm = await drive(pools[name], concurrency, Math.max(WARMUP, 10 * concurrency), t.toolName);
        const cpuBefore = { bench: process.cpuUsage(), upstream: h.cpuMs(upstream.pid), workerd: t.pids.map(h.cpuMs) };
        const { latencies, wallMs, failed, errors } = await drive(pools[name], concurrency, CALLS[concurrency], t.toolName);
        const bench = process.cpuUsage(cpuBefore.bench);
        const workerdCpu = t.pids.reduce((sum, pid, i) => sum + ((h.cpuMs(pid) ?? 0) - (cpuBefore.workerd[i] ?? 0)), 0);
        if (name !== "direct") portalCalls += latencies.length + warm.latencies.length;
        const sorted = Float64Array.from(latencies).sort();
        const calls = latencies.length;
        const run = {
          round,
          path: name,
          concurrency,
          calls,
          p50: percentile(sorted, 0.5),
          p90: percentile(sorted, 0.9),
          p99: percentile(sorted, 0.99),
          max: sorted[calls - 1],
          // Successful calls per second.
          throughput: (calls / wallMs) * 1000,
          failed,
          errors,
          // CPU milliseconds per call, per process: where the time goes.
          cpuPerCall: {
            client: (bench.user + bench.system) / 1000 / calls,
            upstream: ((h.cpuMs(upstream.pid) ?? 0) - (cpuBefore.upstream ?? 0)) / calls,
            workerd: t.pids.length ? workerdCpu / calls : 0,
          },
        };
        runs.push(run);
        log(
          `round ${round} c=${String(concurrency).padStart(2)} ${name.padEnd(8)} p50 ${run.p50.toFixed(3)} ms  p99 ${run.p99.toFixed(3)} ms  ${run.throughput.toFixed(0)} calls/s  ` +
            `cpu/call client ${run.cpuPerCall.client.toFixed(3)} upstream ${run.cpuPerCall.upstream.toFixed(3)} workerd ${run.cpuPerCall.workerd.toFixed(3)} ms` +
            (failed ? `  FAILED ${failed}: ${JSON.stringify(errors)}` : ""),
        );
      }
    }
  }
  machine.loadAfter = loadAverage();

  // Events: every portal call is an audit event; check the buffer kept up and delivered.
  const eventStatus = await drainedEvents(PATHS.filter((p) => p !== "direct").map((name) => [name, targets[name].origin]), helpers, vars.PORTCULLIS_EDGE_SECRET);

  for (const name of PATHS) await Promise.all(pools[name].map((c) => c.close().catch(() => undefined)));
  report({ machine, runs, eventStatus, sink: sink.state, portalCalls, upstreamMode: upstream.mode });
  if (opts.json) writeFileSync(opts.json, JSON.stringify({ machine, runs, eventStatus, sink: sink.state, portalCalls, upstream: upstream.mode }, null, 2));
}

// ------------------------------------------------------------------ report

function report({ machine, runs, eventStatus, sink, portalCalls, upstreamMode }) {
  const f = (x, d = 2) => x.toFixed(d);
  const mark = (ok) => (ok ? "✓" : "✗");
  const of = (name, c) => runs.filter((r) => r.path === name && r.concurrency === c);
  const lines = [];
  lines.push(`Machine: ${machine.nproc} cores (${machine.cpu}), ${machine.memGiB} GiB, Node ${machine.node}, workerd/miniflare ${machine.workerd}, wrangler ${machine.wrangler}, MCP SDK ${machine.sdk}`);
  lines.push(loadLine(machine));
  lines.push(codeLine(machine));
  lines.push(`Upstream: ${upstreamMode}; tool ${h.TOOL}; ${ROUNDS} rounds, median of rounds; ${CALLS[1]} calls at c=1, ${CALLS[32]} at c=32 per run; warm-up before each run`);
  lines.push("");
  lines.push("| path | concurrency | calls/run | failed | p50 ms | p99 ms | throughput calls/s | CPU ms/call client · upstream · workerd |");
  lines.push("|---|---:|---:|---:|---:|---:|---:|---|");
  for (const c of CONCURRENCIES) {
    for (const name of PATHS) {
      const rs = of(name, c);
      const range = (key, d) => medianAndRange(rs.map((r) => r[key]), d);
      const cpu = ["client", "upstream", "workerd"].map((k) => f(median(rs.map((r) => r.cpuPerCall[k])), 3)).join(" · ");
      lines.push(`| ${name} | ${c} | ${CALLS[c]} | ${rs.reduce((n, r) => n + r.failed, 0)} | ${range("p50", 3)} | ${range("p99", 3)} | ${range("throughput", 0)} | ${cpu} |`);
    }
  }
  for (const r of runs.filter((x) => x.failed)) lines.push(`Failed calls, round ${r.round} ${r.path} c=${r.concurrency}: ${JSON.stringify(r.errors)}`);
  lines.push("");
  lines.push("| portal path vs direct (paired per round, median) | value | target | met |");
  lines.push("|---|---:|---:|:---:|");
  const verdict = {};
  for (const name of PATHS.filter((p) => p !== "direct")) {
    const paired = (c, fn) => pairedMedian(runs, name, "direct", (r) => r.concurrency === c, fn);
    const addedP50 = paired(1, (p, d) => p.p50 - d.p50);
    const addedP99 = paired(1, (p, d) => p.p99 - d.p99);
    const ratio = paired(32, (p, d) => p.throughput / d.throughput);
    const addedP50at32 = paired(32, (p, d) => p.p50 - d.p50);
    // CPU is what a shared 2-core machine runs out of; this ratio barely moves with other load.
    const cpuTotal = (r) => r.cpuPerCall.client + r.cpuPerCall.upstream + r.cpuPerCall.workerd;
    const cpuRatio = paired(32, (p, d) => cpuTotal(d) / cpuTotal(p));
    const workerdCeiling = median(of(name, 32).map((r) => 1000 / r.cpuPerCall.workerd));
    verdict[name] = { addedP50, addedP99, ratio, cpuRatio };
    lines.push(`| ${name}: added p50 at c=1 | ${f(addedP50, 3)} ms | ≤ ${TARGETS.addedP50Ms} ms | ${mark(addedP50 <= TARGETS.addedP50Ms)} |`);
    lines.push(`| ${name}: added p99 at c=1 | ${f(addedP99, 3)} ms | ≤ ${TARGETS.addedP99Ms} ms | ${mark(addedP99 <= TARGETS.addedP99Ms)} |`);
    lines.push(`| ${name}: throughput ratio at c=32 | ${f(ratio * 100, 1)} % | ≥ ${TARGETS.throughputRatio * 100} % | ${mark(ratio >= TARGETS.throughputRatio)} |`);
    lines.push(`| ${name}: added p50 at c=32 (info) | ${f(addedP50at32, 3)} ms | – | |`);
    lines.push(`| ${name}: CPU per call, all processes, direct ÷ portal at c=32 (info: CPU-bound throughput ratio) | ${f(cpuRatio * 100, 1)} % | – | |`);
    // The Worker, its Durable Objects and the runtime share one workerd thread (wrangler: two processes, so not shown).
    if (name !== "wrangler") lines.push(`| ${name}: calls/s one workerd thread can serve at its CPU per call (info) | ${f(workerdCeiling, 0)} | – | |`);
  }
  lines.push("");
  for (const [name, stats] of Object.entries(eventStatus)) {
    lines.push(`Events (${name}): ${stats.pending} pending, ${stats.dropped} dropped, last error ${stats.lastError ?? "none"}.`);
  }
  lines.push(`Event sink received ${sink.events} events in ${sink.batches} batches for ${portalCalls} portal tool calls (+ list/initialize events).`);
  console.log(lines.join("\n"));
  return verdict;
}

await h.runInSession(main);
