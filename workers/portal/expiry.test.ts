/**
 * Bundle expiry at the edge, inside workerd: a bundle past its `expiresAt` (and past any lease)
 * is no longer used — every MCP request is denied (fail closed) — until the console renews it with a
 * signed lease for that version or publishes a new one. A lease is checked like a bundle: a trusted
 * key's signature, the running version, later only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSigningKeyPair, signStatement } from "@core/bundle/sign";
import { LEASE_STATEMENT } from "@core/bundle/lease";
import { generateEdgeSecret, parseEdgeSecrets } from "@core/edge/secret";
import { portalStatus } from "@/lib/config/portal-status";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { allowRule, approvedServer, bundleOf, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

const INITIALIZE = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } };

describe("bundle expiry and leases at the edge (workerd)", () => {
  let portal: PortalUnderTest;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let weather: Awaited<ReturnType<typeof startMutableServer>>;
  let member: TestUser;
  let edgeSecret: string;

  beforeAll(async () => {
    edgeSecret = generateEdgeSecret();
    [weather, sink] = await Promise.all([startMutableServer({ port: 0 }), startEventSink(edgeSecret)]);
    portal = await startPortal({ consoleUrl: sink.url, edgeSecret });
    member = await testUser("mel@acme.test", [], [], { role: "member", scopes: ["read", "write"] });
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([portal?.stop(), sink?.close(), weather?.close()]);
  });

  const initialize = () =>
    fetch(`${portal.origin}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer ${member.token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify(INITIALIZE),
    });
  const lease = (statement: string) => fetch(`${portal.origin}/_portcullis/lease`, { method: "POST", body: statement });
  const leaseFor = (version: number, expSeconds: number, keys = portal.keys) => signStatement({ typ: LEASE_STATEMENT, exp: expSeconds, version }, keys.privateKeyJwk, keys.keyId);
  const status = async () => (await portalStatus(portal.origin, await parseEdgeSecrets(edgeSecret), fetch, 5_000))!;

  it("serves a bundle until it expires, then denies everything; a signed lease for that version brings it back", async () => {
    const server = await approvedServer({ slug: "weather", url: weather.url, edgeSecret });
    const bundle = { ...(await bundleOf({ servers: [server], users: [member], rules: [allowRule({ type: "everyone" }, "*")] })), expiresAt: new Date(Date.now() + 2_500).toISOString() };
    expect((await portal.push(bundle)).status).toBe(200);
    expect((await initialize()).status).toBe(200);
    expect(await status()).toMatchObject({ version: bundle.version, expired: false });

    await new Promise((r) => setTimeout(r, 3_000));
    const denied = await initialize();
    expect(denied.status).toBe(503);
    expect(await denied.text()).toContain("no valid configuration");
    expect(await status()).toMatchObject({ version: bundle.version, expired: true });

    // Leases that must not count: another key's, another version's, one already expired.
    const now = Math.floor(Date.now() / 1000);
    expect((await lease(await leaseFor(bundle.version, now + 600, await generateSigningKeyPair()))).status).toBe(400);
    expect((await lease(await leaseFor(bundle.version + 1, now + 600))).status).toBe(409);
    expect((await lease(await leaseFor(bundle.version, now - 1))).status).toBe(400);
    expect((await lease("not a statement")).status).toBe(400);
    expect((await initialize()).status).toBe(503);

    const renewed = await lease(await leaseFor(bundle.version, now + 600));
    expect(renewed.status).toBe(200);
    expect(((await renewed.json()) as { expiresAt: string }).expiresAt).toBe(new Date((now + 600) * 1000).toISOString());
    expect((await initialize()).status).toBe(200);
    expect(await status()).toMatchObject({ version: bundle.version, expired: false, expiresAt: new Date((now + 600) * 1000).toISOString() });
    // A shorter lease never cuts a longer one.
    expect((await lease(await leaseFor(bundle.version, now + 120))).status).toBe(200);
    expect((await status()).expiresAt).toBe(new Date((now + 600) * 1000).toISOString());
  });

  it("keeps serving a bundle without expiry (from before expiry existed), and a new version replaces an expired one", async () => {
    const server = await approvedServer({ slug: "weather", url: weather.url, edgeSecret });
    const expired = { ...(await bundleOf({ servers: [server], users: [member], rules: [allowRule({ type: "everyone" }, "*")] })), expiresAt: new Date(Date.now() - 1_000).toISOString() };
    expect((await portal.push(expired)).status).toBe(200);
    expect((await initialize()).status).toBe(503);
    const timeless = await bundleOf({ servers: [server], users: [member], rules: [allowRule({ type: "everyone" }, "*")] });
    expect((await portal.push(timeless)).status).toBe(200);
    expect((await initialize()).status).toBe(200);
    expect(await status()).toMatchObject({ version: timeless.version, expiresAt: null, expired: false });
  });
});
