/**
 * Role and credential scope at the edge, inside workerd: viewers may not use the portal at all
 * (`portal.use`), whatever their token says; a read-only token lists and reads, and calls only tools
 * published as read-only; LLM calls need a member and a token with the write scope.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import type { BundleLlmProvider, BundleServer } from "@core/bundle/schema";
import { generateEdgeSecret } from "@core/edge/secret";
import { allowRule, approvedServer, bundleOf, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

const INITIALIZE = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } };

describe("role and token scope at the edge (workerd)", () => {
  let portal: PortalUnderTest;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let weather: Awaited<ReturnType<typeof startMutableServer>>;
  let viewer: TestUser;
  let reader: TestUser;
  let member: TestUser;
  let server: BundleServer;
  const clients: Client[] = [];
  // Never called: every request below is refused before the provider would be reached.
  const provider: BundleLlmProvider = { id: crypto.randomUUID(), slug: "openai", name: "OpenAI", kind: "openai", baseUrl: "http://127.0.0.1:9/v1", credential: null, cacheTtlSeconds: 0, logBodies: false };

  beforeAll(async () => {
    const edgeSecret = generateEdgeSecret();
    [weather, sink] = await Promise.all([startMutableServer({ port: 0 }), startEventSink(edgeSecret)]);
    portal = await startPortal({ consoleUrl: sink.url, edgeSecret });
    viewer = await testUser("vic@acme.test", [], [], { role: "viewer", scopes: ["read", "write"] });
    reader = await testUser("rea@acme.test", [], [], { role: "member", scopes: ["read"] });
    member = await testUser("mel@acme.test", [], [], { role: "member", scopes: ["read", "write"] });
    server = await approvedServer({ slug: "weather", url: weather.url, edgeSecret, readOnly: ["get_weather", "list_forecasts"] });
    const res = await portal.push(
      await bundleOf({ servers: [server], users: [viewer, reader, member], rules: [allowRule({ type: "everyone" }, "*")], llm: { providers: [provider], prices: [] } }),
    );
    expect(res.status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled([portal?.stop(), sink?.close(), weather?.close()]);
  });

  async function connect(user: TestUser): Promise<Client> {
    const client = new Client({ name: "roles-test", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", portal.origin), { requestInit: { headers: { authorization: `Bearer ${user.token}` } } }));
    clients.push(client);
    return client;
  }

  const post = (path: string, user: TestUser, body: unknown) =>
    fetch(`${portal.origin}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify(body),
    });

  it("refuses a viewer at /mcp and /mcp/{slug} with 403 naming the role, even with a read-write token", async () => {
    for (const path of ["/mcp", "/mcp/weather"]) {
      const res = await post(path, viewer, INITIALIZE);
      expect(res.status, path).toBe(403);
      const body = (await res.json()) as { error: { code: number; message: string } };
      expect(body.error.message).toMatch(/role \(viewer\) may not use the portal/);
    }
    const seen = ((await (await fetch(new URL("/__fixture/requests", weather.url))).json()) as { requests: { method: string }[] }).requests;
    expect(seen.filter((r) => r.method === "tools/call")).toEqual([]);
    // Refused, and audited: who tried, where, with which client.
    await expect
      .poll(() => sink.events.filter((e) => e.userId === viewer.id && e.decision === "denied").map((e) => [e.endpoint, e.method, e.reason, e.clientName, e.success]).sort(), { timeout: 15_000 })
      .toEqual([
        ["/mcp", "initialize", "ROLE_NOT_ALLOWED: the viewer role may not use the portal (members and above may)", "t", false],
        ["/mcp/weather", "initialize", "ROLE_NOT_ALLOWED: the viewer role may not use the portal (members and above may)", "t", false],
      ]);
  });

  it("lets a read-only token list and call read-only tools only, saying why the others are refused", async () => {
    const client = await connect(reader);
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual(["weather_get_weather", "weather_list_forecasts"]);
    const ok = await client.callTool({ name: "weather_get_weather", arguments: { city: "Oslo" } });
    expect(ok.isError).toBeFalsy();
    await expect(client.callTool({ name: "weather_delete_station", arguments: { id: "x" } })).rejects.toThrow(/only the read scope/);
    await expect
      .poll(() => sink.events.filter((e) => e.userId === reader.id && e.tool === "delete_station").map((e) => [e.decision, (e.reason ?? "").split(":")[0]]))
      .toEqual([["denied", "MISSING_SCOPE"]]);
  });

  it("gives a member with a read-write token every tool the policy allows", async () => {
    const client = await connect(member);
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(["weather_delete_station", "weather_get_weather", "weather_list_forecasts"]);
  });

  it("refuses LLM calls from a viewer and from a read-only token, in the provider's error format", async () => {
    const body = { model: "gpt-5", messages: [{ role: "user", content: "hi" }] };
    const byViewer = await post("/llm/openai/v1/chat/completions", viewer, body);
    expect(byViewer.status).toBe(403);
    expect(((await byViewer.json()) as { error: { message: string } }).error.message).toMatch(/role \(viewer\) may not use the portal/);
    const byReader = await post("/llm/openai/v1/chat/completions", reader, body);
    expect(byReader.status).toBe(403);
    expect(((await byReader.json()) as { error: { message: string } }).error.message).toMatch(/only the read scope/);
  });
});
