import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { generateSigningKey, keyIdOf, rotateLocalSigningKey } from "@/scripts/lib/local-keys.mjs";
import type { ConfigBundle } from "@core/bundle/schema";
import { generateSigningKeyPair, signBundle, signingKeyId, verifySignedBundle } from "@core/bundle/sign";
import { generateEdgeSecret, openAtEdge, parseEdgeSecrets, sealForEdge } from "@core/edge/secret";
import { bundleIssuer, loadEdgeKeys, portalPublicUrl, portalUrls } from "./edge-keys";

const dirs: string[] = [];
function tempEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const dir = mkdtempSync(path.join(tmpdir(), "portcullis-keys-"));
  dirs.push(dir);
  return { PORTCULLIS_DATA_DIR: dir, ...extra };
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const emptyBundle = (version: number): ConfigBundle => ({
  schemaVersion: 3,
  version,
  issuedAt: "2026-03-01T12:00:00.000Z",
  issuer: "http://localhost:3000",
  servers: [],
  tokens: [],
  users: [],
  teams: [],
  policies: { rules: [] },
  limits: { rateLimits: [], budgets: [] }, llm: { providers: [], prices: [] }, shadow: { blocklist: [] },
});

describe("edge keys", () => {
  it("local mode: makes the signing key and edge secret once, private to the owner, and keeps them", async () => {
    const env = tempEnv();
    const first = await loadEdgeKeys(env);
    const second = await loadEdgeKeys(env);
    expect(first.signing.source).toBe("file");
    expect(second.signing.keyId).toBe(first.signing.keyId);
    expect(second.edgeSecrets[0]!.kid).toBe(first.edgeSecrets[0]!.kid);
    const keyFile = path.join(env.PORTCULLIS_DATA_DIR!, "bundle-signing-key.json");
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(env.PORTCULLIS_DATA_DIR!, "edge-secret")).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(keyFile, "utf8"))).toMatchObject({ current: { kty: "OKP", crv: "Ed25519" }, previous: [] });
    // What the console signs, the Worker verifies with the public key set npm start hands it.
    const signed = await signBundle(emptyBundle(1), first.signing.privateKeyJwk, first.signing.keyId);
    expect(await verifySignedBundle(JSON.parse(JSON.stringify(signed)), first.publicKeys, null)).toMatchObject({ ok: true });
    expect(Object.keys(first.publicKeys)).toEqual([first.signing.keyId]);
    expect(JSON.stringify(first.publicKeys)).not.toContain('"d"');
  });

  it("the .mjs key id is the bundle module's RFC 7638 thumbprint", async () => {
    const jwk = generateSigningKey();
    expect(keyIdOf(jwk)).toBe(await signingKeyId(jwk));
    const pair = await generateSigningKeyPair();
    expect(keyIdOf(pair.publicKeyJwk)).toBe(pair.keyId);
  });

  it("rotation signs with a new key and keeps trusting the old one", async () => {
    const env = tempEnv();
    const before = await loadEdgeKeys(env);
    rotateLocalSigningKey(env.PORTCULLIS_DATA_DIR!);
    const after = await loadEdgeKeys(env);
    expect(after.signing.keyId).not.toBe(before.signing.keyId);
    expect(Object.keys(after.publicKeys)).toEqual([after.signing.keyId, before.signing.keyId]);
    const old = await signBundle(emptyBundle(1), before.signing.privateKeyJwk, before.signing.keyId);
    expect(await verifySignedBundle(JSON.parse(JSON.stringify(old)), after.publicKeys, null)).toMatchObject({ ok: true });
  });

  it("production: takes the signing key (JSON or base64url) and the edge secret from the environment", async () => {
    const jwk = generateSigningKey();
    const secret = generateEdgeSecret();
    for (const text of [JSON.stringify(jwk), Buffer.from(JSON.stringify(jwk)).toString("base64url")]) {
      const keys = await loadEdgeKeys(tempEnv({ PORTCULLIS_BUNDLE_SIGNING_KEY: text, PORTCULLIS_EDGE_SECRET: secret }));
      expect(keys.signing).toMatchObject({ source: "env", keyId: keyIdOf(jwk) });
      const sealed = await sealForEdge("x", keys.edgeSecrets, "aad");
      expect(await openAtEdge(sealed, await parseEdgeSecrets(secret), "aad")).toBe("x");
    }
  });

  it("refuses a malformed signing key or edge secret with a clear message", async () => {
    await expect(loadEdgeKeys(tempEnv({ PORTCULLIS_BUNDLE_SIGNING_KEY: '{"kty":"OKP"}' }))).rejects.toThrow(/PORTCULLIS_BUNDLE_SIGNING_KEY/);
    await expect(loadEdgeKeys(tempEnv({ PORTCULLIS_BUNDLE_SIGNING_KEY: "not a key!" }))).rejects.toThrow(/PORTCULLIS_BUNDLE_SIGNING_KEY/);
    const { d: _d, ...publicOnly } = generateSigningKey();
    await expect(loadEdgeKeys(tempEnv({ PORTCULLIS_BUNDLE_SIGNING_KEY: JSON.stringify(publicOnly) }))).rejects.toThrow(/d is missing/);
    await expect(loadEdgeKeys(tempEnv({ PORTCULLIS_EDGE_SECRET: "c2hvcnQ" }))).rejects.toThrow(/32 bytes/);
  });

  it("portal URLs: the local Worker by default in local mode, none with an IdP, else the list", () => {
    expect(portalUrls({})).toEqual(["http://127.0.0.1:8787"]);
    expect(portalUrls({ OIDC_ISSUER: "https://idp.example", OIDC_CLIENT_ID: "c", OIDC_CLIENT_SECRET: "s" })).toEqual([]);
    expect(portalUrls({ PORTCULLIS_PORTAL_URLS: "https://a.example.com/, http://10.0.0.5:8787" })).toEqual(["https://a.example.com", "http://10.0.0.5:8787"]);
    expect(portalUrls({ PORTCULLIS_PORTAL_URLS: "" })).toEqual([]);
    expect(() => portalUrls({ PORTCULLIS_PORTAL_URLS: "ftp://x" })).toThrow(/PORTCULLIS_PORTAL_URLS/);
    expect(portalPublicUrl({})).toBe("http://localhost:8787");
    expect(portalPublicUrl({ PORTCULLIS_PORTAL_PUBLIC_URL: "https://mcp.acme.com/" })).toBe("https://mcp.acme.com");
    expect(bundleIssuer({ AUTH_URL: "https://console.acme.com/x" })).toBe("https://console.acme.com");
    expect(bundleIssuer({ PORT: "4000" })).toBe("http://localhost:4000");
  });
});
