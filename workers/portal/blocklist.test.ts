/**
 * The shadow-MCP block list inside workerd: an approved server whose URL falls under an entry is
 * hidden and refused with a message that says why, whatever policies allow; its scoped endpoint
 * answers 403; removing the entry (a newer bundle) brings it back.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import type { BundleServer } from "@core/bundle/schema";
import { generateEdgeSecret } from "@core/edge/secret";
import { allowRule, approvedServer, bundleOf, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

describe("the shadow-MCP block list in workerd", () => {
  let portal: PortalUnderTest;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let weather: Awaited<ReturnType<typeof startMutableServer>>;
  let news: Awaited<ReturnType<typeof startMutableServer>>;
  let alice: TestUser;
  let servers: BundleServer[];
  const clients: Client[] = [];

  beforeAll(async () => {
    const edgeSecret = generateEdgeSecret();
    [weather, news, sink] = await Promise.all([startMutableServer({ port: 0 }), startMutableServer({ port: 0 }), startEventSink(edgeSecret)]);
    portal = await startPortal({ consoleUrl: sink.url, edgeSecret });
    alice = await testUser("alice@acme.test");
    servers = [
      await approvedServer({ slug: "weather", url: weather.url, edgeSecret: portal.edgeSecret }),
      await approvedServer({ slug: "news", url: news.url, edgeSecret: portal.edgeSecret }),
    ];
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled([portal?.stop(), sink?.close(), weather?.close(), news?.close()]);
  });

  async function connect(): Promise<Client> {
    const client = new Client({ name: "blocklist-test", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", portal.origin), { requestInit: { headers: { authorization: `Bearer ${alice.token}` } } }));
    clients.push(client);
    return client;
  }

  const publish = async (blocked: boolean) => {
    const blocklist = blocked ? [{ id: crypto.randomUUID(), origin: new URL(weather.url).origin, pathPrefix: "", reason: "Shadow MCP finding: blocked in test", findingId: crypto.randomUUID() }] : [];
    const rules = [allowRule({ type: "everyone" }, "weather"), allowRule({ type: "everyone" }, "news")];
    const res = await portal.push(await bundleOf({ servers, users: [alice], rules, blocklist }));
    expect(res.status).toBe(200);
  };

  it("hides a blocked server's tools and refuses its calls, saying why; other servers work", async () => {
    await publish(true);
    const client = await connect();
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names.some((n) => n.startsWith("news_"))).toBe(true);
    expect(names.filter((n) => n.startsWith("weather_"))).toEqual([]);
    await expect(client.callTool({ name: "weather_get_weather", arguments: { city: "Oslo" } })).rejects.toThrow(/blocked by your security team/);
    const ok = await client.callTool({ name: "news_get_weather", arguments: { city: "Oslo" } });
    expect(ok.isError).toBeFalsy();
    await expect
      .poll(() => sink.events.filter((e) => e.userId === alice.id && e.tool === "get_weather" && e.decision === "denied").map((e) => (e.reason ?? "").split(":")[0]))
      .toEqual(["SERVER_BLOCKED"]);
    // The blocked upstream never saw the call (its earlier requests are the test setup reading its tools).
    const seen = ((await (await fetch(new URL("/__fixture/requests", weather.url))).json()) as { requests: { method: string }[] }).requests;
    expect(seen.filter((r) => r.method === "tools/call")).toEqual([]);
  });

  it("answers 403 on the blocked server's own endpoint", async () => {
    await publish(true);
    const res = await fetch(`${portal.origin}/mcp/weather`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } }),
    });
    expect(res.status).toBe(403);
    expect(JSON.stringify(await res.json())).toMatch(/blocked by your security team/);
    // Audited, with the server and the block list entry it met.
    await expect
      .poll(() => sink.events.find((e) => e.userId === alice.id && e.endpoint === "/mcp/weather" && e.method === "initialize" && e.decision === "denied"), { timeout: 15_000 })
      .toMatchObject({ serverSlug: "weather", success: false, reason: expect.stringMatching(/^SERVER_BLOCKED: .* is on the shadow-MCP block list/), error: expect.stringMatching(/blocked by your security team/) });
  });

  it("rolls a block out: logs calls as would-block, then refuses them at enforceAt by itself, without a new publish", async () => {
    const id = crypto.randomUUID();
    // Far enough ahead for the calls below on a slow machine; the edge reads the clock on every request.
    const enforceAt = new Date(Date.now() + 6_000);
    const blocklist = [{ id, origin: new URL(weather.url).origin, pathPrefix: "", reason: "rollout in test", mode: "log" as const, enforceAt: enforceAt.toISOString() }];
    const rules = [allowRule({ type: "everyone" }, "weather"), allowRule({ type: "everyone" }, "news")];
    const rollout = await bundleOf({ servers, users: [alice], rules, blocklist });
    expect((await portal.push(rollout)).status).toBe(200);

    const client = await connect();
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("weather_get_weather");
    const logged = await client.callTool({ name: "weather_get_weather", arguments: { city: "Logtown" } });
    expect(logged.isError).toBeFalsy();
    expect(Date.now()).toBeLessThan(enforceAt.getTime()); // the call above really ran in log mode
    await expect
      .poll(() => sink.events.find((e) => e.userId === alice.id && e.tool === "get_weather" && e.blockId === id && e.decision === "allowed"), { timeout: 15_000 })
      .toMatchObject({ serverSlug: "weather", success: true, wouldBlock: true });
    // A server no entry covers carries no marks.
    await client.callTool({ name: "news_get_weather", arguments: { city: "Logtown" } });
    await expect.poll(() => sink.events.find((e) => e.userId === alice.id && e.serverSlug === "news" && e.tool === "get_weather" && e.time > new Date(enforceAt.getTime() - 6_000).toISOString()), { timeout: 15_000 }).toBeDefined();
    expect(sink.events.filter((e) => e.serverSlug === "news" && "blockId" in e)).toEqual([]);

    const upstreamCalls = async () => ((await (await fetch(new URL("/__fixture/requests", weather.url))).json()) as { requests: { method: string }[] }).requests.filter((r) => r.method === "tools/call").length;
    const callsBefore = await upstreamCalls();
    expect(callsBefore).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, Math.max(0, enforceAt.getTime() - Date.now() + 50)));
    await expect(client.callTool({ name: "weather_get_weather", arguments: { city: "Blockville" } })).rejects.toThrow(/blocked by your security team/);
    await expect
      .poll(() => sink.events.find((e) => e.userId === alice.id && e.tool === "get_weather" && e.blockId === id && e.decision === "denied"), { timeout: 15_000 })
      .toMatchObject({ serverSlug: "weather", wouldBlock: false, reason: expect.stringMatching(/^SERVER_BLOCKED/) });
    // No publish happened in between: the refusal came from the same bundle version.
    expect(sink.events.filter((e) => e.blockId === id).map((e) => e.bundleVersion)).toEqual(sink.events.filter((e) => e.blockId === id).map(() => rollout.version));
    // The upstream saw the logged call and not the refused one.
    expect(await upstreamCalls()).toBe(callsBefore);
  });

  it("brings the server back when a newer bundle drops the entry", async () => {
    await publish(false);
    const client = await connect();
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("weather_get_weather");
    const result = await client.callTool({ name: "weather_get_weather", arguments: { city: "Oslo" } });
    expect(result.isError).toBeFalsy();
  });
});
