/**
 * The portal `npm start` runs (scripts/lib/portal-runner.mjs) and the self-hosted command
 * (`npm run portal:serve`, scripts/portal.mjs), each started as a child process as they run for real:
 * a signed bundle pushed, a tool call through `/mcp` with the SDK client against server-everything,
 * the bundle still there after a restart on the same data folder, workerd gone after SIGTERM, and
 * the self-hosted default of events to the durable buffer.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signBundle, generateSigningKeyPair } from "@core/bundle/sign";
import { EDGE_SIGNATURE_HEADER, generateEdgeSecret, parseEdgeSecrets, signEdgeRequest } from "@core/edge/secret";
import { freePort, startEverythingServer, type RunningServer } from "@/testing/mcp-servers";
import { allowRule, approvedServer, bundleOf, startEventSink, testUser, type Keys, type TestUser } from "@/testing/portal";

const RUNNER = path.join(process.cwd(), "scripts", "lib", "portal-runner.mjs");
const SELF_HOSTED = path.join(process.cwd(), "scripts", "portal.mjs");

interface Launched {
  child: ChildProcess;
  origin: string;
  output(): string;
}

/** Starts `script` with `env` and resolves once it prints that it is ready (or rejects with its output). */
async function launch(script: string, args: string[], env: Record<string, string>): Promise<Launched> {
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready after 120 s:\n${output}`)), 120_000);
    const check = () => {
      const origin = /ready on (http:\/\/\S+)/.exec(output)?.[1];
      if (origin) {
        clearTimeout(timer);
        resolve(origin);
      }
    };
    child.stdout?.on("data", check);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`exited (${signal ?? code}) before it was ready:\n${output}`));
    });
  });
  return { child, origin, output: () => output };
}

/** SIGTERM, then the exit code (null: killed by a signal, which a clean stop must not be). */
function terminate(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    child.once("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });
}

/** Pids of workerd processes whose parent is `ppid` (read from /proc). */
function workerdChildrenOf(ppid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (parent === ppid && comm.startsWith("workerd")) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

describe("the portal without wrangler dev (npm start's runner, npm run portal:serve)", () => {
  let keys: Keys;
  let edgeSecret: string;
  let everything: RunningServer;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let alice: TestUser;
  let dataDir: string;
  let env: Record<string, string>;
  let running: Launched | undefined;
  let version: number;

  async function signedGet(origin: string, pathname: string): Promise<Response> {
    return fetch(`${origin}${pathname}`, { headers: { [EDGE_SIGNATURE_HEADER]: await signEdgeRequest("GET", pathname, await parseEdgeSecrets(edgeSecret)) } });
  }

  async function callEcho(origin: string, message: string): Promise<unknown> {
    const client = new Client({ name: "runner-test", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", origin), { requestInit: { headers: { authorization: `Bearer ${alice.token}` } } }));
    try {
      return await client.callTool({ name: "everything_echo", arguments: { message } });
    } finally {
      await client.close();
    }
  }

  beforeAll(async () => {
    keys = await generateSigningKeyPair();
    edgeSecret = generateEdgeSecret();
    alice = await testUser("alice@example.test");
    [everything, sink] = await Promise.all([startEverythingServer("streamableHttp"), startEventSink(edgeSecret)]);
    dataDir = mkdtempSync(path.join(tmpdir(), "portal-runner-"));
    env = {
      PORTCULLIS_DATA_DIR: dataDir,
      PORTCULLIS_PORTAL_PORT: String(await freePort()),
      PORTCULLIS_BUNDLE_KEYS: JSON.stringify({ [keys.keyId]: keys.publicKeyJwk }),
      PORTCULLIS_CONSOLE_URL: sink.url,
      PORTCULLIS_EDGE_SECRET: edgeSecret,
    };
  }, 60_000);

  afterAll(async () => {
    if (running) await terminate(running.child);
    await Promise.allSettled([everything?.stop(), sink?.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("serves a pushed bundle and a tool call through /mcp on the configured port, storage under the data folder", async () => {
    running = await launch(RUNNER, [], env);
    expect(running.origin).toBe(`http://127.0.0.1:${env.PORTCULLIS_PORTAL_PORT}`);
    const server = await approvedServer({ slug: "everything", url: `${everything.origin}/mcp`, edgeSecret });
    const bundle = await bundleOf({ servers: [server], users: [alice], rules: [allowRule({ type: "everyone" }, "everything")] });
    version = bundle.version;
    const pushed = await fetch(`${running.origin}/_portcullis/bundle`, { method: "POST", body: JSON.stringify(await signBundle(bundle, keys.privateKeyJwk, keys.keyId)), headers: { "content-type": "application/json" } });
    expect(pushed.status).toBe(200);

    const result = (await callEcho(running.origin, "through the runner")) as { content: { type: string; text: string }[] };
    expect(result.content[0]?.text).toContain("through the runner");
    for (const store of ["build", "do", "kv", "cache"]) expect(existsSync(path.join(dataDir, "portal", store)), store).toBe(true);
    // No line per request: twenty more requests add nothing to the log.
    const before = running.output();
    for (let i = 0; i < 20; i += 1) expect((await fetch(`${running.origin}/`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(running.output()).toBe(before);
  }, 180_000);

  it("keeps the bundle across a restart on the same data folder (same version, not 503)", async () => {
    expect(await terminate(running!.child)).toBe(0);
    running = await launch(RUNNER, [], env);
    const status = await signedGet(running.origin, "/_portcullis/status");
    expect(status.status).toBe(200);
    expect(((await status.json()) as { version: number | null }).version).toBe(version);
    const result = (await callEcho(running.origin, "after the restart")) as { content: { type: string; text: string }[] };
    expect(result.content[0]?.text).toContain("after the restart");
  }, 180_000);

  it("stops workerd on SIGTERM and exits 0, leaving no workerd process", async () => {
    const launched = running!;
    const pids = workerdChildrenOf(launched.child.pid!);
    expect(pids).toHaveLength(1);
    expect(await terminate(launched.child)).toBe(0);
    running = undefined;
    for (const pid of pids) expect(existsSync(`/proc/${pid}`), `workerd ${pid} still exists`).toBe(false);
    expect(launched.output()).toMatch(/stopped \(SIGTERM\)/);
  }, 60_000);

  it("self-hosted mode (portal:serve) refuses to start without its configuration, and defaults events to the durable buffer", async () => {
    const missing = spawn(process.execPath, [SELF_HOSTED, "serve"], { env: { ...process.env, PORTCULLIS_DATA_DIR: dataDir, PORTCULLIS_BUNDLE_KEYS: "", PORTCULLIS_CONSOLE_URL: "", PORTCULLIS_EDGE_SECRET: "" }, stdio: ["ignore", "pipe", "pipe"] });
    let said = "";
    missing.stderr?.on("data", (d: Buffer) => (said += d.toString()));
    expect(await new Promise((resolve) => missing.on("exit", resolve))).toBe(1);
    expect(said).toMatch(/PORTCULLIS_BUNDLE_KEYS, PORTCULLIS_CONSOLE_URL, PORTCULLIS_EDGE_SECRET must be set/);

    running = await launch(SELF_HOSTED, ["serve"], { ...env, PORTCULLIS_PUBLIC_URL: "https://mcp.example.test" });
    const events = await signedGet(running.origin, "/_portcullis/events");
    expect(((await events.json()) as { path: string }).path).toBe("buffer");
    // Same data folder: the bundle pushed to the local runner is the one it serves.
    expect(((await (await signedGet(running.origin, "/_portcullis/status")).json()) as { version: number }).version).toBe(version);
    expect(await terminate(running.child)).toBe(0);
    running = undefined;
  }, 180_000);
});
