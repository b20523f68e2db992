/**
 * The portal Worker running in workerd (Miniflare, as deployed), driven over HTTP: signed
 * bundles are verified before they are trusted, only newer ones replace the active one, with no
 * bundle every MCP request is refused, and the operator endpoints answer only the console.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConfigBundle } from "@core/bundle/schema";
import { generateSigningKeyPair, signBundle } from "@core/bundle/sign";
import { EDGE_SIGNATURE_HEADER, generateEdgeSecret, parseEdgeSecrets, signEdgeRequest, signEventBody } from "@core/edge/secret";
import { startPortal, type PortalUnderTest } from "@/testing/portal";

function bundle(version: number): ConfigBundle {
  return { schemaVersion: 3, version, issuedAt: new Date().toISOString(), issuer: "console.test", servers: [], tokens: [], users: [], teams: [], policies: { rules: [] }, limits: { rateLimits: [], budgets: [] }, llm: { providers: [], prices: [] }, shadow: { blocklist: [] } };
}

describe("portal Worker in workerd", () => {
  let portal: PortalUnderTest;
  let keys: Awaited<ReturnType<typeof generateSigningKeyPair>>;
  let stranger: Awaited<ReturnType<typeof generateSigningKeyPair>>;
  /** The portal's edge secrets during a rotation: the new one first, the old one still accepted. */
  const current = generateEdgeSecret();
  const previous = generateEdgeSecret();

  beforeAll(async () => {
    [keys, stranger] = await Promise.all([generateSigningKeyPair(), generateSigningKeyPair()]);
    // Nothing listens on the console URL: these tests send no events.
    portal = await startPortal({ consoleUrl: "http://127.0.0.1:9", keys, edgeSecret: `${current},${previous}` });
  }, 60_000);
  afterAll(async () => {
    await portal?.stop();
  });

  const call = (path: string, init?: RequestInit) => fetch(`${portal.origin}${path}`, init);
  const push = (body: unknown) => call("/_portcullis/bundle", { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });

  it("denies every MCP request while it has no bundle (fail closed)", async () => {
    expect(await (await portal.operatorGet("/_portcullis/status")).json()).toEqual({ version: null });
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
    expect(await (await portal.operatorGet("/_portcullis/status")).json()).toEqual({ version: null });
  });

  it("installs a valid bundle, refuses a replay of an older or equal version, and keeps the last good one", async () => {
    const v2 = await signBundle(bundle(2), keys.privateKeyJwk, keys.keyId);
    expect(await (await push(v2)).json()).toEqual({ accepted: true, version: 2 });
    const v1 = await signBundle(bundle(1), keys.privateKeyJwk, keys.keyId);
    const replay = await push(v1);
    expect(replay.status).toBe(409);
    expect(await replay.json()).toMatchObject({ error: { code: "NOT_NEWER" } });
    expect((await push(v2)).status).toBe(409);
    expect(await (await portal.operatorGet("/_portcullis/status")).json()).toMatchObject({ version: 2 });
    // With a configuration, the MCP endpoint asks for credentials (OAuth 401 challenge) instead of refusing outright.
    const challenge = await call("/mcp", { method: "POST", body: "{}" });
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get("www-authenticate")).toContain("resource_metadata=");
  });

  it("answers its status and event buffer only to the console: signed with a configured edge secret, recently, for that endpoint", async () => {
    const signed = async (path: string, secret: string, options: { at?: number; signedPath?: string; method?: string } = {}) =>
      call(path, { headers: { [EDGE_SIGNATURE_HEADER]: await signEdgeRequest(options.method ?? "GET", options.signedPath ?? path, await parseEdgeSecrets(secret), options.at) } });
    const now = Math.floor(Date.now() / 1000);
    for (const path of ["/_portcullis/status", "/_portcullis/events"]) {
      const refusals = [
        await call(path),
        await call(path, { headers: { [EDGE_SIGNATURE_HEADER]: "t=1,v1=" + "0".repeat(64) } }),
        await call(path, { headers: { authorization: `Bearer ${current}` } }),
        await signed(path, generateEdgeSecret()),
        await signed(path, current, { at: now - 3_600 }),
        await signed(path, current, { signedPath: path === "/_portcullis/status" ? "/_portcullis/events" : "/_portcullis/status" }),
        await signed(path, current, { method: "POST" }),
        // An event batch signature (the portal's own, with the events key) is not the console's.
        await call(path, { headers: { [EDGE_SIGNATURE_HEADER]: await signEventBody(`GET ${path}`, await parseEdgeSecrets(current)) } }),
      ];
      for (const res of refusals) {
        expect(res.status).toBe(401);
        const body = (await res.json()) as { error: { code: string; message: string }; version?: unknown; pending?: unknown };
        expect(body.error).toEqual({ code: "UNAUTHORIZED", message: expect.stringContaining("sign the request with the edge secret") });
        expect(Object.keys(body)).toEqual(["error"]);
      }
      // The current secret and, during a rotation, the previous one.
      for (const secret of [current, previous]) expect((await signed(path, secret)).status).toBe(200);
    }
    expect(await (await signed("/_portcullis/events", previous)).json()).toMatchObject({ pending: expect.any(Number) });
  });
});
