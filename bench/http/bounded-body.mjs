#!/usr/bin/env node
// readBoundedBody (lib/core/http/bounded-body.ts) before and after, in the same run, on a typical
// MCP request body (≈ 600 bytes). Two measures:
// - Node: ops/s on Node's Request (declared length; chunked without one). The console's runtime.
// - workerd: CPU of the workerd process per HTTP request (from /proc, Linux only) to a Worker that
//   reads the body with the old or the new function, or not at all (the HTTP floor), in rounds.
// `--base REV` (default main): the "before". Prints markdown tables.
import { execFileSync } from "node:child_process";
import { ReadableStream } from "node:stream/web";
import { readFileSync } from "node:fs";
import path from "node:path";
import { bundleModules, loadAverage, loadModules, median, opsPerSecond, root } from "../lib/common.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const base = arg("base", "main");
const REQUESTS = Number(arg("requests", 3000));
const file = "lib/core/http/bounded-body.ts";

const body = JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "everything_echo", arguments: { message: "x".repeat(480) }, _meta: { progressToken: 1 } } });
const bytes = new TextEncoder().encode(body);
console.log(`Node ${process.version}, load average ${loadAverage()}; before = ${base}, after = working tree; ${bytes.byteLength}-byte body\n`);

const [[before], [after]] = await Promise.all([loadModules(base, [file]), loadModules(null, [file])]);
const declared = () => new Request("http://x/mcp", { method: "POST", body, headers: { "content-length": String(bytes.byteLength) } });
const chunked = () => new Request("http://x/mcp", { method: "POST", body: new ReadableStream({ start: (c) => (c.enqueue(bytes), c.close()) }), duplex: "half" });
console.log("| Node: body | before ops/s | after ops/s | after ÷ before |");
console.log("|---|---:|---:|---:|");
for (const [name, make] of [["declared length", declared], ["chunked, no length", chunked]]) {
  const b = await opsPerSecond(() => before.readBoundedBody(make(), 1_048_576));
  const a = await opsPerSecond(() => after.readBoundedBody(make(), 1_048_576));
  console.log(`| ${name} | ${Math.round(b).toLocaleString("en")} | ${Math.round(a).toLocaleString("en")} | ${(a / b).toFixed(2)}× |`);
}

const [oldSource, newSource] = await Promise.all([bundleModules(base, [file], "neutral"), bundleModules(null, [file], "neutral")]);
const { Miniflare } = await import(path.join(root, "node_modules", "miniflare", "dist", "src", "index.js"));
const mf = new Miniflare({
  modules: [
    { type: "ESModule", path: path.join(root, "bench", "http", "index.mjs"), contents: `import { m0 as before } from "./before.mjs"; import { m0 as after } from "./after.mjs";\nexport default { async fetch(request) { const p = new URL(request.url).pathname; const read = p === "/before" ? before.readBoundedBody : p === "/after" ? after.readBoundedBody : null; return new Response(read ? String((await read(request, 1048576)).byteLength) : "floor"); } };` },
    { type: "ESModule", path: path.join(root, "bench", "http", "before.mjs"), contents: oldSource },
    { type: "ESModule", path: path.join(root, "bench", "http", "after.mjs"), contents: newSource },
  ],
  modulesRoot: root,
  host: "127.0.0.1",
  port: 0,
  compatibilityDate: "2025-01-01",
});
const origin = (await mf.ready).origin;
const pid = execFileSync("pgrep", ["-P", String(process.pid), "workerd"]).toString().trim().split("\n").at(-1);
const cpuMs = () => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, clock ticks of 10 ms
};
async function run(p, n) {
  const start = cpuMs();
  const inflight = [];
  for (let i = 0; i < n; i++) {
    inflight.push(fetch(origin + p, { method: "POST", body, headers: { "content-type": "application/json" } }).then((r) => r.text()));
    if (inflight.length >= 8) await Promise.all(inflight.splice(0));
  }
  await Promise.all(inflight);
  return ((cpuMs() - start) / n) * 1000;
}
const paths = ["/before", "/after", "/floor"];
for (const p of paths) await run(p, 500);
const results = Object.fromEntries(paths.map((p) => [p, []]));
for (let r = 0; r < 4; r++) for (const p of paths) results[p].push(await run(p, REQUESTS));
await mf.dispose();
const floor = median(results["/floor"]);
console.log(`\n| workerd: ${REQUESTS.toLocaleString("en")} requests × 4 rounds, c=8 | µs CPU/request (median) | rounds | above the floor (no body read) |`);
console.log("|---|---:|---|---:|");
for (const p of paths) console.log(`| ${p.slice(1)} | ${median(results[p]).toFixed(0)} | ${results[p].map((x) => x.toFixed(0)).join(", ")} | ${(median(results[p]) - floor).toFixed(0)} |`);
