/**
 * Large inputs at the portal, inside workerd: an MCP body over the limit is refused before (or as
 * soon as) it passes it, and a huge one-token tool result is answered and metered without
 * tokenizing it, so it does not stall other calls (counting 900 KB of one letter used to hang
 * every request to the portal for minutes).
 */
import { connect as tcpConnect } from "node:net";
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
  /**
   * A raw HTTP/1.1 POST that writes the head, then the body in chunks while reading the answer: the
   * portal answers an oversized body before reading it and closes the connection, so a client still
   * writing would otherwise see a reset instead of the 413. Resolves with the status and the body
   * bytes it managed to write before the answer came.
   */
  function rawPost(head: Record<string, string>, body: { chunk: Buffer; times: number; chunked: boolean }): Promise<{ status: number; text: string; written: number }> {
    const { hostname, port } = new URL(portal.origin);
    return new Promise((resolve, reject) => {
      const socket = tcpConnect(Number(port), hostname);
      let answer = "";
      let written = 0;
      let answered = false;
      socket.on("data", (d) => {
        answer += d.toString("latin1");
        const end = answer.indexOf("\r\n\r\n");
        const length = /content-length: (\d+)/i.exec(answer)?.[1];
        if (end >= 0 && length !== undefined && answer.length >= end + 4 + Number(length)) {
          answered = true;
          socket.destroy();
          resolve({ status: Number(answer.slice(9, 12)), text: answer.slice(end + 4), written });
        }
      });
      socket.on("error", (error) => (answered ? undefined : reject(error)));
      socket.on("close", () => (answered ? undefined : reject(new Error(`closed without an answer: ${answer.slice(0, 200)}`))));
      const headers = { host: `${hostname}:${port}`, authorization: `Bearer ${alice.token}`, "content-type": "application/json", accept: "application/json, text/event-stream", ...head };
      socket.write(`POST /mcp HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`);
      let i = 0;
      const next = () => {
        if (answered || socket.destroyed || i++ >= body.times) return body.chunked && !answered && !socket.destroyed ? socket.write("0\r\n\r\n") : undefined;
        const framed = body.chunked ? Buffer.concat([Buffer.from(`${body.chunk.byteLength.toString(16)}\r\n`), body.chunk, Buffer.from("\r\n")]) : body.chunk;
        socket.write(framed, () => {
          written += body.chunk.byteLength;
          setTimeout(next, 5);
        });
      };
      next();
    });
  }

  it("refuses an MCP body over 1 MiB before reading it when declared, and as soon as a chunked one passes the limit", async () => {
    const chunk = Buffer.alloc(64 * 1024, "x");
    // 20 MB declared: answered at once, after at most a few chunks were written.
    const declared = await rawPost({ "content-length": String(20_000_000) }, { chunk, times: 320, chunked: false });
    expect(declared.status).toBe(413);
    expect(declared.text).toMatch(/at most 1,048,576 bytes/);
    expect(declared.written).toBeLessThan(20_000_000);
    // No Content-Length, 3 MB in chunks: answered once it passes 1 MiB, before the rest is sent.
    const chunked = await rawPost({ "transfer-encoding": "chunked" }, { chunk, times: 48, chunked: true });
    expect(chunked.status).toBe(413);
    expect(chunked.written).toBeLessThan(3_000_000);
    // A JSON-RPC message just under the limit is read and answered as MCP (here: no session yet).
    const message = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "everything_echo", arguments: { message: "x".repeat(1_000_000) } } });
    expect((await post(message)).status).toBe(400);
  });
});
