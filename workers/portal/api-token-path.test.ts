/**
 * A console API token on an MCP request is resolved by the portal itself, without the OAuth
 * provider's per-request work, only where the provider would add nothing: a browser's request
 * (Origin) still gets the provider's CORS headers. Behind a TLS proxy (a public URL configured,
 * requests arriving over http) the portal answers as its public origin.
 */
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateEdgeSecret } from "@core/edge/secret";
import { startEverythingServer, type RunningServer } from "@/testing/mcp-servers";
import { allowRule, approvedServer, bundleOf, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

const INITIALIZE = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } });

describe("API tokens at /mcp", () => {
  let portal: PortalUnderTest;
  /** Configured with a public https URL, reached over http as through a TLS-terminating proxy. */
  let proxied: PortalUnderTest;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let everything: RunningServer;
  let alice: TestUser;

  const initialize = (at: PortalUnderTest, headers: Record<string, string> = {}) =>
    fetch(`${at.origin}/mcp`, { method: "POST", headers: { authorization: `Bearer ${alice.token}`, "content-type": "application/json", accept: "application/json, text/event-stream", ...headers }, body: INITIALIZE });

  beforeAll(async () => {
    alice = await testUser("alice@example.test");
    const edgeSecret = generateEdgeSecret();
    [everything, sink] = await Promise.all([startEverythingServer("streamableHttp"), startEventSink(edgeSecret)]);
    portal = await startPortal({ consoleUrl: sink.url, edgeSecret });
    proxied = await startPortal({ consoleUrl: sink.url, edgeSecret, keys: portal.keys, vars: { PORTCULLIS_PUBLIC_URL: "https://portal.example.test" } });
    const server = await approvedServer({ slug: "everything", url: `${everything.origin}/mcp`, edgeSecret });
    const bundle = await bundleOf({ servers: [server], users: [alice], rules: [allowRule({ type: "everyone" }, "everything")] });
    for (const p of [portal, proxied]) expect((await p.push(bundle)).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([portal?.stop(), proxied?.stop(), sink?.close(), everything?.stop()]);
  });

  it("serves a token without an Origin, and a browser's request with the provider's CORS headers", async () => {
    const plain = await initialize(portal);
    expect(plain.status).toBe(200);
    expect(plain.headers.get("access-control-allow-origin")).toBeNull();
    const browser = await initialize(portal, { origin: "http://localhost:6274" });
    expect(browser.status).toBe(200);
    expect(browser.headers.get("access-control-allow-origin")).toBe("http://localhost:6274");
  });

  it("answers as its public origin behind a TLS proxy: a request over http on loopback or the public host is served, and OAuth names the https origin", async () => {
    expect((await initialize(proxied)).status).toBe(200);
    // As a TLS-terminating proxy forwards it: plain http, the public host.
    const port = new URL(proxied.origin).port;
    const viaProxy = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        { host: "127.0.0.1", port, path: "/mcp", method: "POST", agent: false, headers: { host: "portal.example.test", authorization: `Bearer ${alice.token}`, "content-type": "application/json", accept: "application/json, text/event-stream" } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end(INITIALIZE);
    });
    expect(viaProxy).toBe(200);
    const metadata = (await (await fetch(`${proxied.origin}/.well-known/oauth-protected-resource/mcp`)).json()) as { resource: string };
    expect(metadata.resource).toBe("https://portal.example.test/mcp");
  });

  it("refuses an unknown token with the provider's 401", async () => {
    const res = await fetch(`${portal.origin}/mcp`, { method: "POST", headers: { authorization: `Bearer pcs_${"A".repeat(32)}`, "content-type": "application/json", accept: "application/json, text/event-stream" }, body: INITIALIZE });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });
});
