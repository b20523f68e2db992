/**
 * Large inputs at the portal, inside workerd: an MCP body over the limit is refused before (or as
 * soon as) it passes it, and a huge one-token tool result is answered and metered without
 * tokenizing it, so it does not stall other calls (counting 900 KB of one letter used to hang
 * every request to the portal for minutes).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateEdgeSecret } from "@core/edge/secret";
import { startEverythingServer, type RunningServer } from "@/testing/mcp-servers";
import { allowRule, approvedServer, bundleOf, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

/** Generous: the old path took minutes; a healthy one answers in milliseconds even on a loaded CI machine. */
const CONCURRENT_CALL_BOUND_MS = 5_000;

describe("large inputs at the portal (workerd)", () => {
  let portal: PortalUnderTest;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let everything: RunningServer;
  let alice: TestUser;
  const clients: Client[] = [];

  beforeAll(async () => {
    const edgeSecret = generateEdgeSecret();
    [everything, sink] = await Promise.all([startEverythingServer("streamableHttp"), startEventSink(edgeSecret)]);
    portal = await startPortal({ consoleUrl: sink.url, edgeSecret });
    alice = await testUser("alice@acme.test");
    const server = await approvedServer({ slug: "everything", url: `${everything.origin}/mcp`, edgeSecret });
    expect((await portal.push(await bundleOf({ servers: [server], users: [alice], rules: [allowRule({ type: "everyone" }, "*")] }))).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled([portal?.stop(), sink?.close(), everything?.stop()]);
  });

  async function connect(): Promise<Client> {
    const client = new Client({ name: "large-input-test", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", portal.origin), { requestInit: { headers: { authorization: `Bearer ${alice.token}` } } }));
    clients.push(client);
    return client;
  }

  const post = (body: BodyInit, headers: Record<string, string> = {}) =>
    fetch(`${portal.origin}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.token}`, "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
      body,
      duplex: "half",
    } as RequestInit);

  it("answers a 900 KB one-letter tool result without stalling a concurrent call, and meters it by estimate", async () => {
    const [big, small] = [await connect(), await connect()];
    const huge = big.callTool({ name: "everything_echo", arguments: { message: "a".repeat(900_000) } });
    const started = performance.now();
    const quick = await small.callTool({ name: "everything_echo", arguments: { message: "hi" } });
    const quickMs = performance.now() - started;
    expect(JSON.stringify(quick.content)).toMatch(/hi/);
    expect(quickMs).toBeLessThan(CONCURRENT_CALL_BOUND_MS);
    const result = await huge;
    expect(JSON.stringify(result.content).length).toBeGreaterThan(900_000);
    // An unauthenticated request is answered at once too.
    expect((await fetch(`${portal.origin}/mcp`, { method: "POST" })).status).toBe(401);
    await expect
      .poll(() => sink.events.filter((e) => e.tool === "echo" && (e.resultTokens ?? 0) > 100_000).map((e) => e.resultTokens))
      .toEqual([Math.ceil(new TextEncoder().encode(`Echo: ${"a".repeat(900_000)}`).byteLength / 4)]);
  });
  // wrangler's local dev proxy (which unstable_dev puts in front of workerd) loses its connection
  // when the Worker answers before reading the body, and fails the request that comes next on it
  // ("Network connection lost", or its own 503). On Cloudflare nothing of this happens. So after
  // each early answer the test waits until the proxy serves again.
  const proxySettled = () => expect.poll(async () => (await fetch(`${portal.origin}/`)).status, { timeout: 20_000, interval: 200 }).toBe(200);

  it("refuses an MCP body over 1 MiB: declared, chunked, or a JSON-RPC message with 5 MB of params", async () => {
    const message = (size: number) => JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "everything_echo", arguments: { message: "x".repeat(size) } } });
    const declared = await post(message(2_000_000));
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: { message: string } }).error.message).toMatch(/at most 1,048,576 bytes/);
    await proxySettled();
    expect((await post(message(5_000_000))).status).toBe(413);
    await proxySettled();
    // No Content-Length: a stream of 3 MB, refused once it passes the limit.
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 3_000_000) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    expect((await post(stream)).status).toBe(413);
    await proxySettled();
    // Just under the limit is read and answered as MCP (here: no session yet).
    expect((await post(message(1_000_000))).status).toBe(400);
  });

});
