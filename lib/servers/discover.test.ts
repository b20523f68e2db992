import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGuardedFetch } from "@/lib/net/guarded-fetch";
import { local, strict } from "@/testing/upstream-guard";
import { MODERN_TOOLS, startModernServer } from "@/testing/servers/modern-mcp-server.mjs";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { freePort, startEverythingServer, type RunningServer } from "@/testing/mcp-servers";
import { discoverServer, DiscoveryError, transportCandidates } from "./discover";

describe("transport candidates (Cloudflare's detection order)", () => {
  it("uses the path's hint, else tries both transports and the usual paths", () => {
    expect(transportCandidates("https://x.example/mcp")).toEqual([{ transport: "streamable-http", url: "https://x.example/mcp" }]);
    expect(transportCandidates("https://x.example/v1/sse/")).toEqual([{ transport: "sse", url: "https://x.example/v1/sse/" }]);
    expect(transportCandidates("https://x.example/api").map((c) => `${c.transport} ${c.url}`)).toEqual([
      "streamable-http https://x.example/api",
      "sse https://x.example/api",
      "streamable-http https://x.example/api/mcp",
      "sse https://x.example/api/sse",
    ]);
  });
});

describe("discovery against real MCP servers", () => {
  let streamable: RunningServer;
  let sse: RunningServer;
  let fixture: Awaited<ReturnType<typeof startMutableServer>>;
  let protectedFixture: Awaited<ReturnType<typeof startMutableServer>>;
  /** A plain web server: a page, a 404, a 500 and a sign-in wall, none of them MCP. */
  let web: { origin: string; port: number; close: () => void };

  beforeAll(async () => {
    [streamable, sse, fixture, protectedFixture] = await Promise.all([
      startEverythingServer("streamableHttp"),
      startEverythingServer("sse"),
      startMutableServer({ port: 0 }),
      startMutableServer({ port: 0, bearer: "fixture-secret-token" }),
    ]);
    const server = createServer((req, res) => {
      if (req.url === "/page") res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end("<!doctype html><title>Docs</title>");
      else if (req.url?.startsWith("/broken")) res.writeHead(500, { "content-type": "text/plain" }).end("internal error");
      else if (req.url?.startsWith("/private")) res.writeHead(401, { "www-authenticate": 'Bearer realm="example", resource_metadata="/nowhere"' }).end();
      else res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    web = { origin: `http://127.0.0.1:${port}`, port, close: () => server.close() };
  }, 60_000);
  afterAll(async () => {
    await Promise.all([streamable?.stop(), sse?.stop(), fixture?.close(), protectedFixture?.close()]);
    web?.close();
  });

  it("lists tools, prompts, resources and templates of server-everything over Streamable HTTP", async () => {
    const result = await discoverServer({ url: `${streamable.origin}/mcp`, auth: { type: "none" } });
    expect(result.transport).toBe("streamable-http");
    expect(result.serverInfo.name).toBeTruthy();
    expect(result.protocolVersion).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(result.tools.map((t) => t.name)).toContain("echo");
    expect(result.prompts.length).toBeGreaterThan(0);
    expect(result.resources.length).toBeGreaterThan(0);
    expect(result.resourceTemplates.length).toBeGreaterThan(0);
  });

  it("discovers a server of the stateless revision (2026-07-28, no initialize) with server/discover, with its credential", async () => {
    const modern = await startModernServer({ port: 0, bearer: "modern-secret" });
    try {
      const result = await discoverServer({ url: modern.url, auth: { type: "bearer", token: "modern-secret" } });
      expect(result).toMatchObject({ transport: "streamable-http", protocolVersion: "2026-07-28", serverInfo: { name: "modern-fixture" }, capabilities: { tools: {} } });
      expect(result.tools).toEqual(MODERN_TOOLS);
      await expect(discoverServer({ url: modern.url, auth: { type: "bearer", token: "wrong" } })).rejects.toMatchObject({ code: "UPSTREAM_AUTH_FAILED" });
    } finally {
      await modern.close();
    }
  });

  it("finds the legacy SSE transport from the bare origin (moving on after 404/405)", async () => {
    const result = await discoverServer({ url: sse.origin, auth: { type: "none" } });
    expect(result.transport).toBe("sse");
    expect(result.endpointUrl).toBe(`${sse.origin}/sse`);
    expect(result.tools.map((t) => t.name)).toContain("echo");
  });

  it("finds Streamable HTTP at {url}/mcp from the bare origin", async () => {
    const result = await discoverServer({ url: fixture.origin, auth: { type: "none" } });
    expect(result.transport).toBe("streamable-http");
    expect(result.endpointUrl).toBe(`${fixture.origin}/mcp`);
    expect(result.tools.map((t) => t.name)).toEqual(["get_weather", "list_forecasts", "delete_station"]);
  });

  it("sends a bearer credential, and reports a refused one as an auth failure", async () => {
    const ok = await discoverServer({ url: protectedFixture.url, auth: { type: "bearer", token: "fixture-secret-token" } });
    expect(ok.tools).toHaveLength(3);
    const refused = discoverServer({ url: protectedFixture.url, auth: { type: "bearer", token: "wrong" } });
    await expect(refused).rejects.toMatchObject({ code: "UPSTREAM_AUTH_FAILED" });
    await expect(discoverServer({ url: protectedFixture.url, auth: { type: "headers", headers: { authorization: "Bearer fixture-secret-token" } } })).resolves.toBeTruthy();
  });

  it("gives up with a timeout on a server that accepts the connection and never answers", async () => {
    const { createServer } = await import("node:net");
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as { port: number }).port;
    try {
      const started = Date.now();
      await expect(discoverServer({ url: `http://127.0.0.1:${port}/mcp`, auth: { type: "none" }, timeoutMs: 1_500 })).rejects.toMatchObject({ code: "UPSTREAM_TIMEOUT" });
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      silent.close();
    }
  });

  it("says in words why a URL is not reachable: DNS, a closed port, TLS to a plain-HTTP port, the SSRF guard", async () => {
    const port = await freePort();
    await expect(discoverServer({ url: `http://127.0.0.1:${port}/mcp`, auth: { type: "none" }, timeoutMs: 5_000 })).rejects.toMatchObject({
      code: "UPSTREAM_UNREACHABLE",
      message: `Nothing is listening at 127.0.0.1:${port} (connection refused). Check the port in the URL, and that the server is running.`,
    });
    // Through the guard, as registration connects: its resolver's failure is named once, not "(ENOTFOUND) (ENOTFOUND)".
    await expect(discoverServer({ url: "http://no-such-host.invalid/mcp", auth: { type: "none" }, fetch: createGuardedFetch(local), timeoutMs: 5_000 })).rejects.toMatchObject({
      code: "UPSTREAM_UNREACHABLE",
      message: 'The host name "no-such-host.invalid" did not resolve (DNS lookup failed: ENOTFOUND). Check the URL for a typo, and that the name exists in the DNS the console uses.',
    });
    await expect(discoverServer({ url: `https://127.0.0.1:${web.port}/mcp`, auth: { type: "none" }, fetch: createGuardedFetch(local), timeoutMs: 5_000 })).rejects.toMatchObject({
      code: "UPSTREAM_UNREACHABLE",
      message: `The TLS handshake with 127.0.0.1:${web.port} failed (EPROTO). If the server speaks plain HTTP on this port, use an http:// URL; otherwise check its TLS setup.`,
    });
    await expect(discoverServer({ url: `${fixture.origin}/mcp`, auth: { type: "none" }, fetch: createGuardedFetch(strict), timeoutMs: 5_000 })).rejects.toMatchObject({
      code: "UPSTREAM_ADDRESS_REFUSED",
      message: expect.stringMatching(/^Blocked by the upstream address guard \(SSRF protection\)\. Refused to connect to upstream 127\.0\.0\.1: .* add 127\.0\.0\.1\/32 to PORTCULLIS_ALLOWED_UPSTREAM_CIDRS\.$/),
    });
  });

  it("says what a URL that is not MCP answered (status and content type), and what to do", async () => {
    const endpoint = "Check that the URL is the server's MCP endpoint (it often ends in /mcp, or /sse for older servers), not its website or API root.";
    await expect(discoverServer({ url: `${web.origin}/page`, auth: { type: "none" }, timeoutMs: 5_000 })).rejects.toMatchObject({
      code: "UPSTREAM_NOT_MCP",
      message: `${web.origin}/page answered HTTP 200 with text/html (a web page), not MCP (an MCP server answers with application/json or text/event-stream). ${endpoint}`,
    });
    await expect(discoverServer({ url: `${web.origin}/missing`, auth: { type: "none" }, timeoutMs: 5_000 })).rejects.toMatchObject({
      code: "UPSTREAM_NOT_MCP",
      message: `${web.origin}/missing answered HTTP 404 with text/plain at every path tried (/missing, /missing/mcp, /missing/sse): there is no MCP endpoint there. ${endpoint}`,
    });
    await expect(discoverServer({ url: `${web.origin}/broken/mcp`, auth: { type: "none" }, timeoutMs: 5_000 })).rejects.toMatchObject({
      code: "UPSTREAM_NOT_MCP",
      message: `${web.origin}/broken/mcp answered HTTP 500 with text/plain: the server failed. Try again later, or check the server's logs.`,
    });
    const notMcp = discoverServer({ url: `${fixture.origin}/__fixture/tools`, auth: { type: "none" }, timeoutMs: 5_000 });
    await expect(notMcp).rejects.toBeInstanceOf(DiscoveryError);
    await expect(notMcp).rejects.toMatchObject({ code: "UPSTREAM_NOT_MCP" });
  });

  it("tells sign-in wanted (401 with WWW-Authenticate, no credentials) from credentials refused", async () => {
    await expect(discoverServer({ url: `${web.origin}/private/mcp`, auth: { type: "none" }, timeoutMs: 5_000 })).rejects.toMatchObject({
      code: "UPSTREAM_AUTH_FAILED",
      message: `${web.origin}/private/mcp needs sign-in (HTTP 401; it asks for Bearer authentication). Choose the authentication it expects (a bearer token, custom headers or OAuth) and try again.`,
    });
    await expect(discoverServer({ url: protectedFixture.url, auth: { type: "bearer", token: "wrong" } })).rejects.toMatchObject({
      code: "UPSTREAM_AUTH_FAILED",
      message: expect.stringMatching(/ refused the credentials \(HTTP 401.*\)\. Check the token or headers, or choose OAuth if the server signs people in with it\.$/),
    });
  });
});
