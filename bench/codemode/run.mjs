#!/usr/bin/env node
/**
 * Code Mode's benchmark (issue 15): what a client's context holds before the user says a word,
 * counted in o200k tokens, for real catalogs — the `tools/list` answers of four reference servers
 * from npm (everything, filesystem, memory, github: 62 tools, testing/servers/real-tools.mjs) —
 * at 52 tools, all 62, and 500 (the real tools repeated under renamed servers):
 *
 *   (a) the plain tools/list (the portal's names, every JSON schema),
 *   (b) the search_and_execute tools/list (search + execute),
 *   (c) the code tool list (one tool whose description is the typed API of every tool),
 *   (d) the median `search` answer for one tool (each tool searched by its name, the default page).
 *
 * Target: (b) ≤ 4 % of (a) at 52 tools, and constant as the catalog grows. The texts are built by
 * the same core functions the portal Worker answers with (lib/core/codemode, compiled here with
 * esbuild). Then the latency of an `execute` making one inner call against the same call made
 * directly, both through the portal in workerd (Miniflare, as npm start runs it), paired per round.
 *
 *   node bench/codemode/run.mjs [--rounds 3] [--calls 300] [--no-latency]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { listRealTools } from "../../testing/servers/real-tools.mjs";
import { log, machineInfo, median, percentile } from "../lib/common.mjs";

const { values: opts } = parseArgs({ options: { rounds: { type: "string", default: "3" }, calls: { type: "string", default: "300" }, "no-latency": { type: "boolean", default: false } } });
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

// The core as the Worker runs it, bundled for Node.
const scratch = mkdtempSync(path.join(os.tmpdir(), "codemode-bench-"));
const entry = path.join(scratch, "entry.ts");
writeFileSync(
  entry,
  [
    `export { codemodeToolList, searchResult } from ${JSON.stringify(path.join(root, "lib/core/codemode/tools.ts"))};`,
    `export { countTokens } from ${JSON.stringify(path.join(root, "lib/core/tools/token-cost.ts"))};`,
    `export { buildToolNameMap, upstreamKey } from ${JSON.stringify(path.join(root, "lib/core/naming/tool-names.ts"))};`,
  ].join("\n"),
);
const out = path.join(scratch, "core.mjs");
execFileSync(path.join(root, "node_modules", ".bin", "esbuild"), [entry, "--bundle", "--format=esm", "--platform=node", `--outfile=${out}`, "--log-level=error", `--tsconfig=${path.join(root, "tsconfig.json")}`]);
const core = await import(pathToFileURL(out).href);
rmSync(scratch, { recursive: true, force: true });

const tokens = (value) => core.countTokens(typeof value === "string" ? value : JSON.stringify(value));

/** A catalog of `size` tools: the real servers' tools in a fixed order, repeated under renamed servers (github2, filesystem2, …) past 62. */
async function catalogOf(servers, size) {
  const entries = [];
  for (let copy = 1; entries.length < size; copy++) {
    for (const s of servers) for (const t of s.tools) if (entries.length < size) entries.push({ slug: copy === 1 ? s.slug : `${s.slug}${copy}`, tool: t });
  }
  const names = await core.buildToolNameMap(entries.map((e) => ({ serverSlug: e.slug, toolName: e.tool.name })));
  return entries.map((e) => ({ name: names.byUpstream.get(core.upstreamKey(e.slug, e.tool.name)), serverSlug: e.slug, definition: e.tool }));
}

function contextTokens(catalog) {
  const plain = tokens({ tools: catalog.map((t) => ({ ...t.definition, name: t.name })) });
  const searchAndExecute = tokens({ tools: core.codemodeToolList("search_and_execute", catalog) });
  const code = tokens({ tools: core.codemodeToolList("code", catalog) });
  const searches = catalog.map((t) => tokens(core.searchResult(catalog, t.definition.name)));
  const searchOne = catalog.map((t) => tokens(core.searchResult(catalog, t.name, { limit: 1 })));
  return { tools: catalog.length, plain, searchAndExecute, code, search: median(searches), searchOne: median(searchOne) };
}

const pct = (x, of) => `${((x / of) * 100).toFixed(1)} %`;
const n = (x) => x.toLocaleString("en-US");

/** The latency paths, measured in the harness's session `S` (it stops what it started). */
async function latency(h, S, rounds, calls) {
  {
    const helpers = await h.repoHelpers(S);
    const upstream = await h.startUpstream(S, "stateful");
    const sink = await h.startEventSink(S);
    const { token, signed, vars } = await h.portalConfig(helpers, upstream.url, sink.url, { codemode: { mode: "opt-in", shape: "search_and_execute" } });
    const worker = h.buildWorker(S);
    const { miniflareQueueOptions } = await import("../../scripts/lib/miniflare-queues.mjs");
    const portal = await h.startWorkerdPortal(S, worker, vars, miniflareQueueOptions(worker.config.queues));
    await h.pushBundle(portal.origin, signed);
    const headers = { authorization: `Bearer ${token}` };
    const direct = await h.connect(`${portal.origin}/mcp`, headers);
    const codemode = await h.connect(`${portal.origin}/mcp?codemode=search_and_execute`, headers);
    await direct.listTools();
    await codemode.listTools();
    const name = `${h.SLUG}_${h.TOOL}`;
    const paths = {
      "direct call": () => direct.callTool({ name, arguments: { city: "Paris" } }),
      "execute, one inner call": () => codemode.callTool({ name: "execute", arguments: { code: `return await codemode.${name}({ city: "Paris" });` } }),
      "execute, no call (sandbox only)": () => codemode.callTool({ name: "execute", arguments: { code: "return 1 + 1;" } }),
    };
    const results = Object.fromEntries(Object.keys(paths).map((k) => [k, []]));
    for (const run of Object.values(paths)) for (let i = 0; i < 50; i++) await run(); // warm-up
    for (let round = 0; round < rounds; round++) {
      const order = Object.keys(paths);
      for (let r = 0; r < round % order.length; r++) order.push(order.shift());
      for (const key of order) {
        const latencies = [];
        for (let i = 0; i < calls; i++) {
          const t0 = performance.now();
          const result = await paths[key]();
          if (result.isError) throw new Error(`${key}: ${JSON.stringify(result.content)}`);
          latencies.push(performance.now() - t0);
        }
        latencies.sort((a, b) => a - b);
        results[key].push({ p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) });
        log(`round ${round + 1} ${key.padEnd(32)} p50 ${percentile(latencies, 0.5).toFixed(3)} ms  p99 ${percentile(latencies, 0.99).toFixed(3)} ms`);
      }
    }
    await Promise.all([direct.close(), codemode.close()]);
    return results;
  }
}

const servers = await listRealTools();
log(`real servers: ${servers.map((s) => `${s.slug} ${s.version} (${s.tools.length} tools)`).join(", ")}`);
const sizes = [52, servers.reduce((k, s) => k + s.tools.length, 0), 500];
const rows = [];
for (const size of sizes) rows.push(contextTokens(await catalogOf(servers, size)));

const machine = machineInfo({});
const lines = [];
lines.push(`Machine: ${machine.nproc} cores (${machine.cpu}), Node ${machine.node}. Tokens: o200k_base. Servers: ${servers.map((s) => `${s.pkg}@${s.version}`).join(", ")}.`);
lines.push("");
lines.push("| tools in the catalog | (a) plain tools/list | (b) search_and_execute list | (b) ÷ (a) | (c) code tool | (c) ÷ (a) | (d) median search answer (5 per page) | median search answer (1 per page) |");
lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const r of rows) lines.push(`| ${r.tools} | ${n(r.plain)} | ${n(r.searchAndExecute)} | ${pct(r.searchAndExecute, r.plain)} | ${n(r.code)} | ${pct(r.code, r.plain)} | ${n(r.search)} | ${n(r.searchOne)} |`);
const at52 = rows[0];
const constant = rows.every((r) => r.searchAndExecute === at52.searchAndExecute);
lines.push("");
lines.push(`Target (b) ≤ 4 % of (a) at 52 tools: ${pct(at52.searchAndExecute, at52.plain)} ${at52.searchAndExecute <= 0.04 * at52.plain ? "✓" : "✗"}; (b) constant as the catalog grows: ${constant ? `${n(at52.searchAndExecute)} tokens at every size ✓` : "✗"}.`);

function latencyLines(results) {
  const lines = [""];
  lines.push(`Latency through the portal (workerd via Miniflare, events through its queue), SDK client (2025-11-25), concurrency 1, ${opts.rounds} rounds × ${opts.calls} calls, median of rounds:`);
  lines.push("");
  lines.push("| call | p50 ms | p99 ms | p50 over the direct call (paired) |");
  lines.push("|---|---:|---:|---:|");
  const base = results["direct call"];
  for (const [key, runs] of Object.entries(results)) {
    const over = median(runs.map((r, i) => r.p50 - base[i].p50));
    lines.push(`| ${key} | ${median(runs.map((r) => r.p50)).toFixed(3)} | ${median(runs.map((r) => r.p99)).toFixed(3)} | ${key === "direct call" ? "–" : `${over >= 0 ? "+" : ""}${over.toFixed(3)} ms`} |`);
  }
  return lines;
}

if (opts["no-latency"]) console.log(lines.join("\n"));
else {
  // The SDK client adds an abort listener per request on a long-lived signal; the warning says nothing here.
  process.removeAllListeners("warning");
  process.on("warning", (w) => w.name !== "MaxListenersExceededWarning" && console.error(`${w.name}: ${w.message}`));
  const h = await import("../portal/harness.mjs");
  await h.runInSession(async (S) => {
    const results = await latency(h, S, Number(opts.rounds), Number(opts.calls));
    console.log([...lines, ...latencyLines(results)].join("\n"));
  });
}
