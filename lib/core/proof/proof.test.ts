import { describe, expect, it } from "vitest";
import { generateSigningKeyPair, signStatement } from "@core/bundle/sign";
import { base64urlDecode, base64urlEncode } from "@core/crypto/encoding";
import { generateEdgeSecret, parseEdgeSecrets } from "@core/edge/secret";
import { CONSOLE_SUBJECT, proofKeySet, signProof } from "./sign";
import { createProofVerifier, PROOF_JWKS_PATH, portalIssuers, remoteProofKeys, verifyProof, type ProofKeySet } from "./verify";

const ISSUER = "https://portal.acme.test";
const AUD = "https://mcp.acme.test/mcp";
const NOW = 1_800_000_000;
const alice = { kind: "user" as const, userId: "0b7c4d1e-7f0a-4e43-9a55-1b2c3d4e5f60", email: "alice@acme.test", teams: ["finance", "platform"] };

async function setup() {
  const secrets = await parseEdgeSecrets(generateEdgeSecret());
  const keys = await proofKeySet(secrets);
  const token = await signProof({ issuer: ISSUER, audience: AUD, subject: alice, nowSeconds: NOW }, secrets);
  return { secrets, keys, token };
}

const check = (token: string | null, keys: ProofKeySet, overrides: Partial<Parameters<typeof verifyProof>[1]> = {}) =>
  verifyProof(token, { keys, issuer: ISSUER, audience: AUD, nowSeconds: NOW, ...overrides });

/** The token with its payload changed and re-encoded, the signature left as it was. */
function tampered(token: string, change: (claims: Record<string, unknown>) => void): string {
  const [h, p, s] = token.split(".") as [string, string, string];
  const claims = JSON.parse(new TextDecoder().decode(base64urlDecode(p))) as Record<string, unknown>;
  change(claims);
  return `${h}.${base64urlEncode(new TextEncoder().encode(JSON.stringify(claims)))}.${s}`;
}

describe("upstream proofs", () => {
  it("verify with the published key set and carry the caller's identity, bound to the server", async () => {
    const { keys, token } = await setup();
    const result = await check(token, keys);
    expect(result).toEqual({
      ok: true,
      claims: { iss: ISSUER, aud: AUD, sub: alice.userId, kind: "user", email: alice.email, teams: alice.teams, iat: NOW, exp: NOW + 60, jti: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    });
    const [header] = token.split(".");
    expect(JSON.parse(new TextDecoder().decode(base64urlDecode(header!)))).toEqual({ alg: "EdDSA", typ: "portcullis-proof+jwt", kid: keys.keys[0]!.kid });
    // A fresh proof each time: jti differs.
    const again = await signProof({ issuer: ISSUER, audience: AUD, subject: alice, nowSeconds: NOW }, (await setup()).secrets);
    expect(again.split(".")[1]).not.toBe(token.split(".")[1]);
  });

  it("name the scopes of the caller's credential as `scope`, when the portal knows them", async () => {
    const { secrets, keys } = await setup();
    const reader = await signProof({ issuer: ISSUER, audience: AUD, subject: { ...alice, scopes: ["read"] }, nowSeconds: NOW }, secrets);
    const writer = await signProof({ issuer: ISSUER, audience: AUD, subject: { ...alice, scopes: ["read", "write"] }, nowSeconds: NOW }, secrets);
    expect(await check(reader, keys)).toMatchObject({ ok: true, claims: { sub: alice.userId, scope: "read" } });
    expect(await check(writer, keys)).toMatchObject({ ok: true, claims: { scope: "read write" } });
    const portalOwn = await signProof({ issuer: ISSUER, audience: AUD, subject: CONSOLE_SUBJECT, nowSeconds: NOW }, secrets);
    expect(await check(portalOwn, keys)).toMatchObject({ ok: true, claims: { kind: "console" } });
    expect(((await check(portalOwn, keys)) as { claims: object }).claims).not.toHaveProperty("scope");
  });

  it("refuse an expired proof, and one issued in the future, beyond the skew", async () => {
    const { keys, token } = await setup();
    expect((await check(token, keys, { nowSeconds: NOW + 60 + 30 })).ok).toBe(true);
    expect(await check(token, keys, { nowSeconds: NOW + 60 + 31 })).toMatchObject({ ok: false, reason: "EXPIRED" });
    expect((await check(token, keys, { nowSeconds: NOW - 30 })).ok).toBe(true);
    expect(await check(token, keys, { nowSeconds: NOW - 31 })).toMatchObject({ ok: false, reason: "NOT_YET_VALID" });
    expect(await check(token, keys, { nowSeconds: NOW + 61, skewSeconds: 0 })).toMatchObject({ ok: false, reason: "EXPIRED" });
  });

  it("refuse a proof for another server, or from another portal", async () => {
    const { keys, token } = await setup();
    expect(await check(token, keys, { audience: "https://mcp.acme.test/other" })).toMatchObject({ ok: false, reason: "WRONG_AUDIENCE" });
    expect(await check(token, keys, { audience: "https://evil.test/mcp" })).toMatchObject({ ok: false, reason: "WRONG_AUDIENCE" });
    expect((await check(token, keys, { audience: ["https://other.test/mcp", "HTTPS://MCP.ACME.TEST:443/mcp"] })).ok).toBe(true);
    expect(await check(token, keys, { issuer: "https://other-portal.test" })).toMatchObject({ ok: false, reason: "WRONG_ISSUER" });
  });

  it("refuse a proof signed with another key, and one whose key id names a different key", async () => {
    const { token } = await setup();
    const other = await setup();
    expect(await check(token, other.keys)).toMatchObject({ ok: false, reason: "UNKNOWN_KEY" });
    const impostor: ProofKeySet = { keys: [{ ...other.keys.keys[0]!, kid: JSON.parse(new TextDecoder().decode(base64urlDecode(token.split(".")[0]!))).kid }] };
    expect(await check(token, impostor)).toMatchObject({ ok: false, reason: "BAD_SIGNATURE" });
  });

  it("refuse a tampered proof", async () => {
    const { keys, token } = await setup();
    expect(await check(tampered(token, (c) => (c.sub = "someone-else")), keys)).toMatchObject({ ok: false, reason: "BAD_SIGNATURE" });
    expect(await check(tampered(token, (c) => (c.teams = ["admins"])), keys)).toMatchObject({ ok: false, reason: "BAD_SIGNATURE" });
    expect(await check(tampered(token, (c) => (c.exp = NOW + 3600)), keys)).toMatchObject({ ok: false, reason: "BAD_SIGNATURE" });
    const [h, p, s] = token.split(".") as [string, string, string];
    const flipped = base64urlDecode(s);
    flipped[0] = flipped[0]! ^ 1;
    expect(await check(`${h}.${p}.${base64urlEncode(flipped)}`, keys)).toMatchObject({ ok: false, reason: "BAD_SIGNATURE" });
    // The same claims under another header (alg none, another typ) are refused before any key is used.
    const header = (value: object) => base64urlEncode(new TextEncoder().encode(JSON.stringify(value)));
    const kid = keys.keys[0]!.kid;
    expect(await check(`${header({ alg: "none", typ: "portcullis-proof+jwt", kid })}.${p}.`, keys)).toMatchObject({ ok: false, reason: "MALFORMED" });
    expect(await check(`${header({ alg: "EdDSA", typ: "JWT", kid })}.${p}.${s}`, keys)).toMatchObject({ ok: false, reason: "MALFORMED" });
  });

  it("refuse a missing proof, garbage, and other signed things", async () => {
    const { keys } = await setup();
    expect(await check(null, keys)).toMatchObject({ ok: false, reason: "MISSING" });
    for (const garbage of ["Bearer abc", "a.b", "a.b.c.d", "!!.??.**", "e30.e30.AAAA"]) expect(await check(garbage, keys)).toMatchObject({ ok: false, reason: "MALFORMED" });
    // A console statement (a different format and key) is never a proof.
    const pair = await generateSigningKeyPair();
    const statement = await signStatement({ typ: "portcullis-proof+jwt", exp: NOW + 60, iss: ISSUER, aud: AUD }, pair.privateKeyJwk, pair.keyId);
    expect((await check(statement, keys)).ok).toBe(false);
  });

  it("come from a key the console and every portal derive alike from the edge secret; rotation publishes both", async () => {
    const text = generateEdgeSecret();
    const [a, b] = await Promise.all([proofKeySet(await parseEdgeSecrets(text)), proofKeySet(await parseEdgeSecrets(text))]);
    expect(a).toEqual(b);
    expect(a.keys[0]).toEqual({ kty: "OKP", crv: "Ed25519", x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), alg: "EdDSA", use: "sig" });
    // The published set holds no private member.
    expect(JSON.stringify(a)).not.toMatch(/"d"/);
    const next = generateEdgeSecret();
    const rotated = await parseEdgeSecrets(`${next},${text}`);
    const set = await proofKeySet(rotated);
    expect(set.keys.map((k) => k.kid)).toEqual([(await proofKeySet(await parseEdgeSecrets(next))).keys[0]!.kid, a.keys[0]!.kid]);
    const byOld = await signProof({ issuer: ISSUER, audience: AUD, subject: CONSOLE_SUBJECT, nowSeconds: NOW }, await parseEdgeSecrets(text));
    expect(await check(byOld, set)).toMatchObject({ ok: true, claims: { sub: "portcullis-console", kind: "console" } });
    expect(await check(byOld, await proofKeySet(await parseEdgeSecrets(next)))).toMatchObject({ ok: false, reason: "UNKNOWN_KEY" });
  });

  it("name every loopback spelling of a local portal as its issuer", () => {
    expect(portalIssuers("https://portal.acme.test/mcp")).toEqual(["https://portal.acme.test"]);
    expect(portalIssuers("http://localhost:8787")).toEqual(["http://localhost:8787", "http://127.0.0.1:8787", "http://[::1]:8787"]);
  });
});

describe("remote proof keys", () => {
  it("fetch the well-known key set once, again for an unknown key after the interval, and fail closed", async () => {
    const { keys, token, secrets } = await setup();
    let served: ProofKeySet | null = { keys: [] };
    const fetched: string[] = [];
    const fakeFetch = (async (input: RequestInfo | URL) => {
      fetched.push(String(input));
      return served ? Response.json(served) : new Response("down", { status: 503 });
    }) as typeof fetch;
    let clock = 0;
    const realNow = Date.now;
    Date.now = () => clock;
    try {
      const lookup = remoteProofKeys("https://portal.acme.test/anything", { fetch: fakeFetch, minRefetchMs: 30_000 });
      const verify = (t: string) => verifyProof(t, { keys: lookup, issuer: ISSUER, audience: AUD, nowSeconds: NOW });
      expect(await verify(token)).toMatchObject({ ok: false, reason: "UNKNOWN_KEY" });
      expect(fetched).toEqual([`https://portal.acme.test${PROOF_JWKS_PATH}`]);
      served = keys;
      clock = 10_000;
      // Within the interval an unknown kid does not fetch again.
      expect(await verify(token)).toMatchObject({ ok: false, reason: "UNKNOWN_KEY" });
      expect(fetched).toHaveLength(1);
      clock = 40_000;
      expect((await verify(token)).ok).toBe(true);
      expect(fetched).toHaveLength(2);
      expect((await verify(token)).ok).toBe(true);
      expect(fetched).toHaveLength(2);
      // Another key (a rotated secret) while the portal is down: refused.
      served = null;
      clock = 80_000;
      const other = await signProof({ issuer: ISSUER, audience: AUD, subject: alice, nowSeconds: NOW }, (await setup()).secrets);
      expect(await verify(other)).toMatchObject({ ok: false, reason: "UNKNOWN_KEY" });
      expect(fetched).toHaveLength(3);
      // The key it knows still works while the portal is down.
      expect((await verify(await signProof({ issuer: ISSUER, audience: AUD, subject: alice, nowSeconds: NOW }, secrets))).ok).toBe(true);
    } finally {
      Date.now = realNow;
    }
  });

  it("verify a request's Portcullis-Proof header with createProofVerifier", async () => {
    const { keys, secrets } = await setup();
    const verify = createProofVerifier({ portal: "http://localhost:8787", audience: AUD, fetch: (async () => Response.json(keys)) as unknown as typeof fetch });
    const token = await signProof({ issuer: "http://127.0.0.1:8787", audience: AUD, subject: alice }, secrets);
    expect(await verify(new Request(AUD, { headers: { "Portcullis-Proof": token } }))).toMatchObject({ ok: true, claims: { email: alice.email } });
    expect(await verify(new Request(AUD))).toMatchObject({ ok: false, reason: "MISSING" });
  });
});
