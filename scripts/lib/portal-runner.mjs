#!/usr/bin/env node
// The portal Worker on this machine, in workerd through Miniflare's API, without wrangler's dev
// proxy: one workerd process, no file watcher (nothing reloads the Worker or drops MCP sessions
// while it runs), storage on disk under $PORTCULLIS_DATA_DIR/portal/{do,kv,cache}.
//
// `npm start` runs this file as its child (scripts/start.mjs); `npm run portal:serve`
// (scripts/portal.mjs serve) runs it on a company's own server (self-hosted mode, README "Self-hosted
// portal"). Both build the Worker first, exactly as `wrangler deploy` builds it
// (`--dry-run --outdir $PORTCULLIS_DATA_DIR/portal/build`), then start it with the bindings of
// workers/portal/wrangler.jsonc (Durable Objects on SQLite, the OAuth KV namespace, the events
// queue and its dead-letter queue as Miniflare queues).
//
// Configuration, from the environment:
//   PORTCULLIS_BUNDLE_KEYS, PORTCULLIS_CONSOLE_URL, PORTCULLIS_EDGE_SECRET   required (the Worker's vars)
//   PORTCULLIS_PORTAL_PORT   default 8787        PORTCULLIS_PORTAL_HOST   default 127.0.0.1
//   PORTCULLIS_DATA_DIR      default .data       PORTCULLIS_PORTAL_LOG    "requests": one line per request
//   PORTCULLIS_PORTAL_ORIGIN the origin the ready line names (npm start: http://localhost:8787, the host
//                            name it uses for the console too); default the address workerd listens on
//   PORTCULLIS_EVENTS        "buffer": no queue; events go to the durable sharded buffer (docs/events.md).
//                            Default: the queue locally, "buffer" in self-hosted mode (Miniflare's
//                            queue broker keeps its messages in memory only).
//   the Worker's optional vars (WORKER_VARS below) are passed on when set.
//
// Log: by default no line per request (Miniflare's request log costs a call from workerd back to
// Node for every request); PORTCULLIS_PORTAL_LOG=requests turns on one line per request
// (`POST /mcp 200 OK (4ms)`). The Worker's own warnings and errors are always printed, but for one
// notice nobody can act on (scripts/lib/start-output.mjs, CIMD_NOTICE).
// SIGTERM or SIGINT: workerd is stopped (Miniflare's dispose), then this process exits.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { localDataDir } from "./local-keys.mjs";
import { PORTAL_MODULE_RULES } from "./miniflare-modules.mjs";
import { miniflareQueueOptions } from "./miniflare-queues.mjs";
import { keepPortalLine, pipeLines } from "./start-output.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const portalDir = path.join(root, "workers", "portal");

/** The Worker's optional vars (workers/portal/src/env.ts), passed on from the environment when set. */
export const WORKER_VARS = [
  "PORTCULLIS_PUBLIC_URL",
  "PORTCULLIS_OAUTH_REDIRECT_ALLOWLIST",
  "PORTCULLIS_OAUTH_REFRESH_IDLE_DAYS",
  "PORTCULLIS_OAUTH_GRANT_MAX_DAYS",
  "PORTCULLIS_SESSION_IDLE_MS",
  "PORTCULLIS_UPSTREAM_TIMEOUT_MS",
  "PORTCULLIS_CONFIG_CHECK_MS",
  "PORTCULLIS_PIN_RECHECK_SECONDS",
  "PORTCULLIS_SEALED_SESSIONS",
  "PORTCULLIS_EVENTS_SHARDS",
  "PORTCULLIS_EVENTS_MAX_BACKOFF_MS",
];

/** Where the portal keeps its build and its storage: `<data dir>/portal/{build,do,kv,cache,logs}`. */
export function portalDataDir(env = process.env) {
  return path.join(localDataDir(env), "portal");
}

/**
 * The runner's settings from `env`; throws with a message naming what is missing or wrong.
 * `selfHosted`: events default to the durable buffer (no in-memory queue).
 */
export function portalSettings(env = process.env, { selfHosted = false } = {}) {
  const missing = ["PORTCULLIS_BUNDLE_KEYS", "PORTCULLIS_CONSOLE_URL", "PORTCULLIS_EDGE_SECRET"].filter((name) => !env[name]?.trim());
  if (missing.length) throw new Error(`${missing.join(", ")} must be set (\`npm run keys -- print\` on the console's machine shows the keys and the secret)`);
  let keys;
  try {
    keys = JSON.parse(env.PORTCULLIS_BUNDLE_KEYS);
  } catch {
    keys = null;
  }
  if (!keys || typeof keys !== "object" || Array.isArray(keys) || Object.keys(keys).length === 0) {
    throw new Error('PORTCULLIS_BUNDLE_KEYS must be a JSON object { "<key id>": <public JWK> } with at least one key');
  }
  if (!URL.canParse(env.PORTCULLIS_CONSOLE_URL)) throw new Error(`PORTCULLIS_CONSOLE_URL is not a URL: ${env.PORTCULLIS_CONSOLE_URL}`);
  const port = Number(env.PORTCULLIS_PORTAL_PORT || 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORTCULLIS_PORTAL_PORT is not a port: ${env.PORTCULLIS_PORTAL_PORT}`);
  const events = env.PORTCULLIS_EVENTS || (selfHosted ? "buffer" : "queue");
  if (events !== "buffer" && events !== "queue") throw new Error(`PORTCULLIS_EVENTS must be "buffer" or "queue", not ${events}`);
  const vars = {
    PORTCULLIS_BUNDLE_KEYS: env.PORTCULLIS_BUNDLE_KEYS,
    PORTCULLIS_CONSOLE_URL: env.PORTCULLIS_CONSOLE_URL,
    PORTCULLIS_EDGE_SECRET: env.PORTCULLIS_EDGE_SECRET,
    ...Object.fromEntries(WORKER_VARS.filter((name) => env[name]).map((name) => [name, env[name]])),
    ...(events === "buffer" ? { PORTCULLIS_EVENTS: "buffer" } : {}),
  };
  return { host: env.PORTCULLIS_PORTAL_HOST || "127.0.0.1", port, origin: env.PORTCULLIS_PORTAL_ORIGIN || undefined, dir: portalDataDir(env), events, logRequests: env.PORTCULLIS_PORTAL_LOG === "requests", vars };
}

/** workers/portal/wrangler.jsonc without its line comments. */
export function readWranglerConfig() {
  return JSON.parse(readFileSync(path.join(portalDir, "wrangler.jsonc"), "utf8").replace(/^\s*\/\/.*$/gm, ""));
}

/**
 * Builds the Worker as `wrangler deploy` does, without deploying, into `outdir` (emptied first).
 * Resolves with the entry script's path; `signal` stops the build.
 */
export function buildPortalWorker(outdir, { logDir, signal } = {}) {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const wrangler = path.join(root, "node_modules", "wrangler", "bin", "wrangler.js");
  const child = spawn(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir, "--config", path.join(portalDir, "wrangler.jsonc")], {
    cwd: root,
    stdio: ["ignore", "ignore", "pipe"],
    signal,
    env: {
      ...process.env,
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_SEND_METRICS: "false",
      // The banner's update check is a request to the npm registry whose answer goes nowhere (stdout is ignored).
      WRANGLER_HIDE_BANNER: "true",
      // wrangler writes a debug log per run: keep it with the portal's data, not in ~/.config.
      ...(logDir ? { WRANGLER_LOG_PATH: logDir } : {}),
    },
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, sig) => {
      if (code === 0) resolve(path.join(outdir, "index.js"));
      else reject(new Error(`building the portal Worker failed (${sig ?? `exit code ${code}`}):\n${stderr.trim()}`));
    });
  });
}

/** Miniflare's options for the built Worker at `script`, with `settings` from `portalSettings`. */
export function miniflareOptions(script, settings, { Log, LogLevel }) {
  const config = readWranglerConfig();
  return {
    host: settings.host,
    port: settings.port,
    modules: true,
    scriptPath: script,
    modulesRoot: path.dirname(script),
    modulesRules: PORTAL_MODULE_RULES,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    durableObjects: Object.fromEntries(config.durable_objects.bindings.map((b) => [b.name, { className: b.class_name, useSQLite: true }])),
    kvNamespaces: config.kv_namespaces.map((k) => k.binding),
    bindings: settings.vars,
    // Without the queue (PORTCULLIS_EVENTS=buffer) the Worker has no EVENTS_QUEUE binding: the path of
    // a workerd without Cloudflare Queues, events straight to the durable buffer.
    ...(settings.events === "queue" ? miniflareQueueOptions(config.queues) : {}),
    durableObjectsPersist: path.join(settings.dir, "do"),
    kvPersist: path.join(settings.dir, "kv"),
    cachePersist: path.join(settings.dir, "cache"),
    // No request.cf object fetched from Cloudflare at start (offline machines, self-hosted): the placeholder.
    cf: false,
    logRequests: settings.logRequests,
    // Miniflare's default, less the lines nobody can act on.
    handleRuntimeStdio: (stdout, stderr) => {
      pipeLines(stdout, keepPortalLine, process.stdout);
      pipeLines(stderr, keepPortalLine, process.stderr);
    },
    log: new Log(settings.logRequests ? LogLevel.INFO : LogLevel.WARN),
  };
}

/**
 * Builds and starts the portal; resolves once it listens. `stop()` disposes Miniflare (workerd
 * exits before it resolves).
 */
export async function startPortalRunner(settings, { signal } = {}) {
  // Loading Miniflare takes a second or more: meanwhile, wrangler builds.
  const loading = import("miniflare");
  loading.catch(() => {});
  const script = await buildPortalWorker(path.join(settings.dir, "build"), { logDir: path.join(settings.dir, "logs"), signal });
  const { Miniflare, Log, LogLevel } = await loading;
  const before = { SIGTERM: process.listeners("SIGTERM"), SIGINT: process.listeners("SIGINT") };
  const mf = new Miniflare(miniflareOptions(script, settings, { Log, LogLevel }));
  // Miniflare's own SIGTERM/SIGINT listeners SIGKILL workerd without waiting for it and exit at once
  // (code 143/130), before the caller's stop has run: workerd is then left unreaped. Callers stop
  // through stop() (Miniflare's dispose, which waits for workerd); its "exit" hook stays as the
  // last resort.
  for (const sig of ["SIGTERM", "SIGINT"]) {
    for (const listener of process.listeners(sig)) if (!before[sig].includes(listener)) process.removeListener(sig, listener);
  }
  let url;
  try {
    url = await mf.ready;
  } catch (error) {
    await mf.dispose().catch(() => {});
    throw error;
  }
  return { origin: url.origin, stop: () => mf.dispose() };
}

/** The command: start from the environment, stop on SIGTERM/SIGINT (or when start.mjs goes away). */
export async function main({ selfHosted = false, label = "[portal]" } = {}) {
  let settings;
  try {
    settings = portalSettings(process.env, { selfHosted });
  } catch (error) {
    console.error(`${label} ${error.message}`);
    process.exit(1);
  }
  const building = new AbortController();
  let running;
  let stopping = false;
  const stop = async (why) => {
    if (stopping) return;
    stopping = true;
    building.abort();
    try {
      await running?.stop();
    } catch (error) {
      console.error(`${label} stopping workerd: ${error.message}`);
    }
    if (why) console.log(`${label} stopped (${why})`);
    process.exit(0);
  };
  for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => void stop(sig));
  // Spawned with an IPC channel (scripts/start.mjs): its end means start.mjs is gone, however it went.
  if (process.send) process.on("disconnect", () => void stop("start.mjs went away"));
  try {
    running = await startPortalRunner(settings, { signal: building.signal });
  } catch (error) {
    if (stopping) return;
    console.error(`${label} could not start: ${error.message}`);
    process.exit(1);
  }
  if (stopping) return void (await running.stop());
  console.log(
    `${label} ready on ${settings.origin ?? running.origin} (workerd, storage under ${settings.dir}; events ${settings.events === "buffer" ? "to the durable buffer" : "through the local queue"}; ` +
      `${settings.logRequests ? "one log line per request" : "no per-request log: PORTCULLIS_PORTAL_LOG=requests for one line each"})`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
