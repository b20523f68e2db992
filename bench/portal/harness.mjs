/**
 * Pieces of the portal benchmark that set up the world: the upstream process, a stand-in for the
 * console's event ingest, the portal Worker in workerd (directly through Miniflare, or behind
 * wrangler's dev proxy), and a signed configuration built with the repo's own code.
 * Used by run.mjs (the benchmark) and profile.mjs (a CPU profile of the Worker under load).
 */
import { PORTAL_MODULE_RULES } from "../../scripts/lib/miniflare-modules.mjs";
import { execFileSync, spawn } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import WebSocket from "ws";
import { eventSinkServer, listenLocal, log, root } from "../lib/common.mjs";

export { log, root };
export const portalDir = path.join(root, "workers", "portal");
export const SLUG = "weather";
export const TOOL = "get_weather";

process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
process.env.WRANGLER_SEND_METRICS = "false";

/** A scratch folder and a stack of things to stop, newest first. */
export function session() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "portcullis-bench-"));
  // wrangler always writes a debug log, and under `wrangler dev` that log gets every request the
  // Worker makes (its inspector's Network events): hundreds of MB per benchmark. Keep it here.
  process.env.WRANGLER_LOG_PATH = path.join(tmp, "wrangler-logs");
  const cleanups = [];
  return {
    tmp,
    defer: (fn) => cleanups.push(fn),
    async close() {
      for (const stop of cleanups.reverse()) await Promise.resolve().then(stop).catch((e) => log("cleanup:", e?.message ?? e));
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/**
 * Runs a benchmark's `main(session)`, then stops every process it started and exits (1 when it
 * failed): idle keep-alive sockets would only delay the exit.
 */
export async function runInSession(main) {
  const s = session();
  let failed = false;
  try {
    await main(s);
  } catch (error) {
    failed = true;
    console.error(error);
  } finally {
    await s.close();
  }
  process.exit(failed ? 1 : 0);
}

/**
 * The repo's own signing, secret, sealing, token and tool-hash code (TypeScript), bundled with
 * esbuild into one self-contained ESM file for this run: the benches (portal and LLM) build and
 * seal bundles exactly as the console does.
 */
export async function repoHelpers(s) {
  const { build } = await import("esbuild");
  const outfile = path.join(s.tmp, "repo-helpers.mjs");
  await build({
    stdin: {
      contents: [
        `export { generateSigningKeyPair, signBundle } from "./lib/core/bundle/sign";`,
        `export { generateEdgeSecret, parseEdgeSecrets, sealForEdge, signEdgeRequest } from "./lib/core/edge/secret";`,
        `export { llmCredentialAad } from "./lib/core/edge/credential";`,
        `export { generateTokenSecret, hashTokenSecret } from "./lib/core/tokens/secret";`,
        `export { hashedToolView, toolHash } from "./lib/core/tools/tool-hash";`,
      ].join("\n"),
      resolveDir: root,
      loader: "ts",
    },
    bundle: true,
    format: "esm",
    platform: "node",
    outfile,
    logLevel: "warning",
  });
  return import(pathToFileURL(outfile).href);
}

/** CPU time (user + system, ms) of a process, from /proc; null where /proc is not available. */
export function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, USER_HZ = 100
  } catch {
    return null;
  }
}

/** Child processes of this process whose command is workerd. */
export function workerdChildren() {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && comm.startsWith("workerd")) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/**
 * A helper script in its own process group, stopped by its id at the end; it prints one line of
 * JSON once it is ready (e.g. `{"url": …}`), returned with the child's pid.
 */
export async function startScriptProcess(s, script, args = []) {
  const child = spawn(process.execPath, [script, ...args], { stdio: ["pipe", "pipe", "inherit"], detached: true });
  s.defer(() => {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // already gone
    }
  });
  const line = await new Promise((resolve, reject) => {
    let buffer = "";
    child.stdout.on("data", (chunk) => {
      buffer += chunk;
      if (buffer.includes("\n")) resolve(buffer.slice(0, buffer.indexOf("\n")));
    });
    child.on("exit", (code) => reject(new Error(`${path.basename(script)} exited with ${code}`)));
  });
  return { ...JSON.parse(line), pid: child.pid };
}

/** The upstream MCP server (upstream.mjs) in its own process. */
export const startUpstream = (s, mode) => startScriptProcess(s, path.join(root, "bench", "portal", "upstream.mjs"), [mode]);

/** The event ingest stand-in (common.mjs `eventSinkServer`) in this process; `state` → `{ batches, events }`. */
export async function startEventSink(s) {
  const state = { batches: 0, events: 0 };
  const server = eventSinkServer(state);
  const url = await listenLocal(server);
  s.defer(() => new Promise((resolve) => server.close(() => resolve())));
  return { url, state };
}

/**
 * The Worker exactly as `wrangler deploy` would upload it (`--dry-run --outdir`), built once into
 * the scratch folder: both portal paths run this same snapshot, so edits made to the repo while
 * the benchmark runs change nothing (wrangler dev would otherwise rebuild and reload mid-run).
 */
export function buildWorker(s) {
  const outdir = path.join(s.tmp, "worker");
  execFileSync(process.execPath, [path.join(root, "node_modules", "wrangler", "bin", "wrangler.js"), "deploy", "--dry-run", "--outdir", outdir, "--config", path.join(portalDir, "wrangler.jsonc")], {
    stdio: ["ignore", "ignore", "inherit"],
    env: process.env,
  });
  const config = JSON.parse(readFileSync(path.join(portalDir, "wrangler.jsonc"), "utf8").replace(/^\s*\/\/.*$/gm, ""));
  const script = path.join(outdir, "index.js");
  const sha256 = createHash("sha256").update(readFileSync(script)).digest("hex");
  return { outdir, script, config, sha256 };
}

/**
 * Experiments, not the product: copies of the built Worker with one thing taken out, to measure
 * what that thing costs (`--paths direct,workerd,workerd-no-events`). Each edit must match the
 * bundle exactly once, or the variant refuses to run (the code it targets has changed).
 */
export const VARIANTS = {
  // emitEvent still builds the event, but no longer sends it (neither to the queue nor to an EventBuffer shard).
  "no-events": [["enqueueEvents(s.env, (p) => s.ctx.waitUntil(p), [event])", "Promise.resolve()"]],
  // The RPC to the EventBuffer shard still happens (the path without a queue, as this harness runs), but store() returns at once (no SQLite, no alarm).
  "enqueue-noop": [["  async store(bodies) {", "  async store(bodies) { return;"]],
  // The per-call path (stateless and sealed sessions) still counts the result's tokens and builds each event, but sends none.
  "percall-no-events": [[/return enqueueEvents\(env\d*, \(p\) => ctx\.waitUntil\(p\), \[event\]\);/g, "return Promise.resolve();"]],
};

export const workerVariant = (s, worker, name) => editedWorker(s, worker, name, VARIANTS, "worker-");

/**
 * The built Worker with the edits of `variants[name]` (`[find, replace]`, find a string or a global
 * regular expression), written to `<dirPrefix><name>` in the scratch folder.
 */
export function editedWorker(s, worker, name, variants, dirPrefix) {
  const edits = variants[name];
  if (!edits) throw new Error(`unknown variant ${name} (known: ${Object.keys(variants).join(", ")})`);
  let code = readFileSync(worker.script, "utf8");
  for (const [find, replace] of edits) {
    const literal = typeof find === "string";
    const count = literal ? code.split(find).length - 1 : (code.match(find)?.length ?? 0);
    if (count !== 1) throw new Error(`variant ${name}: expected one match of ${literal ? JSON.stringify(find) : find} in the bundle, found ${count}`);
    code = code.replace(find, replace);
  }
  const outdir = path.join(s.tmp, `${dirPrefix}${name}`);
  mkdirSync(outdir, { recursive: true });
  writeFileSync(path.join(outdir, "index.js"), code);
  // The modules the bundle imports beside it (the WebAssembly of Code Mode's sandbox).
  for (const file of readdirSync(worker.outdir)) if (file.endsWith(".wasm")) copyFileSync(path.join(worker.outdir, file), path.join(outdir, file));
  return { ...worker, outdir, script: path.join(outdir, "index.js"), variant: name };
}

/**
 * A DevTools protocol connection to an inspector target (workerd's inspector: start Miniflare with
 * `inspectorPort: 0, unsafeInspectorProxy: true`): `send(method, params)` resolves with the result.
 */
export function devtools(url) {
  const ws = new WebSocket(url);
  let id = 0;
  const pending = new Map();
  ws.on("message", (data) => {
    const msg = JSON.parse(data.toString());
    if (msg.id && pending.has(msg.id)) {
      const { resolve, reject } = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) reject(new Error(msg.error.message));
      else resolve(msg.result);
    }
  });
  return {
    opened: new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    }),
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const msgId = ++id;
        pending.set(msgId, { resolve, reject });
        ws.send(JSON.stringify({ id: msgId, method, params }));
      }),
    close: () => ws.close(),
  };
}

/** The portal in workerd through Miniflare's API: no dev proxy, one workerd process. */
export async function startWorkerdPortal(s, worker, vars, extra = {}) {
  const { Miniflare } = await import("miniflare");
  const before = new Set(workerdChildren());
  const { config } = worker;
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    modules: true,
    scriptPath: worker.script,
    modulesRoot: worker.outdir,
    modulesRules: PORTAL_MODULE_RULES,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    durableObjects: Object.fromEntries(config.durable_objects.bindings.map((b) => [b.name, { className: b.class_name, useSQLite: true }])),
    kvNamespaces: config.kv_namespaces.map((k) => k.binding),
    bindings: vars,
    ...extra,
  });
  s.defer(() => mf.dispose());
  const url = await mf.ready;
  return { mf, origin: url.origin, pids: workerdChildren().filter((p) => !before.has(p)) };
}

/**
 * The bare forwarding Worker: the physical floor of any Worker-based portal on this machine. It
 * passes each request (method, body, the headers MCP needs) to the upstream and returns the
 * upstream's answer as it is (status, headers including Mcp-Session-Id, body streamed), and does
 * nothing else. Same runtime and entry as the workerd path (Miniflare's API, a module Worker from
 * a file, the portal's compatibility date and flags), so the two differ only in the Worker's code.
 */
const FORWARDER_SOURCE = `// The bench's bare forwarding Worker (bench/portal/harness.mjs startBareForwarder).
const FORWARDED = ["content-type", "accept", "mcp-session-id", "mcp-protocol-version", "mcp-method", "mcp-name", "last-event-id"];
export default {
  async fetch(request, env) {
    const headers = new Headers();
    for (const name of FORWARDED) {
      const value = request.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    const upstream = await fetch(env.UPSTREAM_URL, { method: request.method, headers, body: request.body });
    return new Response(upstream.body, upstream);
  },
};
`;

export async function startBareForwarder(s, worker, upstreamUrl) {
  const { Miniflare } = await import("miniflare");
  const outdir = path.join(s.tmp, "forwarder");
  mkdirSync(outdir, { recursive: true });
  const script = path.join(outdir, "index.js");
  writeFileSync(script, FORWARDER_SOURCE);
  const before = new Set(workerdChildren());
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    modules: true,
    scriptPath: script,
    modulesRoot: outdir,
    compatibilityDate: worker.config.compatibility_date,
    compatibilityFlags: worker.config.compatibility_flags,
    bindings: { UPSTREAM_URL: upstreamUrl },
  });
  s.defer(() => mf.dispose());
  const url = await mf.ready;
  return { mf, origin: url.origin, pids: workerdChildren().filter((p) => !before.has(p)) };
}

/**
 * The portal as `wrangler dev` serves it (`unstable_dev`, as the Worker tests start it): wrangler's
 * ProxyWorker, in a second workerd, in front of the Worker's workerd. It gets the prebuilt snapshot
 * (`bundle: false`) and a copy of wrangler.jsonc in the scratch folder, so it runs the same code as
 * the Miniflare path and nothing it watches changes while the benchmark runs (wrangler dev reloads
 * the Worker when its config or sources change, and others edit this repo concurrently).
 */
export async function startWranglerPortal(s, worker, vars) {
  const { unstable_dev } = await import("wrangler");
  const before = new Set(workerdChildren());
  const configPath = path.join(s.tmp, `wrangler-${path.basename(worker.outdir)}.json`);
  writeFileSync(configPath, JSON.stringify({ ...worker.config, $schema: undefined, main: worker.script }, null, 2));
  const dev = await unstable_dev(worker.script, {
    config: configPath,
    bundle: false,
    ip: "127.0.0.1",
    port: 0,
    persist: false,
    logLevel: "warn",
    vars,
    experimental: { disableExperimentalWarning: true, disableDevRegistry: true },
  });
  s.defer(() => dev.stop());
  return { origin: `http://${dev.address}:${dev.port}`, pids: workerdChildren().filter((p) => !before.has(p)) };
}

/**
 * What a console would publish: one approved server with its tools pinned to their live hashes,
 * one member with an API token, one rule allowing everyone every tool of that server.
 */
export async function portalConfig(helpers, upstreamUrl, consoleUrl, extra = {}) {
  const keys = await helpers.generateSigningKeyPair();
  const lister = await connect(upstreamUrl);
  const upstreamTools = (await lister.listTools()).tools;
  await lister.close();
  const token = helpers.generateTokenSecret();
  const userId = randomUUID();
  const bundle = {
    schemaVersion: 3,
    // Fresh portals every run; seconds keep it increasing and within the schema's int32 bound.
    version: Math.floor(Date.now() / 1000),
    issuedAt: new Date().toISOString(),
    issuer: "bench.local",
    servers: [
      {
        id: randomUUID(),
        slug: SLUG,
        name: "Weather (bench upstream)",
        url: upstreamUrl,
        transport: "streamable-http",
        credential: null,
        // The approved definition too: the stateless path answers tools/list from the bundle, and lists only tools that carry it.
        tools: await Promise.all(upstreamTools.map(async (t) => ({ name: t.name, hash: await helpers.toolHash(t), state: "enabled", definition: helpers.hashedToolView(t) }))),
      },
    ],
    tokens: [{ id: randomUUID(), hash: await helpers.hashTokenSecret(token), userId, scopes: ["read", "write"], expiresAt: null }],
    users: [{ id: userId, email: "bench@example.com", role: "member", teamIds: [], groups: [] }],
    teams: [],
    policies: { rules: [{ id: randomUUID(), effect: "allow", subject: { type: "everyone" }, resource: { serverSlug: SLUG, tool: "*" }, priority: 100 }] },
    limits: { rateLimits: [], budgets: [] },
    llm: { providers: [], prices: [] }, shadow: { blocklist: [] },
    // Other parts of the bundle a benchmark needs (bench/codemode: the Code Mode setting).
    ...extra,
  };
  return {
    token,
    signed: await helpers.signBundle(bundle, keys.privateKeyJwk, keys.keyId),
    vars: {
      PORTCULLIS_BUNDLE_KEYS: JSON.stringify({ [keys.keyId]: keys.publicKeyJwk }),
      PORTCULLIS_EDGE_SECRET: helpers.generateEdgeSecret(),
      PORTCULLIS_CONSOLE_URL: consoleUrl,
    },
  };
}

export async function pushBundle(origin, signed) {
  const res = await fetch(`${origin}/_portcullis/bundle`, { method: "POST", body: JSON.stringify(signed), headers: { "content-type": "application/json" } });
  if (!res.ok) throw new Error(`bundle refused at ${origin}: ${res.status} ${await res.text()}`);
}

/** An official SDK client, connected (initialize done): one MCP session. */
export async function connect(url, headers = {}) {
  const client = new Client({ name: "portcullis-bench", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

/** The `_meta` a 2026-07-28 client puts on every request. */
const STATELESS_VERSION = "2026-07-28";
const STATELESS_META = {
  "io.modelcontextprotocol/protocolVersion": STATELESS_VERSION,
  "io.modelcontextprotocol/clientInfo": { name: "portcullis-bench-stateless", version: "1.0.0" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

/**
 * A raw MCP 2026-07-28 client, as a modern client speaks it: no initialize, no session; one POST
 * per request with `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` and the `_meta` keys, through
 * Node's fetch (undici, keep-alive connections reused across calls). `callTool` and `listTools`
 * have the SDK client's shape, so the benchmark drives both alike.
 */
export function statelessClient(url, headers = {}) {
  let nextId = 1;
  async function request(method, params, name) {
    const res = await fetch(url, {
      method: "POST",
      headers: {
        ...headers,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": STATELESS_VERSION,
        "mcp-method": method,
        ...(name ? { "mcp-name": name } : {}),
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params: { ...params, _meta: STATELESS_META } }),
    });
    const type = res.headers.get("content-type") ?? "";
    if (!type.includes("application/json")) throw new Error(`HTTP ${res.status}, ${type || "no content type"}: ${(await res.text()).slice(0, 200)}`);
    const message = await res.json();
    if (message.error) throw new Error(`MCP error ${message.error.code}: ${message.error.message}`);
    return message.result;
  }
  return {
    callTool: ({ name, arguments: args }) => request("tools/call", { name, arguments: args }, name),
    listTools: () => request("tools/list", {}),
    close: async () => undefined,
  };
}
