#!/usr/bin/env node
/**
 * Portal overhead benchmark (issues 4 and 14, "Benchmark"): `tools/call` through the portal Worker
 * versus directly to the same upstream MCP server, and versus a bare forwarding Worker in the same
 * runtime, in one run, at concurrency 1 and 32.
 *
 *   npm run bench:portal                       # defaults below
 *   npm run bench:portal -- --rounds 5 --upstream stateless --paths direct,forwarder,workerd,stateless
 *
 * Paths measured (all against one upstream process, see upstream.mjs):
 *   direct    SDK client → upstream
 *   forwarder SDK client → a bare forwarding Worker in workerd (Miniflare's API, as the workerd path)
 *             → upstream: the floor of any Worker-based portal on this machine (harness.mjs startBareForwarder)
 *   workerd   SDK client (session protocol) → portal Worker in workerd through Miniflare's API (no
 *             dev proxy), running the exact bundle `wrangler deploy --dry-run` produces
 *   stateless raw MCP 2026-07-28 client (one POST per call, `_meta`, no session; harness.mjs
 *             statelessClient) → the same portal build in its own workerd → upstream (the portal
 *             keeps one upstream session per caller per isolate)
 *   wrangler  SDK client → wrangler's local dev proxy (ProxyWorker, a second workerd) → the portal
 *             Worker (`unstable_dev`, as the Worker tests start it, given the same bundle)
 *   workerd-<variant>  experiments: the workerd path with one part of the Worker cut out
 *             (harness.mjs VARIANTS, e.g. workerd-no-events), to measure what that part costs
 *
 * The SDK paths use the official SDK client (Client + StreamableHTTPClientTransport), one connected
 * client (= one MCP session) per concurrent worker, reused for every call as a real agent does; the
 * stateless path uses one raw client per concurrent worker. Every client lists its tools once.
 * Rounds alternate the paths (order rotated each round); each run starts with a warm-up. Reported:
 * the median over rounds of each run's p50/p99/throughput, and the median over rounds of the
 * *paired* difference or ratio to the direct run, and to the forwarder run, of the same round and
 * concurrency.
 *
 * Options: --rounds N (3)  --calls1 N (2000)  --calls32 N (5000)  --warmup N (200, at least 10 per client)
 *          --upstream stateful|stateless (stateful)
 *          --paths direct,forwarder,workerd,stateless,wrangler[,workerd-no-events…]
 *          --json FILE  (also write the raw per-run numbers)
 */
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { codeLine, drainedEvents, driveCalls, loadAverage, loadLine, machineInfo, medianAndRange, median, pairedMedian, percentile } from "../lib/common.mjs";
import * as h from "./harness.mjs";
import { miniflareQueueOptions } from "../../scripts/lib/miniflare-queues.mjs";

const { values: opts } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    calls1: { type: "string", default: "2000" },
    calls32: { type: "string", default: "5000" },
    warmup: { type: "string", default: "200" },
    upstream: { type: "string", default: "stateful" },
    paths: { type: "string", default: "direct,forwarder,workerd,stateless,wrangler" },
    json: { type: "string" },
    // queue: events through the Queues binding in Miniflare, as npm start and Cloudflare run them; buffer: the self-hosted path (no binding).
    events: { type: "string", default: "queue" },
  },
});
if (!["queue", "buffer"].includes(opts.events)) throw new Error("--events must be queue or buffer");
const ROUNDS = Number(opts.rounds);
const CALLS = { 1: Number(opts.calls1), 32: Number(opts.calls32) };
const WARMUP = Number(opts.warmup);
const CONCURRENCIES = [1, 32];
const PATHS = opts.paths.split(",").map((s) => s.trim());
if (!PATHS.includes("direct")) throw new Error("--paths must include direct (the baseline)");
for (const p of PATHS) if (!["direct", "forwarder", "workerd", "stateless", "wrangler"].includes(p) && !(p.startsWith("workerd-") && p.slice(8) in h.VARIANTS)) throw new Error(`unknown path ${p}`);
/** Paths that run the portal (they emit events); direct and the forwarder do not. */
const PORTALS = PATHS.filter((p) => p !== "direct" && p !== "forwarder");
/** Variants that cut out sending events: their calls are not expected at the event sink. */
const SILENT = new Set(["workerd-no-events", "workerd-percall-no-events"]);

// Node 20's fetch (undici) hangs an abort listener on the SDK transport's long-lived signal per
// request and drops it only when that request is garbage-collected: a warning, not a leak, and the
// same on every path. Every other warning still prints.
process.removeAllListeners("warning");
process.on("warning", (w) => w.name !== "MaxListenersExceededWarning" && console.error(`${w.name}: ${w.message}`));

/**
 * Issue 14: over the bare forwarder's added p50, added p99, throughput as a share of the forwarder's,
 * workerd CPU per call; `npm start`'s path over direct. npm start runs the portal through
 * Miniflare's API with its queues (scripts/lib/portal-runner.mjs): that is the workerd path with
 * `--events queue`. The wrangler path (wrangler dev, which npm start ran before) is kept for comparison.
 */
const TARGETS = { overForwarderP50Ms: 0.3, addedP99Ms: 3, forwarderThroughputRatio: 0.8, workerdCpuMs: 0.5, npmStartAddedP50Ms: 1.5 };
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

  /** path → { url, headers, toolName, pids, stateless } */
  const targets = { direct: { url: upstream.url, headers: {}, toolName: h.TOOL, pids: [] } };
  const starters = { workerd: h.startWorkerdPortal, stateless: h.startWorkerdPortal, wrangler: h.startWranglerPortal };
  for (const name of PATHS.filter((p) => p !== "direct")) {
    const started = performance.now();
    if (name === "forwarder") {
      const fwd = await h.startBareForwarder(S, worker, upstream.url);
      log(`forwarder at ${fwd.origin} (workerd pids ${fwd.pids.join(",")}) ready in ${Math.round(performance.now() - started)} ms`);
      targets[name] = { url: `${fwd.origin}/mcp`, headers: {}, toolName: h.TOOL, pids: fwd.pids };
      continue;
    }
    const events = opts.events === "queue" ? miniflareQueueOptions(worker.config.queues) : {};
    const portal = name.startsWith("workerd-") ? await h.startWorkerdPortal(S, h.workerVariant(S, worker, name.slice(8)), vars, events) : await starters[name](S, worker, vars, events);
    await h.pushBundle(portal.origin, signed);
    log(`${name} portal at ${portal.origin} (workerd pids ${portal.pids.join(",")}) ready and configured in ${Math.round(performance.now() - started)} ms`);
    targets[name] = { url: `${portal.origin}/mcp`, origin: portal.origin, headers: { authorization: `Bearer ${token}` }, toolName: `${h.SLUG}_${h.TOOL}`, pids: portal.pids, stateless: name === "stateless" };
  }

  // One client per concurrent worker, per path; they live for the whole run (SDK: one MCP session each).
  const maxC = Math.max(...CONCURRENCIES);
  const pools = {};
  for (const name of PATHS) {
    const t = targets[name];
    pools[name] = t.stateless ? Array.from({ length: maxC }, () => h.statelessClient(t.url, t.headers)) : await Promise.all(Array.from({ length: maxC }, () => h.connect(t.url, t.headers)));
    // A real agent lists before it calls; the session portal also builds its tool-name map here,
    // and the stateless portal lists from the bundle's approved definitions: the tool must be there.
    const lists = await Promise.all(pools[name].map((c) => c.listTools()));
    if (!lists.every((l) => l.tools.some((tool) => tool.name === t.toolName))) throw new Error(`${name}: tools/list does not offer ${t.toolName}`);
  }
  log(`${maxC} clients per path connected, each listed ${h.TOOL}`);

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
        if (PORTALS.includes(name) && !SILENT.has(name)) portalCalls += latencies.length + warm.latencies.length;
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
          `round ${round} c=${String(concurrency).padStart(2)} ${name.padEnd(9)} p50 ${run.p50.toFixed(3)} ms  p99 ${run.p99.toFixed(3)} ms  ${run.throughput.toFixed(0)} calls/s  ` +
            `cpu/call client ${run.cpuPerCall.client.toFixed(3)} upstream ${run.cpuPerCall.upstream.toFixed(3)} workerd ${run.cpuPerCall.workerd.toFixed(3)} ms` +
            (failed ? `  FAILED ${failed}: ${JSON.stringify(errors)}` : ""),
        );
      }
    }
  }
  machine.loadAfter = loadAverage();

  // Events: every portal call is an audit event; check the buffer kept up and delivered.
  const eventStatus = await drainedEvents(PORTALS.map((name) => [name, targets[name].origin]), helpers, vars.PORTCULLIS_EDGE_SECRET);

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
  lines.push(`Upstream: ${upstreamMode}; tool ${h.TOOL}; events ${opts.events === "queue" ? "through the Queues binding (Miniflare), as npm start runs" : "through the durable buffer (no Queues binding, the self-hosted path)"}; ${ROUNDS} rounds, median of rounds; ${CALLS[1]} calls at c=1, ${CALLS[32]} at c=32 per run; warm-up before each run`);
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

  // Everything below is paired per round: each run against the direct (and forwarder) run of the
  // same round and concurrency, then the median over rounds.
  const hasForwarder = PATHS.includes("forwarder");
  const paired = (name, base, c, fn) => pairedMedian(runs, name, base, (r) => r.concurrency === c, fn);
  const cpuTotal = (r) => r.cpuPerCall.client + r.cpuPerCall.upstream + r.cpuPerCall.workerd;
  const stats = {};
  for (const name of PATHS.filter((p) => p !== "direct")) {
    for (const c of CONCURRENCIES) {
      const x = {
        addedP50: paired(name, "direct", c, (p, d) => p.p50 - d.p50),
        addedP99: paired(name, "direct", c, (p, d) => p.p99 - d.p99),
        vsDirect: paired(name, "direct", c, (p, d) => p.throughput / d.throughput),
        // Total CPU of every process per call, direct ÷ this path: the throughput ratio a CPU-bound machine allows.
        cpuRatio: paired(name, "direct", c, (p, d) => cpuTotal(d) / cpuTotal(p)),
        workerdCpu: median(of(name, c).map((r) => r.cpuPerCall.workerd)),
      };
      if (hasForwarder && name !== "forwarder") {
        x.overForwarderP50 = paired(name, "forwarder", c, (p, fw) => p.p50 - fw.p50);
        x.vsForwarder = paired(name, "forwarder", c, (p, fw) => p.throughput / fw.throughput);
      }
      stats[`${name} ${c}`] = x;
    }
  }
  const dash = "–";
  lines.push("");
  lines.push("| path vs direct and vs the bare forwarder (paired per round, median) | c | added p50 ms | added p99 ms | throughput ÷ direct | added p50 − forwarder's ms | throughput ÷ forwarder | CPU-bound ratio (all CPU, direct ÷ path) | workerd CPU ms/call |");
  lines.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const c of CONCURRENCIES) {
    for (const name of PATHS.filter((p) => p !== "direct")) {
      const x = stats[`${name} ${c}`];
      const cpu = name === "wrangler" ? `${f(x.workerdCpu, 3)} (2 processes)` : f(x.workerdCpu, 3);
      lines.push(
        `| ${name} | ${c} | ${f(x.addedP50, 3)} | ${f(x.addedP99, 3)} | ${f(x.vsDirect * 100, 1)} % | ${x.overForwarderP50 === undefined ? dash : f(x.overForwarderP50, 3)} | ${x.vsForwarder === undefined ? dash : `${f(x.vsForwarder * 100, 1)} %`} | ${f(x.cpuRatio * 100, 1)} % | ${cpu} |`,
      );
    }
  }

  lines.push("");
  lines.push("| targets (issue 14; paired per round, median) | value | target | met |");
  lines.push("|---|---:|---:|:---:|");
  const verdict = {};
  const row = (label, value, target, ok) => {
    verdict[label] = { value, ok };
    lines.push(`| ${label} | ${value} | ${target} | ${ok === null ? "" : mark(ok)} |`);
  };
  // The portal paths in workerd without the dev proxy: the session client's and the stateless client's (and experiments).
  for (const name of PATHS.filter((p) => p === "workerd" || p === "stateless" || p.startsWith("workerd-"))) {
    for (const c of CONCURRENCIES) {
      const x = stats[`${name} ${c}`];
      if (hasForwarder) row(`${name}: added p50 − forwarder's added p50, c=${c}`, `${f(x.overForwarderP50, 3)} ms`, `≤ +${TARGETS.overForwarderP50Ms} ms`, x.overForwarderP50 <= TARGETS.overForwarderP50Ms);
      row(`${name}: added p99, c=${c}`, `${f(x.addedP99, 3)} ms`, `≤ ${TARGETS.addedP99Ms} ms`, x.addedP99 <= TARGETS.addedP99Ms);
      if (c === 32 && hasForwarder) row(`${name}: throughput ÷ forwarder's, c=32`, `${f(x.vsForwarder * 100, 1)} %`, `≥ ${TARGETS.forwarderThroughputRatio * 100} %`, x.vsForwarder >= TARGETS.forwarderThroughputRatio);
      if (c === 32) row(`${name}: throughput ÷ direct, c=32 (info)`, `${f(x.vsDirect * 100, 1)} %`, dash, null);
      row(`${name}: workerd CPU per call, c=${c}`, `${f(x.workerdCpu, 3)} ms`, `≤ ${TARGETS.workerdCpuMs} ms`, x.workerdCpu <= TARGETS.workerdCpuMs);
    }
  }
  if (hasForwarder) for (const c of CONCURRENCIES) row(`forwarder (the floor): workerd CPU per call, c=${c} (info)`, `${f(stats[`forwarder ${c}`].workerdCpu, 3)} ms`, dash, null);
  if (PATHS.includes("workerd") && opts.events === "queue") {
    const x = stats["workerd 1"];
    row("workerd (`npm start`'s path: Miniflare, events through its queue): added p50 over direct, c=1", `${f(x.addedP50, 3)} ms`, `≤ ${TARGETS.npmStartAddedP50Ms} ms`, x.addedP50 <= TARGETS.npmStartAddedP50Ms);
  }
  if (PATHS.includes("wrangler")) row("wrangler (wrangler dev, npm start's path before issue 14): added p50 over direct, c=1 (info)", `${f(stats["wrangler 1"].addedP50, 3)} ms`, dash, null);
  lines.push("");
  for (const [name, stats] of Object.entries(eventStatus)) {
    lines.push(`Events (${name}): ${stats.pending} pending, ${stats.dropped} dropped, last error ${stats.lastError ?? "none"}.`);
  }
  // One event per tool call and one per tools/list (each client lists once; initialize is not audited).
  const expected = portalCalls + PORTALS.filter((p) => !SILENT.has(p)).length * Math.max(...CONCURRENCIES);
  lines.push(`Event sink received ${sink.events} events in ${sink.batches} batches for ${portalCalls} portal tool calls and ${expected - portalCalls} tools/list calls: ${sink.events === expected ? "exactly one each ✓" : `expected ${expected} ✗`}.`);
  console.log(lines.join("\n"));
  return { stats, verdict };
}

await h.runInSession(main);
