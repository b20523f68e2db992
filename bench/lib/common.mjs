/**
 * What the portal and LLM benchmarks share: the machine and code a run measured, the loop that
 * drives calls and counts failures, the statistics their reports print, the stand-in for the
 * console's event ingest, and the ready line a helper process prints for harness.mjs
 * `startScriptProcess`. Node built-ins only: the helper processes import it too.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export const log = (...args) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...args);

// ------------------------------------------------------------------ the machine and the code

function git(args) {
  try {
    return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "?";
  }
}

/** The 1/5/15-minute load average, as the reports print it. */
export const loadAverage = () => os.loadavg().map((x) => x.toFixed(2)).join(" ");

const packageVersion = (name) => JSON.parse(readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8")).version;

/**
 * The machine a run measured on, the installed versions of `packages` (report key → package name),
 * and the code it measured; logged in one line. The report adds `loadAfter` and `workerSha256`.
 */
export function machineInfo(packages) {
  const machine = {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? "?",
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    ...Object.fromEntries(Object.entries(packages).map(([key, name]) => [key, packageVersion(name)])),
    loadBefore: loadAverage(),
    // What was measured: the repo's HEAD and whether the portal's code differed from it (read-only git).
    commit: git(["rev-parse", "--short", "HEAD"]),
    portalCodeChanged: git(["status", "--porcelain", "--", "workers/portal/src", "lib/core"]) !== "",
  };
  log(`machine: ${machine.nproc} cores (${machine.cpu}), node ${machine.node}, load ${machine.loadBefore}`);
  return machine;
}

export const codeLine = (machine) =>
  `Code: HEAD ${machine.commit}${machine.portalCodeChanged ? " plus uncommitted changes under workers/portal/src or lib/core" : ""}; Worker bundle sha256 ${machine.workerSha256}…`;

export const loadLine = (machine) => `Load average (1/5/15 min): before ${machine.loadBefore}, after ${machine.loadAfter}`;

// ------------------------------------------------------------------ driving calls

/**
 * `calls` calls made by the concurrent `workers` (`callOnce(worker)` makes one and records what it
 * measured). A failed call is counted (and its message kept) rather than ending the run: errors
 * under load are a result too; more than 1 % of them end the run (`what` says where, in that error).
 */
export async function driveCalls(workers, calls, callOnce, what = "") {
  const errors = new Map();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    workers.map(async (worker) => {
      while (next < calls) {
        next++;
        try {
          await callOnce(worker);
        } catch (error) {
          const message = String(error?.message ?? error).slice(0, 160);
          errors.set(message, (errors.get(message) ?? 0) + 1);
        }
      }
    }),
  );
  const wallMs = performance.now() - started;
  const failed = [...errors.values()].reduce((a, b) => a + b, 0);
  if (failed > calls * 0.01) throw new Error(`${failed} of ${calls} calls failed${what}: ${JSON.stringify(Object.fromEntries(errors))}`);
  return { wallMs, failed, errors: Object.fromEntries(errors) };
}

/**
 * The event buffer's status of each portal (`[name, origin]`), once it has delivered every event or
 * after 20 s in all: a portal's events are part of its cost, so the report checks they kept up.
 * The portal answers only reads signed with its edge secret, as the console signs them (`helpers`:
 * the repo's own code, bench/portal/harness.mjs repoHelpers).
 */
export async function drainedEvents(portals, helpers, edgeSecret) {
  const secrets = await helpers.parseEdgeSecrets(edgeSecret);
  const path = "/_portcullis/events";
  const eventStatus = {};
  const deadline = Date.now() + 20_000;
  for (const [name, origin] of portals) {
    for (;;) {
      const headers = { "x-portcullis-signature": await helpers.signEdgeRequest("GET", path, secrets) };
      const stats = await (await fetch(`${origin}${path}`, { headers })).json();
      eventStatus[name] = stats;
      if (stats.pending === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return eventStatus;
}

// ------------------------------------------------------------------ statistics

export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** A table cell: the median of the rounds' values, their range in small print. */
export const medianAndRange = (values, digits) =>
  `${median(values).toFixed(digits)} <sub>(${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})</sub>`;

/**
 * Median over rounds of fn(run, baseline): the runs of `path` that `alike` selects, each paired with
 * the run of `base` in the same round that `alike` also selects (same mode, same concurrency).
 */
export const pairedMedian = (runs, path, base, alike, fn) =>
  median(
    runs
      .filter((r) => r.path === path && alike(r))
      .map((r) => {
        const b = runs.find((x) => x.path === base && alike(x) && x.round === r.round);
        return fn(r, b);
      }),
  );

// ------------------------------------------------------------------ helper processes and servers

/** Listens on a free port of 127.0.0.1; the server's origin. */
export async function listenLocal(server) {
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${server.address().port}`;
}

/**
 * Stands in for the console's event ingest: answers 200 to every `POST /api/v1/events` batch and
 * counts the batches and events in `state` (no signature check); any other request goes to `other`.
 */
export function eventSinkServer(state, other = (req, res) => res.writeHead(404).end()) {
  return createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      if (req.method === "POST" && req.url === "/api/v1/events") {
        const n = JSON.parse(Buffer.concat(chunks).toString("utf8")).events?.length ?? 0;
        state.batches += 1;
        state.events += n;
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ accepted: n, duplicates: 0 }));
      } else other(req, res);
    });
  });
}

/**
 * A helper process is ready: prints `ready` as one line of JSON (what `startScriptProcess` reads),
 * then stops on SIGTERM/SIGINT or when its stdin closes, so it never outlives the benchmark.
 */
export function announceReady(ready) {
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
  process.stdin.on("end", () => process.exit(0));
  process.stdin.resume();
}

/**
 * Bundles TypeScript modules of the repository into one ES module's source, as they are in the
 * working tree (`rev` null) or at a git revision (its lib/core and workers/ taken with `git
 * archive`), for micro-benchmarks that time the code before and after a change in the same run.
 * `entries`: paths from the repository root; entry i's exports are the bundle's export `m{i}`.
 */
export async function bundleModules(rev, entries, platform = "node") {
  const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
  const { build } = await import(path.join(root, "node_modules", "esbuild", "lib", "main.js"));
  const scratch = mkdtempSync(path.join(os.tmpdir(), "bench-modules-"));
  try {
    let base = root;
    if (rev) {
      base = path.join(scratch, "tree");
      execFileSync("mkdir", ["-p", base]);
      const archive = execFileSync("git", ["archive", rev, "lib/core", "workers"], { cwd: root, maxBuffer: 256 * 1024 * 1024 });
      execFileSync("tar", ["-x", "-C", base], { input: archive });
    }
    const entry = path.join(scratch, "entry.mjs");
    writeFileSync(entry, entries.map((e, i) => `export * as m${i} from ${JSON.stringify(path.join(base, e))};`).join("\n"));
    const result = await build({ entryPoints: [entry], bundle: true, format: "esm", platform, write: false, logLevel: "error", alias: { "@core": path.join(base, "lib", "core") }, nodePaths: [path.join(root, "node_modules")] });
    return result.outputFiles[0].text;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** `bundleModules`, imported: one object of exports per entry. */
export async function loadModules(rev, entries) {
  const mod = await import(`data:text/javascript;base64,${Buffer.from(await bundleModules(rev, entries)).toString("base64")}`);
  return entries.map((_, i) => mod[`m${i}`]);
}

/** Operations per second of `fn` (called with the iteration number), after a warm-up, best of `rounds`. */
export async function opsPerSecond(fn, { iterations = 20_000, rounds = 5 } = {}) {
  for (let i = 0; i < Math.min(iterations, 2_000); i++) await fn(i);
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) await fn(i);
    best = Math.max(best, iterations / ((performance.now() - start) / 1000));
  }
  return best;
}
