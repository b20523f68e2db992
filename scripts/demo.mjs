#!/usr/bin/env node
// `npm run demo`: the product with a seeded organisation, so every page has something to show.
// It keeps its own embedded database and keys in .data/demo (PORTCULLIS_DEMO_DATA_DIR), never mixed
// with `npm start`'s; DATABASE_URL is ignored. The first run seeds it (scripts/demo/seed-demo.ts: teams,
// people, the real @modelcontextprotocol/server-everything approved and a second server pending,
// policies, budgets, a published configuration, a month of events, shadow-MCP findings); later runs
// start on what is there (`--reset` seeds afresh). server-everything runs beside it on
// PORTCULLIS_DEMO_MCP_PORT (default 3001, remembered in the data folder), then `npm start` runs the
// console and the portal on that folder. Sign in with one of the printed addresses (local sign-in).
// `--seed-only` seeds (when needed) and stops there.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseCommandLine } from "./lib/command-line.mjs";
import { importTypeScript } from "./lib/load-ts.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const USAGE = "usage: npm run demo [-- --reset] [--seed-only] [--events <count, default 40000>]   (data: PORTCULLIS_DEMO_DATA_DIR, default .data/demo; MCP server port: PORTCULLIS_DEMO_MCP_PORT, default 3001)";
const args = parseCommandLine(USAGE, { reset: { type: "boolean", default: false }, "seed-only": { type: "boolean", default: false }, events: { type: "string" } });

const events = args.values.events === undefined ? undefined : Number(args.values.events);
if (events !== undefined && (!Number.isInteger(events) || events < 1 || events > 10_000_000)) {
  console.error(`[demo] --events must be a whole number from 1 to 10,000,000 (got ${args.values.events})\n${USAGE}`);
  process.exit(2);
}
const dataDir = path.resolve(root, process.env.PORTCULLIS_DEMO_DATA_DIR || path.join(".data", "demo"));
const markerFile = path.join(dataDir, "demo.json");
if (args.values.reset) rmSync(dataDir, { recursive: true, force: true });
const marker = existsSync(markerFile) ? JSON.parse(readFileSync(markerFile, "utf8")) : null;
const mcpPort = Number(marker?.mcpPort ?? process.env.PORTCULLIS_DEMO_MCP_PORT ?? 3001);
if (!Number.isInteger(mcpPort) || mcpPort < 1 || mcpPort > 65535) {
  console.error(`[demo] PORTCULLIS_DEMO_MCP_PORT must be a port number (got ${process.env.PORTCULLIS_DEMO_MCP_PORT})`);
  process.exit(2);
}
if (process.env.DATABASE_URL) console.log("[demo] DATABASE_URL is ignored: the demo keeps its own embedded database in " + dataDir);
const env = { ...process.env, PORTCULLIS_DATA_DIR: dataDir };
delete env.DATABASE_URL;
delete env.DATABASE_DRIVER;
// The seed below runs in this process and reads its keys and database from the demo's folder.
Object.assign(process.env, { PORTCULLIS_DATA_DIR: dataDir });
delete process.env.DATABASE_URL;
delete process.env.DATABASE_DRIVER;

/** server-everything over Streamable HTTP, in its own process group (stopped with us). */
function startEverything() {
  const bin = path.join(root, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
  const child = spawn(process.execPath, [bin, "streamableHttp"], { cwd: root, env: { ...env, PORT: String(mcpPort) }, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server-everything did not start on port ${mcpPort} within 20 s`)), 20_000);
    let output = "";
    const onData = (chunk) => {
      output += chunk;
      if (/listening|running on port/i.test(output)) {
        clearTimeout(timer);
        child.stdout.removeAllListeners("data");
        child.stderr.removeAllListeners("data");
        child.stdout.resume();
        child.stderr.resume();
        resolve(child);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server-everything exited (${code}) on port ${mcpPort}${/EADDRINUSE/.test(output) ? ": the port is taken; set PORTCULLIS_DEMO_MCP_PORT (with --reset)" : `: ${output.trim().slice(-500)}`}`));
    });
  });
}

let everything;
try {
  everything = await startEverything();
} catch (error) {
  console.error(`[demo] ${error.message}`);
  process.exit(1);
}
const stopEverything = () => {
  if (everything.exitCode === null && everything.signalCode === null) everything.kill("SIGTERM");
};
process.on("exit", stopEverything);
const everythingUrl = `http://127.0.0.1:${mcpPort}/mcp`;
console.log(`[demo] @modelcontextprotocol/server-everything on ${everythingUrl}`);

const mod = await importTypeScript("scripts/demo/entry.ts");
if (!marker) {
  const started = Date.now();
  console.log(`[demo] seeding a demo organisation in ${dataDir} (first run only; about a minute on 2 cores)…`);
  mkdirSync(dataDir, { recursive: true });
  let open;
  try {
    open = await mod.openDatabase(mod.resolveDatabaseTarget());
    const result = await mod.seedDemo({ db: open.db, everythingUrl, events, log: (line) => console.log(`[demo]   ${line}`) });
    await open.close();
    open = undefined;
    writeFileSync(markerFile, JSON.stringify({ seededAt: new Date().toISOString(), mcpPort, ...result }, null, 2) + "\n");
    console.log(
      `[demo] seeded in ${Math.round((Date.now() - started) / 1000)} s: ${result.teams} teams, ${result.users} people, servers ${result.servers.approved.join(", ")} (approved) and ` +
        `${result.servers.pending.join(", ")} (pending review), ${result.policies} policies, ${result.budgets} budgets, configuration v${result.configVersion}, ` +
        `${result.events.toLocaleString("en")} events, ${result.findings} shadow-MCP findings from traffic and ${result.laptopFindings} from a laptop scan`,
    );
  } catch (error) {
    await open?.close().catch(() => undefined);
    // A half-seeded demo is worth nothing: the next run starts from scratch.
    rmSync(dataDir, { recursive: true, force: true });
    console.error(`[demo] seeding failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    stopEverything();
    process.exit(1);
  }
}

if (args.values["seed-only"]) {
  console.log(marker ? `[demo] already seeded on ${marker.seededAt}; nothing to do` : "[demo] seeded; `npm run demo` starts the console on it");
  stopEverything();
  process.exit(0);
}

const signInHelp = () => {
  const origin = `http://localhost:${process.env.PORT || "3000"}`;
  console.log(`\n[demo] open ${origin}/sign-in and sign in with one of these addresses (local sign-in: no password, no code):`);
  for (const p of mod.DEMO_PEOPLE) console.log(`         ${p.email.padEnd(24)} ${p.role.padEnd(9)} ${p.sees}`);
  console.log("[demo] Ctrl-C stops it; `npm run demo -- --reset` starts again from a fresh organisation\n");
};

const start = spawn(process.execPath, [path.join(root, "scripts", "start.mjs")], { cwd: root, env, stdio: ["inherit", "pipe", "inherit"] });
let helped = false;
createInterface({ input: start.stdout }).on("line", (line) => {
  // start.mjs's first sign-in code is for an empty console: the demo has its admin already.
  if (/first sign-in code|\/sign-in\?code=/.test(line)) return;
  if (/^\[portcullis\] sign-in: LOCAL MODE/.test(line)) return console.log("[portcullis] sign-in: LOCAL MODE (loopback only): as one of the demo's people listed above");
  console.log(line);
  if (!helped && /database ready/.test(line)) {
    helped = true;
    signInHelp();
  }
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => start.kill(signal));
start.on("exit", (code, signal) => {
  stopEverything();
  process.exit(code ?? (signal ? 1 : 0));
});
