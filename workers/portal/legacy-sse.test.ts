/**
 * The old HTTP+SSE transport (MCP 2024-11-05) at the portal, in workerd: the official SDK client on
 * `SSEClientTransport` against `/mcp` and `/mcp/{slug}`, through the same McpSession, enforcement
 * and audit as Streamable HTTP, to real upstreams (server-everything, the weather fixture, and the
 * conformance fixture, whose session count shows the upstream session ending with the stream).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startConformanceServer } from "@/testing/servers/conformance-server.mjs";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { generateEdgeSecret } from "@core/edge/secret";
import { startEverythingServer, type RunningServer } from "@/testing/mcp-servers";
import { allowRule, approvedServer, bundleOf, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

const TEAM_WEATHER = crypto.randomUUID();
const UPSTREAM_SECRET = "upstream-secret-legacy-8a41";
const FIXTURE_BEARER = "conformance-secret-legacy-3c07";
/** Short, so a test can see that an open stream keeps a quiet session alive. */
const IDLE_MS = 1_500;
/**
 * workerd under Miniflare does not tell the Worker that a client hung up: the next SSE write fails
 * instead (the second keep-alive after it). Short keep-alives make that quick here.
 */
const KEEPALIVE_MS = 500;
const MCP_REMOTE = path.join(process.cwd(), "node_modules", "mcp-remote", "dist", "proxy.js");

describe("portal /mcp for legacy HTTP+SSE clients (2024-11-05), in workerd", () => {
  let portal: PortalUnderTest;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let everything: RunningServer;
  let weather: Awaited<ReturnType<typeof startMutableServer>>;
  let lifetime: Awaited<ReturnType<typeof startConformanceServer>>;
  let alice: TestUser; // weather team: everything, weather and lifetime
  let bob: TestUser; // no team: everything and lifetime only
  const clients: Client[] = [];

  const bearer = (user: TestUser) => ({ authorization: `Bearer ${user.token}` });

  async function connectSse(user: TestUser, path = "/mcp"): Promise<{ client: Client; transport: SSEClientTransport; sessionId: string }> {
    const client = new Client({ name: "legacy-test", version: "0.9.1" });
    const transport = new SSEClientTransport(new URL(path, portal.origin), { requestInit: { headers: bearer(user) } });
    await client.connect(transport);
    clients.push(client);
    // Where the endpoint event told the client to POST (the transport keeps it private).
    const endpoint = (transport as unknown as { _endpoint: URL })._endpoint;
    expect(endpoint.pathname).toBe(path);
    return { client, transport, sessionId: endpoint.searchParams.get("sessionId")! };
  }

  async function connectStreamable(user: TestUser, path = "/mcp"): Promise<Client> {
    const client = new Client({ name: "modern-test", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(path, portal.origin), { requestInit: { headers: bearer(user) } }));
    clients.push(client);
    return client;
  }

  /** A POST to a legacy session's endpoint, as its client would send it. */
  const postTo = (path: string, sessionId: string, user: TestUser | null, body: unknown = { jsonrpc: "2.0", id: 5, method: "tools/list" }) =>
    fetch(`${portal.origin}${path}?sessionId=${sessionId}`, { method: "POST", headers: { ...(user ? bearer(user) : {}), "content-type": "application/json" }, body: JSON.stringify(body) });

  beforeAll(async () => {
    alice = await testUser("alice@legacy.test", [TEAM_WEATHER]);
    bob = await testUser("bob@legacy.test");
    const edgeSecret = generateEdgeSecret();
    [everything, weather, lifetime, sink] = await Promise.all([
      startEverythingServer("streamableHttp"),
      startMutableServer({ port: 0, bearer: UPSTREAM_SECRET }),
      startConformanceServer({ port: 0, bearer: FIXTURE_BEARER }),
      startEventSink(edgeSecret),
    ]);
    portal = await startPortal({ consoleUrl: sink.url, edgeSecret, vars: { PORTCULLIS_SESSION_IDLE_MS: String(IDLE_MS), PORTCULLIS_SSE_KEEPALIVE_MS: String(KEEPALIVE_MS) } });
    const [ev, we, lt] = await Promise.all([
      approvedServer({ slug: "everything", url: `${everything.origin}/mcp`, edgeSecret }),
      approvedServer({ slug: "weather", url: weather.url, edgeSecret, credential: { type: "headers", headers: { authorization: `Bearer ${UPSTREAM_SECRET}` } } }),
      approvedServer({ slug: "lifetime", url: lifetime.url, edgeSecret, credential: { type: "headers", headers: { authorization: `Bearer ${FIXTURE_BEARER}` } } }),
    ]);
    const bundle = await bundleOf({
      servers: [ev, we, lt],
      users: [alice, bob],
      teams: [{ id: TEAM_WEATHER, slug: "weather-team" }],
      rules: [allowRule({ type: "everyone" }, "everything"), allowRule({ type: "team", teamId: TEAM_WEATHER }, "weather"), allowRule({ type: "everyone" }, "lifetime")],
    });
    expect((await portal.push(bundle)).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled([portal?.stop(), sink?.close(), everything?.stop(), weather?.close(), lifetime?.close()]);
  });

  it("opens the stream with an endpoint event naming a relative URI on the same path", async () => {
    for (const path of ["/mcp", "/mcp/everything"]) {
      const abort = new AbortController();
      const res = await fetch(`${portal.origin}${path}`, { headers: { ...bearer(alice), accept: "text/event-stream" }, signal: abort.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/event-stream");
      const reader = res.body!.getReader();
      let text = "";
      while (!text.includes("\n\n")) text += new TextDecoder().decode((await reader.read()).value);
      abort.abort();
      expect(text).toMatch(new RegExp(`^event: endpoint\\ndata: ${path.replace("/", "\\/")}\\?sessionId=[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\n\\n`));
    }
  });

  it("serves /mcp: the same namespaced tools as Streamable HTTP, calls through to the upstream, audited", async () => {
    const { client, sessionId } = await connectSse(alice);
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    const modern = (await (await connectStreamable(alice)).listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual(modern);
    expect(names).toContain("everything_echo");
    expect(names).toContain("weather_get_weather");

    const echo = await client.callTool({ name: "everything_echo", arguments: { message: "hello from 2024-11-05" } });
    expect(JSON.stringify(echo.content)).toContain("hello from 2024-11-05");
    const w = await client.callTool({ name: "weather_get_weather", arguments: { city: "Coimbra" } });
    expect(w.isError).toBeFalsy();
    expect(JSON.stringify(w.content)).toContain("Coimbra");
    await expect.poll(() => sink.events.find((e) => e.sessionId === sessionId && e.method === "tools/call" && e.tool === "get_weather"), { timeout: 15_000 }).toMatchObject({
      decision: "allowed",
      success: true,
      serverSlug: "weather",
      endpoint: "/mcp",
      email: "alice@legacy.test",
      tokenId: alice.tokenId,
      clientName: "legacy-test",
      clientVersion: "0.9.1",
    });
  });

  it("serves /mcp/{slug} under the server's own names", async () => {
    const { client, sessionId } = await connectSse(alice, "/mcp/everything");
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual((await (await connectStreamable(alice, "/mcp/everything")).listTools()).tools.map((t) => t.name).sort());
    expect(names).toContain("echo");
    expect(names).not.toContain("everything_echo");
    expect(client.getServerVersion()?.name).not.toBe("portcullis"); // faithful: the upstream's own serverInfo
    const echo = await client.callTool({ name: "echo", arguments: { message: "scoped and old" } });
    expect(JSON.stringify(echo.content)).toContain("scoped and old");
    await expect.poll(() => sink.events.find((e) => e.sessionId === sessionId && e.method === "tools/call"), { timeout: 15_000 }).toMatchObject({ endpoint: "/mcp/everything", tool: "echo", decision: "allowed" });
  });

  it("refuses a call no policy allows with the same error as Streamable HTTP, and audits it", async () => {
    const { client, sessionId } = await connectSse(bob);
    const modern = await connectStreamable(bob);
    const [legacy, current] = await Promise.all([client, modern].map((c) => c.callTool({ name: "weather_get_weather", arguments: { city: "Braga" } }).catch((e: unknown) => e)));
    expect(legacy).toBeInstanceOf(McpError);
    expect((legacy as McpError).message).toBe('MCP error -32602: Tool "weather_get_weather" is not available: it is unknown, not approved, or not allowed for you');
    expect({ code: (legacy as McpError).code, message: (legacy as McpError).message }).toEqual({ code: (current as McpError).code, message: (current as McpError).message });
    await expect.poll(() => sink.events.find((e) => e.sessionId === sessionId && e.method === "tools/call"), { timeout: 15_000 }).toMatchObject({
      decision: "denied",
      success: false,
      serverSlug: "weather",
      tool: "get_weather",
      email: "bob@legacy.test",
      reason: expect.stringMatching(/^POLICY_DENIED/),
    });
    // A server bob may not use has no legacy endpoint for him either.
    const res = await fetch(`${portal.origin}/mcp/weather`, { headers: { ...bearer(bob), accept: "text/event-stream" } });
    expect(res.status).toBe(404);
  });

  it("answers 404 to a sessionId it never handed out, and audits it", async () => {
    const unknown = crypto.randomUUID();
    const res = await postTo("/mcp", unknown, alice, { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "everything_echo", arguments: { message: "x" } } });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32001, message: "Session not found" } });
    await expect.poll(() => sink.events.find((e) => e.sessionId === unknown), { timeout: 15_000 }).toMatchObject({
      method: "tools/call",
      serverSlug: "everything",
      tool: "echo",
      decision: "denied",
      reason: expect.stringMatching(/^SESSION_NOT_FOUND: unknown or ended session/),
      error: "-32001: Session not found",
    });
    for (const bad of ["not-a-session", unknown.toUpperCase()]) expect((await postTo("/mcp", bad, alice)).status).toBe(404);
  });

  it("answers 404 to another caller, another endpoint or the other transport presenting a legacy session's id", async () => {
    const { client, sessionId } = await connectSse(alice);
    const res = await postTo("/mcp", sessionId, bob);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: -32001, message: "Session not found" } });
    await expect.poll(() => sink.events.find((e) => e.sessionId === sessionId && e.email === "bob@legacy.test"), { timeout: 15_000 }).toMatchObject({
      method: "tools/list",
      decision: "denied",
      reason: expect.stringMatching(/^SESSION_NOT_FOUND: the session belongs to another caller/),
      tokenId: bob.tokenId,
      clientName: null,
    });
    // Alice herself, at another endpoint, or through Streamable HTTP with the id as Mcp-Session-Id.
    expect((await postTo("/mcp/everything", sessionId, alice)).status).toBe(404);
    const streamable = await fetch(`${portal.origin}/mcp`, {
      method: "POST",
      headers: { ...bearer(alice), "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 6, method: "tools/list" }),
    });
    expect(streamable.status).toBe(404);
    // The owner's session is untouched.
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    expect((await postTo("/mcp", sessionId, alice)).status).toBe(202);
  });

  it("keeps a quiet session while its stream is open, and ends it, upstream too, when the client goes", async () => {
    const before = lifetime.sessionCount();
    const { client, sessionId } = await connectSse(alice, "/mcp/lifetime");
    await client.ping();
    expect(lifetime.sessionCount()).toBe(before + 1);
    // Quiet for longer than the idle time, but listening: not idle.
    await new Promise((r) => setTimeout(r, IDLE_MS * 2));
    await client.ping();
    expect((await postTo("/mcp/lifetime", sessionId, alice, { jsonrpc: "2.0", id: 9, method: "ping" })).status).toBe(202);
    await client.close();
    // The stream's end ends the session: the upstream session is ended, the id answers 404.
    const gone = Date.now();
    await expect.poll(() => lifetime.sessionCount(), { timeout: 20_000, interval: 100 }).toBe(before);
    expect(Date.now() - gone).toBeLessThan(10 * KEEPALIVE_MS);
    await expect.poll(async () => (await postTo("/mcp/lifetime", sessionId, alice, { jsonrpc: "2.0", id: 10, method: "ping" })).status, { timeout: 10_000 }).toBe(404);
  }, 60_000);

  it("refuses messages before initialize, a second initialize, and non-JSON bodies", async () => {
    const abort = new AbortController();
    const res = await fetch(`${portal.origin}/mcp`, { headers: { ...bearer(alice), accept: "text/event-stream" }, signal: abort.signal });
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes("\n\n")) text += new TextDecoder().decode((await reader.read()).value);
    const sessionId = /sessionId=([0-9a-f-]{36})/.exec(text)![1]!;
    const early = await postTo("/mcp", sessionId, alice);
    expect(early.status).toBe(400);
    expect(((await early.json()) as { error: { message: string } }).error.message).toMatch(/must start with initialize/);
    const init = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2024-11-05", capabilities: {}, clientInfo: { name: "raw", version: "1" } } };
    expect((await postTo("/mcp", sessionId, alice, init)).status).toBe(202);
    // The answer comes on the stream, in the client's protocol revision.
    while (!text.includes('"id":1')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toMatch(/event: message\ndata: \{"result":\{"protocolVersion":"2024-11-05"/);
    const again = await postTo("/mcp", sessionId, alice, { ...init, id: 2 });
    expect(again.status).toBe(400);
    expect(((await again.json()) as { error: { message: string } }).error.message).toMatch(/already initialized/);
    const plain = await fetch(`${portal.origin}/mcp?sessionId=${sessionId}`, { method: "POST", headers: { ...bearer(alice), "content-type": "text/plain" }, body: "{}" });
    expect(plain.status).toBe(415);
    abort.abort();
  });

  it("still requires authentication", async () => {
    const { sessionId } = await connectSse(alice);
    const get = await fetch(`${portal.origin}/mcp`, { headers: { accept: "text/event-stream" } });
    expect(get.status).toBe(401);
    expect(get.headers.get("www-authenticate")).toMatch(/^Bearer /);
    expect((await postTo("/mcp", sessionId, null)).status).toBe(401);
    const wrong = await fetch(`${portal.origin}/mcp/everything`, { headers: { authorization: "Bearer pcs_not_a_real_token", accept: "text/event-stream" } });
    expect(wrong.status).toBe(401);
    await expect(new Client({ name: "anon", version: "1" }).connect(new SSEClientTransport(new URL("/mcp", portal.origin)))).rejects.toThrow();
  });

  it("serves mcp-remote --transport sse-only (the stdio bridge desktop clients run), with an API token", async () => {
    const configDir = mkdtempSync(path.join(tmpdir(), "mcp-remote-legacy-"));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [MCP_REMOTE, `${portal.origin.replace("127.0.0.1", "localhost")}/mcp/everything`, "--transport", "sse-only", "--header", `Authorization:Bearer ${alice.token}`, "--host", "127.0.0.1"],
      env: { ...(process.env as Record<string, string>), MCP_REMOTE_CONFIG_DIR: configDir, BROWSER: "/bin/false" },
      stderr: "pipe",
    });
    let log = "";
    transport.stderr?.on("data", (chunk: Buffer) => void (log += chunk.toString()));
    const client = new Client({ name: "desktop-app", version: "3.1" });
    try {
      await client.connect(transport);
      const echo = await client.callTool({ name: "echo", arguments: { message: "bridged over SSE" } });
      expect(JSON.stringify(echo.content)).toContain("bridged over SSE");
      expect(log).toContain("Connected to remote server using SSEClientTransport");
      expect(log).not.toMatch(/StreamableHTTPClientTransport|Please authorize/);
      await expect.poll(() => sink.events.find((e) => e.method === "tools/call" && e.endpoint === "/mcp/everything" && e.clientName?.startsWith("desktop-app")), { timeout: 15_000 }).toMatchObject({ decision: "allowed", success: true, tool: "echo", tokenId: alice.tokenId });
    } finally {
      await client.close();
      rmSync(configDir, { recursive: true, force: true });
    }
  }, 60_000);
});
