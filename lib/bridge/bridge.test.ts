/**
 * The bridge with real stdio servers and the portal in workerd: a bridged server-memory is
 * registered (discovered with the console's proof) and used through the portal with the official
 * SDK client; a call around the portal gets 401; a crashed child is started again and its session
 * goes on; progress notifications of a bridged server-everything reach the caller; the CLI prints
 * the URL and the registration command.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateEdgeSecret, parseEdgeSecrets } from "@core/edge/secret";
import { PORTAL_SUBJECT, signProof } from "@core/proof/sign";
import { PROOF_HEADER } from "@core/proof/verify";
import { allowRule, approvedServer, bundleOf, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";
import { registrationCommand, slugFor, startBridge, type RunningBridge } from "./bridge";

const MEMORY = path.join(process.cwd(), "node_modules", "@modelcontextprotocol", "server-memory", "dist", "index.js");
const EVERYTHING = path.join(process.cwd(), "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
const TEAM = { id: crypto.randomUUID(), slug: "platform" };
const INITIALIZE = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "direct", version: "1" } } };

describe("npx portcullis bridge", () => {
  let portal: PortalUnderTest;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let memory: RunningBridge;
  let everything: RunningBridge;
  let alice: TestUser;
  let dir: string;
  const log: string[] = [];
  const clients: Client[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "bridge-test-"));
    const edgeSecret = generateEdgeSecret();
    sink = await startEventSink(edgeSecret);
    portal = await startPortal({ consoleUrl: sink.url, edgeSecret });
    const common = { portal: portal.origin, backoffMs: { first: 100, max: 1_000 }, log: (line: string) => void log.push(line) };
    // server-memory keeps its graph in a file: one per test run, never the package's own folder.
    [memory, everything] = await Promise.all([
      startBridge({ ...common, command: process.execPath, args: [MEMORY], env: { ...(process.env as Record<string, string>), MEMORY_FILE_PATH: path.join(dir, "memory.jsonl") } }),
      startBridge({ ...common, command: process.execPath, args: [EVERYTHING, "stdio"] }),
    ]);
    alice = await testUser("alice@acme.test", [TEAM.id]);
    const servers = [
      await approvedServer({ slug: "memory", url: memory.url, edgeSecret: portal.edgeSecret, proofIssuer: portal.origin }),
      await approvedServer({ slug: "everything", url: everything.url, edgeSecret: portal.edgeSecret, proofIssuer: portal.origin }),
    ];
    const bundle = await bundleOf({ servers, users: [alice], teams: [TEAM], rules: [allowRule({ type: "everyone" }, "memory"), allowRule({ type: "everyone" }, "everything")] });
    expect((await portal.push(bundle)).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled([memory?.close(), everything?.close(), portal?.stop(), sink?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  async function connect(scope: string): Promise<Client> {
    const client = new Client({ name: "bridge-test", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`/mcp/${scope}`, portal.origin), { requestInit: { headers: { authorization: `Bearer ${alice.token}` } } }));
    clients.push(client);
    return client;
  }

  const text = (answer: unknown) => (answer as { content: { text: string }[] }).content.map((c) => c.text).join("\n");

  it("tried the command at start and found its tools", () => {
    expect(memory.server).toMatchObject({ name: "memory-server", tools: expect.arrayContaining(["create_entities", "open_nodes", "read_graph"]) });
  });

  it("serves server-memory through the portal: create an entity, read it back, as the verified caller", async () => {
    const client = await connect("memory");
    const created = await client.callTool({ name: "create_entities", arguments: { entities: [{ name: "Portcullis", entityType: "project", observations: ["guards the MCP upstreams"] }] } });
    expect(created.isError).toBeFalsy();
    const read = await client.callTool({ name: "open_nodes", arguments: { names: ["Portcullis"] } });
    expect(text(read)).toContain("guards the MCP upstreams");
    // Through the sealed /mcp path too, in another upstream session (another child, the same file).
    const flat = new Client({ name: "bridge-test", version: "1" });
    await flat.connect(new StreamableHTTPClientTransport(new URL("/mcp", portal.origin), { requestInit: { headers: { authorization: `Bearer ${alice.token}` } } }));
    clients.push(flat);
    expect(text(await flat.callTool({ name: "memory_search_nodes", arguments: { query: "Portcullis" } }))).toContain("guards the MCP upstreams");
    expect(memory.callers.filter((c) => c.kind === "user").at(-1)).toMatchObject({ sub: alice.id, email: alice.email, teams: [TEAM.slug], aud: memory.url });
  });

  it("refuses calls around the portal with 401", async () => {
    const direct = (headers: Record<string, string> = {}) =>
      fetch(memory.url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers }, body: JSON.stringify(INITIALIZE) });
    const none = await direct();
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Portcullis-Proof error="missing"');
    const secrets = await parseEdgeSecrets(portal.edgeSecret);
    expect((await direct({ [PROOF_HEADER]: await signProof({ issuer: portal.origin, audience: everything.url, subject: PORTAL_SUBJECT }, secrets) })).status).toBe(401);
    expect((await direct({ [PROOF_HEADER]: "not-a-proof" })).status).toBe(401);
  });

  it("starts a crashed child again; the session goes on", async () => {
    const client = await connect("memory");
    await client.callTool({ name: "read_graph", arguments: {} });
    const before = new Map(memory.children());
    const pids = [...before.values()].filter((p): p is number => typeof p === "number");
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) process.kill(pid, "SIGKILL");
    await expect.poll(() => [...memory.children()].filter(([id, pid]) => before.has(id) && typeof pid === "number" && pid !== before.get(id)).length, { timeout: 15_000 }).toBe(before.size);
    expect(log.some((l) => /child exited; restarting in \d+ ms/.test(l))).toBe(true);
    // The same portal session, a new child behind it (re-initialized by the bridge): the data is still there.
    expect(text(await client.callTool({ name: "open_nodes", arguments: { names: ["Portcullis"] } }))).toContain("guards the MCP upstreams");
  });

  it("relays the server's progress notifications to the caller", async () => {
    const client = await connect("everything");
    const progress: number[] = [];
    const answer = await client.callTool({ name: "trigger-long-running-operation", arguments: { duration: 1, steps: 3 } }, undefined, { onprogress: (p) => void progress.push(p.progress) });
    expect(answer.isError).toBeFalsy();
    expect(progress).toEqual([1, 2, 3]);
  });

  it("prints its URL and the registration command; refuses a bad command line", async () => {
    const cli = path.join(process.cwd(), "scripts", "portcullis.mjs");
    const child = spawn(process.execPath, [cli, "bridge", "--port", "0", "--name", "Team Memory", "--portal", portal.origin, "--", process.execPath, MEMORY], {
      env: { ...process.env, MEMORY_FILE_PATH: path.join(dir, "cli.jsonl") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    try {
      await expect.poll(() => out, { timeout: 30_000 }).toMatch(/curl -X POST/);
      const url = /is at (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(out)?.[1];
      expect(url).toBeDefined();
      expect(out).toContain(`"slug":"team-memory","url":"${url}"`);
      expect(out).toContain("http://localhost:3000/api/v1/servers");
      expect((await fetch(url!, { method: "POST", body: JSON.stringify(INITIALIZE), headers: { "content-type": "application/json" } })).status).toBe(401);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await new Promise((resolve) => child.once("exit", (code) => resolve(code)))).toBe(0);
    const usage = spawn(process.execPath, [cli, "bridge", "--port", "0"], { stdio: ["ignore", "ignore", "pipe"] });
    expect(await new Promise((resolve) => usage.once("exit", (code) => resolve(code)))).toBe(2);
    const broken = spawn(process.execPath, [cli, "bridge", "--port", "0", "--", process.execPath, "-e", "process.exit(3)"], { stdio: ["ignore", "ignore", "pipe"] });
    let said = "";
    broken.stderr.on("data", (d: Buffer) => (said += d.toString()));
    expect(await new Promise((resolve) => broken.once("exit", (code) => resolve(code)))).toBe(1);
    expect(said).toMatch(/did not answer as an MCP server over stdio/);
  }, 60_000);

  it("makes registry slugs and shell-safe commands", () => {
    expect(slugFor("@modelcontextprotocol/server-memory")).toBe("server-memory");
    expect(slugFor("Team Memory!")).toBe("team-memory");
    expect(slugFor("x")).toBe("bridged-x");
    const cmd = registrationCommand({ consoleUrl: "http://localhost:3000", name: "it's", url: "http://127.0.0.1:8790/mcp", command: ["npx", "srv"] });
    expect(cmd).toContain(`-d '{"name":"it'\\''s","slug":"it-s"`);
  });
});
