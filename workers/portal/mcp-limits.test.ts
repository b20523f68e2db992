/**
 * Rate limits at the MCP endpoint, in workerd against real upstreams: every request that reaches an
 * upstream is admitted — lists, completions, subscriptions, log levels and the upstream session a
 * `/mcp/{slug}` initialize opens, not only calls — once per request however many upstreams it
 * reaches; and the `/mcp/{slug}` pass-through forwards only what the portal knows and checks.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { EmptyResultSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { generateEdgeSecret } from "@core/edge/secret";
import type { RateLimitSpec } from "@core/limits/schema";
import { startEverythingServer, type RunningServer } from "@/testing/mcp-servers";
import { allowRule, approvedServer, bundleOf, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

const RATE_LIMITED = -32006;
const LIMIT: RateLimitSpec = { id: crypto.randomUUID(), name: "two an hour", subject: { type: "everyone" }, per: "user", scope: { kind: "mcp" }, limit: 2, windowSeconds: 3600 };

describe("every MCP request that reaches an upstream is rate-limited (workerd)", () => {
  let portal: PortalUnderTest;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let everything: RunningServer;
  let weather: Awaited<ReturnType<typeof startMutableServer>>;
  /** One user per scenario: the limit counts per user, so scenarios do not share a counter. */
  const users: TestUser[] = [];
  let next = 0;
  const clients: Client[] = [];

  async function connect(user: TestUser, path = "/mcp"): Promise<Client> {
    const client = new Client({ name: "limits-test", version: "1" }, { capabilities: { roots: { listChanged: true } } });
    await client.connect(new StreamableHTTPClientTransport(new URL(path, portal.origin), { requestInit: { headers: { authorization: `Bearer ${user.token}` } } }));
    clients.push(client);
    return client;
  }

  const upstreamMethods = async () => ((await (await fetch(new URL("/__fixture/requests", weather.url))).json()) as { requests: { method: string | null }[] }).requests.map((r) => r.method);

  /** The JSON-RPC error code each call ended with, or "ok". */
  async function outcomes(calls: (() => Promise<unknown>)[]): Promise<(number | "ok")[]> {
    const out: (number | "ok")[] = [];
    for (const call of calls) out.push(await call().then(() => "ok" as const, (e: unknown) => (e instanceof McpError ? e.code : Number.NaN)));
    return out;
  }

  beforeAll(async () => {
    const edgeSecret = generateEdgeSecret();
    [everything, weather, sink] = await Promise.all([startEverythingServer("streamableHttp"), startMutableServer({ port: 0 }), startEventSink(edgeSecret)]);
    portal = await startPortal({ consoleUrl: sink.url, edgeSecret });
    for (let i = 0; i < 12; i++) users.push(await testUser(`limited-${i}@example.test`));
    const servers = await Promise.all([approvedServer({ slug: "everything", url: `${everything.origin}/mcp`, edgeSecret }), approvedServer({ slug: "weather", url: weather.url, edgeSecret })]);
    const bundle = await bundleOf({ servers, users, rules: [allowRule({ type: "everyone" }, "everything"), allowRule({ type: "everyone" }, "weather")], limits: { rateLimits: [LIMIT], budgets: [] } });
    expect((await portal.push(bundle)).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled([portal?.stop(), sink?.close(), everything?.stop(), weather?.close()]);
  });

  it("counts tools/list at /mcp once per request, though it lists every upstream, and refuses the third without contacting any", async () => {
    const user = users[next++]!;
    const client = await connect(user);
    const before = (await upstreamMethods()).filter((m) => m === "tools/list").length;
    expect(await outcomes([() => client.listTools(), () => client.listTools()])).toEqual(["ok", "ok"]);
    const listed = (await upstreamMethods()).filter((m) => m === "tools/list").length;
    expect(listed).toBeGreaterThan(before);
    const refused = await client.listTools().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(McpError);
    expect((refused as McpError).code).toBe(RATE_LIMITED);
    expect((refused as McpError).message).toContain('Rate limit "two an hour" reached (2 requests per hour)');
    expect(((refused as McpError).data as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);
    expect((await upstreamMethods()).filter((m) => m === "tools/list").length).toBe(listed);
    await expect
      .poll(() => sink.events.filter((e) => e.userId === user.id && e.method === "tools/list").map((e) => [e.decision, e.reason?.split(":")[0] ?? null]))
      .toEqual([["allowed", null], ["allowed", null], ["denied", "RATE_LIMITED"]]);
  });

  it("counts a tools/call once, even when it first has to list the tools to find the name", async () => {
    const client = await connect(users[next++]!);
    const call = () => client.callTool({ name: "weather_get_weather", arguments: { city: "Oslo" } });
    expect(await outcomes([call, call, call])).toEqual(["ok", "ok", RATE_LIMITED]);
  });

  // Each: the calls of one fresh session; the last one is refused, so the method under test was counted.
  const scenarios: [string, (c: Client) => (() => Promise<unknown>)[]][] = [
    ["prompts/list", (c) => [() => c.listPrompts(), () => c.listPrompts(), () => c.listPrompts()]],
    ["prompts/get", (c) => Array.from({ length: 3 }, () => () => c.getPrompt({ name: "everything_simple-prompt" }))],
    ["resources/list", (c) => [() => c.listResources(), () => c.listResources(), () => c.listResources()]],
    ["resources/templates/list", (c) => [() => c.listResourceTemplates(), () => c.listResourceTemplates(), () => c.listResourceTemplates()]],
    [
      "completion/complete",
      (c) => Array.from({ length: 3 }, () => () => c.complete({ ref: { type: "ref/prompt", name: "everything_completable-prompt" }, argument: { name: "department", value: "E" } })),
    ],
    [
      "resources/subscribe",
      (c) => {
        let uri = "";
        return [async () => (uri = (await c.listResources()).resources[0]!.uri), () => c.subscribeResource({ uri }), () => c.subscribeResource({ uri })];
      },
    ],
    ["logging/setLevel", (c) => [() => c.listTools(), () => c.setLoggingLevel("debug"), () => c.setLoggingLevel("info")]],
  ];
  it.each(scenarios)("counts %s against the limit", async (_method, steps) => {
    const client = await connect(users[next++]!);
    const results = await outcomes(steps(client));
    expect(results.slice(0, 2)).not.toContain(RATE_LIMITED);
    expect(results[2]).toBe(RATE_LIMITED);
  });

  it("admits the upstream session a /mcp/{slug} initialize opens: over the limit, 429 and the upstream never hears of it", async () => {
    const user = users[next++]!;
    await connect(user, "/mcp/weather");
    await connect(user, "/mcp/weather");
    const initializesBefore = (await upstreamMethods()).filter((m) => m === "initialize").length;
    const res = await fetch(`${portal.origin}/mcp/weather`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } } }),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await res.json()) as { error: { code: number; message: string } }).error).toMatchObject({ code: RATE_LIMITED, message: expect.stringContaining('Rate limit "two an hour" reached') });
    expect((await upstreamMethods()).filter((m) => m === "initialize").length).toBe(initializesBefore);
  });

  it("answers a method the portal does not handle at /mcp/{slug} with -32601 and forwards neither it nor an unknown notification", async () => {
    const client = await connect(users[next++]!, "/mcp/weather");
    await client.listTools();
    for (const method of ["portcullis/not-a-method", "sampling/createMessage", "tasks/list"]) {
      const error = await client.request({ method, params: {} }, EmptyResultSchema).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(McpError);
      expect((error as McpError).code).toBe(-32601);
    }
    await client.notification({ method: "notifications/portcullis-unknown", params: {} });
    // A notification the protocol does define still reaches the upstream.
    await client.sendRootsListChanged();
    await expect.poll(async () => (await upstreamMethods()).includes("notifications/roots/list_changed")).toBe(true);
    const seen = await upstreamMethods();
    expect(seen).not.toContain("portcullis/not-a-method");
    expect(seen).not.toContain("sampling/createMessage");
    expect(seen).not.toContain("tasks/list");
    expect(seen).not.toContain("notifications/portcullis-unknown");
  });
});
