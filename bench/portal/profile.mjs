#!/usr/bin/env node
/**
 * Where the portal Worker spends its CPU on `tools/call`: a V8 CPU profile of the Worker's isolate
 * (the Worker and its Durable Objects share it) taken through workerd's inspector while clients
 * call `get_weather`, mapped through the bundle's source map back to repo files and packages.
 * Complements run.mjs, which measures latency and throughput.
 *
 *   node bench/portal/profile.mjs [--client session|stateless] [--events queue|buffer] [--calls 4000] [--concurrency 32] [--top 25] [--save FILE.cpuprofile]
 *
 * `--client session` (default): SDK clients, one MCP session each (run.mjs's `workerd` path);
 * `--client stateless`: raw MCP 2026-07-28 clients, one POST per call (run.mjs's `stateless` path).
 *
 * Prints: the workerd process's CPU per call (all of workerd: JS plus the runtime's C++: HTTP,
 * Durable Object routing, SQLite), how the isolate's busy time splits by source (package or repo
 * file; "(program)" is native work outside JS, "(name)" a runtime API such as transactionSync),
 * the functions with the most self time (with their source line; a runtime built-in with its
 * caller), and those with the most inclusive time. `--save` also writes the raw profile (open it in
 * Chrome DevTools' Performance panel; positions are in the built bundle, index.js).
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import sourceMap from "source-map";
import * as h from "./harness.mjs";
import { miniflareQueueOptions } from "../../scripts/lib/miniflare-queues.mjs";

const { values: opts } = parseArgs({
  options: {
    calls: { type: "string", default: "4000" },
    concurrency: { type: "string", default: "32" },
    top: { type: "string", default: "25" },
    upstream: { type: "string", default: "stateful" },
    client: { type: "string", default: "session" },
    save: { type: "string" },
    // queue: events through Miniflare's Queues binding, as npm start runs them (the consumer's work is in the profile too); buffer: the durable buffer.
    events: { type: "string", default: "queue" },
  },
});
if (!["queue", "buffer"].includes(opts.events)) throw new Error("--events must be queue or buffer");
const CALLS = Number(opts.calls);
const C = Number(opts.concurrency);
if (!["session", "stateless"].includes(opts.client)) throw new Error("--client must be session or stateless");

/** Where a bundled position came from: a package name, or a repo path for the repo's own code. */
function origin(consumer, frame) {
  if (!frame.url?.endsWith("index.js") || frame.lineNumber < 0) return frame.url ? path.basename(frame.url) : `(${frame.functionName || "native"})`;
  const pos = consumer.originalPositionFor({ line: frame.lineNumber + 1, column: frame.columnNumber });
  if (!pos.source) return "(bundle)";
  const source = pos.source.replace(/^(\.\.\/)+/, "");
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(source);
  if (pkg) {
    // The SDK's own files are worth telling apart (server, client, shared protocol, types).
    if (pkg[1] === "@modelcontextprotocol/sdk") return `sdk/${pkg[2].replace(/^dist\/esm\//, "")}`;
    return pkg[1];
  }
  return source;
}

async function main(S) {
  const helpers = await h.repoHelpers(S);
  const upstream = await h.startUpstream(S, opts.upstream);
  const sink = await h.startEventSink(S);
  const { token, signed, vars } = await h.portalConfig(helpers, upstream.url, sink.url);
  const worker = h.buildWorker(S);
  const events = opts.events === "queue" ? miniflareQueueOptions(worker.config.queues) : {};
  const portal = await h.startWorkerdPortal(S, worker, vars, { inspectorPort: 0, unsafeInspectorProxy: true, ...events });
  await h.pushBundle(portal.origin, signed);
  const inspector = await portal.mf.getInspectorURL();
  const targets = await (await fetch(`http://${inspector.host}/json/list`)).json();
  h.log(`inspector targets: ${targets.map((t) => t.title ?? t.id).join(", ")}`);
  const target = targets[0];

  const headers = { authorization: `Bearer ${token}` };
  const clients = opts.client === "stateless" ? Array.from({ length: C }, () => h.statelessClient(`${portal.origin}/mcp`, headers)) : await Promise.all(Array.from({ length: C }, () => h.connect(`${portal.origin}/mcp`, headers)));
  await Promise.all(clients.map((c) => c.listTools()));
  const call = async (n) => {
    let next = 0;
    await Promise.all(
      clients.map(async (client) => {
        while (next < n) {
          next++;
          const result = await client.callTool({ name: `${h.SLUG}_${h.TOOL}`, arguments: { city: "Paris" } });
          if (result.isError) throw new Error(`tool error: ${JSON.stringify(result.content)}`);
        }
      }),
    );
  };
  await call(Math.max(500, 20 * C)); // warm-up (JIT, sessions, tool lists)

  const dt = h.devtools(target.webSocketDebuggerUrl);
  await dt.opened;
  await dt.send("Profiler.enable");
  await dt.send("Profiler.setSamplingInterval", { interval: 200 });
  const cpu0 = portal.pids.map(h.cpuMs);
  const t0 = performance.now();
  await dt.send("Profiler.start");
  await call(CALLS);
  const { profile } = await dt.send("Profiler.stop");
  if (opts.save) writeFileSync(opts.save, JSON.stringify(profile));
  const wall = performance.now() - t0;
  const workerdCpu = portal.pids.reduce((sum, pid, i) => sum + (h.cpuMs(pid) - cpu0[i]), 0);
  dt.close();
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));

  // Self time per node from the samples; inclusive time per function from each sample's stack.
  const consumer = new sourceMap.SourceMapConsumer(JSON.parse(readFileSync(`${worker.script}.map`, "utf8")));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const originOf = new Map();
  const label = (n) => {
    if (!originOf.has(n.id)) originOf.set(n.id, origin(consumer, n.callFrame));
    return originOf.get(n.id);
  };
  /** A function's definition: repo file or package, and line (the source map's original position). */
  const placeOf = new Map();
  const place = (n) => {
    const key = `${n.callFrame.functionName}@${n.callFrame.url}:${n.callFrame.lineNumber}:${n.callFrame.columnNumber}`;
    if (!placeOf.has(key)) {
      const src = label(n);
      const pos = n.callFrame.url?.endsWith("index.js") && n.callFrame.lineNumber >= 0 ? consumer.originalPositionFor({ line: n.callFrame.lineNumber + 1, column: n.callFrame.columnNumber }) : null;
      placeOf.set(key, pos?.line ? `${src}:${pos.line}` : src);
    }
    return placeOf.get(key);
  };
  const selfBySource = new Map();
  const selfByFn = new Map();
  const inclusiveByFn = new Map();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((nodeId, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(nodeId);
    const fn = node.callFrame.functionName;
    if (fn === "(idle)") {
      idle += ms;
      return;
    }
    total += ms;
    const src = fn === "(program)" || fn === "(garbage collector)" ? fn : label(node);
    selfBySource.set(src, (selfBySource.get(src) ?? 0) + ms);
    // A runtime built-in (no script position) says little alone: name the JS function that called it.
    const caller = node.callFrame.url ? null : byId.get(parent.get(nodeId));
    const fnKey = fn === "(program)" || fn === "(garbage collector)" ? fn : `${fn || "(anonymous)"} — ${place(node)}${caller ? ` ← ${caller.callFrame.functionName || "(anonymous)"} — ${place(caller)}` : ""}`;
    selfByFn.set(fnKey, (selfByFn.get(fnKey) ?? 0) + ms);
    const seen = new Set();
    for (let id = nodeId; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id);
      const name = n.callFrame.functionName;
      if (!name || name.startsWith("(")) continue;
      const key = `${name} — ${label(n)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusiveByFn.set(key, (inclusiveByFn.get(key) ?? 0) + ms);
    }
  });

  const top = Number(opts.top);
  // Sample time is wall time of the isolate's thread, inflated when a busy machine deschedules it
  // (and by the profiler itself); the process's CPU time from /proc is not. So shares come from the
  // samples and µs from the shares times the measured CPU per call.
  const cpuPerCallUs = (workerdCpu / CALLS) * 1000;
  const perCall = (ms) => ((ms / total) * cpuPerCallUs).toFixed(0);
  const out = [];
  out.push(`${CALLS} tools/call at concurrency ${C} through the portal (workerd via Miniflare), ${opts.client} clients, ${(CALLS / (wall / 1000)).toFixed(0)} calls/s`);
  out.push(`workerd process CPU: ${cpuPerCallUs.toFixed(0)} µs per call (µs columns below = share × this); busy samples ${((total / CALLS) * 1000).toFixed(0)} µs of wall time per call, idle ${((idle / CALLS) * 1000).toFixed(0)} µs`);
  out.push("");
  out.push("| source (self time) | ≈ µs/call | share |");
  out.push("|---|---:|---:|");
  for (const [src, ms] of [...selfBySource].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`| ${src} | ${perCall(ms)} | ${((ms / total) * 100).toFixed(1)} % |`);
  out.push("");
  out.push("| function — source:line (self time) | ≈ µs/call | share |");
  out.push("|---|---:|---:|");
  for (const [fn, ms] of [...selfByFn].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`| ${fn.replace(/\|/g, "\\|")} | ${perCall(ms)} | ${((ms / total) * 100).toFixed(1)} % |`);
  out.push("");
  out.push("| function — source (inclusive) | ≈ µs/call | share |");
  out.push("|---|---:|---:|");
  for (const [fn, ms] of [...inclusiveByFn].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`| ${fn.replace(/\|/g, "\\|")} | ${perCall(ms)} | ${((ms / total) * 100).toFixed(1)} % |`);
  console.log(out.join("\n"));
}

await h.runInSession(main);
