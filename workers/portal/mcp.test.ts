/**
 * The MCP endpoint in workerd, end to end: the official SDK client, with a console API token,
 * against real upstream MCP servers (server-everything and the registry's mutable fixture) through
 * the portal. Enforcement: disabled, quarantined (pin mismatch) and not-allowed tools are absent
 * from tools/list and refused on call; the caller's token never reaches the upstream; every
 * request yields a signed event.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CreateMessageRequestSchema, EmptyResultSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { generateEdgeSecret } from "@core/edge/secret";
import { startEverythingServer, type RunningServer } from "@/testing/mcp-servers";
import { allowRule, approvedServer, bundleOf, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

const TEAM_WEATHER = crypto.randomUUID();
const UPSTREAM_SECRET = "upstream-secret-token-4f9c2a";

describe("portal /mcp in workerd", () => {
  let portal: PortalUnderTest;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let everything: RunningServer;
  let weather: Awaited<ReturnType<typeof startMutableServer>>;
  let alice: TestUser; // weather team: may use everything and the weather server
  let bob: TestUser; // no team: may use everything only
  const clients: Client[] = [];

  async function connect(user: TestUser, path = "/mcp", capabilities = {}): Promise<Client> {
    const client = new Client({ name: "portal-test", version: "1.2.3" }, { capabilities });
    await client.connect(new StreamableHTTPClientTransport(new URL(path, portal.origin), { requestInit: { headers: { authorization: `Bearer ${user.token}` } } }));
    clients.push(client);
    return client;
  }

  async function upstreamRequests(): Promise<{ method: string | null; authorization: string | null }[]> {
    return ((await (await fetch(new URL("/__fixture/requests", weather.url))).json()) as { requests: { method: string | null; authorization: string | null }[] }).requests;
  }

  async function publish(options: { weatherOmit?: string[]; weatherWrongPin?: string[] } = {}) {
    const [ev, we] = await Promise.all([
      approvedServer({ slug: "everything", url: `${everything.origin}/mcp`, edgeSecret: portal.edgeSecret }),
      approvedServer({
        slug: "weather",
        url: weather.url,
        edgeSecret: portal.edgeSecret,
        credential: { type: "headers", headers: { authorization: `Bearer ${UPSTREAM_SECRET}` } },
        omit: options.weatherOmit,
        wrongPin: options.weatherWrongPin,
      }),
    ]);
    const bundle = await bundleOf({
      servers: [ev, we],
      users: [alice, bob],
      teams: [{ id: TEAM_WEATHER, slug: "weather-team" }],
      rules: [allowRule({ type: "everyone" }, "everything"), allowRule({ type: "team", teamId: TEAM_WEATHER }, "weather")],
    });
    const res = await portal.push(bundle);
    expect(res.status).toBe(200);
    return bundle;
  }

  beforeAll(async () => {
    alice = await testUser("alice@example.test", [TEAM_WEATHER]);
    bob = await testUser("bob@example.test");
    const edgeSecret = generateEdgeSecret();
    [everything, weather, sink] = await Promise.all([startEverythingServer("streamableHttp"), startMutableServer({ port: 0, bearer: UPSTREAM_SECRET }), startEventSink(edgeSecret)]);
    portal = await startPortal({ consoleUrl: sink.url, edgeSecret });
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled([portal?.stop(), sink?.close(), everything?.stop(), weather?.close()]);
  });

  it("denies everything before a bundle is installed (fail closed)", async () => {
    for (const headers of [{ authorization: `Bearer ${alice.token}` }, {}] as Record<string, string>[]) {
      const res = await fetch(`${portal.origin}/mcp`, { method: "POST", headers: { ...headers, "content-type": "application/json", accept: "application/json, text/event-stream" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } } }) });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/no valid configuration \(none published yet, or it expired without a renewal from the console\); every request is denied/);
    }
    await expect(connect(alice, "/mcp/everything")).rejects.toThrow();
  });

  it("lists the namespaced tools a caller may use and calls them through one upstream session", async () => {
    await publish({ weatherOmit: ["delete_station"] });
    const client = await connect(alice);
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toContain("everything_echo");
    expect(names).toContain("weather_get_weather");
    expect(names).toContain("weather_list_forecasts");
    expect(names).not.toContain("weather_delete_station"); // disabled: not in the bundle
    expect(names.every((n) => n.length <= 64 && /^[A-Za-z0-9_-]+$/.test(n))).toBe(true);

    const echo = await client.callTool({ name: "everything_echo", arguments: { message: "hi through the portal" } });
    expect(JSON.stringify(echo.content)).toContain("hi through the portal");
    // The first call may open the caller's upstream session (a sealed session opens it on first use);
    // every later call reuses it.
    expect(JSON.stringify((await client.callTool({ name: "weather_get_weather", arguments: { city: "Braga" } })).content)).toContain("Braga");
    const before = await upstreamRequests();
    for (const city of ["Lisbon", "Porto", "Faro"]) {
      const w = await client.callTool({ name: "weather_get_weather", arguments: { city } });
      expect(w.isError).toBeFalsy();
      expect(JSON.stringify(w.content)).toContain(city);
    }
    const during = (await upstreamRequests()).slice(before.length);
    // One upstream session for the portal session: three calls, no initialize among them.
    expect(during.filter((r) => r.method === "tools/call")).toHaveLength(3);
    expect(during.filter((r) => r.method === "initialize")).toHaveLength(0);
    // The upstream only ever saw the server's own credential, never a caller's token.
    const all = await upstreamRequests();
    expect(new Set(all.map((r) => r.authorization))).toEqual(new Set([`Bearer ${UPSTREAM_SECRET}`]));
  });

  it("hides and refuses tools the caller may not use, with an error that reveals nothing", async () => {
    const client = await connect(bob);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("everything_echo");
    expect(names.some((n) => n.startsWith("weather_"))).toBe(false);
    for (const name of ["weather_get_weather", "weather_delete_station", "nope_nothing"]) {
      const err = await client.callTool({ name, arguments: { city: "x" } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(McpError);
      expect((err as McpError).message).toBe(`MCP error -32602: Tool "${name}" is not available: it is unknown, not approved, or not allowed for you`);
    }
    // A per-server endpoint of a server bob may not use does not exist for him.
    await expect(connect(bob, "/mcp/weather")).rejects.toThrow();
  });

  it("quarantines a tool whose live definition no longer matches its pin", async () => {
    await publish({ weatherWrongPin: ["get_weather"] });
    const client = await connect(alice);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).not.toContain("weather_get_weather");
    expect(names).toContain("weather_list_forecasts");
    const err = await client.callTool({ name: "weather_get_weather", arguments: { city: "x" } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    await expect.poll(() => sink.events.some((e) => e.tool === "get_weather" && e.reason?.startsWith("TOOL_HASH_MISMATCH")), { timeout: 15_000 }).toBe(true);
  });

  it("serves one server under its own names at /mcp/{slug}, relaying progress notifications and sampling requests", async () => {
    await publish();
    const client = await connect(alice, "/mcp/everything", { sampling: {} });
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({ model: "test-model", role: "assistant", content: { type: "text", text: "sampled by the test client" } }));
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("echo");
    expect(names).not.toContain("everything_echo");

    const progress: number[] = [];
    const slow = names.find((n) => /long.?running/i.test(n));
    expect(slow).toBeDefined();
    await client.callTool({ name: slow!, arguments: { duration: 2, steps: 4 } }, undefined, { onprogress: (p) => void progress.push(p.progress) });
    expect(progress.length).toBeGreaterThanOrEqual(2);

    const sampler = names.find((n) => /sampl/i.test(n));
    expect(sampler).toBeDefined();
    const sampled = await client.callTool({ name: sampler!, arguments: { prompt: "hello", maxTokens: 10 } });
    expect(JSON.stringify(sampled.content)).toContain("sampled by the test client");
  });

  it("serves a client that speaks protocol 2025-03-26", async () => {
    const headers = { authorization: `Bearer ${alice.token}`, "content-type": "application/json", accept: "application/json, text/event-stream" };
    const post = (body: unknown, extra: Record<string, string> = {}) => fetch(`${portal.origin}/mcp`, { method: "POST", headers: { ...headers, ...extra }, body: JSON.stringify(body) });
    const rpc = async (res: Response) => {
      const text = await res.text();
      const data = res.headers.get("content-type")?.includes("text/event-stream") ? text.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).at(-1)! : text;
      return JSON.parse(data) as { result?: Record<string, unknown>; error?: unknown };
    };
    const init = await post({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "old-client", version: "0.1" } } });
    expect(init.status).toBe(200);
    const session = init.headers.get("mcp-session-id")!;
    expect((await rpc(init)).result).toMatchObject({ protocolVersion: "2025-03-26" });
    const same = { "mcp-session-id": session, "mcp-protocol-version": "2025-03-26" };
    expect((await post({ jsonrpc: "2.0", method: "notifications/initialized" }, same)).status).toBe(202);
    const list = await rpc(await post({ jsonrpc: "2.0", id: 2, method: "tools/list" }, same));
    expect((list.result!.tools as { name: string }[]).map((t) => t.name)).toContain("everything_echo");
    const call = await rpc(await post({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "everything_echo", arguments: { message: "old but fine" } } }, same));
    expect(JSON.stringify(call.result)).toContain("old but fine");
  });

  it("answers malformed params of any method -32602 naming the field, without the schema library's dump or a stack", async () => {
    const cases: [string, string, Record<string, unknown>, string][] = [
      ["/mcp", "tools/call", { name: 42 }, "params.name"],
      ["/mcp", "tools/call", { name: "everything_echo", arguments: "not an object" }, "params.arguments"],
      ["/mcp", "tools/list", { cursor: { deep: true } }, "params.cursor"],
      ["/mcp", "prompts/get", { arguments: { a: 1 } }, "params.name"],
      ["/mcp", "resources/read", { uri: ["x"] }, "params.uri"],
      ["/mcp", "completion/complete", { ref: { type: "ref/nothing" }, argument: { name: "a", value: "b" } }, "params.ref"],
      ["/mcp", "logging/setLevel", { level: "deafening" }, "params.level"],
      ["/mcp/everything", "tools/call", { name: null }, "params.name"],
      ["/mcp/everything", "resources/subscribe", {}, "params.uri"],
    ];
    const clients = new Map<string, Client>();
    for (const [path, method, params, field] of cases) {
      if (!clients.has(path)) clients.set(path, await connect(alice, path));
      const error = await clients.get(path)!.request({ method, params } as never, EmptyResultSchema).catch((e: unknown) => e);
      expect(error, `${method} at ${path}`).toBeInstanceOf(McpError);
      const { code, message } = error as McpError;
      expect({ method, code }).toEqual({ method, code: -32602 });
      expect(message).toContain(`Invalid params for ${method}: ${field}`);
      expect(message.length).toBeLessThan(360);
      expect(message).not.toMatch(/"code"|"path"|\[\s*\{|\bat \S+ \(|\.ts:\d|node_modules/);
    }
    // Params the transport itself cannot take (the base of every request's params): HTTP 400, the same words.
    const sessionId = (clients.get("/mcp") as unknown as { _transport: StreamableHTTPClientTransport })._transport.sessionId!;
    for (const [method, params, field] of [
      ["ping", { _meta: "not an object" }, "params._meta"],
      ["tools/list", ["an", "array"], "params"],
      ["tools/call", { name: "everything_echo", _meta: { progressToken: { no: 1 } } }, "params._meta.progressToken"],
    ] as const) {
      const res = await fetch(`${portal.origin}/mcp`, {
        method: "POST",
        headers: { authorization: `Bearer ${alice.token}`, "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 7, method, params }),
      });
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as { error: { code: number; message: string } };
      expect({ method, code: error.code }).toEqual({ method, code: -32602 });
      expect(error.message).toContain(`Invalid params for ${method}: ${field}`);
      expect(error.message).not.toMatch(/"code"|"path"|\[\s*\{/);
    }
    // The session still serves.
    const echo = await clients.get("/mcp")!.callTool({ name: "everything_echo", arguments: { message: "still here" } });
    expect(JSON.stringify(echo.content)).toContain("still here");
  });

  it("refuses a session id presented by another caller", async () => {
    const client = await connect(alice);
    const transport = (client as unknown as { _transport: StreamableHTTPClientTransport })._transport;
    const res = await fetch(`${portal.origin}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer ${bob.token}`, "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-session-id": transport.sessionId!, "mcp-protocol-version": "2025-06-18" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/list" }),
    });
    expect(res.status).toBe(404);
    // Refused, and still in the audit log: under bob's name, with nothing of alice's client.
    await expect.poll(() => sink.events.find((e) => e.method === "tools/list" && e.sessionId === transport.sessionId && e.email === "bob@example.test"), { timeout: 15_000 }).toMatchObject({
      decision: "denied",
      success: false,
      reason: expect.stringMatching(/^SESSION_NOT_FOUND: the session belongs to another caller/),
      tokenId: bob.tokenId,
      clientName: null,
    });
  });

  it("audits every request it answers 404 Session not found (a session it never opened, or lost)", async () => {
    const lost = crypto.randomUUID();
    const res = await fetch(`${portal.origin}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.token}`, "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-session-id": lost, "mcp-protocol-version": "2025-06-18" },
      body: JSON.stringify([
        { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "everything_echo", arguments: { message: "hi" } } },
        { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "nosuchserver_tool", arguments: {} } },
      ]),
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: -32001, message: "Session not found" } });
    await expect.poll(() => sink.events.filter((e) => e.sessionId === lost).length, { timeout: 15_000 }).toBe(2);
    const events = sink.events.filter((e) => e.sessionId === lost).sort((a, b) => String(a.serverSlug).localeCompare(String(b.serverSlug)));
    expect(events.map((e) => [e.method, e.serverSlug, e.tool, e.decision, e.success, e.email, e.tokenId])).toEqual([
      ["tools/call", "everything", "echo", "denied", false, "alice@example.test", alice.tokenId],
      ["tools/call", null, null, "denied", false, "alice@example.test", alice.tokenId],
    ]);
    expect(events[0]!.reason).toMatch(/^SESSION_NOT_FOUND: unknown or ended session/);
    expect(events[0]!.error).toBe("-32001: Session not found");
  });

  it("reports every request as a signed event to the console", async () => {
    await expect.poll(() => sink.events.some((e) => e.method === "tools/call" && e.tool === "echo" && e.serverSlug === "everything" && e.decision === "allowed" && e.success), { timeout: 15_000 }).toBe(true);
    const call = sink.events.find((e) => e.method === "tools/call" && e.tool === "echo")!;
    expect(call).toMatchObject({ email: "alice@example.test", authMethod: "token", tokenId: alice.tokenId, clientName: "portal-test", clientVersion: "1.2.3" });
    expect(call.resultTokens).toBeGreaterThan(0);
    // An allowed call names the rule that allowed it.
    expect(call.reason).toMatch(/^allowed by rule [0-9a-f]{8} \(everyone → everything\/\*, priority 100\)$/);
    expect(call.ruleId).toMatch(/^[0-9a-f-]{36}$/);
    expect(call.durationMs).not.toBeNull();
    await expect.poll(() => sink.events.some((e) => e.email === "bob@example.test" && e.decision === "denied" && e.serverSlug === "weather" && e.tool === "get_weather" && e.reason?.startsWith("POLICY_DENIED")), { timeout: 15_000 }).toBe(true);
    // The aggregate tool list says what each server's tools cost in context; the shares add up to about the whole.
    const list = sink.events.find((e) => e.method === "tools/list" && e.endpoint === "/mcp" && e.email === "alice@example.test" && e.serverTokens)!;
    expect(Object.keys(list.serverTokens!).sort()).toEqual(["everything", "weather"]);
    const shares = Object.values(list.serverTokens!).reduce((a, b) => a + b, 0);
    expect(Math.abs(shares - list.resultTokens!)).toBeLessThan(list.resultTokens! * 0.05);
    expect(sink.rejected).toBe(0);
  });
});
