#!/usr/bin/env node
/**
 * Where the portal workerd's memory growth comes from (a diagnostic next to the soak, see README.md):
 * the same load of non-streaming chat completions, at the same time, on workerd processes that each
 * run one Worker, and their RSS per minute. No console: events go to the LLM benchmark's sink.
 *
 *   node bench/soak/rss-floor.mjs --minutes 5
 *
 * Workers (each in its own workerd through Miniflare, bench/llm/setup.mjs `startPortal`, storage on disk):
 *   hello             not the portal: answers a fixed JSON body that echoes the call's marker, no
 *                     outbound fetch (what receiving and answering a request costs)
 *   bare-hello        the same Worker under the bare `workerd serve` binary with a minimal config:
 *                     no Miniflare (no entry worker, no loopback service), nothing of wrangler
 *   passthrough       not the portal: 10 lines that forward the request to the provider and return
 *                     its answer (the floor any Worker that makes an outbound fetch pays)
 *   portal            the portal Worker as `wrangler deploy` builds it, the LLM gateway path
 *                     (a member with no limits, provider cache off, bodies not logged)
 *   portal-no-events  the same, but its usage events are not sent to the EventBuffer
 *
 * Options: --minutes N (5)  --clients N (3 per Worker)  --workers a,b,… (bare-hello,hello,passthrough,portal)  --sample-seconds N (5)
 *          --idle-seconds N (120: after the load, RSS is sampled this long with no requests, to tell
 *          memory the allocator keeps for reuse and gives back from memory that stays)
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { loadAverage, log, machineInfo, percentile } from "../lib/common.mjs";
import * as h from "../portal/harness.mjs";
import { PROVIDER_KEY, SLUG, gatewayConfig, passthroughWorker, startPortal, startProvider, startSink, workerVariant } from "../llm/setup.mjs";
import { freePort, rssMiB } from "./product.mjs";

const { values: opts } = parseArgs({
  options: {
    minutes: { type: "string", default: "5" },
    clients: { type: "string", default: "3" },
    workers: { type: "string", default: "bare-hello,hello,passthrough,portal" },
    "sample-seconds": { type: "string", default: "5" },
    "idle-seconds": { type: "string", default: "120" },
  },
});
const MINUTES = Number(opts.minutes);
const CLIENTS = Number(opts.clients);
const WORKERS = opts.workers.split(",").map((w) => w.trim());
const SAMPLE_MS = Number(opts["sample-seconds"]) * 1000;
const IDLE_MS = Number(opts["idle-seconds"]) * 1000;
const MINUTE_MS = 60_000;

/** The smallest Worker that answers: no outbound fetch, the call's marker echoed in a chat-completion-shaped body. */
function helloWorker(S, worker) {
  const outdir = path.join(S.tmp, "worker-hello");
  mkdirSync(outdir, { recursive: true });
  const script = path.join(outdir, "index.js");
  writeFileSync(
    script,
    `export default {
  async fetch(request) {
    const body = await request.text();
    return Response.json({ choices: [{ message: { role: "assistant", content: "echo: " + body.length + " " + (/floor call (\\d+)/.exec(body)?.[1] ?? "") } }] });
  },
};
`,
  );
  const { compatibility_date, compatibility_flags } = worker.config;
  return { outdir, script, config: { compatibility_date, compatibility_flags, durable_objects: { bindings: [] }, kv_namespaces: [] }, variant: "hello" };
}

/** `worker` (one ES module) under the bare workerd binary, in its own process group, stopped at the end. */
async function startBareWorkerd(S, worker) {
  const { default: workerdPackage } = await import("workerd");
  const port = await freePort();
  const dir = path.join(S.tmp, "bare-workerd");
  mkdirSync(dir, { recursive: true });
  copyFileSync(worker.script, path.join(dir, "index.js"));
  writeFileSync(
    path.join(dir, "config.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .w) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ]
);
const w :Workerd.Worker = (
  modules = [ (name = "index.js", esModule = embed "index.js") ],
  compatibilityDate = "${worker.config.compatibility_date}",
);
`,
  );
  const child = spawn(workerdPackage.default, ["serve", path.join(dir, "config.capnp")], { detached: true, stdio: ["ignore", "inherit", "inherit"] });
  S.defer(() => {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // already gone
    }
  });
  const origin = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if ((await fetch(origin, { method: "POST", body: "{}" }).catch(() => null))?.ok) break;
    if (i > 100) throw new Error("bare workerd did not answer within 10 s");
    await new Promise((r) => setTimeout(r, 100));
  }
  return { origin, pid: child.pid };
}

async function main(S) {
  const machine = machineInfo({ miniflare: "miniflare" });
  const helpers = await h.repoHelpers(S);
  const provider = await startProvider(S);
  const sink = await startSink(S);
  const { plain, signed, vars } = await gatewayConfig(helpers, provider.url, sink.url);
  const worker = h.buildWorker(S);
  const code = { hello: helloWorker(S, worker), passthrough: passthroughWorker(S, worker), portal: worker, "portal-no-events": workerVariant(S, worker, "no-events") };
  const targets = [];
  for (const name of WORKERS) {
    if (name === "bare-hello") {
      const bare = await startBareWorkerd(S, code.hello);
      targets.push({ name, url: `${bare.origin}/v1/chat/completions`, headers: { "content-type": "application/json" }, pid: bare.pid, calls: [], errors: 0 });
      log(`${name}: workerd pid ${bare.pid} at ${bare.origin}`);
      continue;
    }
    if (!code[name]) throw new Error(`unknown worker ${name} (known: ${Object.keys(code).join(", ")})`);
    const gateway = name.startsWith("portal");
    const portal = await startPortal(S, code[name], gateway ? vars : { PROVIDER_URL: provider.url, PROVIDER_KEY }, "disk");
    if (gateway) await h.pushBundle(portal.origin, signed);
    const url = gateway ? `${portal.origin}/llm/${SLUG}/v1/chat/completions` : `${portal.origin}/v1/chat/completions`;
    targets.push({ name, url, headers: { "content-type": "application/json", ...(gateway ? { authorization: `Bearer ${plain.token}` } : {}) }, pid: portal.pids[0], calls: [], errors: 0 });
    log(`${name}: workerd pid ${portal.pids[0]} at ${portal.origin}`);
  }

  const samples = [];
  const t0 = Date.now();
  const deadline = t0 + MINUTES * MINUTE_MS;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push({ t: Date.now(), rss: Object.fromEntries(targets.map((x) => [x.name, rssMiB(x.pid)])) });
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
    }
  })();
  let n = 0;
  await Promise.all(
    targets.flatMap((target) =>
      Array.from({ length: CLIENTS }, async () => {
        while (Date.now() < deadline) {
          const id = ++n;
          const body = JSON.stringify({ model: "gpt-4o-mini", max_tokens: 64, messages: [{ role: "system", content: "You are terse." }, { role: "user", content: `Summarise the floor call ${id} in one short sentence please` }] });
          const start = Date.now();
          const p0 = performance.now();
          try {
            const res = await fetch(target.url, { method: "POST", headers: target.headers, body });
            const text = await res.text();
            if (!res.ok || !text.includes(String(id))) target.errors++;
          } catch {
            target.errors++;
          }
          target.calls.push({ start, ms: performance.now() - p0 });
        }
      }),
    ),
  );
  const tEnd = Date.now();
  log(`load done; ${IDLE_MS / 1000} s with no requests`);
  await new Promise((r) => setTimeout(r, IDLE_MS));
  sampling = false;
  await sampler;

  const lines = [];
  lines.push(`## RSS floor: ${MINUTES} min, ${CLIENTS} clients per Worker, non-streaming chat completions, all Workers at once`);
  lines.push("");
  lines.push(`Machine: ${machine.nproc} cores (${machine.cpu}), Node ${machine.node}, workerd (miniflare) ${machine.miniflare}; load before ${machine.loadBefore}, after ${loadAverage()}; Worker bundle sha256 ${worker.sha256.slice(0, 12)}…`);
  lines.push("");
  lines.push(`| min | ${targets.map((x) => `${x.name}: calls · p50 ms · RSS MiB`).join(" | ")} |`);
  lines.push(`|---:|${targets.map(() => "---:|").join("")}`);
  for (let m = 0; m < Math.ceil(MINUTES); m++) {
    const from = t0 + m * MINUTE_MS;
    const inMinute = samples.filter((s) => s.t >= from && s.t < from + MINUTE_MS);
    if (from >= tEnd) break;
    const cells = targets.map((x) => {
      const ms = x.calls.filter((c) => c.start >= from && c.start < from + MINUTE_MS).map((c) => c.ms).sort((a, b) => a - b);
      const rss = inMinute.map((s) => s.rss[x.name]).filter((v) => v != null).sort((a, b) => a - b);
      return `${ms.length} · ${ms.length ? percentile(ms, 0.5).toFixed(1) : "–"} · ${rss.length ? rss[Math.floor(rss.length / 2)].toFixed(1) : "–"}`;
    });
    lines.push(`| ${m + 1} | ${cells.join(" | ")} |`);
  }
  lines.push("");
  for (const x of targets) {
    const first = samples.find((s) => s.t >= t0 + MINUTE_MS)?.rss[x.name];
    const last = samples.filter((s) => s.t <= tEnd).at(-1)?.rss[x.name];
    const idle = samples.at(-1)?.rss[x.name];
    const later = x.calls.filter((c) => c.start >= t0 + MINUTE_MS).length;
    lines.push(`- ${x.name}: ${x.calls.length} calls, ${x.errors} errors; RSS from the end of minute 1 to the end: ${first?.toFixed(1)} → ${last?.toFixed(1)} MiB, ${later ? (((last - first) * 1024) / later).toFixed(2) : "–"} KiB per call; after ${IDLE_MS / 1000} s idle: ${idle?.toFixed(1)} MiB`);
  }
  console.log(lines.join("\n"));
}

await h.runInSession(main);
