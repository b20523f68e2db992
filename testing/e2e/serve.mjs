#!/usr/bin/env node
// Starts a console for the e2e suite on a fresh embedded database under .data/e2e-<name>.
// `demo` starts `npm run demo` there instead (scripts/demo.mjs --reset): the console on a seeded
// organisation (a month of events, shadow findings…), with PORTCULLIS_DEMO_EVENTS events (default
// 3000: every chart filled, seeded in seconds), for the specs that need charts with data.
// Guard: e2e never runs against a non-local database, whatever the caller's environment says.
import { rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { spawn } from "node:child_process";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const name = process.argv[2];
if (!name || !/^[a-z0-9-]+$/.test(name)) throw new Error("usage: node testing/e2e/serve.mjs <name>");

const env = { ...process.env };
const url = env.DATABASE_URL;
if (url) {
  const host = new URL(url).hostname;
  if (!["localhost", "127.0.0.1", "::1"].includes(host)) {
    console.error(`[e2e] refusing to run against a non-local database (${host})`);
    process.exit(1);
  }
}
delete env.DATABASE_URL;
const dataDir = path.join(root, ".data", `e2e-${name}`);
rmSync(dataDir, { recursive: true, force: true });
env.PORTCULLIS_DATA_DIR = dataDir;
env.HOST = "127.0.0.1";

const demo = name === "demo";
if (demo) env.PORTCULLIS_DEMO_DATA_DIR = dataDir;
const command = demo ? [path.join(root, "scripts", "demo.mjs"), "--reset", "--events", env.PORTCULLIS_DEMO_EVENTS || "3000"] : [path.join(root, "scripts", "start.mjs")];
const child = spawn(process.execPath, command, { cwd: root, env, stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 0));
