/**
 * W3C trace context through the portal, in workerd: a caller's `traceparent` (HTTP header, or
 * `_meta.traceparent` in a 2026-07-28 request) reaches the upstream with the same trace id and the
 * portal's span as parent, and the request's event records that trace and span.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODERN_TOOLS, startModernServer } from "@/testing/servers/modern-mcp-server.mjs";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { edgeCredentialAad } from "@core/edge/credential";
import { generateEdgeSecret, parseEdgeSecrets, sealForEdge } from "@core/edge/secret";
import type { PortalEvent } from "@core/events/schema";
import { hashedToolView, toolHash } from "@core/tools/tool-hash";
import { allowRule, approvedServer, bundleOf, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

const V = "2026-07-28";
const UPSTREAM_SECRET = "upstream-secret-trace-4c2d";
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";

interface Seen {
  method: string;
  headers: Record<string, string | null>;
  meta: Record<string, unknown>;
}

describe("portal trace context (traceparent)", () => {
  let portal: PortalUnderTest;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let modern: Awaited<ReturnType<typeof startModernServer>>;
  let weather: Awaited<ReturnType<typeof startMutableServer>>;
  let alice: TestUser;
  let nextId = 1;

  const seen = async () => ((await (await fetch(new URL("/__fixture/requests", modern.url))).json()) as { requests: Seen[] }).requests;

  /** A 2026-07-28 tools/call of `modern_shout`, with `headers` and extra `_meta`. */
  async function shout(text: string, options: { headers?: Record<string, string>; meta?: Record<string, unknown> } = {}) {
    const before = (await seen()).length;
    const res = await fetch(`${portal.origin}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.token}`, "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": V, "mcp-method": "tools/call", "mcp-name": "modern_shout", ...options.headers },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: nextId++,
        method: "tools/call",
        params: { name: "modern_shout", arguments: { text }, _meta: { "io.modelcontextprotocol/protocolVersion": V, "io.modelcontextprotocol/clientInfo": { name: "traced", version: "1" }, "io.modelcontextprotocol/clientCapabilities": {}, ...options.meta } },
      }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { result?: { content: { text: string }[] } }).result?.content[0]?.text).toBe(text.toUpperCase());
    return (await seen()).slice(before).find((r) => r.method === "tools/call")!;
  }

  beforeAll(async () => {
    alice = await testUser("alice@example.test");
    const edgeSecret = generateEdgeSecret();
    [modern, weather, sink] = await Promise.all([startModernServer({ port: 0, bearer: UPSTREAM_SECRET }), startMutableServer({ port: 0, bearer: UPSTREAM_SECRET }), startEventSink(edgeSecret)]);
    portal = await startPortal({ consoleUrl: sink.url, edgeSecret });
    const id = crypto.randomUUID();
    const server = {
      id,
      slug: "modern",
      name: "modern",
      url: modern.url,
      transport: "streamable-http" as const,
      credential: await sealForEdge(JSON.stringify({ type: "headers", headers: { authorization: `Bearer ${UPSTREAM_SECRET}` } }), await parseEdgeSecrets(edgeSecret), edgeCredentialAad(id)),
      tools: await Promise.all(MODERN_TOOLS.map(async (t) => ({ name: t.name, hash: await toolHash(t), state: "enabled" as const, definition: hashedToolView(t) as Record<string, unknown> }))),
    };
    const we = await approvedServer({ slug: "weather", url: weather.url, edgeSecret, credential: { type: "headers", headers: { authorization: `Bearer ${UPSTREAM_SECRET}` } } });
    const rules = [allowRule({ type: "everyone" }, "modern"), allowRule({ type: "everyone" }, "weather")];
    expect((await portal.push(await bundleOf({ servers: [server, we], users: [alice], rules }))).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([portal?.stop(), sink?.close(), modern?.close(), weather?.close()]);
  });

  /** The event of the call whose upstream request was `upstream`: the one whose span the upstream names as its parent. */
  async function eventFor(upstream: Seen): Promise<PortalEvent> {
    const parent = upstream.headers.traceparent?.split("-")[2];
    await expect.poll(() => sink.events.some((e) => e.spanId === parent), { timeout: 15_000 }).toBe(true);
    return sink.events.find((e) => e.spanId === parent)!;
  }

  it("continues a traceparent header: the upstream gets the same trace with the portal's span as parent, and the event records both", async () => {
    const upstream = await shout("header", { headers: { traceparent: `00-${TRACE}-${CALLER_SPAN}-01` } });
    const [version, trace, parent, flags] = upstream.headers.traceparent!.split("-");
    expect([version, trace, flags]).toEqual(["00", TRACE, "01"]);
    expect(parent).toMatch(/^[0-9a-f]{16}$/);
    expect(parent).not.toBe(CALLER_SPAN);
    // MCP's own carrier says the same.
    expect(upstream.meta.traceparent).toBe(upstream.headers.traceparent);
    const event = await eventFor(upstream);
    expect(event).toMatchObject({ tool: "shout", decision: "allowed", success: true, traceId: TRACE, spanId: parent });
  });

  it("reads _meta.traceparent of a 2026-07-28 request (over the header), passes the trace's flags on", async () => {
    const other = "0af7651916cd43dd8448eb211c80319c";
    const upstream = await shout("meta", { meta: { traceparent: `00-${other}-${CALLER_SPAN}-00` }, headers: { traceparent: `00-${TRACE}-${CALLER_SPAN}-01` } });
    const [, trace, parent, flags] = upstream.headers.traceparent!.split("-");
    expect([trace, flags]).toEqual([other, "00"]);
    expect(upstream.meta.traceparent).toBe(`00-${other}-${parent}-00`);
    expect(await eventFor(upstream)).toMatchObject({ traceId: other, spanId: parent });
  });

  it("serves a 2025 session client's traceparent header the same way", async () => {
    const client = new Client({ name: "session-client", version: "2025" });
    await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", portal.origin), { requestInit: { headers: { authorization: `Bearer ${alice.token}`, traceparent: `00-${TRACE}-${CALLER_SPAN}-01` } } }));
    const before = (await seen()).length;
    try {
      expect((await client.callTool({ name: "modern_shout", arguments: { text: "session" } })).content).toEqual([{ type: "text", text: "SESSION" }]);
    } finally {
      await client.close();
    }
    const upstream = (await seen()).slice(before).find((r) => r.method === "tools/call")!;
    expect(upstream.headers.traceparent?.split("-")[1]).toBe(TRACE);
    expect((await eventFor(upstream)).traceId).toBe(TRACE);
  });

  it("passes it from a session held by the portal (a server's own endpoint, /mcp/{slug}) in _meta.traceparent", async () => {
    const weatherSeen = async () => ((await (await fetch(new URL("/__fixture/requests", weather.url))).json()) as { requests: { method: string | null; traceparent: string | null }[] }).requests;
    const client = new Client({ name: "session-client", version: "2025" });
    await client.connect(new StreamableHTTPClientTransport(new URL("/mcp/weather", portal.origin), { requestInit: { headers: { authorization: `Bearer ${alice.token}`, traceparent: `00-${TRACE}-${CALLER_SPAN}-01` } } }));
    const before = (await weatherSeen()).length;
    try {
      expect((await client.callTool({ name: "get_weather", arguments: { city: "Oslo" } })).isError).toBeFalsy();
    } finally {
      await client.close();
    }
    const call = (await weatherSeen()).slice(before).find((r) => r.method === "tools/call")!;
    const [, trace, parent] = call.traceparent!.split("-");
    expect(trace).toBe(TRACE);
    expect(parent).not.toBe(CALLER_SPAN);
    await expect.poll(() => sink.events.some((e) => e.spanId === parent), { timeout: 15_000 }).toBe(true);
    expect(sink.events.find((e) => e.spanId === parent)).toMatchObject({ tool: "get_weather", endpoint: "/mcp/weather", traceId: TRACE });
  });

  it("starts no trace of its own: without a valid traceparent the upstream gets none and the event has no trace", async () => {
    const plain = await shout("plain");
    const broken = await shout("broken", { headers: { traceparent: `00-${"0".repeat(32)}-${CALLER_SPAN}-01` } });
    for (const upstream of [plain, broken]) {
      expect(upstream.headers.traceparent).toBeNull();
      expect(upstream.meta.traceparent).toBeUndefined();
    }
    await expect.poll(() => sink.events.filter((e) => e.tool === "shout").length, { timeout: 15_000 }).toBeGreaterThanOrEqual(5);
    expect(sink.events.filter((e) => e.tool === "shout" && e.traceId === undefined).length).toBeGreaterThanOrEqual(2);
  });
});
