/**
 * The portal Worker running in workerd (Miniflare, as deployed), driven over HTTP: signed
 * bundles are verified before they are trusted, only newer ones replace the active one, and with
 * no bundle every MCP request is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConfigBundle } from "@core/bundle/schema";
import { generateSigningKeyPair, signBundle } from "@core/bundle/sign";
import { startPortal, type PortalUnderTest } from "@/testing/portal";

function bundle(version: number): ConfigBundle {
  return { schemaVersion: 3, version, issuedAt: new Date().toISOString(), issuer: "console.test", servers: [], tokens: [], users: [], teams: [], policies: { rules: [] }, limits: { rateLimits: [], budgets: [] }, llm: { providers: [], prices: [] }, shadow: { blocklist: [] } };
}

describe("portal Worker in workerd", () => {
  let portal: PortalUnderTest;
  let keys: Awaited<ReturnType<typeof generateSigningKeyPair>>;
  let stranger: Awaited<ReturnType<typeof generateSigningKeyPair>>;

  beforeAll(async () => {
    [keys, stranger] = await Promise.all([generateSigningKeyPair(), generateSigningKeyPair()]);
    // Nothing listens on the console URL: these tests send no events.
    portal = await startPortal({ consoleUrl: "http://127.0.0.1:9", keys });
  }, 60_000);
  afterAll(async () => {
    await portal?.stop();
  });

  const call = (path: string, init?: RequestInit) => fetch(`${portal.origin}${path}`, init);
  const push = (body: unknown) => call("/_portcullis/bundle", { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });

  it("denies every MCP request while it has no bundle (fail closed)", async () => {
    expect(await (await call("/_portcullis/status")).json()).toEqual({ version: null });
    const res = await call("/mcp", { method: "POST", body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/denied/);
  });

  it("refuses unsigned, tampered and foreign-key bundles", async () => {
    expect((await push(bundle(1))).status).toBe(400);
    const signed = await signBundle(bundle(1), keys.privateKeyJwk, keys.keyId);
    const tampered = { ...signed, bundle: { ...signed.bundle, issuer: "evil" } };
    expect(await (await push(tampered)).json()).toMatchObject({ error: { code: "BAD_SIGNATURE" } });
    const foreign = await signBundle(bundle(1), stranger.privateKeyJwk, stranger.keyId);
    expect(await (await push(foreign)).json()).toMatchObject({ error: { code: "UNKNOWN_KEY" } });
    expect(await (await call("/_portcullis/status")).json()).toEqual({ version: null });
  });

  it("installs a valid bundle, refuses a replay of an older or equal version, and keeps the last good one", async () => {
    const v2 = await signBundle(bundle(2), keys.privateKeyJwk, keys.keyId);
    expect(await (await push(v2)).json()).toEqual({ accepted: true, version: 2 });
    const v1 = await signBundle(bundle(1), keys.privateKeyJwk, keys.keyId);
    const replay = await push(v1);
    expect(replay.status).toBe(409);
    expect(await replay.json()).toMatchObject({ error: { code: "NOT_NEWER" } });
    expect((await push(v2)).status).toBe(409);
    expect(await (await call("/_portcullis/status")).json()).toMatchObject({ version: 2 });
    // With a configuration, the MCP endpoint asks for credentials (OAuth 401 challenge) instead of refusing outright.
    const challenge = await call("/mcp", { method: "POST", body: "{}" });
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get("www-authenticate")).toContain("resource_metadata=");
  });
});
