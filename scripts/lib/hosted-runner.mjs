#!/usr/bin/env node
/**
 * Hosted MCP servers next to the local portal (`npm start` with PORTCULLIS_HOSTED_DIR): every
 * project under that folder made by `npx portcullis new-server` (a `wrangler.jsonc` and
 * `src/portcullis-proof.ts`) is built as `wrangler deploy` builds it and run in workerd through
 * Miniflare, on a port of its own that stays the same from one start to the next (the registered
 * URL names it; kept in <data>/hosted/ports.json), accepting the local portal's proofs only. The
 * servers running are listed in <data>/hosted/servers.json, which the console reads to register the
 * new ones, pending review (lib/servers/register-hosted-servers.ts).
 *
 * Run by scripts/start.mjs as a child process; environment:
 *   PORTCULLIS_HOSTED_DIR        the folder of scaffolded servers
 *   PORTCULLIS_HOSTED_PORT       the first port to hand out (default 8800)
 *   PORTCULLIS_PORTAL_ORIGIN     the portal whose proofs they accept (default http://localhost:8787)
 *   PORTCULLIS_DATA_DIR          where builds, ports and the list go (default .data)
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { localDataDir } from "./local-keys.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const DEFAULT_HOSTED_PORT = 8800;

/** `jsonc` without its line comments (what the template's wrangler.jsonc holds). */
const readJsonc = (file) => JSON.parse(readFileSync(file, "utf8").replace(/^\s*\/\/.*$/gm, ""));

/**
 * The scaffolded servers under `dir`, by folder name: `{ name, dir, description, owner, ready, reason }`.
 * `ready` is false (with the reason) for one whose dependencies are not installed.
 */
export function findHostedProjects(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    const project = path.join(dir, entry.name);
    if (!existsSync(path.join(project, "wrangler.jsonc")) || !existsSync(path.join(project, "src", "portcullis-proof.ts"))) continue;
    let pkg = {};
    try {
      pkg = JSON.parse(readFileSync(path.join(project, "package.json"), "utf8"));
    } catch {
      // A project without a readable package.json is named by its folder.
    }
    const name = typeof pkg.name === "string" && /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(pkg.name) ? pkg.name : entry.name;
    const ready = existsSync(path.join(project, "node_modules", "@modelcontextprotocol", "sdk"));
    out.push({
      name,
      dir: project,
      ...(typeof pkg.description === "string" && pkg.description ? { description: pkg.description.slice(0, 2000) } : {}),
      ...(typeof pkg.portcullis?.owner === "string" ? { owner: pkg.portcullis.owner } : {}),
      ready,
      ...(ready ? {} : { reason: `its dependencies are not installed (run npm install in ${project})` }),
    });
  }
  return out;
}

/** A port per project folder: the one it had before, else the lowest free one from `base`. */
export function assignPorts(dirs, previous, base = DEFAULT_HOSTED_PORT) {
  const ports = {};
  const taken = new Set();
  for (const d of dirs) if (Number.isInteger(previous[d]) && !taken.has(previous[d])) taken.add((ports[d] = previous[d]));
  let next = base;
  for (const d of dirs) {
    if (ports[d] !== undefined) continue;
    while (taken.has(next)) next++;
    taken.add((ports[d] = next));
  }
  return ports;
}

/** Builds one project as `wrangler deploy` would (its own wrangler when installed), into `outdir`; resolves with the entry script. */
function buildProject(project, outdir) {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const own = path.join(project, "node_modules", "wrangler", "bin", "wrangler.js");
  const wrangler = existsSync(own) ? own : path.join(root, "node_modules", "wrangler", "bin", "wrangler.js");
  const child = spawn(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir], {
    cwd: project,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", WRANGLER_LOG_PATH: path.join(outdir, "..", "logs") },
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) => (code === 0 ? resolve(path.join(outdir, "index.js")) : reject(new Error(`the build failed (${signal ?? `exit code ${code}`}): ${stderr.trim().split("\n").slice(-5).join(" ")}`))));
  });
}

/** Writes `file` whole or not at all (the console may read it at any moment). */
function writeAtomically(file, text) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/**
 * Starts every ready project under `dir` accepting the proofs of `portal`. Resolves with what runs
 * (`servers`: the list the console reads), what was skipped and why, and `stop()`.
 */
export async function startHostedServers({ dir, portal, dataDir, basePort = DEFAULT_HOSTED_PORT, log = console.log }) {
  const { Miniflare } = await import("miniflare");
  const home = path.join(dataDir, "hosted");
  const portsFile = path.join(home, "ports.json");
  let previous = {};
  try {
    previous = JSON.parse(readFileSync(portsFile, "utf8"));
  } catch {
    // First start.
  }
  const projects = findHostedProjects(dir);
  const ports = assignPorts(projects.map((p) => p.dir), previous, basePort);
  writeAtomically(portsFile, JSON.stringify({ ...previous, ...ports }, null, 2));
  const running = [];
  const servers = [];
  const skipped = [];
  for (const p of projects) {
    if (!p.ready) {
      skipped.push({ name: p.name, reason: p.reason });
      continue;
    }
    try {
      const script = await buildProject(p.dir, path.join(home, "build", p.name));
      const config = readJsonc(path.join(p.dir, "wrangler.jsonc"));
      const url = `http://127.0.0.1:${ports[p.dir]}/mcp`;
      const mf = new Miniflare({
        host: "127.0.0.1",
        port: ports[p.dir],
        modules: true,
        scriptPath: script,
        modulesRoot: path.dirname(script),
        compatibilityDate: config.compatibility_date,
        compatibilityFlags: config.compatibility_flags ?? [],
        bindings: { PORTCULLIS_PORTAL_URL: portal, PORTCULLIS_SERVER_URL: url },
      });
      await mf.ready;
      running.push(mf);
      servers.push({ name: p.name, dir: p.dir, url, ...(p.description ? { description: p.description } : {}), ...(p.owner ? { owner: p.owner } : {}) });
      log(`[hosted] ${p.name} on ${url} (from ${p.dir}; only the portal at ${portal} can call it)`);
    } catch (error) {
      skipped.push({ name: p.name, reason: error.message });
    }
  }
  for (const s of skipped) log(`[hosted] ${s.name} not started: ${s.reason}`);
  writeAtomically(path.join(home, "servers.json"), JSON.stringify(servers, null, 2));
  return {
    servers,
    skipped,
    async stop() {
      await Promise.allSettled(running.map((mf) => mf.dispose()));
    },
  };
}

/** The manifest the console reads (PORTCULLIS_HOSTED_MANIFEST). */
export const hostedManifestPath = (dataDir) => path.join(dataDir, "hosted", "servers.json");

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const dir = path.resolve(process.env.PORTCULLIS_HOSTED_DIR ?? "");
  const basePort = Number(process.env.PORTCULLIS_HOSTED_PORT || DEFAULT_HOSTED_PORT);
  if (!process.env.PORTCULLIS_HOSTED_DIR || !Number.isInteger(basePort) || basePort < 1 || basePort > 65535) {
    console.error("[hosted] PORTCULLIS_HOSTED_DIR must name a folder, PORTCULLIS_HOSTED_PORT a port");
    process.exit(2);
  }
  const hosted = await startHostedServers({ dir, portal: process.env.PORTCULLIS_PORTAL_ORIGIN || "http://localhost:8787", dataDir: localDataDir(), basePort });
  const stop = async () => {
    await hosted.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  // The parent went away without signalling: stop workerd with us.
  process.on("disconnect", stop);
}
