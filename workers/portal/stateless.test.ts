/**
 * MCP 2026-07-28 at the portal, in workerd, with a raw HTTP client (no initialize, no session, `_meta`
 * on every request): discovery, lists from the bundle's approved definitions, calls through real
 * upstreams (server-everything and the registry's weather fixture), and the same decisions and
 * events as the session path — denied, quarantined, blocked, read-only credential, malformed.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { MODERN_TOOLS, startModernServer } from "@/testing/servers/modern-mcp-server.mjs";
import { edgeCredentialAad } from "@core/edge/credential";
import { generateEdgeSecret, parseEdgeSecrets, sealForEdge } from "@core/edge/secret";
import { hashedToolView, toolHash } from "@core/tools/tool-hash";
import { startEverythingServer, type RunningServer } from "@/testing/mcp-servers";
import { allowRule, approvedServer, bundleOf, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

const V = "2026-07-28";
const TEAM_WEATHER = crypto.randomUUID();
const UPSTREAM_SECRET = "upstream-secret-token-7a1e";

interface RpcAnswer {
  status: number;
  contentType: string | null;
  body: { jsonrpc: string; id: unknown; result?: Record<string, unknown>; error?: { code: number; message: string; data?: Record<string, unknown> } };
}

describe("portal /mcp, protocol 2026-07-28 (stateless)", () => {
  let portal: PortalUnderTest;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let everything: RunningServer;
  let weather: Awaited<ReturnType<typeof startMutableServer>>;
  let modern: Awaited<ReturnType<typeof startModernServer>>;
  let alice: TestUser; // weather team: everything and weather
  let bob: TestUser; // everything only
  let reader: TestUser; // read-only token
  let bundle: Awaited<ReturnType<typeof bundleOf>>;
  let nextId = 1;

  const meta = { "io.modelcontextprotocol/protocolVersion": V, "io.modelcontextprotocol/clientInfo": { name: "raw-2026", version: "0.1" }, "io.modelcontextprotocol/clientCapabilities": {} };

  async function rpc(user: TestUser, method: string, params: Record<string, unknown> = {}, options: { path?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<RpcAnswer> {
    const name = typeof params.name === "string" ? params.name : typeof params.uri === "string" ? params.uri : null;
    const res = await fetch(`${portal.origin}${options.path ?? "/mcp"}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${user.token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": V,
        "mcp-method": method,
        ...(name ? { "mcp-name": name } : {}),
        ...options.headers,
      },
      body: JSON.stringify(options.body ?? { jsonrpc: "2.0", id: nextId++, method, params: { ...params, _meta: { ...meta, ...(params._meta as object) } } }),
    });
    const contentType = res.headers.get("content-type");
    if (contentType?.includes("text/event-stream")) {
      const text = await res.text();
      const messages = text
        .split("\n\n")
        .map((e) => e.split("\n").find((l) => l.startsWith("data: "))?.slice(6))
        .filter((d): d is string => !!d)
        .map((d) => JSON.parse(d) as RpcAnswer["body"] & { method?: string });
      return { status: res.status, contentType, body: Object.assign(messages.at(-1)!, { notifications: messages.slice(0, -1) }) };
    }
    return { status: res.status, contentType, body: res.status === 202 ? ({} as RpcAnswer["body"]) : ((await res.json()) as RpcAnswer["body"]) };
  }

  beforeAll(async () => {
    alice = await testUser("alice@example.test", [TEAM_WEATHER]);
    bob = await testUser("bob@example.test");
    reader = await testUser("reader@example.test", [TEAM_WEATHER], [], { scopes: ["read"] });
    const edgeSecret = generateEdgeSecret();
    [everything, weather, modern, sink] = await Promise.all([startEverythingServer("streamableHttp"), startMutableServer({ port: 0, bearer: UPSTREAM_SECRET }), startModernServer({ port: 0, bearer: UPSTREAM_SECRET }), startEventSink(edgeSecret)]);
    portal = await startPortal({ consoleUrl: sink.url, edgeSecret });
    // A 2026-07-28-only upstream, published as the console would (lib/servers/discover.ts finds it with server/discover).
    const modernId = crypto.randomUUID();
    const mo = {
      id: modernId,
      slug: "modern",
      name: "modern",
      url: modern.url,
      transport: "streamable-http" as const,
      credential: await sealForEdge(JSON.stringify({ type: "headers", headers: { authorization: `Bearer ${UPSTREAM_SECRET}` } }), await parseEdgeSecrets(edgeSecret), edgeCredentialAad(modernId)),
      tools: await Promise.all(MODERN_TOOLS.map(async (t) => ({ name: t.name, hash: await toolHash(t), state: "enabled" as const, definition: hashedToolView(t) as Record<string, unknown> }))),
    };
    const [ev, we] = await Promise.all([
      approvedServer({ slug: "everything", url: `${everything.origin}/mcp`, edgeSecret, omit: ["get-env"] }),
      approvedServer({ slug: "weather", url: weather.url, edgeSecret, credential: { type: "headers", headers: { authorization: `Bearer ${UPSTREAM_SECRET}` } }, wrongPin: ["list_forecasts"], readOnly: ["get_weather"] }),
    ]);
    bundle = await bundleOf({
      servers: [ev, we, mo],
      users: [alice, bob, reader],
      teams: [{ id: TEAM_WEATHER, slug: "weather-team" }],
      rules: [allowRule({ type: "everyone" }, "everything"), allowRule({ type: "team", teamId: TEAM_WEATHER }, "weather"), allowRule({ type: "everyone" }, "modern")],
    });
    expect((await portal.push(bundle)).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([portal?.stop(), sink?.close(), everything?.stop(), weather?.close(), modern?.close()]);
  });

  it("answers server/discover with the revisions it speaks, from the portal itself", async () => {
    const { status, body } = await rpc(alice, "server/discover");
    expect(status).toBe(200);
    expect(body.result).toMatchObject({ resultType: "complete", supportedVersions: ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"], capabilities: { tools: {} }, cacheScope: "private" });
    expect(body.result!._meta).toMatchObject({ "io.modelcontextprotocol/serverInfo": { name: "Portcullis MCP portal" } });
  });

  it("lists exactly the approved definitions the caller may use, renamed at /mcp, as-is at /mcp/{slug}", async () => {
    // The first list in an isolate may list each upstream once for the pin check (so a drifted tool
    // is left out from the start); after that, lists are answered from the bundle alone.
    await rpc(alice, "tools/list");
    const upstreamRequestsBefore = await weatherRequests();
    const { body } = await rpc(alice, "tools/list");
    expect(body.result).toMatchObject({ resultType: "complete", cacheScope: "private" });
    expect(body.result!.ttlMs).toBeGreaterThan(0);
    const tools = body.result!.tools as { name: string; description?: string; inputSchema: unknown }[];
    const names = tools.map((t) => t.name);
    expect(names).toContain("everything_echo");
    expect(names).toContain("weather_get_weather");
    expect(names).not.toContain("everything_get-env"); // not approved (omitted from the bundle)
    // The definition is the approved one from the bundle, name aside.
    const approved = bundle.servers.find((s) => s.slug === "everything")!.tools.find((t) => t.name === "echo")!.definition!;
    expect({ ...tools.find((t) => t.name === "everything_echo")!, name: "echo" }).toEqual(approved);
    // No upstream was asked for the second list.
    expect(await weatherRequests()).toBe(upstreamRequestsBefore);

    const bobs = ((await rpc(bob, "tools/list")).body.result!.tools as { name: string }[]).map((t) => t.name);
    expect(bobs.some((n) => n.startsWith("weather_"))).toBe(false);
    const scoped = ((await rpc(alice, "tools/list", {}, { path: "/mcp/weather" })).body.result!.tools as { name: string }[]).map((t) => t.name);
    expect(scoped).toContain("get_weather");
    // A read-only credential sees only read-only tools.
    const readers = ((await rpc(reader, "tools/list")).body.result!.tools as { name: string }[]).map((t) => t.name);
    expect(readers).toEqual(["weather_get_weather"]);
  });

  it("calls a tool through the upstream and audits it with the client named in _meta", async () => {
    const { status, contentType, body } = await rpc(alice, "tools/call", { name: "everything_echo", arguments: { message: "stateless hello to bob@example.com, Bearer abcdefghijklmnop" } });
    expect(status).toBe(200);
    expect(contentType).toContain("application/json");
    expect(body.result).toMatchObject({ resultType: "complete" });
    expect(JSON.stringify(body.result!.content)).toContain("stateless hello");
    await expect.poll(() => sink.events.some((e) => e.method === "tools/call" && e.tool === "echo" && e.clientName === "raw-2026"), { timeout: 15_000 }).toBe(true);
    const call = sink.events.find((e) => e.method === "tools/call" && e.tool === "echo" && e.clientName === "raw-2026")!;
    expect(call).toMatchObject({ email: "alice@example.test", serverSlug: "everything", decision: "allowed", success: true, sessionId: null, endpoint: "/mcp", clientVersion: "0.1", tokenId: alice.tokenId });
    expect(call.reason).toMatch(/^allowed by rule/);
    expect(call.resultTokens).toBeGreaterThan(0);
    expect(call.durationMs).not.toBeNull();
    // What was sent and what came back, masked as the bundle's default says: no address, no credential.
    expect(JSON.parse(call.arguments!)).toEqual({ message: "stateless hello to [email], Bearer [redacted]" });
    expect(call.resultExcerpt).toBe("Echo: stateless hello to [email], Bearer [redacted]");

    // Through a session upstream with its credential, at /mcp/{slug}.
    const scoped = await rpc(alice, "tools/call", { name: "get_weather", arguments: { city: "Oslo" } }, { path: "/mcp/weather" });
    expect(scoped.body.error).toBeUndefined();
    expect(JSON.stringify(scoped.body.result!.content)).toMatch(/Oslo/);
  });

  it("speaks 2026-07-28 to an upstream that does: no initialize, headers and _meta set, the server's credential", async () => {
    const shout = await rpc(alice, "tools/call", { name: "modern_shout", arguments: { text: "quiet please" } });
    expect(shout.body.error).toBeUndefined();
    expect(shout.body.result).toMatchObject({ resultType: "complete", content: [{ type: "text", text: "QUIET PLEASE" }] });
    const who = await rpc(bob, "tools/call", { name: "modern_whoami", arguments: {} });
    expect(JSON.parse((who.body.result!.content as { text: string }[])[0]!.text)).toEqual({ name: "raw-2026", version: "0.1" });
    const seen = ((await (await fetch(new URL("/__fixture/requests", modern.url))).json()) as { requests: { method: string; headers: Record<string, string | null>; meta: Record<string, unknown> }[] }).requests;
    expect(seen.map((r) => r.method)).not.toContain("initialize");
    expect(seen.filter((r) => r.method === "server/discover").length).toBe(1); // found once per isolate
    const call = seen.find((r) => r.method === "tools/call" && r.headers["mcp-name"] === "shout")!;
    expect(call.headers).toMatchObject({ "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-session-id": null, authorization: `Bearer ${UPSTREAM_SECRET}` });
    expect(call.meta["io.modelcontextprotocol/protocolVersion"]).toBe("2026-07-28");
    expect(seen.every((r) => r.headers.authorization === `Bearer ${UPSTREAM_SECRET}`)).toBe(true); // never a caller's token
  });

  it("serves a 2025 session client (the SDK's, sealed session) in front of that 2026-07-28-only upstream, and the other way round", async () => {
    const client = new Client({ name: "session-client", version: "2025" });
    await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", portal.origin), { requestInit: { headers: { authorization: `Bearer ${alice.token}` } } }));
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(expect.arrayContaining(["modern_shout", "everything_echo"]));
      const shout = await client.callTool({ name: "modern_shout", arguments: { text: "from a session" } });
      expect(shout.content).toEqual([{ type: "text", text: "FROM A SESSION" }]);
      // The upstream heard the session client's own name, in 2026-07-28 form.
      const who = await client.callTool({ name: "modern_whoami", arguments: {} });
      expect(JSON.parse((who.content as { text: string }[])[0]!.text)).toEqual({ name: "session-client", version: "2025" });
    } finally {
      await client.close();
    }
    // And a 2026-07-28 client in front of a session-only upstream (server-everything).
    const echo = await rpc(alice, "tools/call", { name: "everything_echo", arguments: { message: "stateless to session" } });
    expect(JSON.stringify(echo.body.result!.content)).toContain("stateless to session");
  });

  it("refuses what the session path refuses, with the same words and a denied event", async () => {
    // Policy: bob has no rule for weather.
    const denied = await rpc(bob, "tools/call", { name: "weather_get_weather", arguments: { city: "Oslo" } });
    expect(denied.status).toBe(200);
    expect(denied.body.error).toMatchObject({ code: -32602, message: 'Tool "weather_get_weather" is not available: it is unknown, not approved, or not allowed for you' });
    await expect.poll(() => sink.events.some((e) => e.email === "bob@example.test" && e.tool === "get_weather" && e.decision === "denied" && e.reason?.startsWith("POLICY_DENIED") && e.clientName === "raw-2026"), { timeout: 15_000 }).toBe(true);
    // A refused call keeps what was attempted.
    const attempt = sink.events.find((e) => e.email === "bob@example.test" && e.tool === "get_weather" && e.decision === "denied")!;
    expect([attempt.arguments, attempt.resultExcerpt]).toEqual(['{"city":"Oslo"}', undefined]);
    // Pin: list_forecasts is published with a pin its live definition does not match.
    const drifted = await rpc(alice, "tools/call", { name: "weather_list_forecasts", arguments: {} });
    expect(drifted.body.error).toMatchObject({ code: -32003, message: expect.stringMatching(/changed upstream since it was approved; it is quarantined/) });
    await expect.poll(() => sink.events.some((e) => e.tool === "list_forecasts" && e.reason?.startsWith("TOOL_HASH_MISMATCH") && e.clientName === "raw-2026"), { timeout: 15_000 }).toBe(true);
    // Scope: a read-only credential may not call a tool that changes things.
    const write = await rpc(reader, "tools/call", { name: "everything_echo", arguments: { message: "x" } });
    expect(write.body.error).toMatchObject({ code: -32602, message: expect.stringMatching(/this credential has only the read scope/) });
    // Unknown tool.
    const unknown = await rpc(alice, "tools/call", { name: "nosuch_tool", arguments: {} });
    expect(unknown.body.error?.message).toMatch(/is not available/);
  });

  it("refuses a blocked server after a publish, at once", async () => {
    const blocked = await bundleOf({
      servers: bundle.servers,
      users: [alice, bob, reader],
      teams: [{ id: TEAM_WEATHER, slug: "weather-team" }],
      rules: bundle.policies.rules,
      blocklist: [{ id: crypto.randomUUID(), origin: new URL(weather.url).origin, pathPrefix: "", reason: "Shadow MCP finding: blocked in test", findingId: crypto.randomUUID() }],
    });
    expect((await portal.push(blocked)).status).toBe(200);
    try {
      const res = await rpc(alice, "tools/call", { name: "weather_get_weather", arguments: { city: "Oslo" } });
      expect(res.body.error?.message).toMatch(/is blocked by your security team/);
      const names = ((await rpc(alice, "tools/list")).body.result!.tools as { name: string }[]).map((t) => t.name);
      expect(names.some((n) => n.startsWith("weather_"))).toBe(false);
    } finally {
      bundle = await bundleOf({ servers: bundle.servers, users: [alice, bob, reader], teams: [{ id: TEAM_WEATHER, slug: "weather-team" }], rules: bundle.policies.rules });
      expect((await portal.push(bundle)).status).toBe(200);
    }
  });

  it("serves subscriptions/listen: acknowledges what it will send, then tells a caller whose tools changed after a publish, and no one else", async () => {
    const streams: { messages: { method?: string; params?: Record<string, unknown> }[]; stop: AbortController }[] = [];
    const open = async (user: TestUser) => {
      const stop = new AbortController();
      const id = nextId++;
      const res = await fetch(`${portal.origin}/mcp`, {
        method: "POST",
        signal: stop.signal,
        headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": V, "mcp-method": "subscriptions/listen" },
        body: JSON.stringify({ jsonrpc: "2.0", id, method: "subscriptions/listen", params: { notifications: { toolsListChanged: true, resourceSubscriptions: ["demo://resource/1"] }, _meta: meta } }),
      });
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      const stream = { id, messages: [] as { method?: string; params?: Record<string, unknown> }[], stop };
      streams.push(stream);
      void (async () => {
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
          if (chunk.done) return;
          buffer += chunk.value;
          let end: number;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const data = buffer.slice(0, end).split("\n").find((l) => l.startsWith("data: "));
            buffer = buffer.slice(end + 2);
            if (data) stream.messages.push(JSON.parse(data.slice(6)));
          }
        }
      })();
      return stream;
    };
    const [forAlice, forBob] = [await open(alice), await open(bob)];
    try {
      for (const stream of [forAlice, forBob]) {
        await expect.poll(() => stream.messages[0], { timeout: 10_000 }).toEqual({
          jsonrpc: "2.0",
          method: "notifications/subscriptions/acknowledged",
          // Only what the portal will send: no resource subscriptions.
          params: { notifications: { toolsListChanged: true }, _meta: { "io.modelcontextprotocol/subscriptionId": stream.id } },
        });
      }
      // Block the weather server: alice's tools change, bob (who never had weather) sees the same list.
      const blocked = await bundleOf({
        servers: bundle.servers,
        users: [alice, bob, reader],
        teams: [{ id: TEAM_WEATHER, slug: "weather-team" }],
        rules: bundle.policies.rules,
        blocklist: [{ id: crypto.randomUUID(), origin: new URL(weather.url).origin, pathPrefix: "", reason: "listen test", findingId: crypto.randomUUID() }],
      });
      expect((await portal.push(blocked)).status).toBe(200);
      await expect.poll(() => forAlice.messages.map((m) => m.method), { timeout: 10_000 }).toContain("notifications/tools/list_changed");
      expect(forAlice.messages.find((m) => m.method === "notifications/tools/list_changed")!.params).toEqual({ _meta: { "io.modelcontextprotocol/subscriptionId": forAlice.id } });
      await new Promise((r) => setTimeout(r, 2_500));
      expect(forBob.messages.map((m) => m.method)).toEqual(["notifications/subscriptions/acknowledged"]);
    } finally {
      for (const s of streams) s.stop.abort();
      bundle = await bundleOf({ servers: bundle.servers, users: [alice, bob, reader], teams: [{ id: TEAM_WEATHER, slug: "weather-team" }], rules: bundle.policies.rules });
      expect((await portal.push(bundle)).status).toBe(200);
    }
  });

  it("relays progress on an SSE answer when the caller asks for it, JSON otherwise", async () => {
    const res = await rpc(alice, "tools/call", { name: "everything_trigger-long-running-operation", arguments: { duration: 1, steps: 3 }, _meta: { progressToken: "p-1" } });
    expect(res.contentType).toContain("text/event-stream");
    const notes = (res.body as unknown as { notifications: { method: string; params: { progressToken: unknown } }[] }).notifications;
    expect(notes.length).toBeGreaterThanOrEqual(2);
    expect(notes.every((n) => n.method === "notifications/progress" && n.params.progressToken === "p-1")).toBe(true);
    expect(res.body.result).toMatchObject({ resultType: "complete" });
  });

  it("serves prompts, resources and completion live from the upstream, routed by name and URI, with server-level access", async () => {
    const prompts = (await rpc(alice, "prompts/list")).body.result!;
    expect(prompts).toMatchObject({ resultType: "complete", cacheScope: "private" });
    const names = (prompts.prompts as { name: string }[]).map((p) => p.name);
    expect(names).toContain("everything_simple-prompt");
    const got = await rpc(alice, "prompts/get", { name: "everything_simple-prompt" });
    expect(got.body.error).toBeUndefined();
    expect(JSON.stringify(got.body.result!.messages)).toMatch(/simple prompt/i);
    const completion = await rpc(alice, "completion/complete", { ref: { type: "ref/prompt", name: "everything_completable-prompt" }, argument: { name: "department", value: "E" } });
    expect(completion.body.error).toBeUndefined();
    expect((completion.body.result!.completion as { values: string[] }).values.length).toBeGreaterThan(0);

    const resources = (await rpc(alice, "resources/list")).body.result!;
    const uri = (resources.resources as { uri: string }[])[0]!.uri;
    const read = await rpc(alice, "resources/read", { uri });
    expect(read.body.error).toBeUndefined();
    expect((read.body.result!.contents as { uri: string }[])[0]!.uri).toBe(uri);
    await expect.poll(() => sink.events.some((e) => e.method === "resources/read" && e.resourceUri === uri && e.serverSlug === "everything" && e.clientName === "raw-2026" && e.decision === "allowed"), { timeout: 15_000 }).toBe(true);
    await expect.poll(() => sink.events.some((e) => e.method === "prompts/get" && e.prompt === "simple-prompt" && e.serverSlug === "everything" && e.clientName === "raw-2026"), { timeout: 15_000 }).toBe(true);

    // Server-level access: bob has no rule for weather, whatever the name he tries.
    const bobs = ((await rpc(bob, "prompts/list")).body.result!.prompts as { name: string }[]).map((p) => p.name);
    expect(bobs.some((n) => n.startsWith("weather_"))).toBe(false);
    const unknown = await rpc(alice, "prompts/get", { name: "nosuch_prompt" });
    expect(unknown.body.error?.message).toMatch(/Prompt "nosuch_prompt" is not available/);
    // At /mcp/{slug}, names and URIs are the server's own.
    const scoped = (await rpc(alice, "prompts/list", {}, { path: "/mcp/everything" })).body.result!.prompts as { name: string }[];
    expect(scoped.map((p) => p.name)).toContain("simple-prompt");
  });

  it("answers malformed requests with the revision's errors (400), and GET with 405", async () => {
    const mismatch = await rpc(alice, "tools/call", { name: "everything_echo", arguments: { message: "x" } }, { headers: { "mcp-name": "everything_add" } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error).toMatchObject({ code: -32020, message: expect.stringMatching(/Mcp-Name header value 'everything_add' does not match body value 'everything_echo'/) });
    const noMeta = await rpc(alice, "tools/list", {}, { body: { jsonrpc: "2.0", id: 99, method: "tools/list", params: {} } });
    expect(noMeta.status).toBe(400);
    expect(noMeta.body).toMatchObject({ id: 99, error: { code: -32602 } });
    const later = await rpc(alice, "tools/list", {}, { headers: { "mcp-protocol-version": "2027-01-01" }, body: { jsonrpc: "2.0", id: 5, method: "tools/list", params: { _meta: { ...meta, "io.modelcontextprotocol/protocolVersion": "2027-01-01" } } } });
    expect(later.body.error).toMatchObject({ code: -32022, data: { supported: expect.arrayContaining(["2026-07-28"]) } });
    // resources/subscribe is gone in this revision (subscriptions/listen replaces it).
    const unknownMethod = await rpc(alice, "resources/subscribe", { uri: "demo://x" });
    expect(unknownMethod.status).toBe(404);
    expect(unknownMethod.body.error?.code).toBe(-32601);
    const noFilter = await rpc(alice, "subscriptions/listen");
    expect(noFilter.body.error).toMatchObject({ code: -32602, message: expect.stringContaining("params.notifications") });
    const get = await fetch(`${portal.origin}/mcp`, { headers: { authorization: `Bearer ${alice.token}`, "mcp-protocol-version": V, accept: "text/event-stream" } });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    const notification = await rpc(alice, "notifications/cancelled", {}, { body: { jsonrpc: "2.0", method: "notifications/cancelled", params: { _meta: meta } }, headers: { "mcp-method": "notifications/cancelled" } });
    expect(notification.status).toBe(202);
    // Without a credential: the same 401 as every client gets.
    const anonymous = await fetch(`${portal.origin}/mcp`, { method: "POST", headers: { "content-type": "application/json", "mcp-protocol-version": V, "mcp-method": "tools/list" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: meta } }) });
    expect(anonymous.status).toBe(401);
  });

  async function weatherRequests(): Promise<number> {
    return ((await (await fetch(new URL("/__fixture/requests", weather.url))).json()) as { requests: unknown[] }).requests.length;
  }
});
