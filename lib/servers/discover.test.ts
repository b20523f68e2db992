import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

  beforeAll(async () => {
    [streamable, sse, fixture, protectedFixture] = await Promise.all([
      startEverythingServer("streamableHttp"),
      startEverythingServer("sse"),
      startMutableServer({ port: 0 }),
      startMutableServer({ port: 0, bearer: "fixture-secret-token" }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([streamable?.stop(), sse?.stop(), fixture?.close(), protectedFixture?.close()]);
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

  it("explains an unreachable URL and a non-MCP URL", async () => {
    const port = await freePort();
    await expect(discoverServer({ url: `http://127.0.0.1:${port}/mcp`, auth: { type: "none" }, timeoutMs: 5_000 })).rejects.toMatchObject({
      code: "UPSTREAM_UNREACHABLE",
    });
    const notMcp = discoverServer({ url: `${fixture.origin}/__fixture/tools`, auth: { type: "none" }, timeoutMs: 5_000 });
    await expect(notMcp).rejects.toBeInstanceOf(DiscoveryError);
    await expect(notMcp).rejects.toMatchObject({ code: "UPSTREAM_NOT_MCP" });
  });
});
