/**
 * Protocol fidelity, end to end in workerd: the official MCP conformance suite (every server
 * scenario of `@modelcontextprotocol/conformance` 0.1.13) runs once directly against the
 * conformance fixture and once through the portal's faithful endpoint `/mcp/conformance`, with a
 * console API token. The portal must not change a single scenario's outcome. The fixture demands a
 * bearer token, so the portal has to use the server's stored credential (and never the caller's).
 *
 * Also here, the transport-level duties the suite only partly observes: the DNS-rebinding guard on
 * `/mcp` (Host and Origin), session termination (DELETE) reaching the upstream, and idle sessions
 * being let go.
 */
import { request as httpRequest } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startConformanceServer } from "@/testing/servers/conformance-server.mjs";
import { diffConformance, formatConformance, runConformance, type ConformanceResult } from "../../scripts/conformance-lib.mjs";
import { generateEdgeSecret } from "@core/edge/secret";
import { allowRule, approvedServer, bundleOf, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

const FIXTURE_BEARER = "conformance-fixture-secret-7d1e";
/** Short enough to watch in a test; production uses the default (10 minutes). */
const IDLE_MS = 3_000;
/**
 * How long a session can take to end once its client is gone. An open stream keeps a session alive,
 * and workerd notices a vanished client only when a write to it fails: the SDK's SSE keep-alive
 * comment comes every 15 s, and in wrangler dev the second one after the disconnect is the one that
 * fails. So: up to ~45 s, plus the idle time.
 */
const GONE_MS = 60_000 + IDLE_MS;

describe("the portal is a faithful MCP proxy (official conformance suite)", () => {
  let portal: PortalUnderTest;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let fixture: Awaited<ReturnType<typeof startConformanceServer>>;
  /** A second instance, only for the session-lifetime tests: its session count is theirs alone. */
  let lifetimeFixture: Awaited<ReturnType<typeof startConformanceServer>>;
  let user: TestUser;
  let upstreamTools: string[];
  const clients: Client[] = [];

  const auth = () => ({ authorization: `Bearer ${user.token}` });
  const initialize = (id = 1) =>
    JSON.stringify({ jsonrpc: "2.0", id, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "rebinding-probe", version: "1" } } });

  /** The status of a POST with exactly these headers (node:http: fetch would not send our Host). */
  function post(path: string, headers: Record<string, string>, body = initialize()): Promise<number> {
    const url = new URL(path, portal.origin);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        // A connection each: workerd closes one whose request was answered before its body was read (these refusals are), and a reused one would fail the next request.
        { host: url.hostname, port: url.port, path: url.pathname, method: "POST", agent: false, headers: { host: url.host, ...auth(), "content-type": "application/json", accept: "application/json, text/event-stream", ...headers } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  async function connect(slug = "conformance"): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
    const client = new Client({ name: "conformance-test", version: "1" });
    const transport = new StreamableHTTPClientTransport(new URL(`/mcp/${slug}`, portal.origin), { requestInit: { headers: auth() } });
    await client.connect(transport);
    clients.push(client);
    return { client, transport };
  }

  beforeAll(async () => {
    user = await testUser("fidelity@example.test");
    const edgeSecret = generateEdgeSecret();
    [fixture, lifetimeFixture, sink] = await Promise.all([
      startConformanceServer({ port: 0, bearer: FIXTURE_BEARER }),
      startConformanceServer({ port: 0, bearer: FIXTURE_BEARER }),
      startEventSink(edgeSecret),
    ]);
    portal = await startPortal({ consoleUrl: sink.url, edgeSecret, vars: { PORTCULLIS_SESSION_IDLE_MS: String(IDLE_MS) } });
    const credential = { type: "headers" as const, headers: { authorization: `Bearer ${FIXTURE_BEARER}` } };
    const [server, lifetime] = await Promise.all([
      approvedServer({ slug: "conformance", url: fixture.url, edgeSecret, credential }),
      approvedServer({ slug: "lifetime", url: lifetimeFixture.url, edgeSecret, credential }),
    ]);
    upstreamTools = server.upstreamTools;
    const res = await portal.push(
      await bundleOf({ servers: [server, lifetime], users: [user], rules: [allowRule({ type: "everyone" }, "conformance"), allowRule({ type: "everyone" }, "lifetime")] }),
    );
    expect(res.status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled([portal?.stop(), sink?.close(), fixture?.close(), lifetimeFixture?.close()]);
  });

  it("pins every tool of the fixture, whatever capabilities the portal's upstream client declares", async () => {
    // The fixture offers the same tools to every client (it checks capabilities only when a tool
    // runs), so pins taken by a sampling/elicitation-capable lister hold for the portal's client,
    // which declares only what the caller declared.
    const { client } = await connect();
    const seen = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(seen).toEqual([...upstreamTools].sort());
    expect(seen).toContain("test_sampling");
    expect(seen).toContain("json_schema_2020_12_tool");
  });

  it("passes exactly the scenarios the fixture passes directly, with the same status each", async () => {
    const direct: ConformanceResult = await runConformance(fixture.url, { headers: { authorization: `Bearer ${FIXTURE_BEARER}` } });
    const upstreamSessionsBefore = fixture.sessionCount();
    const viaPortal: ConformanceResult = await runConformance(`${portal.origin}/mcp/conformance`, { headers: auth() });
    console.log(`--- directly against the fixture\n${formatConformance(direct)}\n\n--- through the portal\n${formatConformance(viaPortal)}`);
    // When the portal changed an outcome, say what it saw: its failed calls, as it reported them.
    if (diffConformance(direct, viaPortal).length > 0) {
      await new Promise((r) => setTimeout(r, 2_000));
      const failures = sink.events.filter((e) => e.success === false).map((e) => `${e.method} ${e.decision} ${e.error ?? ""}`);
      console.log(`--- the portal's failed calls (${failures.length})\n${failures.join("\n")}`);
    }

    expect(direct.total).toBe(32);
    // The fixture is the yardstick: if it regressed, comparing to it proves nothing.
    expect(direct.passed).toBeGreaterThanOrEqual(31);
    expect(viaPortal.total).toBe(direct.total);
    expect(diffConformance(direct, viaPortal)).toEqual([]);
    expect(viaPortal.scenarios.map((s) => [s.name, s.status])).toEqual(direct.scenarios.map((s) => [s.name, s.status]));
    expect(viaPortal.passed).toBe(direct.passed);

    // The suite never deletes its ~34 sessions; the portal lets them go once idle, upstream too.
    expect(fixture.sessionCount()).toBeGreaterThan(upstreamSessionsBefore);
    await expect.poll(() => fixture.sessionCount(), { timeout: GONE_MS, interval: 500 }).toBe(upstreamSessionsBefore);
  }, 300_000);

  describe("DNS-rebinding guard", () => {
    it("refuses a Host that is not the portal's own, before any MCP handling", async () => {
      const { port } = new URL(portal.origin);
      for (const host of ["evil.example.com", `evil.example.com:${port}`, "localhost.evil.example.com", `127.0.0.1.evil.example.com:${port}`]) {
        expect(await post("/mcp/conformance", { host }), host).toBe(403);
      }
    });

    it("refuses a foreign Origin, and the literal Origin `null` of sandboxed pages", async () => {
      for (const origin of ["http://evil.example.com", `http://evil.example.com:${new URL(portal.origin).port}`, "https://127.0.0.1.evil.example.com", "null", "not a url"]) {
        expect(await post("/mcp", { origin }), origin).toBe(403);
      }
    });

    it("serves its own host, by address or as localhost, with or without a same-origin Origin", async () => {
      const { port } = new URL(portal.origin);
      const cases: Record<string, string>[] = [
        {},
        { host: `127.0.0.1:${port}` },
        { host: `localhost:${port}` },
        { origin: portal.origin },
        { host: `localhost:${port}`, origin: `http://localhost:${port}` },
      ];
      for (const headers of cases) {
        expect(await post("/mcp/conformance", headers), JSON.stringify(headers)).toBe(200);
      }
    });

    it("lets a local browser tool on another loopback port in (MCP Inspector), but only from loopback", async () => {
      for (const origin of ["http://localhost:6274", "http://127.0.0.1:6274", "http://[::1]:6274"]) {
        expect(await post("/mcp/conformance", { origin }), origin).toBe(200);
      }
      // A loopback Origin does not make a foreign Host acceptable.
      expect(await post("/mcp/conformance", { origin: "http://localhost:6274", host: "evil.example.com" })).toBe(403);
    });
  });

  describe("session lifetime", () => {
    /** A request on an existing session id, as a client that still holds it would send it. */
    const onSession = (sessionId: string) =>
      fetch(new URL("/mcp/lifetime", portal.origin), {
        method: "POST",
        headers: { ...auth(), "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "ping" }),
      });

    it("ends the upstream session when the caller deletes its session", async () => {
      const before = lifetimeFixture.sessionCount();
      const { client, transport } = await connect("lifetime");
      await client.ping();
      const sessionId = transport.sessionId!;
      expect(lifetimeFixture.sessionCount()).toBe(before + 1);
      await transport.terminateSession();
      // The portal answers the DELETE once the upstream session is ended too.
      expect(lifetimeFixture.sessionCount()).toBe(before);
      expect((await onSession(sessionId)).status).toBe(404);
    });

    it("keeps a session whose client is listening, and lets it go once the client is gone", async () => {
      const { client, transport } = await connect("lifetime");
      await client.ping();
      const sessionId = transport.sessionId!;
      const before = lifetimeFixture.sessionCount();
      // Connected (the SDK client holds its GET stream open) and quiet for longer than the idle time:
      // a listening client is not idle.
      await new Promise((r) => setTimeout(r, IDLE_MS * 1.5));
      expect(lifetimeFixture.sessionCount()).toBe(before);
      await client.ping();
      // The client goes away without DELETE (its streams close): after the idle time the portal
      // ends its upstream session, and the session id no longer answers.
      await client.close();
      await expect.poll(() => lifetimeFixture.sessionCount(), { timeout: GONE_MS, interval: 500 }).toBe(before - 1);
      expect((await onSession(sessionId)).status).toBe(404);
    }, GONE_MS + 30_000);
  });
});
