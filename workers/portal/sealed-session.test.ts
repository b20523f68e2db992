/**
 * Sealed sessions (2025 revisions without a session object): the official SDK client at `/mcp`
 * gets a session whose id is the session, which a second portal process (same edge secret, same
 * bundle, none of the first one's state) serves as well as the first. Clients that can be asked
 * something keep a session object, as does `/mcp/{slug}`; an altered, foreign or ended id is
 * answered 404 and audited, as on the session object path.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateEdgeSecret } from "@core/edge/secret";
import { hashedToolView, toolHash } from "@core/tools/tool-hash";
import { MODERN_TOOLS } from "@/testing/servers/modern-mcp-server.mjs";
import { startEverythingServer, type RunningServer } from "@/testing/mcp-servers";
import { allowRule, approvedServer, bundleOf, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

const UUID = /^[0-9a-f-]{36}$/;

describe("sealed sessions at /mcp", () => {
  let portal: PortalUnderTest;
  /** Another workerd process with the same secret and bundle, and sealed sessions switched off for new sessions. */
  let other: PortalUnderTest;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let everything: RunningServer;
  let alice: TestUser;
  let bob: TestUser;
  let edgeSecret: string;
  let baseServers: Awaited<ReturnType<typeof approvedServer>>[];
  const clients: Client[] = [];

  async function connect(user: TestUser, options: { path?: string; capabilities?: Record<string, unknown>; at?: PortalUnderTest } = {}) {
    const client = new Client({ name: "sealed-test", version: "4.5.6" }, { capabilities: options.capabilities ?? {} });
    const transport = new StreamableHTTPClientTransport(new URL(options.path ?? "/mcp", (options.at ?? portal).origin), { requestInit: { headers: { authorization: `Bearer ${user.token}` } } });
    await client.connect(transport);
    clients.push(client);
    return { client, sessionId: transport.sessionId! };
  }

  const post = (at: PortalUnderTest, user: TestUser, sessionId: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${at.origin}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25", ...headers },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    [alice, bob] = await Promise.all([testUser("alice@example.test"), testUser("bob@example.test")]);
    edgeSecret = generateEdgeSecret();
    [everything, sink] = await Promise.all([startEverythingServer("streamableHttp"), startEventSink(edgeSecret)]);
    portal = await startPortal({ consoleUrl: sink.url, edgeSecret });
    other = await startPortal({ consoleUrl: sink.url, edgeSecret, keys: portal.keys, vars: { PORTCULLIS_SEALED_SESSIONS: "off" } });
    const server = await approvedServer({ slug: "everything", url: `${everything.origin}/mcp`, edgeSecret });
    baseServers = [server];
    const bundle = await bundleOf({ servers: [server], users: [alice, bob], rules: [allowRule({ type: "everyone" }, "everything")] });
    for (const p of [portal, other]) expect((await p.push(bundle)).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled([portal?.stop(), other?.stop(), sink?.close(), everything?.stop()]);
  });

  it("gives a client that cannot be asked anything a sealed session, which another portal process serves too", async () => {
    const { client, sessionId } = await connect(alice);
    expect(sessionId).toMatch(/^s1\./);
    expect(client.getServerVersion()).toMatchObject({ name: "portcullis" });
    // No GET stream, and it says so: nothing outside a request's answer.
    expect(client.getServerCapabilities()).toEqual({ tools: {}, prompts: {}, resources: {}, completions: {} });
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("everything_echo");
    const echo = await client.callTool({ name: "everything_echo", arguments: { message: "sealed" } });
    expect(JSON.stringify(echo.content)).toContain("sealed");

    // The other process never saw this session: the id alone is enough.
    const res = await post(other, alice, sessionId, { jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "everything_echo", arguments: { message: "elsewhere" } } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const answer = (await res.json()) as { id: number; result: { content: unknown; resultType?: string } };
    expect(answer.id).toBe(5);
    expect(JSON.stringify(answer.result.content)).toContain("elsewhere");
    // A 2025 revision's result: no 2026-07-28 fields.
    expect(answer.result.resultType).toBeUndefined();

    // Both calls audited under the session id, with the client named at initialize.
    await expect
      .poll(() => sink.events.filter((e) => e.sessionId === sessionId && e.method === "tools/call").map((e) => [e.decision, e.success, e.clientName, e.clientVersion, e.email, e.tokenId]), { timeout: 15_000 })
      .toEqual([
        ["allowed", true, "sealed-test", "4.5.6", "alice@example.test", alice.tokenId],
        ["allowed", true, "sealed-test", "4.5.6", "alice@example.test", alice.tokenId],
      ]);
  });

  it("answers a first list within about two seconds when an upstream hangs, showing its approved tools from the bundle, and later lists at once", async () => {
    // An upstream that accepts connections and never answers.
    const sockets: Socket[] = [];
    const hanging = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
    const id = crypto.randomUUID();
    const silent = {
      id,
      slug: "silent",
      name: "silent",
      url: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/mcp`,
      transport: "streamable-http" as const,
      credential: null,
      tools: await Promise.all(MODERN_TOOLS.map(async (t) => ({ name: t.name, hash: await toolHash(t), state: "enabled" as const, definition: hashedToolView(t) as Record<string, unknown> }))),
    };
    const bundle = await bundleOf({ servers: [...baseServers, silent], users: [alice, bob], rules: [allowRule({ type: "everyone" }, "everything"), allowRule({ type: "everyone" }, "silent")] });
    // A third portal process: its isolate has listed nothing yet.
    const fresh = await startPortal({ consoleUrl: sink.url, edgeSecret, keys: portal.keys });
    try {
      expect((await fresh.push(bundle)).status).toBe(200);
      const { client } = await connect(alice, { at: fresh });
      let started = Date.now();
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(names).toEqual(expect.arrayContaining(["everything_echo", "silent_shout"]));
      started = Date.now();
      await client.listTools();
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      await fresh.stop();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => hanging.close(resolve));
    }
  }, 60_000);

  it("keeps a session object for a client that can be asked something, at /mcp/{slug}, and where sealed sessions are off", async () => {
    expect((await connect(alice, { capabilities: { sampling: {} } })).sessionId).toMatch(UUID);
    expect((await connect(alice, { capabilities: { roots: {} } })).sessionId).toMatch(UUID);
    expect((await connect(alice, { path: "/mcp/everything" })).sessionId).toMatch(UUID);
    const { client, sessionId } = await connect(alice, { at: other });
    expect(sessionId).toMatch(UUID);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("everything_echo");
  });

  it("answers an altered, foreign or ended id 404 Session not found, and audits each refused request", async () => {
    const { sessionId } = await connect(alice);
    const call = { jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "everything_echo", arguments: { message: "x" } } };

    const altered = `${sessionId.slice(0, -3)}${sessionId.endsWith("AAA") ? "BBB" : "AAA"}`;
    const forged = await post(portal, alice, altered, call);
    expect(forged.status).toBe(404);
    expect(await forged.json()).toMatchObject({ error: { code: -32001, message: "Session not found" } });

    expect((await post(portal, bob, sessionId, call)).status).toBe(404);
    await expect
      .poll(() => sink.events.find((e) => e.sessionId === sessionId && e.email === "bob@example.test"), { timeout: 15_000 })
      .toMatchObject({ decision: "denied", success: false, tokenId: bob.tokenId, clientName: null, serverSlug: "everything", tool: "echo", reason: expect.stringMatching(/^SESSION_NOT_FOUND: the session belongs to another caller/) });
    await expect
      .poll(() => sink.events.find((e) => e.sessionId === altered), { timeout: 15_000 })
      .toMatchObject({ decision: "denied", email: "alice@example.test", reason: expect.stringMatching(/^SESSION_NOT_FOUND: unknown or ended session/) });

    // A batch of refused requests writes at most ten events, not one per message.
    const flood = `${sessionId.slice(0, -3)}${sessionId.endsWith("CCC") ? "DDD" : "CCC"}`;
    expect((await post(portal, alice, flood, Array.from({ length: 25 }, (_, i) => ({ ...call, id: 100 + i })))).status).toBe(404);
    await expect.poll(() => sink.events.filter((e) => e.sessionId === flood).length, { timeout: 15_000 }).toBe(10);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(sink.events.filter((e) => e.sessionId === flood)).toHaveLength(10);

    // The session still serves its owner, until the owner ends it.
    expect((await post(portal, alice, sessionId, call)).status).toBe(200);
    const ended = await fetch(`${portal.origin}/mcp`, { method: "DELETE", headers: { authorization: `Bearer ${alice.token}`, "mcp-session-id": sessionId } });
    expect(ended.status).toBe(200);
    expect((await post(portal, alice, sessionId, call)).status).toBe(404);
  });

  it("cancels a call when the client sends notifications/cancelled: the portal stops waiting (closes the upstream's stream, tells a session upstream), and the event says so", async () => {
    const { client, sessionId } = await connect(alice);
    const stop = new AbortController();
    const started = Date.now();
    const call = client.callTool({ name: "everything_trigger-long-running-operation", arguments: { duration: 10, steps: 5 } }, undefined, { signal: stop.signal });
    setTimeout(() => stop.abort("the user pressed stop"), 500);
    await expect(call).rejects.toThrow();
    await expect
      .poll(() => sink.events.find((e) => e.sessionId === sessionId && e.tool === "trigger-long-running-operation"), { timeout: 8_000 })
      .toMatchObject({ decision: "allowed", success: false, error: expect.stringMatching(/cancelled by the client/) });
    // Well before the operation's 10 s: the portal stopped waiting for it.
    expect(Date.now() - started).toBeLessThan(8_000);
    const recorded = sink.events.find((e) => e.sessionId === sessionId && e.tool === "trigger-long-running-operation")!;
    expect(recorded.durationMs).toBeLessThan(5_000);
  });

  it("serves mcp-remote as Claude Desktop runs it (a stdio bridge, Streamable HTTP, an API token) on a sealed session", async () => {
    const configDir = mkdtempSync(path.join(tmpdir(), "mcp-remote-sealed-"));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [path.join(process.cwd(), "node_modules", "mcp-remote", "dist", "proxy.js"), `${portal.origin.replace("127.0.0.1", "localhost")}/mcp`, "--header", `Authorization:Bearer ${alice.token}`, "--host", "127.0.0.1"],
      env: { ...(process.env as Record<string, string>), MCP_REMOTE_CONFIG_DIR: configDir, BROWSER: "/bin/false" },
      stderr: "pipe",
    });
    let log = "";
    transport.stderr?.on("data", (chunk: Buffer) => void (log += chunk.toString()));
    const client = new Client({ name: "claude-desktop-like", version: "0.9" });
    try {
      await client.connect(transport);
      expect((await client.listTools()).tools.map((t) => t.name)).toContain("everything_echo");
      const echo = await client.callTool({ name: "everything_echo", arguments: { message: "through mcp-remote" } });
      expect(JSON.stringify(echo.content)).toContain("through mcp-remote");
      expect(log).toContain("StreamableHTTPClientTransport");
      expect(log).not.toMatch(/Please authorize/);
      await expect
        .poll(() => sink.events.find((e) => e.method === "tools/call" && e.clientName?.startsWith("claude-desktop-like")), { timeout: 15_000 })
        .toMatchObject({ decision: "allowed", success: true, tool: "echo", tokenId: alice.tokenId, sessionId: expect.stringMatching(/^s1\./) });
    } finally {
      await client.close();
      rmSync(configDir, { recursive: true, force: true });
    }
  }, 60_000);

  it("speaks the session transport as the session object does: GET 405, notifications 202, one initialize, the same -32602 words, batches", async () => {
    const { sessionId } = await connect(alice);
    const get = await fetch(`${portal.origin}/mcp`, { headers: { authorization: `Bearer ${alice.token}`, accept: "text/event-stream", "mcp-session-id": sessionId } });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST, DELETE");

    expect((await post(portal, alice, sessionId, { jsonrpc: "2.0", method: "notifications/initialized" })).status).toBe(202);
    const again = await post(portal, alice, sessionId, { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "x", version: "1" } } });
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: { code: -32600, message: "Invalid Request: Server already initialized" } });

    const bad = (await (await post(portal, alice, sessionId, { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: 42 } })).json()) as { error: { code: number; message: string } };
    expect(bad.error.code).toBe(-32602);
    expect(bad.error.message).toContain("Invalid params for tools/call: params.name");
    const unknown = (await (await post(portal, alice, sessionId, { jsonrpc: "2.0", id: 3, method: "resources/subscribe", params: { uri: "demo://x" } })).json()) as { error: { code: number } };
    expect(unknown.error.code).toBe(-32601);
    expect((await post(portal, alice, sessionId, { jsonrpc: "2.0", id: 4, method: "ping" }, { "mcp-protocol-version": "1999-01-01" })).status).toBe(400);

    // 2025-03-26 batches: every request answered, in order.
    const batch = await post(portal, alice, sessionId, [
      { jsonrpc: "2.0", id: "a", method: "ping" },
      { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: "zz" } },
      { jsonrpc: "2.0", id: "b", method: "tools/call", params: { name: "everything_echo", arguments: { message: "in a batch" } } },
    ]);
    expect(batch.status).toBe(200);
    const answers = (await batch.json()) as { id: string; result: unknown }[];
    expect(answers.map((a) => a.id)).toEqual(["a", "b"]);
    expect(answers[0]!.result).toEqual({});
    expect(JSON.stringify(answers[1]!.result)).toContain("in a batch");
  });
});
