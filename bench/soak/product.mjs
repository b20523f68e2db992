/**
 * The product as `npm start` runs it, for the soak: scripts/start.mjs (console on PGlite in a fresh
 * data folder, portal Worker under `wrangler dev`) in its own process group; configured through the
 * public REST API with the bootstrap admin token; stopped by its group id; its database read once
 * it is stopped. Also the processes' memory, from /proc.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { log, root } from "../lib/common.mjs";
import { buildWorker, devtools, repoHelpers, startWorkerdPortal } from "../portal/harness.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port nobody listens on right now (the OS's choice). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Settings that would point the product elsewhere (another database, an IdP, other portals) are not inherited. */
const INHERITED_OUT = /^(DATABASE_URL|DATABASE_DRIVER|OIDC_.*|AUTH_.*|PORTCULLIS_.*|HOST|PORT|NODE_ENV|WRANGLER_LOG_PATH)$/;

/**
 * Builds the console when its build is missing or stale (what `npm start` would do first, done
 * here so the build never counts as start-up time), then starts `scripts/start.mjs` in a new
 * process group with a fresh data folder under the session's scratch folder, and waits until the
 * console's database and the portal answer.
 *
 * `portal`: `wrangler` (default) is `npm start` exactly: start.mjs runs the portal under
 * `wrangler dev` (a dev-proxy workerd in front of the Worker's workerd, wrangler's inspector
 * attached). `workerd` is the console of `npm start` with `PORTCULLIS_PORTAL=off`, and the portal
 * as `wrangler deploy` would upload it, run by Miniflare in one workerd (no dev proxy, no
 * inspector: how a self-hosted portal runs), given the same keys and settings start.mjs would give it.
 * `heap` (workerd only): with workerd's inspector open, for `jsHeap` (the Worker's isolate, which
 * its Durable Objects share).
 */
export async function startProduct(s, { portal = "wrangler", heap = false } = {}) {
  if (heap && portal !== "workerd") throw new Error("--heap needs --portal workerd (under wrangler dev, wrangler holds the inspector)");
  const build = spawnSync(process.execPath, [path.join(root, "scripts", "start.mjs"), "--build-only"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  if (build.status !== 0) throw new Error(`building the console failed (scripts/start.mjs --build-only exited with ${build.status})`);

  const [port, portalPort] = [await freePort(), await freePort()];
  const dataDir = path.join(s.tmp, "data");
  const adminToken = `soak-admin-${randomBytes(24).toString("base64url")}`;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !INHERITED_OUT.test(k)));
  Object.assign(env, { PORTCULLIS_DATA_DIR: dataDir, PORT: String(port), PORTCULLIS_PORTAL_PORT: String(portalPort), PORTCULLIS_ADMIN_TOKEN: adminToken });
  // The keys as start.mjs makes them (files in the data folder the console reads too): made here
  // first, so that this process can sign its reads of the portal's status and event buffer as the
  // console does (the portal answers nothing else there).
  const keys = await import(pathToFileURL(path.join(root, "scripts", "lib", "local-keys.mjs")).href);
  const edgeSecret = keys.resolveEdgeSecret(env, dataDir).secret;
  const helpers = await repoHelpers(s);
  const edgeSecrets = await helpers.parseEdgeSecrets(edgeSecret);
  let workerd = null;
  if (portal === "workerd") {
    Object.assign(env, { PORTCULLIS_PORTAL: "off", PORTCULLIS_PORTAL_URLS: `http://127.0.0.1:${portalPort}`, PORTCULLIS_PORTAL_PUBLIC_URL: `http://localhost:${portalPort}` });
    const signing = keys.resolveSigningKey(env, dataDir);
    const worker = buildWorker(s);
    log(`product: portal Worker built (wrangler deploy --dry-run), sha256 ${worker.sha256.slice(0, 12)}…`);
    const storage = path.join(dataDir, "portal");
    workerd = await startWorkerdPortal(
      s,
      worker,
      { PORTCULLIS_BUNDLE_KEYS: JSON.stringify(keys.publicKeySet(signing)), PORTCULLIS_CONSOLE_URL: `http://localhost:${port}`, PORTCULLIS_EDGE_SECRET: edgeSecret },
      { port: portalPort, durableObjectsPersist: path.join(storage, "do"), kvPersist: path.join(storage, "kv"), ...(heap ? { inspectorPort: 0, unsafeInspectorProxy: true } : {}) },
    );
    workerd.sha256 = worker.sha256;
    if (heap) {
      const inspector = await workerd.mf.getInspectorURL();
      const [target] = await (await fetch(`http://${inspector.host}/json/list`)).json();
      workerd.inspector = devtools(target.webSocketDebuggerUrl);
      await workerd.inspector.opened;
      s.defer(() => workerd.inspector.close());
    }
  } else if (portal !== "wrangler") throw new Error(`unknown --portal ${portal} (wrangler or workerd)`);
  const logFile = path.join(s.tmp, "product.log");
  const out = createWriteStream(logFile);
  // detached: its own process group, so the group id stops start.mjs, wrangler, both workerd and the console together.
  const child = spawn(process.execPath, [path.join(root, "scripts", "start.mjs")], { cwd: root, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.pipe(out, { end: false });
  child.stderr.pipe(out, { end: false });
  const product = {
    mode: portal,
    workerdPid: workerd?.pids[0] ?? null,
    workerSha256: workerd?.sha256 ?? null,
    inspector: workerd?.inspector ?? null,
    pid: child.pid,
    console: `http://127.0.0.1:${port}`,
    portal: `http://127.0.0.1:${portalPort}`,
    portalPort,
    dataDir,
    adminToken,
    logFile,
    exited: null,
    /** A signed GET of one of the portal's own routes (`/_portcullis/status`, `/_portcullis/events`). */
    portalGet: async (route) => fetch(`${product.portal}${route}`, { headers: { "x-portcullis-signature": await helpers.signEdgeRequest("GET", route, edgeSecrets) } }),
  };
  child.on("exit", (code, signal) => (product.exited = signal ?? `exit ${code}`));
  s.defer(async () => {
    await stopGroup(child.pid);
    out.end();
  });
  log(`product: scripts/start.mjs (pid ${child.pid}) console ${product.console}, portal ${product.portal}, data ${dataDir}`);

  const deadline = Date.now() + 240_000;
  for (const [what, get] of [
    ["console", () => fetch(`${product.console}/api/health`)],
    ["portal", () => product.portalGet("/_portcullis/status")],
  ]) {
    for (;;) {
      if (product.exited) throw new Error(`scripts/start.mjs stopped (${product.exited}) before the ${what} was ready; log:\n${tail(logFile)}`);
      if (Date.now() > deadline) throw new Error(`the ${what} was not ready after 240 s; log:\n${tail(logFile)}`);
      const res = await get().catch(() => null);
      if (res?.ok) break;
      await res?.body?.cancel();
      await sleep(500);
    }
  }
  log("product: console and portal answer");
  return product;
}

/** The last lines of a log file. */
export function tail(file, lines = 40) {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Process ids whose process group is `pgid`, from /proc. */
function groupMembers(pgid) {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) === pgid) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * SIGTERM to the group (start.mjs passes it on; wrangler stops its workerd; the console closes),
 * then waits until every member has gone; SIGKILL to whatever is left after 20 s.
 */
export async function stopGroup(pgid) {
  const signal = (sig) => {
    try {
      process.kill(-pgid, sig);
    } catch {
      // the group is empty
    }
  };
  if (groupMembers(pgid).length === 0) return;
  signal("SIGTERM");
  const deadline = Date.now() + 20_000;
  while (groupMembers(pgid).length > 0 && Date.now() < deadline) await sleep(200);
  const left = groupMembers(pgid);
  if (left.length > 0) {
    log(`product: ${left.length} process(es) still running 20 s after SIGTERM (${left.join(", ")}): SIGKILL`);
    signal("SIGKILL");
    while (groupMembers(pgid).length > 0) await sleep(100);
  }
}

// ------------------------------------------------------------------ the REST API

/** `method path` on the console's API as the bootstrap admin; a non-2xx answer throws with its body. */
export async function api(product, method, apiPath, body) {
  const res = await fetch(`${product.console}/api/v1${apiPath}`, {
    method,
    headers: { authorization: `Bearer ${product.adminToken}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} /api/v1${apiPath} → ${res.status}: ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : null;
}

/**
 * What an administrator would do through the API: register and approve the upstream MCP server,
 * add the LLM provider with an allow rule, create a member and one API token (read + write) per
 * client, publish, and wait until the portal runs that version.
 */
export async function configure(product, { upstreamUrl, providerUrl, providerKey, serverSlug, providerSlug, tokens }) {
  const server = await api(product, "POST", "/servers", { name: "Weather (soak upstream)", slug: serverSlug, url: upstreamUrl, justification: "soak benchmark" });
  const approved = await api(product, "POST", `/servers/${server.id}/approve`, { reason: "soak benchmark", tools: ["get_weather", "list_forecasts"] });
  log(`configure: server ${serverSlug} approved (${JSON.stringify(approved.counts)})`);
  // Bodies logged on usage events: each event then carries the call's marker (the matching at the end is exact).
  await api(product, "POST", "/llm/providers", { slug: providerSlug, name: "Fake OpenAI (soak)", kind: "openai", baseUrl: `${providerUrl}/v1`, apiKey: providerKey, logBodies: true });
  await api(product, "POST", "/policies", { name: "soak: everyone may use the fake LLM", effect: "allow", subject: "everyone", server: providerSlug, tool: "*" });
  const member = await api(product, "POST", "/users", { email: "soak-member@example.com", name: "Soak member", role: "member" });
  const secrets = [];
  for (const name of tokens) {
    const token = await api(product, "POST", "/tokens", { name, userId: member.id, scopes: ["read", "write"], expiresInDays: 1 });
    secrets.push({ name, id: token.id, secret: token.secret });
  }
  const published = await api(product, "POST", "/config/publish");
  log(`configure: published version ${published.version} (${JSON.stringify(published.summary)})`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await (await product.portalGet("/_portcullis/status")).json();
    if (status.version >= published.version) break;
    if (Date.now() > deadline) throw new Error(`the portal still runs version ${status.version} 60 s after publishing ${published.version}`);
    await sleep(500);
  }
  return { member, tokens: secrets, version: published.version };
}

/** The portal's outgoing event buffer (`GET /_portcullis/events`): pending, dropped, last error. */
export async function eventBufferStats(product) {
  const res = await product.portalGet("/_portcullis/events").catch(() => null);
  if (!res?.ok) return null;
  return res.json();
}

/**
 * Waits until the portal has delivered every event: the buffer empty on two reads a second apart
 * (an enqueue still in flight in `waitUntil` lands within its 10 ms group commit). Gives up after
 * `timeoutMs` and says what was left.
 */
export async function waitForDelivery(product, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  let emptyOnce = false;
  for (;;) {
    const stats = await eventBufferStats(product);
    if (stats && stats.pending === 0) {
      if (emptyOnce) return { ...stats, drained: true };
      emptyOnce = true;
    } else emptyOnce = false;
    if (Date.now() > deadline) return { ...stats, drained: false };
    await sleep(1_000);
  }
}

/** Every MCP event of the audit log through `GET /api/v1/audit` (newest first, 200 a page), as the product shows it. */
export async function auditThroughApi(product) {
  const events = [];
  let cursor = null;
  do {
    const page = await api(product, "GET", `/audit?limit=200${cursor ? `&cursor=${cursor}` : ""}`);
    events.push(...page.events);
    cursor = page.nextCursor;
  } while (cursor);
  return events;
}

/** The console's stored events, read from its embedded database once the console has stopped (PGlite is single-process). */
export async function storedEvents(product) {
  const { PGlite } = await import("@electric-sql/pglite");
  const db = new PGlite(path.join(product.dataDir, "pglite"));
  try {
    const mcp = await db.query(
      `SELECT id, (extract(epoch from time) * 1000)::float8 AS t, session_id, client_name, token_id, method, tool, decision, success, error FROM mcp_events`,
    );
    const llm = await db.query(`SELECT id, (extract(epoch from time) * 1000)::float8 AS t, token_id, operation, status, success, error, stream, request_log FROM llm_events`);
    return { mcp: mcp.rows, llm: llm.rows };
  } finally {
    await db.close();
  }
}

// ------------------------------------------------------------------ memory

/**
 * The portal isolate's JS heap (MiB used, total), after a full garbage collection when `gc`: what
 * the Worker's JavaScript still holds, as against what workerd holds outside it (RSS). Null without
 * `--heap`.
 */
export async function jsHeap(product, gc = false) {
  if (!product.inspector) return null;
  if (gc) await product.inspector.send("HeapProfiler.collectGarbage");
  const { usedSize, totalSize } = await product.inspector.send("Runtime.getHeapUsage");
  return { used: usedSize / 2 ** 20, total: totalSize / 2 ** 20 };
}

function readProc(pid, file) {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return null;
  }
}

/** Descendants of `pid` (children, their children, …) from /proc. */
function descendants(pid) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProc(entry, "stat");
    if (!stat) continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(entry));
  }
  const out = [];
  const queue = [pid];
  while (queue.length) {
    for (const c of children.get(queue.shift()) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** VmRSS of a process in MiB (or another field of /proc/<pid>/status: RssAnon, RssFile); null when it has gone. */
export function rssMiB(pid, field = "VmRSS") {
  const kb = new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(readProc(pid, "status") ?? "")?.[1];
  return kb ? Number(kb) / 1024 : null;
}

/**
 * The product's processes by role: `worker` is the workerd that runs the portal Worker, `proxy`
 * the one in front of it (wrangler dev's ProxyWorker listens on the portal port), `console` the
 * Node process serving Next, `wrangler` the Node process of `wrangler dev`. Looked up again on every sample: a reload would show as a new pid.
 */
export function productProcesses(product) {
  const roles = product.workerdPid ? { worker: product.workerdPid } : {};
  const workerds = [];
  for (const pid of descendants(product.pid)) {
    const cmd = (readProc(pid, "cmdline") ?? "").split("\0");
    if (cmd[0]?.endsWith("/workerd")) workerds.push({ pid, entry: cmd.some((a) => a === `--socket-addr=entry=127.0.0.1:${product.portalPort}`) });
    else if (cmd.some((a) => a.endsWith("console-server.mjs"))) roles.console = pid;
    // The Node process that runs the portal: wrangler dev (PORTCULLIS_PORTAL=wrangler) or scripts/lib/portal-runner.mjs (npm start).
    else if (cmd.some((a) => a.endsWith(path.join("wrangler-dist", "cli.js")) || a.endsWith("portal-runner.mjs"))) roles.wrangler = pid;
  }
  // Under wrangler dev, two workerd: the dev proxy listens on the portal's port, the Worker's behind it.
  // Under npm start's launcher (Miniflare's API), one workerd is both.
  if (workerds.length === 1) roles.worker = workerds[0].pid;
  else for (const w of workerds) roles[w.entry ? "proxy" : "worker"] = w.pid;
  return roles;
}
