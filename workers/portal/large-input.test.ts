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
import { allowRule, approvedServer, bundleOf, rawPost, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

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

  /** The portal's MCP body limit (routes/mcp.ts MCP_MAX_BODY_BYTES). */
  const MCP_LIMIT = 1_048_576;
  const rawPostMcp = (head: Record<string, string>, body: { chunk: Buffer; times: number; chunked: boolean }) =>
    rawPost(portal.origin, "/mcp", { authorization: `Bearer ${alice.token}`, "content-type": "application/json", accept: "application/json, text/event-stream", ...head }, { chunks: Array<Buffer>(body.times).fill(body.chunk), chunked: body.chunked, slowAfterBytes: MCP_LIMIT });

  it("refuses an MCP body over 1 MiB before reading it when declared, and as soon as a chunked one passes the limit", async () => {
    const chunk = Buffer.alloc(64 * 1024, "x");
    // 20 MB declared: answered at once, after at most a few chunks were written.
    const declared = await rawPostMcp({ "content-length": String(20_000_000) }, { chunk, times: 320, chunked: false });
    expect(declared.status).toBe(413);
    expect(declared.text).toMatch(/at most 1,048,576 bytes/);
    expect(declared.written).toBeLessThan(20_000_000);
    // No Content-Length, 3 MB in chunks: answered once it passes 1 MiB, before the rest is sent.
    const chunked = await rawPostMcp({ "transfer-encoding": "chunked" }, { chunk, times: 48, chunked: true });
    expect(chunked.status).toBe(413);
    expect(chunked.written).toBeLessThan(3_000_000);
    // The same with a small Content-Length beside the chunked framing (workerd passes both headers
    // on): the chunks frame the body, so it is read chunk by chunk and refused at the limit too.
    const both = await rawPostMcp({ "transfer-encoding": "chunked", "content-length": "100" }, { chunk, times: 48, chunked: true });
    expect(both.status).toBe(413);
    expect(both.written).toBeLessThan(3_000_000);
    // A JSON-RPC message just under the limit is read and answered as MCP (here: no session yet).
    const message = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "everything_echo", arguments: { message: "x".repeat(1_000_000) } } });
    expect((await post(message)).status).toBe(400);
  });
});
