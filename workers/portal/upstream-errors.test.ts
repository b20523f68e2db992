/**
 * Upstream failures reach the caller as JSON-RPC errors, never as a hang or a broken stream: an
 * upstream that takes too long (PORTCULLIS_UPSTREAM_TIMEOUT_MS), an upstream's own JSON-RPC error
 * (forwarded with its code and message), and an upstream that has gone away. The upstream's URL
 * carries a key (`?api_key=…`): the portal connects with it, and its events never show it.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateEdgeSecret } from "@core/edge/secret";
import { startEverythingServer, type RunningServer } from "@/testing/mcp-servers";
import { allowRule, approvedServer, bundleOf, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

const UPSTREAM_KEY = "sk_live_upstream1234567890abcdef";

describe("upstream failures through the portal", () => {
  let portal: PortalUnderTest;
  let everything: RunningServer;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let erin: TestUser;
  let client: Client;

  beforeAll(async () => {
    const edgeSecret = generateEdgeSecret();
    [everything, sink] = await Promise.all([startEverythingServer("streamableHttp"), startEventSink(edgeSecret)]);
    portal = await startPortal({ consoleUrl: sink.url, edgeSecret, vars: { PORTCULLIS_UPSTREAM_TIMEOUT_MS: "1000" } });
    erin = await testUser("erin@example.test");
    const server = await approvedServer({ slug: "everything", url: `${everything.origin}/mcp?api_key=${UPSTREAM_KEY}`, edgeSecret });
    expect((await portal.push(await bundleOf({ servers: [server], users: [erin], rules: [allowRule({ type: "everyone" }, "everything")] }))).status).toBe(200);
    client = new Client({ name: "errors-test", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL("/mcp/everything", portal.origin), { requestInit: { headers: { authorization: `Bearer ${erin.token}` } } }));
  }, 120_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await Promise.allSettled([portal?.stop(), everything?.stop(), sink?.close()]);
  });

  it("answers a timeout as a JSON-RPC error when the upstream is too slow", async () => {
    const started = Date.now();
    // One step over 3 s: no progress before the portal's 1 s timeout.
    const err = await client.callTool({ name: "trigger-long-running-operation", arguments: { duration: 3, steps: 1 } }, undefined, { timeout: 30_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(-32001);
    expect((err as McpError).message).toMatch(/timed out/i);
    expect(Date.now() - started).toBeLessThan(2_900);
  });

  it("forwards the upstream's own JSON-RPC error exactly as a direct client sees it", async () => {
    const direct = new Client({ name: "errors-test-direct", version: "1" });
    await direct.connect(new StreamableHTTPClientTransport(new URL("/mcp", everything.origin)));
    const expected = await direct.getPrompt({ name: "no-such-prompt" }).catch((e: unknown) => e);
    await direct.close();
    const err = await client.getPrompt({ name: "no-such-prompt" }).catch((e: unknown) => e);
    expect(expected).toBeInstanceOf(McpError);
    expect(err).toBeInstanceOf(McpError);
    expect({ code: (err as McpError).code, message: (err as McpError).message }).toEqual({ code: (expected as McpError).code, message: (expected as McpError).message });
  });

  it("answers an upstream that has gone away with a JSON-RPC error that names no address", async () => {
    await everything.stop();
    const err = await client.callTool({ name: "echo", arguments: { message: "anyone there?" } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(-32004);
    expect((err as McpError).message).toBe('MCP error -32004: Upstream server "everything" failed or is unreachable');
    await expect.poll(() => sink.events.some((e) => e.tool === "echo" && !e.success && e.error?.startsWith("-32004")), { timeout: 15_000 }).toBe(true);
    expect(sink.events.find((e) => e.tool === "echo")?.serverUrl).toBe(`${everything.origin}/mcp?api_key=[redacted]`);
    expect(JSON.stringify(sink.events)).not.toContain(UPSTREAM_KEY);
  });
});
