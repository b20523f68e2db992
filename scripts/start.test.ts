/**
 * `npm start` (scripts/start.mjs): what it prints and what `ps` shows. The filters and the wrangler
 * command line as pure functions, then start.mjs itself, run twice at once as a person runs it (the
 * portal in workerd, and under `wrangler dev`) on fresh data folders: its output has no route table,
 * no update notice, no compatibility-flag notice and one host name, and no process's command line
 * holds the edge secret. The console must be built (`node scripts/start.mjs --build-only`, done
 * first here: nothing when the build is current, as `npm test` leaves it for its e2e step).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EDGE_SIGNATURE_HEADER, parseEdgeSecrets, signEdgeRequest } from "@core/edge/secret";
import { freePort } from "@/testing/mcp-servers";
import { CIMD_NOTICE, keepConsoleLine, keepPortalLine, nextBuildFilter, renamePortalOrigin } from "./lib/start-output.mjs";
import { CONSOLE_NODE_FLAGS, consoleOriginFor, wranglerDevArgs, wranglerSecretsFile, writeSecretsFile } from "./lib/start-settings.mjs";

const START = path.join(process.cwd(), "scripts", "start.mjs");

/** This process's environment less what would change how start.mjs runs (vitest's NODE_ENV=test, an identity provider, keys). */
function plainEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ["NODE_ENV", "OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "AUTH_URL", "HOST", "PORTCULLIS_EDGE_SECRET", "PORTCULLIS_BUNDLE_SIGNING_KEY", "PORTCULLIS_PORTAL", "PORTCULLIS_PORTAL_PUBLIC_URL", "PORTCULLIS_PORTAL_URLS", "DATABASE_URL"]) delete env[name];
  return env;
}

/** What `next build` (16.4, Turbopack) printed for this project, less most of its route table. */
const NEXT_BUILD_OUTPUT = `▲ Next.js 16.4.6 (Turbopack)
✓ Running next.config.ts took 50ms
- Experiments (use with caution):
  ✓ authInterrupts
  ⨯ turbopackFileSystemCacheForBuild

  Creating an optimized production build ...
✓ Compiled successfully in 78s
  Running TypeScript ...
✓ Finished writing to filesystem cache in 16.1s
  Finished TypeScript in 34.2s ...
  Skipping validation of types
  Finished TypeScript config validation in 12ms ...
  Collecting page data using 1 worker ...
  Generating static pages using 1 worker (0/59) ...
  Generating static pages using 1 worker (14/59) 
✓ Generating static pages using 1 worker (59/59) in 423ms
  Finalizing page optimization ...

Route (app)
┌ ƒ /
├ ƒ /_not-found
├ ƒ /api/auth/[...nextauth]
└ ƒ /usage


ƒ Proxy (Middleware)

ƒ  (Dynamic)  server-rendered on demand
`.split("\n");

describe("start.mjs's output filters", () => {
  it("drop all of a successful next build's output, the route table included", () => {
    expect(NEXT_BUILD_OUTPUT.filter(nextBuildFilter())).toEqual([]);
  });

  it("keep a build's warnings and anything they do not know, also when coloured", () => {
    const lines = ["\u001b[33m⚠\u001b[39m Compiled with warnings in 3s", "./lib/x.ts: Module not found", ...NEXT_BUILD_OUTPUT, "⚠ a warning after the table"];
    expect(lines.filter(nextBuildFilter())).toEqual(["\u001b[33m⚠\u001b[39m Compiled with warnings in 3s", "./lib/x.ts: Module not found", "⚠ a warning after the table"]);
  });

  it("drop the CIMD notice from the portal's output and keep its other lines", () => {
    const notice = `${CIMD_NOTICE} add '"compatibility_flags": ["global_fetch_strictly_public"]' to your wrangler.jsonc to enable.`;
    const fromWrangler = `\u001b[33m▲ \u001b[43;33m[\u001b[43;30mWARNING\u001b[43;33m]\u001b[0m \u001b[1m${notice}\u001b[0m`;
    expect([notice, `\u001b[31m${notice}\u001b[39m`, fromWrangler, "[portal] events: delivery failed"].filter(keepPortalLine)).toEqual(["[portal] events: delivery failed"]);
  });

  it("name the portal as the rest of the start does", () => {
    expect(renamePortalOrigin("[wrangler:info] Ready on http://127.0.0.1:8787", "http://127.0.0.1:8787", "http://localhost:8787")).toBe("[wrangler:info] Ready on http://localhost:8787");
  });

  it("drop Next's config load time from the console's output and keep the console's own lines", () => {
    expect(["✓ Running next.config.ts took 243ms", "[portcullis] console ready (production)", "⨯ Error: boom"].filter(keepConsoleLine)).toEqual(["[portcullis] console ready (production)", "⨯ Error: boom"]);
  });
});

describe("start.mjs's build (next.config.ts)", () => {
  async function configWith(startBuild: string | undefined) {
    vi.resetModules();
    vi.stubEnv("PORTCULLIS_START_BUILD", startBuild);
    try {
      return (await import("../next.config")).default;
    } finally {
      vi.unstubAllEnvs();
    }
  }

  it("skips Next's type check and its persistent cache for npm start's build only", async () => {
    const start = await configWith("1");
    expect(start.typescript?.ignoreBuildErrors).toBe(true);
    expect(start.experimental?.turbopackFileSystemCacheForBuild).toBe(false);
    const plainBuild = await configWith(undefined);
    expect(plainBuild.typescript?.ignoreBuildErrors).toBe(false);
    expect(plainBuild.experimental?.turbopackFileSystemCacheForBuild).toBe(true);
  });
});

describe("start.mjs's settings", () => {
  it("name the console with the portal's host name, localhost, unless AUTH_URL or a specific address says otherwise", () => {
    expect(consoleOriginFor({ host: "127.0.0.1", port: "3000" })).toBe("http://localhost:3000");
    expect(consoleOriginFor({ host: "0.0.0.0", port: "3000" })).toBe("http://localhost:3000");
    expect(consoleOriginFor({ host: "::1", port: "3000" })).toBe("http://[::1]:3000");
    expect(consoleOriginFor({ host: "10.0.0.5", port: "3000" })).toBe("http://10.0.0.5:3000");
    expect(consoleOriginFor({ host: "0.0.0.0", port: "3000", authUrl: "https://console.example.test/api/auth" })).toBe("https://console.example.test");
  });

  it("put wrangler dev's secrets in an owner-only env file, never on its command line", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "start-settings-"));
    try {
      const secretsFile = path.join(dir, "portal-secrets.env");
      writeSecretsFile(secretsFile, { PORTCULLIS_EDGE_SECRET: "s3cr3t-Edge_value" });
      const args = wranglerDevArgs({ wranglerCli: "cli.js", config: "wrangler.jsonc", port: "8787", persistTo: dir, vars: { PORTCULLIS_CONSOLE_URL: "http://localhost:3000" }, secretsFile });
      expect(args.join(" ")).not.toContain("s3cr3t");
      expect(args).toEqual(expect.arrayContaining(["--env-file", secretsFile, "--var", "PORTCULLIS_CONSOLE_URL:http://localhost:3000"]));
      expect(readFileSync(secretsFile, "utf8")).toBe("PORTCULLIS_EDGE_SECRET=s3cr3t-Edge_value\n");
      expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
      expect(() => writeSecretsFile(secretsFile, { X: "two\nlines" })).toThrow(/dotenv/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

interface Started {
  child: ChildProcess;
  dataDir: string;
  console: string;
  portal: string;
  output(): string;
}

/** Starts start.mjs in its own process group and resolves once the console and the portal answer. */
async function startPortcullis(env: Record<string, string>): Promise<Started> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "start-test-"));
  const [port, portalPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [START], {
    env: { ...plainEnv(), ...env, PORTCULLIS_DATA_DIR: dataDir, PORT: String(port), PORTCULLIS_PORTAL_PORT: String(portalPort) },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const started = { child, dataDir, console: `http://127.0.0.1:${port}`, portal: `http://127.0.0.1:${portalPort}`, output: () => output };
  const answers = async (url: string) => (await fetch(url).catch(() => null))?.ok ?? false;
  const deadline = Date.now() + 120_000;
  while (!((await answers(`${started.console}/api/health`)) && (await answers(`${started.portal}/`)))) {
    if (child.exitCode !== null) throw new Error(`start.mjs exited (${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) throw new Error(`not ready after 120 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return started;
}

/** Ctrl-C for the whole group, as a terminal sends it; resolves when start.mjs has exited. */
async function stop(started: Started | undefined): Promise<void> {
  if (!started) return;
  const { child } = started;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    process.kill(-child.pid!, "SIGINT");
    await exited;
  }
}

/** The command line of every process on the machine (ours included). */
function everyCommandLine(): string[] {
  const lines: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      lines.push(readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " "));
    } catch {
      // The process ended while we looked.
    }
  }
  return lines;
}

/** Host names of the http(s) URLs in `text`. */
function hostNames(text: string): string[] {
  return [...new Set([...text.matchAll(/https?:\/\/(\[[^\]]+\]|[^\s/:)]+)/g)].map((m) => m[1]!))];
}

describe("npm start, as a person runs it", () => {
  let workerd: Started | undefined;
  let wrangler: Started | undefined;

  beforeAll(async () => {
    const build = spawnSync(process.execPath, [START, "--build-only"], { encoding: "utf8", env: plainEnv() });
    expect(build.status, build.stdout + build.stderr).toBe(0);
    [workerd, wrangler] = await Promise.all([startPortcullis({}), startPortcullis({ PORTCULLIS_PORTAL: "wrangler" })]);
    // Late lines (the Worker's module-load notices) have had their chance to appear.
    await new Promise((r) => setTimeout(r, 1_000));
  }, 300_000);

  afterAll(async () => {
    await Promise.all([stop(workerd), stop(wrangler)]);
    for (const started of [workerd, wrangler]) if (started) rmSync(started.dataDir, { recursive: true, force: true });
  }, 60_000);

  it("prints a short start: no route table, no update notice, no notice nobody can act on, one host name", () => {
    for (const { output } of [workerd!, wrangler!]) {
      const text = output();
      expect(text).toMatch(/console on http:\/\/localhost:\d+/);
      expect(text).toMatch(/sign-in\?code=/);
      expect(text).not.toMatch(/Route \(app\)|┌|├/);
      expect(text).not.toMatch(/update available|newer version|⛅️ wrangler/i);
      expect(text).not.toContain("CIMD");
      expect(text).not.toMatch(/Running next\.config/);
      expect(hostNames(text), text).toEqual(["localhost"]);
    }
  });

  it("shows no edge secret or sign-in code on any command line, in either portal mode, and hands wrangler dev the secret all the same", async () => {
    for (const started of [workerd!, wrangler!]) {
      const secret = readFileSync(path.join(started.dataDir, "edge-secret"), "utf8").trim();
      expect(secret.length).toBeGreaterThan(20);
      const signInCode = /sign-in\?code=([A-Z0-9-]+)/.exec(started.output())?.[1];
      expect(signInCode).toBeTruthy();
      const holders = everyCommandLine().filter((line) => line.includes(secret) || line.includes(signInCode!));
      expect(holders).toEqual([]);
    }
    // The portal under wrangler dev knows the secret (from its env file): a signed operator request passes, an unsigned one does not.
    const secret = readFileSync(path.join(wrangler!.dataDir, "edge-secret"), "utf8").trim();
    const signature = await signEdgeRequest("GET", "/_portcullis/status", await parseEdgeSecrets(secret));
    expect((await fetch(`${wrangler!.portal}/_portcullis/status`, { headers: { [EDGE_SIGNATURE_HEADER]: signature } })).status).toBe(200);
    expect((await fetch(`${wrangler!.portal}/_portcullis/status`)).status).toBe(401);
  });

  it("runs the console with its V8 flags (a young generation sized for ingest)", () => {
    for (const started of [workerd!, wrangler!]) {
      // The console of this start: the console-server.mjs process whose parent is this start.mjs.
      const consoles = readdirSync("/proc")
        .filter((entry) => /^\d+$/.test(entry))
        .flatMap((pid) => {
          try {
            const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
            const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
            const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
            return parent === started.child.pid && args.some((a) => a.endsWith("console-server.mjs")) ? [args] : [];
          } catch {
            return [];
          }
        });
      expect(consoles).toHaveLength(1);
      expect(CONSOLE_NODE_FLAGS.length).toBeGreaterThan(0);
      for (const flag of CONSOLE_NODE_FLAGS) expect(consoles[0]).toContain(flag);
    }
  });

  it("removes wrangler dev's secrets file when it stops", async () => {
    const file = wranglerSecretsFile(wrangler!.dataDir);
    expect(existsSync(file)).toBe(true);
    await stop(wrangler);
    expect(existsSync(file)).toBe(false);
  }, 60_000);
});
