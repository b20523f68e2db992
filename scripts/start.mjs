#!/usr/bin/env node
// `npm start`: builds the console when the build is missing or older than the sources, then
// serves it, and runs the portal Worker next to it in workerd through Miniflare's API, without
// wrangler's dev proxy or file watcher (scripts/lib/portal-runner.mjs, a child process; storage under
// .data/portal; its events queue in Miniflare, in memory: docs/events.md). PORTCULLIS_PORTAL=off skips
// the portal; PORTCULLIS_PORTAL=wrangler runs `wrangler dev` instead (reloads the Worker when its
// sources change, for Worker development; storage under .data/wrangler). In local mode (no identity provider configured)
// the console listens on loopback only, because local sign-in asks for no password, and it prints
// the sign-in code the first person (who becomes admin) must type. The console runs behind
// scripts/lib/console-server.mjs, which tells it each request's TCP peer.
// PORTCULLIS_HOSTED_DIR: the servers scaffolded there with `npx portcullis new-server` run in workerd next to the
// portal (scripts/lib/hosted-runner.mjs), and the console requests the registration of the new ones.
// `--dev` runs Next's development server the same way (`npm run dev`), without building.
// Its output is kept to what a person can act on (scripts/lib/start-output.mjs), every address in it
// uses one host name (localhost), and no secret goes on a command line: `ps` shows those to everyone.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { hostedManifestPath } from "./lib/hosted-runner.mjs";
import { localDataDir, publicKeySet, resolveEdgeSecret, resolveSigningKey } from "./lib/local-keys.mjs";
import { generateSignInCode, SIGN_IN_CODE_SETTING } from "./lib/sign-in-code.mjs";
import { keepConsoleLine, keepPortalLine, nextBuildFilter, pipeLines, renamePortalOrigin } from "./lib/start-output.mjs";
import { CONSOLE_NODE_FLAGS, consoleOriginFor, wranglerDevArgs, wranglerEnv, wranglerSecretsFile, writeSecretsFile } from "./lib/start-settings.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");
const consoleServer = path.join(root, "scripts", "lib", "console-server.mjs");
const portalRunner = path.join(root, "scripts", "lib", "portal-runner.mjs");
const hostedRunner = path.join(root, "scripts", "lib", "hosted-runner.mjs");
const SOURCES = ["app", "components", "lib", "db", "public", path.join("scripts", "lib"), "instrumentation.ts", "proxy.ts", "next.config.ts", "package.json", "postcss.config.mjs"];

function newestMtime(p) {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(p)) {
    if (entry === "node_modules" || entry.startsWith(".")) continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry)));
  }
  return newest;
}

function buildIsCurrent() {
  const buildId = path.join(root, ".next", "BUILD_ID");
  if (!existsSync(buildId)) return false;
  const built = statSync(buildId).mtimeMs;
  return SOURCES.every((s) => newestMtime(path.join(root, s)) <= built);
}

const buildOnly = process.argv.includes("--build-only");
const dev = process.argv.includes("--dev");
const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);
const localMode = !process.env.OIDC_ISSUER && !process.env.OIDC_CLIENT_ID && !process.env.OIDC_CLIENT_SECRET;
const port = process.env.PORT || "3000";
let host = process.env.HOST || (localMode ? "127.0.0.1" : "0.0.0.0");
if (!buildOnly && localMode && !LOOPBACK.has(host)) {
  console.error(
    `[portcullis] refusing to listen on ${host} in local mode: local sign-in has no password.\n` +
      "             Configure an identity provider (OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET) to serve a network.",
  );
  process.exit(1);
}

if (!dev && (!buildIsCurrent() || process.argv.includes("--rebuild"))) await build();

/**
 * `next build` without its type check and persistent cache (PORTCULLIS_START_BUILD, next.config.ts)
 * and without its progress lines and route table: warnings and errors pass through, then one line
 * with the time it took.
 */
async function build() {
  console.log("[portcullis] building the console (about 1.5 min the first time on 2 cores)…");
  const started = Date.now();
  const child = spawn(process.execPath, [nextBin, "build"], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", PORTCULLIS_START_BUILD: "1" },
  });
  pipeLines(child.stdout, nextBuildFilter(), process.stdout);
  const [code, signal] = await new Promise((resolve) => child.on("close", (...exit) => resolve(exit)));
  if (code !== 0) {
    console.error(`[portcullis] the console build failed (${signal ?? `exit code ${code}`}); its errors are above`);
    process.exit(code || 1);
  }
  console.log(`[portcullis] console built in ${Math.round((Date.now() - started) / 1000)} s`);
}

if (buildOnly) process.exit(0);

const portalMode = /^(off|0|false|no)$/i.test(process.env.PORTCULLIS_PORTAL ?? "") ? "off" : /^wrangler$/i.test(process.env.PORTCULLIS_PORTAL ?? "") ? "wrangler" : "workerd";
const portalPort = process.env.PORTCULLIS_PORTAL_PORT || "8787";
// A fresh key per start: only console-server.mjs (our child) can stamp requests with it.
const consoleEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", HOST: host, PORT: port, PORTCULLIS_PEER_KEY: randomBytes(32).toString("base64url") };
if (dev) consoleEnv.NODE_ENV = "development";
else delete consoleEnv.NODE_ENV;
// One host name for everything this start prints and hands out: see consoleOriginFor.
const consoleOrigin = consoleOriginFor({ host, port, authUrl: process.env.AUTH_URL });
const signInCode = localMode ? process.env[SIGN_IN_CODE_SETTING] || generateSignInCode() : undefined;
if (signInCode) consoleEnv[SIGN_IN_CODE_SETTING] = signInCode;
let portal;
let hosted;
let secretsFile;
let stopping = false;
if (portalMode !== "off") {
  // The keys exist before either process starts, from the same files the console reads
  // (scripts/lib/local-keys.mjs): the console signs and seals, the Worker verifies and opens.
  const dir = localDataDir();
  let keys;
  let edgeSecret;
  try {
    keys = resolveSigningKey(process.env, dir);
    edgeSecret = resolveEdgeSecret(process.env, dir).secret;
  } catch (error) {
    console.error(`[portcullis] ${error.message}`);
    process.exit(1);
  }
  consoleEnv.PORTCULLIS_PORTAL_URLS ??= `http://127.0.0.1:${portalPort}`;
  consoleEnv.PORTCULLIS_PORTAL_PUBLIC_URL ??= `http://localhost:${portalPort}`;
  const portalOrigin = new URL(consoleEnv.PORTCULLIS_PORTAL_PUBLIC_URL.split(",")[0].trim()).origin;
  const publicVars = { PORTCULLIS_BUNDLE_KEYS: JSON.stringify(publicKeySet(keys)), PORTCULLIS_CONSOLE_URL: consoleOrigin };
  // Either way the portal is our child in our process group, so a supervisor that kills the group
  // (Playwright, systemd, Ctrl-C) stops workerd too; on our own exit we signal the child, which
  // stops its workerd.
  if (portalMode === "wrangler") {
    // wrangler's CLI itself, not its bin wrapper: the wrapper does not pass signals on, so stopping it
    // would leave wrangler and workerd running.
    const wranglerCli = path.join(root, "node_modules", "wrangler", "wrangler-dist", "cli.js");
    console.log(`[portcullis] portal Worker on ${portalOrigin}/mcp (wrangler dev: reloads on source changes; storage under ${path.join(dir, "wrangler")})`);
    // The edge secret in a file of this user's only (`ps` shows command lines to everyone), removed when we stop.
    secretsFile = wranglerSecretsFile(dir);
    mkdirSync(path.dirname(secretsFile), { recursive: true });
    writeSecretsFile(secretsFile, { PORTCULLIS_EDGE_SECRET: edgeSecret });
    portal = spawn(
      process.execPath,
      wranglerDevArgs({ wranglerCli, config: path.join("workers", "portal", "wrangler.jsonc"), port: portalPort, persistTo: path.join(dir, "wrangler"), vars: publicVars, secretsFile }),
      {
        cwd: root,
        stdio: ["ignore", "pipe", "pipe"],
        // wrangler's debug log grows by a few KB per request: keep it with the rest of the local data, not in ~/.config.
        env: wranglerEnv(process.env, path.join(dir, "wrangler", "logs")),
      },
    );
    const rename = (line) => renamePortalOrigin(line, `http://127.0.0.1:${portalPort}`, portalOrigin);
    pipeLines(portal.stdout, keepPortalLine, process.stdout, rename);
    pipeLines(portal.stderr, keepPortalLine, process.stderr, rename);
  } else {
    console.log(`[portcullis] portal Worker on ${portalOrigin}/mcp (workerd; PORTCULLIS_PORTAL=off to skip, =wrangler for wrangler dev)`);
    // The Worker's vars travel in the child's environment, not its command line (which `ps` shows).
    // The IPC channel lets the runner stop workerd if we go away without signalling it.
    portal = spawn(process.execPath, [portalRunner], {
      cwd: root,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      env: { ...process.env, ...publicVars, PORTCULLIS_EDGE_SECRET: edgeSecret, PORTCULLIS_PORTAL_PORT: portalPort, PORTCULLIS_PORTAL_HOST: "127.0.0.1", PORTCULLIS_PORTAL_ORIGIN: portalOrigin },
    });
  }
  // Servers scaffolded with `npx portcullis new-server` under PORTCULLIS_HOSTED_DIR, each in workerd next to the
  // portal (scripts/lib/hosted-runner.mjs); the console registers the new ones from the list it writes.
  if (process.env.PORTCULLIS_HOSTED_DIR) {
    const manifest = hostedManifestPath(dir);
    rmSync(manifest, { force: true });
    consoleEnv.PORTCULLIS_HOSTED_MANIFEST = manifest;
    hosted = spawn(process.execPath, [hostedRunner], { cwd: root, stdio: ["ignore", "inherit", "inherit", "ipc"], env: { ...process.env, PORTCULLIS_PORTAL_ORIGIN: portalOrigin, PORTCULLIS_DATA_DIR: dir } });
    hosted.on("error", (error) => console.error(`[portcullis] could not start the hosted servers: ${error.message}`));
  }
  portal.on("error", (error) => console.error(`[portcullis] could not start the portal Worker: ${error.message}`));
  portal.on("exit", (code, signal) => {
    if (!stopping) console.error(`[portcullis] the portal Worker stopped (${signal ?? `exit code ${code}`}); the console keeps running`);
  });
}

function stopPortal(signal = "SIGTERM") {
  if (hosted?.pid && hosted.exitCode === null && hosted.signalCode === null) {
    try {
      hosted.kill(signal);
    } catch {
      // Already gone.
    }
  }
  if (!portal?.pid || portal.exitCode !== null || portal.signalCode !== null) return;
  try {
    portal.kill(signal);
  } catch {
    // Already gone.
  }
}

console.log(`[portcullis] console on ${consoleOrigin}`);
if (signInCode) {
  console.log(
    `[portcullis] first sign-in code: ${signInCode}  (only the first person to sign in, who becomes admin, needs it)\n` +
      `             ${consoleOrigin}/sign-in?code=${signInCode}`,
  );
}
const child = spawn(process.execPath, [...CONSOLE_NODE_FLAGS, consoleServer, ...(dev ? ["--dev"] : [])], {
  cwd: root,
  stdio: ["inherit", "pipe", "inherit"],
  env: consoleEnv,
});
pipeLines(child.stdout, keepConsoleLine, process.stdout);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    stopping = true;
    stopPortal(signal);
    child.kill(signal);
  });
}
process.on("exit", () => {
  stopPortal();
  if (secretsFile) rmSync(secretsFile, { force: true });
});
child.on("exit", (code, signal) => {
  stopping = true;
  stopPortal();
  const exit = () => process.exit(code ?? (signal ? 1 : 0));
  // Wait for the portal to stop workerd and exit (up to 10 s), so neither outlives us unreaped.
  if (!portal?.pid || portal.exitCode !== null || portal.signalCode !== null) return exit();
  portal.once("exit", exit);
  setTimeout(exit, 10_000).unref();
});
