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
 *   npm run bench:events -- --keep                               # keep the cluster (its folder is printed)
 *   npm run bench:events -- --reuse postgres://…/postgres        # time again on a kept database: no fill
 *
 * Run it under the shared lock (flock /tmp/portcullis-heavy.lock npm run bench:events). Prints a
 * markdown report; bench/events/README.md keeps the last one with the machine it ran on.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { loadAverage, log, percentile, root } from "../lib/common.mjs";
import { seededRandom } from "../../testing/seeded-random.mjs";
import { CONSOLE_NODE_FLAGS } from "../../scripts/lib/start-settings.mjs";

// Ingest runs in this process, as in the console's: with the console's V8 flags (scripts/start.mjs).
if (!CONSOLE_NODE_FLAGS.every((flag) => process.execArgv.includes(flag))) {
  const run = spawnSync(process.execPath, [...process.execArgv, ...CONSOLE_NODE_FLAGS, ...process.argv.slice(1)], { stdio: "inherit" });
  process.exit(run.status ?? 1);
}

const { values: opts } = parseArgs({
  options: {
    events: { type: "string", default: "10000000" },
    days: { type: "string", default: "30" },
    users: { type: "string", default: "10000" },
    ingest: { type: "string", default: "300000" },
    concurrency: { type: "string", default: "4,16" },
    samples: { type: "string", default: "30" },
    keep: { type: "boolean", default: false },
    url: { type: "string" },
    reuse: { type: "string" },
  },
});
const EVENTS = Number(opts.events);
const DAYS = Number(opts.days);
const USERS = Number(opts.users);
const INGEST = Number(opts.ingest);
/** Deliveries in flight, one ingest run each: the edge's queue consumers deliver concurrently, more of them as traffic grows. */
const CONCURRENCIES = opts.concurrency.split(",").map(Number);
const CONCURRENCY = CONCURRENCIES[0];
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
  const postmaster = Number(readFileSync(path.join(data, "postmaster.pid"), "utf8").split("\n")[0]);
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, version, dir, stop, postmaster };
}

/**
 * CPU time (ms) of the private cluster's server processes (its postmaster and that one's children),
 * from /proc (Linux). Null where /proc is not there, or for a server of your own (`--url`). Per stored event it is a
 * figure the machine's other load barely moves, unlike wall-clock throughput.
 */
function postgresCpuMs(postmaster) {
  if (!postmaster || !existsSync("/proc/self/stat")) return null;
  let ticks = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (pid !== String(postmaster) && fields[1] !== String(postmaster)) continue;
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended meanwhile.
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
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
    `export { verifyEventSignature } from "./lib/core/edge/secret";`,
    `export { EventBatch } from "./lib/core/events/schema";`,
    `export { TOKEN_SCOPES } from "./lib/core/auth/roles";`,
    `export { fillEvents, insertCompany, syntheticCompany, syntheticEvent } from "./lib/events/synthetic";`,
    `export { getOverview } from "./lib/overview/needs-me";`,
    `export { myBlockNotices } from "./lib/shadow/my-notices";`,
    `export { getOperations } from "./lib/usage/operations";`,
    `export { getBudgetBurnDowns } from "./lib/budgets/queries";`,
  ].join("\n");
  await build({ stdin: { contents: exports, resolveDir: root, loader: "ts" }, bundle: true, format: "esm", platform: "node", packages: "external", outfile, logLevel: "warning", tsconfig: path.join(root, "tsconfig.json") });
  return import(pathToFileURL(outfile).href);
}

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
  const pg = opts.reuse
    ? { url: opts.reuse, version: "(reused)", dir: opts.reuse, stop: async () => {}, postmaster: null }
    : opts.url
      ? await databaseOn(opts.url)
      : await startPostgres();
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
    const raw = async (text, params) => (await db.$client.query(text, params)).rows;

    // The organisation (lib/events/synthetic.ts, the model `npm run seed:events` and `npm run demo` use too):
    // teams, users, servers, and an admin to read as.
    const { teams, company } = mod.syntheticCompany({ teams: TEAMS, users: USERS, servers: SERVERS, domain: "bench.example", prefix: "bench" });
    if (!opts.reuse) await mod.insertCompany(db, teams, company);
    const [adminRow] = opts.reuse
      ? await raw(`SELECT id FROM users WHERE email = 'admin@bench.example'`)
      : await raw(`INSERT INTO users (email, role, email_verified, auth_source) VALUES ('admin@bench.example', 'admin', true, 'local') RETURNING id`);
    const ctx = { db, actor: { kind: "user", userId: adminRow.id, email: "admin@bench.example", role: "admin", scopes: mod.TOKEN_SCOPES } };

    // ---- fill
    const now = new Date();
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    t = performance.now();
    if (opts.reuse) log("reusing a filled database: no fill");
    else log(`filling ${fmt(EVENTS)} events over ${DAYS} days (${Math.round(LLM_SHARE * 100)} % LLM calls)…`);
    if (!opts.reuse) await mod.fillEvents(db, company, {
      count: EVENTS,
      days: DAYS,
      now,
      llmShare: LLM_SHARE,
      bundleVersion: 42,
      onDay: (day, filled) => log(`  ${day}: ${fmt(filled)} events, ${fmt(filled / ((performance.now() - t) / 1000))}/s`),
    });
    const fillSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    await raw(opts.reuse ? "ANALYZE" : "VACUUM ANALYZE");
    const analyzeSeconds = (performance.now() - t) / 1000;
    // The fill's dirty pages are written now, not by a checkpoint running beside the timed ingest.
    t = performance.now();
    await raw("CHECKPOINT");
    const checkpointSeconds = (performance.now() - t) / 1000;

    // ---- ingest through the signed path
    const edgeSecret = mod.generateEdgeSecret();
    const secrets = await mod.parseEdgeSecrets(edgeSecret);
    const makeBatches = (seed) => {
      const random = seededRandom(seed);
      const out = [];
      for (let i = 0; i < INGEST; i += BATCH) {
        const events = Array.from({ length: Math.min(BATCH, INGEST - i) }, () => mod.syntheticEvent(random, now.getTime() - 30_000 - Math.floor(random() * 600_000), company, LLM_SHARE, 42));
        const body = JSON.stringify({ events });
        // The route hands ingest the bytes it read (lib/audit/ingest-request.ts).
        out.push({ body, bytes: Buffer.from(body), count: events.length });
      }
      return out;
    };
    const deliverAll = async (batches, concurrency) => {
      // Signed just before the run, as the edge signs each delivery (5-minute tolerance).
      for (const b of batches) b.signature = await mod.signEventBody(b.body, secrets);
      const latencies = [];
      let accepted = 0;
      let next = 0;
      const started = performance.now();
      const cpu = { postgres: postgresCpuMs(pg.postmaster), node: process.cpuUsage() };
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < batches.length) {
            const b = batches[next++];
            const t0 = performance.now();
            const result = await mod.ingestEvents(db, { body: b.bytes, signature: b.signature, secrets });
            latencies.push(performance.now() - t0);
            accepted += result.accepted;
          }
        }),
      );
      const node = process.cpuUsage(cpu.node);
      const cpuUs = { postgres: cpu.postgres === null ? null : (postgresCpuMs(pg.postmaster) - cpu.postgres) * 1000, node: node.user + node.system };
      return { seconds: (performance.now() - started) / 1000, accepted, cpuUs, ...summary(latencies) };
    };
    const ingests = [];
    for (const [i, concurrency] of CONCURRENCIES.entries()) {
      // A reused database already holds the first runs' events: new ones, or they would all be redeliveries.
      const runBatches = makeBatches((opts.reuse ? Date.now() % 1_000_000 : 18) + i);
      log(`ingesting ${fmt(INGEST)} events in ${runBatches.length} signed batches of ${BATCH}, ${concurrency} at a time…`);
      const run = await deliverAll(runBatches, concurrency);
      log(`  ${fmt(run.accepted / run.seconds)} events/s`);
      ingests.push({ concurrency, batches: runBatches, ...run });
    }
    const ingest = ingests.reduce((best, r) => (r.accepted / r.seconds > best.accepted / best.seconds ? r : best));
    const batches = ingests[0].batches;
    const redelivery = await deliverAll(batches, CONCURRENCY);
    log(`  redelivered: ${fmt(INGEST / redelivery.seconds)} events/s, ${redelivery.accepted} stored again`);

    // ---- the floor, in the same run: what the console's process alone costs (no database), and what
    // PostgreSQL alone costs to take the same rows — into a copy of mcp_events with no index and no
    // trigger (UNLOGGED: no WAL either), and into a partitioned copy with the same indexes but no rollups.
    const nodeOnly = async () => {
      const started = performance.now();
      let events = 0;
      for (const b of batches) {
        if (!(await mod.verifyEventSignature(b.signature, b.bytes, secrets, Math.floor(Date.now() / 1000)))) throw new Error("signature");
        events += mod.EventBatch.parse(JSON.parse(new TextDecoder().decode(b.bytes))).events.length;
      }
      return { seconds: (performance.now() - started) / 1000, events };
    };
    const processOnly = await nodeOnly();
    log(`  the console's process alone (signature, JSON, validation): ${fmt(processOnly.events / processOnly.seconds)} events/s`);
    const mcpColumns = await raw(`SELECT column_name, data_type, udt_name FROM information_schema.columns WHERE table_name = 'mcp_events' AND column_name <> 'received_at' ORDER BY ordinal_position`);
    const typeOf = (c) => (c.data_type === "ARRAY" ? `${c.udt_name.slice(1)}[]` : c.data_type === "USER-DEFINED" ? c.udt_name : c.data_type);
    const camel = (name) => name.replace(/_([a-z])/g, (_, ch) => ch.toUpperCase());
    const recordset = mcpColumns.map((c) => `"${camel(c.column_name)}" ${typeOf(c)}`).join(", ");
    const targets = mcpColumns.map((c) => c.column_name).join(", ");
    const fields = mcpColumns.map((c) => `"${camel(c.column_name)}"`).join(", ");
    await raw(`CREATE UNLOGGED TABLE floor_bare (LIKE mcp_events INCLUDING DEFAULTS)`);
    await raw(`CREATE TABLE floor_indexed (LIKE mcp_events INCLUDING ALL) `);
    const mcpBodies = batches.map((b) => JSON.stringify(JSON.parse(b.body).events.filter((e) => e.kind !== "llm").map((e) => {
      const row = { ...e, wouldBlock: e.wouldBlock ?? false };
      delete row.kind;
      return row;
    })));
    // As many statements at a time as the ingest ran deliveries, each on a pool connection of its own.
    const floorInsert = async (table) => {
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < mcpBodies.length) {
            const rows = mcpBodies[next++];
            await raw(`INSERT INTO ${table} (${targets}) SELECT ${fields} FROM json_to_recordset($1::json) AS r(${recordset}) ON CONFLICT DO NOTHING`, [rows]);
          }
        }),
      );
      const events = mcpBodies.reduce((sum, rows) => sum + JSON.parse(rows).length, 0);
      return { seconds: (performance.now() - started) / 1000, events };
    };
    const bare = await floorInsert("floor_bare");
    log(`  PostgreSQL alone, the MCP rows into an unlogged table without index or trigger: ${fmt(bare.events / bare.seconds)} events/s`);
    const indexed = await floorInsert("floor_indexed");
    log(`  PostgreSQL alone, the MCP rows into a table with mcp_events' indexes, no rollups: ${fmt(indexed.events / indexed.seconds)} events/s`);
    await raw(`DROP TABLE floor_bare, floor_indexed`);

    // ---- sizes
    const counts = Object.fromEntries(
      (
        await raw(`SELECT 'mcp_events' AS t, count(*) FROM mcp_events UNION ALL SELECT 'llm_events', count(*) FROM llm_events
        UNION ALL SELECT 'mcp_rollup_hourly', count(*) FROM mcp_rollup_hourly UNION ALL SELECT 'mcp_rollup_daily', count(*) FROM mcp_rollup_daily
        UNION ALL SELECT 'mcp_team_rollup_daily', count(*) FROM mcp_team_rollup_daily UNION ALL SELECT 'llm_rollup_hourly', count(*) FROM llm_rollup_hourly
        UNION ALL SELECT 'llm_rollup_daily', count(*) FROM llm_rollup_daily UNION ALL SELECT 'llm_user_totals_daily', count(*) FROM llm_user_totals_daily`)
      ).map((r) => [r.t, Number(r.count)]),
    );
    const [{ size }] = await raw(`SELECT pg_size_pretty(pg_database_size(current_database())) AS size`);
    const [check] = await raw(`SELECT (SELECT count(*) FROM mcp_events) AS raw, (SELECT sum(calls) FROM mcp_rollup_daily) AS daily, (SELECT sum(calls) FROM mcp_rollup_hourly) AS hourly`);

    // ---- pages
    const typicalUser = company.users[Math.floor(USERS / 2)].id;
    const team = teams[3].id;
    const monthAgo = new Date(now.getTime() - 30 * DAY_MS).toISOString();
    // The most active user (a scan of the events, once: there is no per-user rollup to rank from).
    const [top] = await raw(`SELECT user_id FROM mcp_events WHERE user_id IS NOT NULL GROUP BY user_id ORDER BY count(*) DESC LIMIT 1`);
    const usageFrom = new Date(today - 29 * DAY_MS).toISOString().slice(0, 10);
    const [topCount] = await raw(`SELECT count(*) FROM mcp_events WHERE user_id = '${top.user_id}' AND time >= '${monthAgo}'`);
    const [typicalCount] = await raw(`SELECT count(*) FROM mcp_events WHERE user_id = '${typicalUser}' AND time >= '${monthAgo}'`);
    const pages = [
      ["Overview", "getOverview + myBlockNotices + dailyActivity (app/(console)/page.tsx)", () => Promise.all([mod.getOverview(ctx, new Date()), mod.myBlockNotices(ctx), mod.dailyActivity(ctx)])],
      ["Overview, a member's own", "getOverview as the most active user", () => mod.getOverview({ db, actor: { kind: "user", userId: top.user_id, email: "top@bench.example", role: "member", scopes: mod.TOKEN_SCOPES } }, new Date())],
      ["Usage, 30 days", "getUsage + listTeams + getOperations (app/(console)/usage/page.tsx)", () => Promise.all([mod.getUsage(ctx, mod.UsageQuery.parse({ from: usageFrom }), new Date()), mod.listTeams(ctx), mod.getOperations(ctx, { from: usageFrom }, new Date())])],
      ["Usage, 30 days, one team", "getUsage { teamId } + listTeams + getBudgetBurnDowns", () => Promise.all([mod.getUsage(ctx, mod.UsageQuery.parse({ from: usageFrom, teamId: team }), new Date()), mod.listTeams(ctx), mod.getBudgetBurnDowns(ctx, new Date())])],
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
    lines.push(`Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memGiB} GiB, Node ${machine.node} (${process.execArgv.join(" ")}), ${pg.version}; HEAD ${head}${dirty ? " plus uncommitted changes" : ""}; ${new Date().toISOString().slice(0, 16)}Z`);
    lines.push(`Load average (1/5/15 min): before ${machine.loadBefore}, after ${loadAfter}`);
    lines.push("");
    lines.push(`Data: ${fmt(total)} events (${fmt(counts.mcp_events)} MCP, ${fmt(counts.llm_events)} LLM) over ${DAYS} days, ${fmt(USERS)} users, ${TEAMS} teams, ${SERVERS} servers; database ${size}.`);
    if (opts.reuse) lines.push("Fill: none — a database filled by an earlier run (`--reuse`), with that run's ingested events too.");
    else lines.push(`Fill: ${fmt(EVENTS)} events by INSERT … SELECT generate_series, rollups by the same triggers as ingest, in ${fillSeconds.toFixed(0)} s (${fmt(EVENTS / fillSeconds)} events/s), VACUUM ANALYZE ${analyzeSeconds.toFixed(0)} s, CHECKPOINT ${checkpointSeconds.toFixed(0)} s; migrations ${migrateMs.toFixed(0)} ms.`);
    lines.push(`Rollup rows: MCP hourly ${fmt(counts.mcp_rollup_hourly)}, daily ${fmt(counts.mcp_rollup_daily)}, per team daily ${fmt(counts.mcp_team_rollup_daily)}; LLM hourly ${fmt(counts.llm_rollup_hourly)}, daily ${fmt(counts.llm_rollup_daily)}, per user totals daily ${fmt(counts.llm_user_totals_daily)}. Check: MCP events ${fmt(check.raw)} = daily calls ${fmt(check.daily)} = hourly calls ${fmt(check.hourly)}.`);
    lines.push("");
    lines.push("| ingest (ingestEvents: signature, parse, validation, partitions, insert, rollups) | events | seconds | events/s | batch p50 ms | batch p95 ms |");
    lines.push("|---|---:|---:|---:|---:|---:|");
    for (const r of ingests) {
      const perEvent = r.cpuUs.postgres === null ? "" : `; CPU per event: PostgreSQL ${(r.cpuUs.postgres / r.accepted).toFixed(0)} µs, Node ${(r.cpuUs.node / r.accepted).toFixed(0)} µs`;
      lines.push(`| ${r.batches.length} batches of ${BATCH}, ${r.concurrency} at a time, new events${perEvent} | ${fmt(r.accepted)} | ${r.seconds.toFixed(1)} | ${fmt(r.accepted / r.seconds)} | ${ms(r.p50)} | ${ms(r.p95)} |`);
    }
    lines.push(`| the same batches redelivered (stored: ${redelivery.accepted}) | ${fmt(INGEST)} | ${redelivery.seconds.toFixed(1)} | ${fmt(INGEST / redelivery.seconds)} | ${ms(redelivery.p50)} | ${ms(redelivery.p95)} |`);
    lines.push(`| floor: the console's process alone — signature, JSON, validation of the same batches, no database | ${fmt(processOnly.events)} | ${processOnly.seconds.toFixed(1)} | ${fmt(processOnly.events / processOnly.seconds)} | – | – |`);
    lines.push(`| floor: PostgreSQL alone — the MCP rows, one INSERT per batch, ${CONCURRENCY} at a time, unlogged table, no index, no trigger | ${fmt(bare.events)} | ${bare.seconds.toFixed(1)} | ${fmt(bare.events / bare.seconds)} | – | – |`);
    lines.push(`| floor: PostgreSQL alone — the same into a table with mcp_events' indexes (not partitioned), no rollups | ${fmt(indexed.events)} | ${indexed.seconds.toFixed(1)} | ${fmt(indexed.events / indexed.seconds)} | – | – |`);
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
    lines.push(`| ingest ≥ ${fmt(TARGETS.ingestPerSecond)} events/s (${ingest.concurrency} deliveries at a time) | ${fmt(ingest.accepted / ingest.seconds)} | ${ingest.accepted / ingest.seconds >= TARGETS.ingestPerSecond ? "✓" : "✗"} |`);
    lines.push(`| every page p95 ≤ ${TARGETS.pageP95Ms} ms at ${fmt(total)} events | worst ${ms(pageP95)} ms | ${pageP95 <= TARGETS.pageP95Ms ? "✓" : "✗"} |`);
    console.log(lines.join("\n"));
  } finally {
    await pg.stop();
  }
}

await main();
