#!/usr/bin/env node
/**
 * Scratch experiment next to rss-floor.mjs: the `bare-hello` Worker under bare `workerd serve`,
 * driven by node:http with keep-alive or a new connection per request, RSS sampled from
 * /proc/<pid>/status. Standalone (no harness, no provider, no sink).
 *
 *   node bench/soak/rss-exp.mjs --minutes 3 --mode keepalive|close [--clients 3]
 *        [--v8-flags "--max-semi-space-size=1,--single-threaded-gc"] [--env "K=V,K2=V2"]
 *        [--idle-seconds 30] [--label name] [--keep]  (--keep: leave workerd running, print its pid)
 *
 * Appends one JSON line per run to /tmp/rss-results.jsonl. A diagnostic kept with the soak: the
 * findings it produced are in README.md, "Memory: the workerd RSS grows".
 */
import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

const { values: o } = parseArgs({
  options: {
    minutes: { type: "string", default: "3" },
    mode: { type: "string", default: "keepalive" },
    clients: { type: "string", default: "3" },
    "v8-flags": { type: "string", default: "" },
    env: { type: "string", default: "" },
    "idle-seconds": { type: "string", default: "30" },
    "sample-seconds": { type: "string", default: "5" },
    label: { type: "string", default: "" },
    "max-rps": { type: "string", default: "0" },
    keep: { type: "boolean", default: false },
  },
});
const MIN = Number(o.minutes);
const CLIENTS = Number(o.clients);
const V8FLAGS = o["v8-flags"] ? o["v8-flags"].split(",").map((s) => s.trim()) : [];
const ENV = Object.fromEntries(o.env ? o.env.split(",").map((kv) => kv.split("=")) : []);
const MAX_RPS = Number(o["max-rps"]);
const label = o.label || `${o.mode}${V8FLAGS.length ? " v8:" + V8FLAGS.join(" ") : ""}${o.env ? " env:" + o.env : ""}`;

os.setPriority(0, 10);
const { default: workerdPackage } = await import("workerd");
const bin = workerdPackage.default ?? workerdPackage;

const port = await new Promise((res) => {
  const s = net.createServer().listen(0, "127.0.0.1", () => {
    const p = s.address().port;
    s.close(() => res(p));
  });
});
const dir = mkdtempSync("/tmp/rss-exp-");
writeFileSync(
  path.join(dir, "index.js"),
  `export default {
  async fetch(request) {
    if (new URL(request.url).pathname === "/__gc") {
      if (typeof gc !== "function") return new Response("no gc", { status: 501 });
      gc();
      return new Response("gc done");
    }
    const body = await request.text();
    return Response.json({ choices: [{ message: { role: "assistant", content: "echo: " + body.length + " " + (/floor call (\\d+)/.exec(body)?.[1] ?? "") } }] });
  },
};
`,
);
writeFileSync(
  path.join(dir, "config.capnp"),
  `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .w) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
  v8Flags = [ ${V8FLAGS.map((f) => JSON.stringify(f)).join(", ")} ],
);
const w :Workerd.Worker = (
  modules = [ (name = "index.js", esModule = embed "index.js") ],
  compatibilityDate = "2026-01-01",
);
`,
);
const logFd = openSync(path.join(dir, "workerd.log"), "a");
// stdbuf -oL: line-buffer workerd's stdout so V8's --trace-gc lines reach the log as they happen (stdbuf execs, same pid)
const child = spawn("stdbuf", ["-oL", "-eL", bin, "serve", path.join(dir, "config.capnp")], { detached: true, stdio: ["ignore", logFd, logFd], env: { ...process.env, ...ENV } });
writeFileSync("/tmp/rss-exp-current.pid", String(child.pid));
console.log(`workerd pid ${child.pid}, dir ${dir}`);
try {
  os.setPriority(child.pid, 10);
} catch {
  // Not allowed here: run at normal priority.
}
const stop = () => {
  if (o.keep) return;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    // Already gone.
  }
};
process.on("exit", stop);
process.on("SIGINT", () => process.exit(130));

function status(pid) {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(s)?.[1] ?? NaN);
  return { rss: kb("VmRSS") / 1024, anon: kb("RssAnon") / 1024, file: kb("RssFile") / 1024, threads: kb("Threads") };
}

const agent = new http.Agent({ keepAlive: o.mode === "keepalive", maxSockets: CLIENTS });
function call(id) {
  const body = JSON.stringify({ model: "gpt-4o-mini", max_tokens: 64, messages: [{ role: "system", content: "You are terse." }, { role: "user", content: `Summarise the floor call ${id} in one short sentence please` }] });
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: "/v1/chat/completions", method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      let t = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (t += c));
      res.on("end", () => (res.statusCode === 200 && t.includes(String(id)) ? resolve() : reject(new Error(`bad ${res.statusCode}`))));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}
for (let i = 0; ; i++) {
  try {
    await call(0);
    break;
  } catch {
    if (i > 100) throw new Error("workerd did not answer");
    await new Promise((r) => setTimeout(r, 100));
  }
}
const samples = [];
const t0 = Date.now();
const deadline = t0 + MIN * 60_000;
let calls = 0;
let errors = 0;
let sampling = true;
const sampler = (async () => {
  while (sampling) {
    samples.push({ t: Date.now(), calls, ...status(child.pid) });
    await new Promise((r) => setTimeout(r, Number(o["sample-seconds"]) * 1000));
  }
})();
let n = 0;
await Promise.all(
  Array.from({ length: CLIENTS }, async () => {
    while (Date.now() < deadline) {
      if (MAX_RPS && calls > ((Date.now() - t0) / 1000) * MAX_RPS) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      try {
        await call(++n);
      } catch {
        errors++;
      }
      calls++;
    }
  }),
);
const tEnd = Date.now();
samples.push({ t: tEnd, calls, ...status(child.pid) });
await new Promise((r) => setTimeout(r, Number(o["idle-seconds"]) * 1000));
sampling = false;
await sampler;
const idle = status(child.pid);

const perMin = [];
for (let m = 1; m <= Math.ceil(MIN); m++) {
  const end = t0 + m * 60_000;
  const s = samples.filter((x) => x.t <= Math.min(end, tEnd) + 1000).at(-1);
  perMin.push({ min: m, calls: s.calls, rss: +s.rss.toFixed(1), anon: +s.anon.toFixed(1) });
}
const s1 = samples.find((x) => x.t >= t0 + 60_000) ?? samples[0];
const s2 = samples.find((x) => x.t >= t0 + 120_000) ?? s1;
const last = samples.filter((x) => x.t <= tEnd + 1000).at(-1);
const slope = ((last.rss - s1.rss) * 1024) / Math.max(1, last.calls - s1.calls);
const growthFromMin2 = ((last.rss - s2.rss) / s2.rss) * 100;
const result = { label, mode: o.mode, v8Flags: V8FLAGS, env: ENV, clients: CLIENTS, minutes: MIN, calls, errors, rps: +(calls / ((tEnd - t0) / 1000)).toFixed(0), start: samples[0], perMin, kibPerCallFromMin1: +slope.toFixed(2), growthFromMin2Pct: +growthFromMin2.toFixed(1), idle: { rss: +idle.rss.toFixed(1), anon: +idle.anon.toFixed(1) }, threads: last.threads, pid: child.pid, load: os.loadavg().map((x) => x.toFixed(2)).join(" ") };
appendFileSync("/tmp/rss-results.jsonl", JSON.stringify(result) + "\n");
console.log(`${label}: ${calls} calls (${result.rps}/s), ${errors} errors; start RSS ${samples[0].rss.toFixed(1)} MiB`);
console.log(perMin.map((p) => `  min ${p.min}: calls ${p.calls}, RSS ${p.rss} MiB (anon ${p.anon})`).join("\n"));
console.log(`  slope min1→end ${slope.toFixed(2)} KiB/call; min2→end ${growthFromMin2.toFixed(1)} %; after ${o["idle-seconds"]} s idle RSS ${idle.rss.toFixed(1)} (anon ${idle.anon.toFixed(1)}); threads ${last.threads}`);
if (o.keep) console.log(`  workerd left running: pid ${child.pid} (dir ${dir})`);
process.exit(0);
