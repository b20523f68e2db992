#!/usr/bin/env node
/**
 * Audit and usage events at scale (issue 18, "Benchmark"), on a real PostgreSQL of its own:
 *
 * 1. starts a private PostgreSQL cluster (a temporary folder, a free loopback port) and migrates it
 *    with the console's own code (db/client.ts `openDatabase`);
 * 2. fills it with `--events` events (default 10,000,000) over the last `--days` days (default 30):
 *    `INSERT … SELECT … FROM generate_series` straight into `mcp_events` and `llm_events`, one
 *    statement per table per day into that day's partition. The tables' rollup triggers run on those
 *    statements exactly as on ingest's, so the rollups of the filled data are what ingest would have
 *    made of the same events (by construction: the same trigger, from the same transition table);
 * 3. measures ingest through the signed path behind `POST /api/v1/events` (lib/audit/ingest-events.ts
 *    `ingestEvents`: signature check, JSON parse, zod validation, partitions, the insert and its
 *    rollups), `--ingest` events (default 300,000) in batches of 500, `--concurrency` deliveries at a
 *    time (default 4), on top of the filled tables, then the same batches redelivered;
 * 4. times what each page's server code calls, `--samples` times each (default 30) after a warm-up:
 *    Overview, Usage (30 days, and filtered by one team and by one user), the first Audit page, and
 *    the Audit filtered by one user over 30 days (the most active user, and a typical one).
 *
 *   npm run bench:events
 *   npm run bench:events -- --events 1000000 --ingest 50000     # a quick run
 *
 * Run it under the shared lock (flock /tmp/portcullis-heavy.lock npm run bench:events). Prints a
 * markdown report; bench/events/README.md keeps the last one with the machine it ran on.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { loadAverage, log, percentile, root } from "../lib/common.mjs";
import { seededRandom } from "../../testing/seeded-random.mjs";

const { values: opts } = parseArgs({
  options: {
    events: { type: "string", default: "10000000" },
    days: { type: "string", default: "30" },
    users: { type: "string", default: "10000" },
    ingest: { type: "string", default: "300000" },
    concurrency: { type: "string", default: "4" },
    samples: { type: "string", default: "30" },
    keep: { type: "boolean", default: false },
    url: { type: "string" },
  },
});
const EVENTS = Number(opts.events);
const DAYS = Number(opts.days);
const USERS = Number(opts.users);
const INGEST = Number(opts.ingest);
const CONCURRENCY = Number(opts.concurrency);
const SAMPLES = Number(opts.samples);
/** Rows of the timed export (issue 18: an export of 100,000 rows). */
const EXPORT_ROWS = 100_000;
const TEAMS = 20;
const SERVERS = 30;
const LLM_SHARE = 0.2;
const BATCH = 500;
const DAY_MS = 86_400_000;
const TARGETS = { ingestPerSecond: 20_000, pageP95Ms: 300 };

// ------------------------------------------------------------------ a private PostgreSQL

function pgBin() {
  const base = "/usr/lib/postgresql";
  const fromConfig = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  if (fromConfig.status === 0 && existsSync(path.join(fromConfig.stdout.trim(), "initdb"))) return fromConfig.stdout.trim();
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(path.join(base, v, "bin", "initdb"))) return path.join(base, v, "bin");
  throw new Error("PostgreSQL server binaries not found (apt-get install postgresql)");
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

/** initdb refuses root: as root, the cluster belongs to the `postgres` user. */
const asServerUser = (bin, args) => {
  const root = process.getuid?.() === 0;
  const result = spawnSync(root ? "runuser" : bin, root ? ["-u", "postgres", "--", bin, ...args] : args, { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${path.basename(bin)} failed: ${result.stderr || result.stdout}`);
  return result.stdout;
};

/** `--url`: a PostgreSQL server of your own (an admin URL); the run gets a database of its own there. */
async function databaseOn(adminUrl) {
  const { default: pg } = await import("pg");
  const name = `portcullis_bench_events_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const { rows } = await admin.query("SELECT version()");
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    version: rows[0].version.split(" on ")[0],
    dir: name,
    stop: async () => {
      if (opts.keep) return;
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

async function startPostgres() {
  const bin = pgBin();
  const dir = mkdtempSync(path.join(os.tmpdir(), "portcullis-bench-events-"));
  chmodSync(dir, 0o755);
  if (process.getuid?.() === 0) {
    const pgUid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const pgGid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, pgUid, pgGid);
  }
  const data = path.join(dir, "data");
  asServerUser(path.join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"]);
  const port = await freePort();
  // Settings a dedicated events database would have on this machine: more shared buffers and WAL
  // room for the bulk fill; durability as the defaults (fsync and synchronous commit on).
  const settings = ["-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "shared_buffers=2GB", "-c", "max_wal_size=8GB", "-c", "work_mem=64MB", "-c", "maintenance_work_mem=512MB"];
  asServerUser(path.join(bin, "pg_ctl"), ["-D", data, "-l", path.join(dir, "log"), "-w", "-o", settings.join(" "), "start"]);
  const version = asServerUser(path.join(bin, "postgres"), ["--version"]).trim();
  const stop = () => {
    try {
      asServerUser(path.join(bin, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "stop"]);
    } catch (error) {
      console.error(String(error));
    }
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  };
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, version, dir, stop };
}

// ------------------------------------------------------------------ the console's own code

async function loadConsole() {
  const { build } = await import("esbuild");
  const outdir = path.join(root, "node_modules", ".cache", "portcullis-bench-events");
  mkdirSync(outdir, { recursive: true });
  const outfile = path.join(outdir, "console.mjs");
  const exports = [
    `export { openDatabase } from "./db/client";`,
    `export { ingestEvents } from "./lib/audit/ingest-events";`,
    `export { listEvents } from "./lib/audit/list-events";`,
    `export { exportEvents } from "./lib/audit/export-events";`,
    `export { dailyActivity } from "./lib/audit/activity";`,
    `export { getUsage } from "./lib/usage/usage";`,
    `export { UsageQuery } from "./lib/usage/schemas";`,
    `export { listTeams } from "./lib/teams/queries";`,
    `export { listTokens } from "./lib/tokens/queries";`,
    `export { generateEdgeSecret, parseEdgeSecrets, signEventBody } from "./lib/core/edge/secret";`,
    `export { ensureEventPartitions } from "./lib/events/partitions";`,
    `export { TOKEN_SCOPES } from "./lib/core/auth/roles";`,
  ].join("\n");
  await build({ stdin: { contents: exports, resolveDir: root, loader: "ts" }, bundle: true, format: "esm", platform: "node", packages: "external", outfile, logLevel: "warning", tsconfig: path.join(root, "tsconfig.json") });
  return import(pathToFileURL(outfile).href);
}

// ------------------------------------------------------------------ the company's events

/** The bench's ids, the same in SQL (`bench_uuid(x)`) and here. */
const uuidOf = (text) => {
  const h = createHash("md5").update(text).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20)}`;
};
/** `uuidOf` in SQL (a version-4 form: the event contract checks the version and variant). */
const BENCH_UUID = `CREATE FUNCTION bench_uuid(t text) RETURNS uuid IMMUTABLE LANGUAGE sql AS $$ SELECT overlay(overlay(md5(t) PLACING '4' FROM 13) PLACING '8' FROM 17)::uuid $$`;

/**
 * The same company in both generators: USERS users (a power law: user 0 makes ~0.6 % of all calls,
 * the median user a few a day), TEAMS teams (user u is in team u % TEAMS; every seventh user also
 * in the next), SERVERS servers (a power law too) of ten tools each; 85 % tool calls, 8 % tool lists,
 * 5 % initialize, 2 % prompts; 3 % denied (by policy, rate limit or an unapproved tool), 2 % errors,
 * 5 % Code Mode; LLM calls to three providers and six models, 3 % rate-limited (429), 10 % cache hits.
 */
const USER_POWER = 1.8;
const SERVER_POWER = 2;

function jsEvent(random, at) {
  const u = Math.floor(random() ** USER_POWER * USERS);
  const user = { userId: uuidOf(`user${u}`), email: `user${u}@bench.example`, team: uuidOf(`team${u % TEAMS}`) };
  const r = random();
  const id = randomUUID();
  const time = new Date(at).toISOString();
  if (random() < LLM_SHARE) {
    const provider = ["openai", "claude", "azure"][Math.floor(random() ** 2 * 3)];
    const limited = r < 0.03;
    const input = Math.floor(200 + random() * 4_000);
    const output = Math.floor(20 + random() * 800);
    return {
      kind: "llm", id, time, userId: user.userId, email: user.email, teamIds: u % 7 === 0 ? [user.team, uuidOf(`team${(u + 1) % TEAMS}`)] : [user.team],
      tokenId: u % 2 ? uuidOf(`token${u}`) : null, clientIp: "10.0.0.1", providerSlug: provider, providerKind: provider === "claude" ? "anthropic" : "openai",
      operation: provider === "claude" ? "messages" : "chat.completions", model: `model-${Math.floor(random() ** 2 * 6)}`, stream: random() < 0.3,
      status: limited ? 429 : r < 0.05 ? 500 : 200, success: r >= 0.05, error: r < 0.05 ? "upstream said no" : null,
      decision: limited ? "denied" : "allowed", reason: limited ? "RATE_LIMITED: per user (60/min)" : "allowed by rule everyone", ruleId: null,
      cache: limited ? null : random() < 0.1 ? "hit" : "miss", inputTokens: limited ? null : input, outputTokens: limited ? null : output,
      cachedInputTokens: limited ? null : Math.floor(input / 4), cacheWriteTokens: 0, costMicroUsd: limited ? null : input * 2 + output * 8,
      overBudget: false, durationMs: Math.floor(300 + random() * 4_000), requestLog: null, responseLog: null, bundleVersion: 42,
    };
  }
  const s = Math.floor(random() ** SERVER_POWER * SERVERS);
  const method = r < 0.85 ? "tools/call" : r < 0.93 ? "tools/list" : r < 0.98 ? "initialize" : "prompts/get";
  const denied = random() < 0.03;
  const failed = !denied && random() < 0.02;
  const codemode = method === "tools/call" && random() < 0.05;
  const aggregateList = method === "tools/list" && random() < 0.5;
  return {
    id, time, userId: user.userId, email: user.email, teamId: user.team, tokenId: null, authMethod: "oauth", clientName: "claude-code", clientVersion: "1.2.3",
    clientIp: "10.0.0.1", clientCountry: "PT", sessionId: `sess-${u}`, method, endpoint: method === "tools/list" && !aggregateList ? `/mcp/srv${s}` : "/mcp",
    serverId: method === "tools/call" || method === "prompts/get" ? uuidOf(`server${s}`) : null, serverSlug: method === "tools/call" || method === "prompts/get" ? `srv${s}` : null,
    serverUrl: method === "tools/call" ? `https://srv${s}.example/mcp` : null, tool: method === "tools/call" ? `tool_${Math.floor(random() ** 1.5 * 10)}` : null,
    prompt: method === "prompts/get" ? "summarise" : null, resourceUri: null, decision: denied ? "denied" : "allowed",
    reason: denied ? ["POLICY_DENIED: rule 7", "RATE_LIMITED: per user (600/min)", "TOOL_NOT_APPROVED"][Math.floor(random() * 3)] : "allowed by rule everyone",
    ruleId: null, success: !denied && !failed, error: failed ? "upstream error" : null, durationMs: denied ? null : random() < 0.05 ? Math.floor(1_000 + random() * 5_000) : Math.floor(10 + random() ** 2 * 400),
    bytesIn: 200, bytesOut: 1_500, resultTokens: denied ? null : method === "tools/list" ? 3_000 : Math.floor(random() * 2_000),
    ...(aggregateList ? { serverTokens: { srv0: 1_200, srv1: 800, srv2: 640 } } : {}), bundleVersion: 42,
    ...(codemode ? { via: "codemode", parentId: random() < 0.5 ? randomUUID() : null } : {}),
  };
}

/** The same distributions in SQL, for one day's MCP events (`n` of them in [start, end)). */
const mcpFill = (start, end, n) => `
INSERT INTO mcp_events (id, time, user_id, email, team_id, auth_method, client_name, client_version, client_ip, client_country, session_id, method, endpoint,
  server_id, server_slug, server_url, tool, prompt, decision, reason, success, error, duration_ms, bytes_in, bytes_out, result_tokens, server_tokens, bundle_version, via, parent_id)
SELECT gen_random_uuid(), t, bench_uuid('user' || u), 'user' || u || '@bench.example', bench_uuid('team' || (u % ${TEAMS})), 'oauth', 'claude-code', '1.2.3', '10.0.0.1', 'PT', 'sess-' || u,
  m, CASE WHEN m = 'tools/list' AND NOT agg THEN '/mcp/srv' || s ELSE '/mcp' END,
  CASE WHEN m IN ('tools/call', 'prompts/get') THEN bench_uuid('server' || s) END, CASE WHEN m IN ('tools/call', 'prompts/get') THEN 'srv' || s END,
  CASE WHEN m = 'tools/call' THEN 'https://srv' || s || '.example/mcp' END, CASE WHEN m = 'tools/call' THEN 'tool_' || k END, CASE WHEN m = 'prompts/get' THEN 'summarise' END,
  CASE WHEN denied THEN 'denied' ELSE 'allowed' END,
  CASE WHEN NOT denied THEN 'allowed by rule everyone' WHEN r3 < 1.0 / 3 THEN 'POLICY_DENIED: rule 7' WHEN r3 < 2.0 / 3 THEN 'RATE_LIMITED: per user (600/min)' ELSE 'TOOL_NOT_APPROVED' END,
  NOT denied AND NOT failed, CASE WHEN failed THEN 'upstream error' END,
  CASE WHEN denied THEN NULL WHEN r4 < 0.05 THEN (1000 + r5 * 5000)::int ELSE (10 + r5 * r5 * 400)::int END,
  200, 1500, CASE WHEN denied THEN NULL WHEN m = 'tools/list' THEN 3000 ELSE (r6 * 2000)::int END,
  CASE WHEN agg THEN '{"srv0": 1200, "srv1": 800, "srv2": 640}'::jsonb END, 42,
  CASE WHEN codemode THEN 'codemode' END, CASE WHEN codemode AND r6 < 0.5 THEN gen_random_uuid() END
FROM (
  SELECT t, u, s, k, m, r3, r4, r5, r6, denied, NOT denied AND r7 < 0.02 AS failed, m = 'tools/call' AND r8 < 0.05 AS codemode, m = 'tools/list' AND r8 < 0.5 AS agg
  FROM (
    SELECT '${start}'::timestamptz + random() * (timestamptz '${end}' - timestamptz '${start}') AS t,
      floor(power(random(), ${USER_POWER}) * ${USERS})::int AS u, floor(power(random(), ${SERVER_POWER}) * ${SERVERS})::int AS s, floor(power(random(), 1.5) * 10)::int AS k,
      CASE WHEN r1 < 0.85 THEN 'tools/call' WHEN r1 < 0.93 THEN 'tools/list' WHEN r1 < 0.98 THEN 'initialize' ELSE 'prompts/get' END AS m,
      random() < 0.03 AS denied, random() AS r3, random() AS r4, random() AS r5, random() AS r6, random() AS r7, random() AS r8
    FROM (SELECT random() AS r1 FROM generate_series(1, ${n})) AS g
  ) AS a
) AS b`;

const llmFill = (start, end, n) => `
INSERT INTO llm_events (id, time, user_id, email, team_ids, token_id, client_ip, provider_slug, provider_kind, operation, model, stream, status, success, error, decision, reason,
  cache, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cost_micro_usd, over_budget, duration_ms, bundle_version)
SELECT gen_random_uuid(), t, bench_uuid('user' || u), 'user' || u || '@bench.example',
  CASE WHEN u % 7 = 0 THEN ARRAY[bench_uuid('team' || (u % ${TEAMS})), bench_uuid('team' || ((u + 1) % ${TEAMS}))] ELSE ARRAY[bench_uuid('team' || (u % ${TEAMS}))] END,
  CASE WHEN u % 2 = 1 THEN bench_uuid('token' || u) END, '10.0.0.1', p, CASE WHEN p = 'claude' THEN 'anthropic' ELSE 'openai' END,
  CASE WHEN p = 'claude' THEN 'messages' ELSE 'chat.completions' END, 'model-' || floor(power(random(), 2) * 6)::int, random() < 0.3,
  CASE WHEN limited THEN 429 WHEN r < 0.05 THEN 500 ELSE 200 END, r >= 0.05, CASE WHEN r < 0.05 THEN 'upstream said no' END,
  CASE WHEN limited THEN 'denied' ELSE 'allowed' END, CASE WHEN limited THEN 'RATE_LIMITED: per user (60/min)' ELSE 'allowed by rule everyone' END,
  CASE WHEN limited THEN NULL WHEN random() < 0.1 THEN 'hit' ELSE 'miss' END,
  CASE WHEN NOT limited THEN input END, CASE WHEN NOT limited THEN output END, CASE WHEN NOT limited THEN input / 4 END, CASE WHEN NOT limited THEN 0 END,
  CASE WHEN NOT limited THEN input * 2 + output * 8 END, false, (300 + random() * 4000)::int, 42
FROM (
  SELECT '${start}'::timestamptz + random() * (timestamptz '${end}' - timestamptz '${start}') AS t, floor(power(random(), ${USER_POWER}) * ${USERS})::int AS u,
    (ARRAY['openai', 'claude', 'azure'])[1 + floor(power(random(), 2) * 3)::int] AS p, r, r < 0.03 AS limited,
    (200 + random() * 4000)::int AS input, (20 + random() * 800)::int AS output
  FROM (SELECT random() AS r FROM generate_series(1, ${n})) AS g
) AS a`;

// ------------------------------------------------------------------ the run

const ms = (x) => x.toFixed(1);
const fmt = (n) => Math.round(n).toLocaleString("en");
const summary = (samples) => {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: percentile(s, 0.5), p95: percentile(s, 0.95), max: s.at(-1) };
};

async function timed(samples, fn) {
  for (let i = 0; i < 3; i++) await fn();
  const out = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return summary(out);
}

async function main() {
  const machine = { cores: os.availableParallelism(), cpu: os.cpus()[0]?.model ?? "?", memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadBefore: loadAverage() };
  const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
  const dirty = execFileSync("git", ["status", "--porcelain", "--", "lib", "db", "bench"], { cwd: root, encoding: "utf8" }).trim() !== "";
  log(`machine: ${machine.cores} cores (${machine.cpu}), ${machine.memGiB} GiB, node ${machine.node}, load ${machine.loadBefore}; HEAD ${head}${dirty ? " + changes" : ""}`);
  const pg = opts.url ? await databaseOn(opts.url) : await startPostgres();
  log(`${pg.version} at ${pg.url} (${pg.dir})`);
  process.on("SIGINT", () => {
    pg.stop();
    process.exit(130);
  });
  try {
    const mod = await loadConsole();
    let t = performance.now();
    const open = await mod.openDatabase({ driver: "pg", url: pg.url });
    const migrateMs = performance.now() - t;
    const { db } = open;
    const raw = async (text) => (await db.$client.query(text)).rows;

    // The organisation: teams, users, and an admin to read as.
    await raw(BENCH_UUID);
    await raw(`INSERT INTO teams (id, slug, name) SELECT bench_uuid('team' || i), 'team-' || i, 'Team ' || i FROM generate_series(0, ${TEAMS - 1}) i`);
    await raw(`INSERT INTO users (id, email, role, email_verified, auth_source) SELECT bench_uuid('user' || i), 'user' || i || '@bench.example', 'member', true, 'local' FROM generate_series(0, ${USERS - 1}) i`);
    const [adminRow] = await raw(`INSERT INTO users (email, role, email_verified, auth_source) VALUES ('admin@bench.example', 'admin', true, 'local') RETURNING id`);
    const ctx = { db, actor: { kind: "user", userId: adminRow.id, email: "admin@bench.example", role: "admin", scopes: mod.TOKEN_SCOPES } };

    // ---- fill
    const now = new Date();
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const firstDay = today - (DAYS - 1) * DAY_MS;
    const perDay = Math.round(EVENTS / DAYS);
    log(`filling ${fmt(EVENTS)} events over ${DAYS} days (${fmt(perDay)} a day, ${Math.round(LLM_SHARE * 100)} % LLM calls)…`);
    t = performance.now();
    let filled = 0;
    for (let d = 0; d < DAYS; d++) {
      const dayStart = firstDay + d * DAY_MS;
      // Today's events stop a minute before now: nothing is ever stored from the future.
      const dayEnd = Math.min(dayStart + DAY_MS, now.getTime() - 60_000);
      const n = d === DAYS - 1 ? EVENTS - filled : perDay;
      const day = new Date(dayStart).toISOString().slice(0, 10);
      await mod.ensureEventPartitions(db, "mcp_events", [day]);
      await mod.ensureEventPartitions(db, "llm_events", [day]);
      const llm = Math.round(n * LLM_SHARE);
      const [start, end] = [new Date(dayStart).toISOString(), new Date(dayEnd).toISOString()];
      await raw(mcpFill(start, end, n - llm));
      await raw(llmFill(start, end, llm));
      filled += n;
      log(`  ${day}: ${fmt(filled)} events, ${fmt(filled / ((performance.now() - t) / 1000))}/s`);
    }
    const fillSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    await raw("VACUUM ANALYZE");
    const analyzeSeconds = (performance.now() - t) / 1000;

    // ---- ingest through the signed path
    const edgeSecret = mod.generateEdgeSecret();
    const secrets = await mod.parseEdgeSecrets(edgeSecret);
    const random = seededRandom(18);
    const batches = [];
    for (let i = 0; i < INGEST; i += BATCH) {
      const events = Array.from({ length: Math.min(BATCH, INGEST - i) }, () => jsEvent(random, now.getTime() - 30_000 - Math.floor(random() * 600_000)));
      batches.push({ body: JSON.stringify({ events }), count: events.length });
    }
    log(`ingesting ${fmt(INGEST)} events in ${batches.length} signed batches of ${BATCH}, ${CONCURRENCY} at a time…`);
    const deliverAll = async () => {
      // Signed just before the run, as the edge signs each delivery (5-minute tolerance).
      for (const b of batches) b.signature = await mod.signEventBody(b.body, secrets);
      const latencies = [];
      let accepted = 0;
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < batches.length) {
            const b = batches[next++];
            const t0 = performance.now();
            const result = await mod.ingestEvents(db, { body: b.body, signature: b.signature, secrets });
            latencies.push(performance.now() - t0);
            accepted += result.accepted;
          }
        }),
      );
      return { seconds: (performance.now() - started) / 1000, accepted, ...summary(latencies) };
    };
    const ingest = await deliverAll();
    log(`  ${fmt(ingest.accepted / ingest.seconds)} events/s`);
    const redelivery = await deliverAll();
    log(`  redelivered: ${fmt(INGEST / redelivery.seconds)} events/s, ${redelivery.accepted} stored again`);

    // ---- sizes
    const counts = Object.fromEntries(
      (
        await raw(`SELECT 'mcp_events' AS t, count(*) FROM mcp_events UNION ALL SELECT 'llm_events', count(*) FROM llm_events
        UNION ALL SELECT 'mcp_rollup_hourly', count(*) FROM mcp_rollup_hourly UNION ALL SELECT 'mcp_rollup_daily', count(*) FROM mcp_rollup_daily
        UNION ALL SELECT 'mcp_user_rollup_daily', count(*) FROM mcp_user_rollup_daily UNION ALL SELECT 'llm_rollup_hourly', count(*) FROM llm_rollup_hourly
        UNION ALL SELECT 'llm_rollup_daily', count(*) FROM llm_rollup_daily UNION ALL SELECT 'llm_user_rollup_daily', count(*) FROM llm_user_rollup_daily`)
      ).map((r) => [r.t, Number(r.count)]),
    );
    const [{ size }] = await raw(`SELECT pg_size_pretty(pg_database_size(current_database())) AS size`);
    const [check] = await raw(`SELECT (SELECT count(*) FROM mcp_events) AS raw, (SELECT sum(calls) FROM mcp_rollup_daily) AS daily, (SELECT sum(calls) FROM mcp_rollup_hourly) AS hourly`);

    // ---- pages
    const [top] = await raw(`SELECT user_id FROM mcp_user_rollup_daily GROUP BY user_id ORDER BY sum(calls) DESC LIMIT 1`);
    const typicalUser = uuidOf(`user${Math.floor(USERS / 2)}`);
    const team = uuidOf("team3");
    const monthAgo = new Date(now.getTime() - 30 * DAY_MS).toISOString();
    const usageFrom = new Date(today - 29 * DAY_MS).toISOString().slice(0, 10);
    const [topCount] = await raw(`SELECT count(*) FROM mcp_events WHERE user_id = '${top.user_id}' AND time >= '${monthAgo}'`);
    const [typicalCount] = await raw(`SELECT count(*) FROM mcp_events WHERE user_id = '${typicalUser}' AND time >= '${monthAgo}'`);
    const pages = [
      ["Overview", "listTeams + listTokens, dailyActivity (app/(console)/page.tsx)", () => Promise.all([mod.listTeams(ctx), mod.listTokens(ctx, { all: false, includeRevoked: false })]).then(() => mod.dailyActivity(ctx))],
      ["Usage, 30 days", "getUsage + listTeams (app/(console)/usage/page.tsx)", () => Promise.all([mod.getUsage(ctx, mod.UsageQuery.parse({ from: usageFrom }), new Date()), mod.listTeams(ctx)])],
      ["Usage, 30 days, one team", "getUsage { teamId }", () => mod.getUsage(ctx, mod.UsageQuery.parse({ from: usageFrom, teamId: team }), new Date())],
      ["Usage, 30 days, one user (a member's own page)", "getUsage { userId }", () => mod.getUsage(ctx, mod.UsageQuery.parse({ from: usageFrom, userId: top.user_id }), new Date())],
      ["Audit, first page", "listEvents {} (50 rows)", () => mod.listEvents(ctx, {})],
      [`Audit, one user over 30 days: the most active (${fmt(topCount.count)} calls)`, "listEvents { user, from }", () => mod.listEvents(ctx, { user: top.user_id, from: monthAgo })],
      [`Audit, one user over 30 days: a typical one (${fmt(typicalCount.count)} calls)`, "listEvents { user, from }", () => mod.listEvents(ctx, { user: typicalUser, from: monthAgo })],
    ];
    const timings = [];
    for (const [name, calls, fn] of pages) {
      log(`timing ${name}…`);
      timings.push({ name, calls, ...(await timed(SAMPLES, fn)) });
    }
    // Every page of the audit log costs the same: the 20th page of one user's 30 days.
    let cursor;
    for (let i = 0; i < 19; i++) cursor = (await mod.listEvents(ctx, { user: top.user_id, from: monthAgo, cursor })).nextCursor ?? undefined;
    timings.push({ name: "Audit, the most active user, 20th page (keyset)", calls: "listEvents { user, from, cursor }", ...(await timed(SAMPLES, () => mod.listEvents(ctx, { user: top.user_id, from: monthAgo, cursor }))) });
    // Export: the first 100,000 rows of the 30 days (CSV, what GET /api/v1/events/export streams), read to the end of those rows.
    log(`timing the export of ${fmt(EXPORT_ROWS)} rows…`);
    const exportOnce = async () => {
      const reader = mod.exportEvents(ctx, { from: monthAgo, format: "csv" }).stream.getReader();
      let rows = -1; // the header line
      let bytes = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.length;
        for (const byte of value) if (byte === 10) rows++;
        if (rows >= EXPORT_ROWS) {
          await reader.cancel();
          break;
        }
      }
      return { rows: Math.min(rows, EXPORT_ROWS), bytes };
    };
    await exportOnce();
    const exportSamples = [];
    let exported = { rows: 0, bytes: 0 };
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    for (let i = 0; i < Math.min(SAMPLES, 5); i++) {
      const t = performance.now();
      exported = await exportOnce();
      exportSamples.push(performance.now() - t);
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }
    const exportTiming = summary(exportSamples);
    await open.close();

    // ---- report
    const loadAfter = loadAverage();
    const total = counts.mcp_events + counts.llm_events;
    const lines = [];
    lines.push(`Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memGiB} GiB, Node ${machine.node}, ${pg.version}; HEAD ${head}${dirty ? " plus uncommitted changes" : ""}; ${new Date().toISOString().slice(0, 16)}Z`);
    lines.push(`Load average (1/5/15 min): before ${machine.loadBefore}, after ${loadAfter}`);
    lines.push("");
    lines.push(`Data: ${fmt(total)} events (${fmt(counts.mcp_events)} MCP, ${fmt(counts.llm_events)} LLM) over ${DAYS} days, ${fmt(USERS)} users, ${TEAMS} teams, ${SERVERS} servers; database ${size}.`);
    lines.push(`Fill: ${fmt(EVENTS)} events by INSERT … SELECT generate_series, rollups by the same triggers as ingest, in ${fillSeconds.toFixed(0)} s (${fmt(EVENTS / fillSeconds)} events/s), VACUUM ANALYZE ${analyzeSeconds.toFixed(0)} s; migrations ${migrateMs.toFixed(0)} ms.`);
    lines.push(`Rollup rows: MCP hourly ${fmt(counts.mcp_rollup_hourly)}, daily ${fmt(counts.mcp_rollup_daily)}, per user daily ${fmt(counts.mcp_user_rollup_daily)}; LLM hourly ${fmt(counts.llm_rollup_hourly)}, daily ${fmt(counts.llm_rollup_daily)}, per user daily ${fmt(counts.llm_user_rollup_daily)}. Check: MCP events ${fmt(check.raw)} = daily calls ${fmt(check.daily)} = hourly calls ${fmt(check.hourly)}.`);
    lines.push("");
    lines.push("| ingest (ingestEvents: signature, parse, validation, partitions, insert, rollups) | events | seconds | events/s | batch p50 ms | batch p95 ms |");
    lines.push("|---|---:|---:|---:|---:|---:|");
    lines.push(`| ${batches.length} batches of ${BATCH}, ${CONCURRENCY} at a time, new events | ${fmt(ingest.accepted)} | ${ingest.seconds.toFixed(1)} | ${fmt(ingest.accepted / ingest.seconds)} | ${ms(ingest.p50)} | ${ms(ingest.p95)} |`);
    lines.push(`| the same batches redelivered (stored: ${redelivery.accepted}) | ${fmt(INGEST)} | ${redelivery.seconds.toFixed(1)} | ${fmt(INGEST / redelivery.seconds)} | ${ms(redelivery.p50)} | ${ms(redelivery.p95)} |`);
    lines.push("");
    lines.push(`| page (server time: the functions the page calls, ${SAMPLES} samples after 3 warm-ups) | calls | p50 ms | p95 ms | max ms |`);
    lines.push("|---|---|---:|---:|---:|");
    for (const r of timings) lines.push(`| ${r.name} | ${r.calls} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.max)} |`);
    lines.push(
      `| Export of ${fmt(exported.rows)} rows (CSV, ${(exported.bytes / 2 ** 20).toFixed(0)} MiB; ${fmt(exported.rows / (exportTiming.p50 / 1000))} rows/s at p50; RSS +${((rssPeak - rssBefore) / 2 ** 20).toFixed(0)} MiB over ${exportSamples.length} runs) | exportEvents { from } (keyset batches of 1,000) | ${ms(exportTiming.p50)} | ${ms(exportTiming.p95)} | ${ms(exportTiming.max)} |`,
    );
    lines.push("");
    const pageP95 = Math.max(...timings.map((r) => r.p95));
    lines.push("| target | value | met |");
    lines.push("|---|---:|:---:|");
    lines.push(`| ingest ≥ ${fmt(TARGETS.ingestPerSecond)} events/s | ${fmt(ingest.accepted / ingest.seconds)} | ${ingest.accepted / ingest.seconds >= TARGETS.ingestPerSecond ? "✓" : "✗"} |`);
    lines.push(`| every page p95 ≤ ${TARGETS.pageP95Ms} ms at ${fmt(total)} events | worst ${ms(pageP95)} ms | ${pageP95 <= TARGETS.pageP95Ms ? "✓" : "✗"} |`);
    console.log(lines.join("\n"));
  } finally {
    await pg.stop();
  }
}

await main();
