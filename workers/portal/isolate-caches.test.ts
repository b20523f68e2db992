/**
 * What the portal keeps per isolate to spare per-call CPU must never outlive the bundle that made
 * it valid: an API token's hash is cached, but a token the newest bundle no longer carries is
 * refused on the very next request; an upstream credential is opened once, but a rotated one is
 * sent from the first call after the bundle that carries it. In workerd, with a raw 2026-07-28
 * client (no session to hold anything over).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { edgeCredentialAad } from "@core/edge/credential";
import { generateEdgeSecret, parseEdgeSecrets, sealForEdge } from "@core/edge/secret";
import { allowRule, approvedServer, bundleOf, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

const V = "2026-07-28";
const meta = { "io.modelcontextprotocol/protocolVersion": V, "io.modelcontextprotocol/clientInfo": { name: "cache-test", version: "1" }, "io.modelcontextprotocol/clientCapabilities": {} };

describe("per-isolate caches at the edge (workerd)", () => {
  let portal: PortalUnderTest;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let weather: Awaited<ReturnType<typeof startMutableServer>>;
  let server: Awaited<ReturnType<typeof approvedServer>>;
  let alice: TestUser;
  let bob: TestUser;
  let nextId = 1;

  async function rpc(user: TestUser, method: string, params: Record<string, unknown> = {}): Promise<{ status: number; body: { result?: Record<string, unknown>; error?: { message: string } } }> {
    const res = await fetch(`${portal.origin}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json", accept: "application/json", "mcp-protocol-version": V, "mcp-method": method, ...(typeof params.name === "string" ? { "mcp-name": params.name } : {}) },
      body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params: { ...params, _meta: meta } }),
    });
    const text = await res.text();
    return { status: res.status, body: res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : {} };
  }

  beforeAll(async () => {
    alice = await testUser("alice@example.test");
    bob = await testUser("bob@example.test");
    const edgeSecret = generateEdgeSecret();
    // No bearer of its own: the fixture takes any Authorization and records it.
    [weather, sink] = await Promise.all([startMutableServer({ port: 0 }), startEventSink(edgeSecret)]);
    portal = await startPortal({ consoleUrl: sink.url, edgeSecret });
    server = await approvedServer({ slug: "weather", url: weather.url, edgeSecret });
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([portal?.stop(), sink?.close(), weather?.close()]);
  });

  it("refuses an API token on the first request after a bundle without it, though its hash was cached", async () => {
    const both = await bundleOf({ servers: [server], users: [alice, bob], rules: [allowRule({ type: "everyone" }, "weather")] });
    expect((await portal.push(both)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await rpc(alice, "tools/list")).status).toBe(200);

    // Alice's token revoked: the next bundle carries only Bob's.
    const revoked = await bundleOf({ servers: [server], users: [alice, bob], rules: [allowRule({ type: "everyone" }, "weather")] });
    revoked.tokens = revoked.tokens.filter((t) => t.id !== alice.tokenId);
    expect((await portal.push(revoked)).status).toBe(200);
    expect((await rpc(alice, "tools/list")).status).toBe(401);
    expect((await rpc(bob, "tools/list")).status).toBe(200);

    // Issued again (the same hash in a newer bundle): accepted again.
    expect((await portal.push(await bundleOf({ servers: [server], users: [alice, bob], rules: [allowRule({ type: "everyone" }, "weather")] }))).status).toBe(200);
    expect((await rpc(alice, "tools/list")).status).toBe(200);
  });

  it("sends an upstream's credential on every call, and a rotated one from the first call after the bundle that carries it", async () => {
    const seen = async () => ((await (await fetch(new URL("/__fixture/requests", weather.url))).json()) as { requests: { method: string | null; authorization: string | null }[] }).requests;
    const sealed = async (token: string) => sealForEdge(JSON.stringify({ type: "headers", headers: { authorization: `Bearer ${token}` } }), await parseEdgeSecrets(portal.edgeSecret), edgeCredentialAad(server.id));
    const publish = async (token: string) => {
      const bundle = await bundleOf({ servers: [{ ...server, credential: await sealed(token) }], users: [alice, bob], rules: [allowRule({ type: "everyone" }, "weather")] });
      expect((await portal.push(bundle)).status).toBe(200);
    };
    const call = async (city: string) => {
      const { status, body } = await rpc(alice, "tools/call", { name: "weather_get_weather", arguments: { city } });
      expect(status).toBe(200);
      expect(JSON.stringify(body.result?.content)).toContain(city);
    };

    await publish("first-credential");
    const before = (await seen()).length;
    for (const city of ["Lisbon", "Porto", "Faro"]) await call(city);
    const first = (await seen()).slice(before);
    expect(first.filter((r) => r.method === "tools/call")).toHaveLength(3);
    expect(new Set(first.map((r) => r.authorization))).toEqual(new Set(["Bearer first-credential"]));

    await publish("rotated-credential");
    const rotatedAt = (await seen()).length;
    for (const city of ["Braga", "Évora"]) await call(city);
    const after = (await seen()).slice(rotatedAt);
    expect(after.filter((r) => r.method === "tools/call")).toHaveLength(2);
    expect(new Set(after.map((r) => r.authorization))).toEqual(new Set(["Bearer rotated-credential"]));
  });
});
