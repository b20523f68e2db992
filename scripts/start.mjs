#!/usr/bin/env node
// `npm start`: builds the console when the build is missing or older than the sources, then
// serves it. In local mode (no identity provider configured) it listens on loopback only,
// because local sign-in asks for no password.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");
const SOURCES = ["app", "components", "lib", "db", "public", "instrumentation.ts", "next.config.ts", "package.json", "postcss.config.mjs"];

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

if (!buildIsCurrent() || process.argv.includes("--rebuild")) {
  console.log("[portcullis] building the console (about 30 s the first time)…");
  const build = spawnSync(process.execPath, [nextBin, "build"], { cwd: root, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

if (buildOnly) process.exit(0);

console.log(`[portcullis] console on http://${host === "0.0.0.0" ? "localhost" : host === "::1" ? "[::1]" : host}:${port}`);
const child = spawn(process.execPath, [nextBin, "start", "-H", host, "-p", port], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
