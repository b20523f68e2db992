import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { canonicalJson } from "@core/tools/tool-hash";
import { BUNDLE_SCHEMA_VERSION, type ConfigBundle } from "./schema";
import { generateSigningKeyPair, signBundle, signingKeyId, verifySignedBundle, type SignedBundle } from "./sign";

type KeyPair = Awaited<ReturnType<typeof generateSigningKeyPair>>;

function sampleBundle(version = 5, toolCount = 2): ConfigBundle {
  const teamId = randomUUID();
  const userId = randomUUID();
  const hash = (i: number) => (i.toString(16).padStart(8, "0") + "f".repeat(56)).slice(0, 64);
  const perServer = 500;
  const servers = Array.from({ length: Math.max(1, Math.ceil(toolCount / perServer)) }, (_, s) => ({
    id: randomUUID(),
    slug: `server-${s}`,
    name: `Server ${s}`,
    url: `https://mcp${s}.example.com/mcp`,
    transport: "streamable-http" as const,
    credential: s === 0 ? { kid: "edge-1", sealed: "opaque.sealed.envelope" } : null,
    tools: Array.from({ length: Math.min(perServer, toolCount - s * perServer) }, (_, t) => ({
      name: `tool_${t}`,
      hash: hash(s * perServer + t),
      state: "enabled" as const,
    })),
    ownerTeamId: teamId,
  }));
  return {
    schemaVersion: 3,
    version,
    issuedAt: "2026-03-01T12:00:00.000Z",
    issuer: "http://127.0.0.1:3000",
    servers,
    tokens: [{ id: randomUUID(), hash: "c".repeat(64), userId, scopes: ["read"], expiresAt: "2026-06-01T00:00:00.000Z" }],
    users: [{ id: userId, email: "ada@example.com", role: "admin", teamIds: [teamId], groups: [] }],
    teams: [{ id: teamId, slug: "platform" }],
    policies: { rules: [{ id: randomUUID(), effect: "allow", subject: { type: "team", teamId }, resource: { serverSlug: "*", tool: "*" }, priority: 1 }] },
    limits: { rateLimits: [], budgets: [] }, llm: { providers: [], prices: [] }, shadow: { blocklist: [] },
  };
}

/** A JSON round trip: what the Worker actually receives. */
function overTheWire<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Signs arbitrary content, bypassing `signBundle`'s validation (for bundles the schema refuses). */
async function signRaw(content: unknown, keys: KeyPair): Promise<{ bundle: unknown; signature: string; keyId: string }> {
  const key = await crypto.subtle.importKey("jwk", keys.privateKeyJwk, { name: "Ed25519" }, false, ["sign"]);
  const sig = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, key, new TextEncoder().encode(canonicalJson(content))));
  return { bundle: content, signature: Buffer.from(sig).toString("base64url"), keyId: keys.keyId };
}

/** Rebuilds every object with its keys in a shuffled order (arrays keep their order: it is content). */
function shuffleKeys(value: unknown, random: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, random));
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, shuffleKeys(v, random)]));
}

function seeded(seed: number): () => number {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

let consoleKey: KeyPair;
let stranger: KeyPair;
let trusted: Record<string, JsonWebKey>;

beforeAll(async () => {
  consoleKey = await generateSigningKeyPair();
  stranger = await generateSigningKeyPair();
  trusted = { [consoleKey.keyId]: consoleKey.publicKeyJwk };
});

describe("generateSigningKeyPair / signingKeyId", () => {
  it("returns RFC 8037 JWKs reduced to kty, crv, x (and d) with the thumbprint as key id", async () => {
    expect(Object.keys(consoleKey.publicKeyJwk).sort()).toEqual(["crv", "kty", "x"]);
    expect(Object.keys(consoleKey.privateKeyJwk).sort()).toEqual(["crv", "d", "kty", "x"]);
    expect(consoleKey.publicKeyJwk).toMatchObject({ kty: "OKP", crv: "Ed25519" });
    expect(consoleKey.privateKeyJwk.x).toBe(consoleKey.publicKeyJwk.x);
    expect(consoleKey.keyId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await signingKeyId(consoleKey.privateKeyJwk)).toBe(consoleKey.keyId);
    expect(stranger.keyId).not.toBe(consoleKey.keyId);
  });

  it("computes the RFC 7638 thumbprint of the RFC 8037 appendix A key", async () => {
    // RFC 8037 A.3: the thumbprint of the A.2 public key.
    const jwk = { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" };
    expect(await signingKeyId(jwk)).toBe("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  });

  it("refuses a JWK that is not Ed25519", async () => {
    await expect(signingKeyId({ kty: "EC", crv: "P-256", x: "AA", y: "AA" })).rejects.toThrow(/Ed25519/);
  });
});

describe("signBundle", () => {
  it("produces a detached 64-byte signature that verifies with plain Web Crypto over the canonical JSON", async () => {
    const signed = await signBundle(sampleBundle(), consoleKey.privateKeyJwk, consoleKey.keyId);
    expect(signed.keyId).toBe(consoleKey.keyId);
    const sig = Buffer.from(signed.signature, "base64url");
    expect(sig).toHaveLength(64);
    const key = await crypto.subtle.importKey("jwk", consoleKey.publicKeyJwk, { name: "Ed25519" }, false, ["verify"]);
    expect(await crypto.subtle.verify({ name: "Ed25519" }, key, sig, new TextEncoder().encode(canonicalJson(signed.bundle)))).toBe(true);
  });

  it("refuses to sign an invalid bundle", async () => {
    const bad = { ...sampleBundle(), version: 0 };
    await expect(signBundle(bad, consoleKey.privateKeyJwk, consoleKey.keyId)).rejects.toThrow();
  });

  it("refuses a key id that is not the signing key's thumbprint", async () => {
    await expect(signBundle(sampleBundle(), consoleKey.privateKeyJwk, stranger.keyId)).rejects.toThrow(/thumbprint/);
  });

  it("refuses a public JWK as the signing key", async () => {
    await expect(signBundle(sampleBundle(), consoleKey.publicKeyJwk, consoleKey.keyId)).rejects.toThrow(/private/);
  });
});

describe("verifySignedBundle", () => {
  let signed: SignedBundle;
  beforeAll(async () => {
    signed = await signBundle(sampleBundle(5), consoleKey.privateKeyJwk, consoleKey.keyId);
  });

  it("round trips: sign, send as JSON, verify", async () => {
    const result = await verifySignedBundle(overTheWire(signed), trusted, null);
    expect(result).toEqual({ ok: true, bundle: signed.bundle });
  });

  it("accepts a version above the current one", async () => {
    expect(await verifySignedBundle(overTheWire(signed), trusted, 4)).toMatchObject({ ok: true });
  });

  it("does not depend on key order in the received JSON", async () => {
    for (const seed of [1, 2, 3]) {
      const shuffled = shuffleKeys(overTheWire(signed), seeded(seed));
      const text = JSON.stringify(shuffled, null, seed);
      expect(text).not.toBe(JSON.stringify(signed, null, seed));
      expect(await verifySignedBundle(JSON.parse(text), trusted, null)).toMatchObject({ ok: true });
    }
  });

  it("refuses a tampered bundle field: BAD_SIGNATURE", async () => {
    const tampered = overTheWire(signed);
    tampered.bundle.servers[0]!.url = "https://attacker.example/mcp";
    expect(await verifySignedBundle(tampered, trusted, null)).toEqual({ ok: false, reason: "BAD_SIGNATURE" });

    const extraTool = overTheWire(signed);
    extraTool.bundle.servers[0]!.tools.push({ name: "exfiltrate", hash: "e".repeat(64), state: "enabled" });
    expect(await verifySignedBundle(extraTool, trusted, null)).toEqual({ ok: false, reason: "BAD_SIGNATURE" });

    const bumped = overTheWire(signed);
    bumped.bundle.version = 6;
    expect(await verifySignedBundle(bumped, trusted, 5)).toEqual({ ok: false, reason: "BAD_SIGNATURE" });
  });

  it("checks the signature before the schema: a tampered, now invalid bundle is BAD_SIGNATURE", async () => {
    const tampered = overTheWire(signed) as unknown as { bundle: Record<string, unknown> };
    tampered.bundle.schemaVersion = 99;
    expect(await verifySignedBundle(tampered, trusted, null)).toEqual({ ok: false, reason: "BAD_SIGNATURE" });
  });

  it("refuses a tampered signature: BAD_SIGNATURE", async () => {
    const s = signed.signature;
    const flipped = s.slice(0, 10) + (s[10] === "A" ? "B" : "A") + s.slice(11);
    expect(await verifySignedBundle({ ...overTheWire(signed), signature: flipped }, trusted, null)).toEqual({ ok: false, reason: "BAD_SIGNATURE" });
    const other = await signBundle({ ...signed.bundle, issuer: "someone else" }, consoleKey.privateKeyJwk, consoleKey.keyId);
    expect(await verifySignedBundle({ ...overTheWire(signed), signature: other.signature }, trusted, null)).toEqual({ ok: false, reason: "BAD_SIGNATURE" });
  });

  it("refuses a signature by a key it does not trust: UNKNOWN_KEY", async () => {
    const bySomeoneElse = await signBundle(sampleBundle(9), stranger.privateKeyJwk, stranger.keyId);
    expect(await verifySignedBundle(overTheWire(bySomeoneElse), trusted, null)).toEqual({ ok: false, reason: "UNKNOWN_KEY" });
    expect(await verifySignedBundle(overTheWire(signed), {}, null)).toEqual({ ok: false, reason: "UNKNOWN_KEY" });
  });

  it("refuses a signature by another key that claims a trusted key id: BAD_SIGNATURE", async () => {
    const bySomeoneElse = await signBundle(sampleBundle(9), stranger.privateKeyJwk, stranger.keyId);
    const claimed = { ...overTheWire(bySomeoneElse), keyId: consoleKey.keyId };
    expect(await verifySignedBundle(claimed, trusted, null)).toEqual({ ok: false, reason: "BAD_SIGNATURE" });
  });

  it("never resolves a key id through the prototype chain", async () => {
    const protoKeyId = "constructor".padEnd(43, "A");
    const withProto = Object.create({ [protoKeyId]: consoleKey.publicKeyJwk }) as Record<string, JsonWebKey>;
    expect(await verifySignedBundle({ ...overTheWire(signed), keyId: protoKeyId }, withProto, null)).toEqual({ ok: false, reason: "UNKNOWN_KEY" });
  });

  it("treats a trusted key it cannot import as unknown", async () => {
    const broken = { [consoleKey.keyId]: { kty: "OKP", crv: "Ed25519", x: "too-short" } };
    expect(await verifySignedBundle(overTheWire(signed), broken, null)).toEqual({ ok: false, reason: "UNKNOWN_KEY" });
    const notEd = { [consoleKey.keyId]: { kty: "RSA", n: "AQAB", e: "AQAB" } };
    expect(await verifySignedBundle(overTheWire(signed), notEd, null)).toEqual({ ok: false, reason: "UNKNOWN_KEY" });
  });

  it("accepts trusted keys as either runtime exports them (alg Ed25519 or EdDSA, key_ops, ext)", async () => {
    const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const exportedPublic = await crypto.subtle.exportKey("jwk", pair.publicKey);
    const exportedPrivate = await crypto.subtle.exportKey("jwk", pair.privateKey);
    const keyId = await signingKeyId(exportedPublic);
    const fromNode = await signBundle(sampleBundle(), exportedPrivate, keyId);
    for (const jwk of [exportedPublic, { ...exportedPublic, alg: "EdDSA" }, { ...exportedPublic, alg: "Ed25519", key_ops: ["sign"] }]) {
      expect(await verifySignedBundle(overTheWire(fromNode), { [keyId]: jwk }, null)).toMatchObject({ ok: true });
    }
  });

  it("refuses unsigned, garbage and incomplete input: MALFORMED", async () => {
    const wire = overTheWire(signed);
    const { signature: _s, ...unsigned } = wire;
    const { keyId: _k, ...noKeyId } = wire;
    const inputs: unknown[] = [
      undefined,
      null,
      42,
      "garbage",
      JSON.stringify(wire),
      [],
      [wire],
      {},
      signed.bundle,
      unsigned,
      noKeyId,
      { ...wire, bundle: undefined },
      { ...wire, bundle: null },
      { ...wire, bundle: [wire.bundle] },
      { ...wire, bundle: "{}" },
      { ...wire, signature: "" },
      { ...wire, signature: wire.signature.slice(0, 85) },
      { ...wire, signature: wire.signature + "A" },
      { ...wire, signature: Buffer.from(wire.signature, "base64url").toString("base64") + "==" },
      { ...wire, signature: 12345 },
      { ...wire, keyId: "" },
      { ...wire, keyId: "not a key id" },
      { ...wire, alg: "none" },
    ];
    for (const input of inputs) expect(await verifySignedBundle(input, trusted, null), JSON.stringify(input)?.slice(0, 80)).toEqual({ ok: false, reason: "MALFORMED" });
  });

  it("refuses the same signature spelled with non-zero padding bits: MALFORMED", async () => {
    const s = signed.signature;
    const last = s.at(-1)!;
    // The last character carries 2 signature bits and 4 padding bits; A/Q/g/w have the padding at zero.
    const respelled = s.slice(0, -1) + String.fromCharCode(last.charCodeAt(0) + 1);
    expect(Buffer.from(respelled, "base64url")).toEqual(Buffer.from(s, "base64url"));
    expect(await verifySignedBundle({ ...overTheWire(signed), signature: respelled }, trusted, null)).toEqual({ ok: false, reason: "MALFORMED" });
  });

  it("refuses a bundle JSON cannot carry (lone surrogate): MALFORMED", async () => {
    // JSON.parse turns the escape "\ud800" into a lone surrogate, which RFC 8785 cannot encode.
    const wire = JSON.parse(JSON.stringify(overTheWire(signed)).replace(`"issuer":"${signed.bundle.issuer}"`, '"issuer":"\\ud800"')) as SignedBundle;
    expect(wire.bundle.issuer).toBe("\ud800");
    expect(await verifySignedBundle(wire, trusted, null)).toEqual({ ok: false, reason: "MALFORMED" });
  });

  it("refuses a correctly signed bundle the schema rejects: INVALID_BUNDLE", async () => {
    const content = overTheWire(signed.bundle) as unknown as { servers: { tools: { hash: string }[] }[] };
    content.servers[0]!.tools[0]!.hash = "not-hex";
    expect(await verifySignedBundle(overTheWire(await signRaw(content, consoleKey)), trusted, null)).toEqual({ ok: false, reason: "INVALID_BUNDLE" });

    const unknownField = { ...signed.bundle, rateLimits: [] };
    expect(await verifySignedBundle(overTheWire(await signRaw(unknownField, consoleKey)), trusted, null)).toEqual({ ok: false, reason: "INVALID_BUNDLE" });

    const futureSchema = { ...signed.bundle, schemaVersion: BUNDLE_SCHEMA_VERSION + 1 };
    expect(await verifySignedBundle(overTheWire(await signRaw(futureSchema, consoleKey)), trusted, null)).toEqual({ ok: false, reason: "INVALID_BUNDLE" });
  });

  it("refuses a replayed older or equal version: NOT_NEWER", async () => {
    expect(await verifySignedBundle(overTheWire(signed), trusted, 5)).toEqual({ ok: false, reason: "NOT_NEWER" });
    expect(await verifySignedBundle(overTheWire(signed), trusted, 6)).toEqual({ ok: false, reason: "NOT_NEWER" });
    expect(await verifySignedBundle(overTheWire(signed), trusted, 1_000)).toEqual({ ok: false, reason: "NOT_NEWER" });
  });

  it("accepts a rollback: an earlier bundle's content republished as a new version", async () => {
    const rollback = await signBundle({ ...signed.bundle, version: 12, issuedAt: "2026-03-02T09:00:00.000Z" }, consoleKey.privateKeyJwk, consoleKey.keyId);
    const result = await verifySignedBundle(overTheWire(rollback), trusted, 11);
    expect(result).toMatchObject({ ok: true, bundle: { version: 12, servers: signed.bundle.servers } });
  });

  it("never throws, whatever the input", async () => {
    const hostile: unknown[] = [
      { bundle: { toJSON: "x" }, signature: signed.signature, keyId: consoleKey.keyId },
      { bundle: Object.create(null) as object, signature: signed.signature, keyId: consoleKey.keyId },
      { bundle: JSON.parse('{"__proto__":{"polluted":true}}') as object, signature: signed.signature, keyId: consoleKey.keyId },
      new Proxy({}, { get: () => undefined }),
    ];
    for (const input of hostile) {
      const result = await verifySignedBundle(input, trusted, null);
      expect(result.ok).toBe(false);
    }
  });

  it("signs and verifies a 5,000-tool bundle", async () => {
    const big = sampleBundle(100, 5_000);
    expect(big.servers.flatMap((s) => s.tools)).toHaveLength(5_000);
    const t0 = performance.now();
    const bigSigned = await signBundle(big, consoleKey.privateKeyJwk, consoleKey.keyId);
    const t1 = performance.now();
    const wire = JSON.stringify(bigSigned);
    const result = await verifySignedBundle(JSON.parse(wire), trusted, 99);
    const t2 = performance.now();
    expect(result).toMatchObject({ ok: true });
    console.log(`5,000-tool bundle (${(wire.length / 1024).toFixed(0)} KiB): sign ${(t1 - t0).toFixed(1)} ms, parse + verify ${(t2 - t1).toFixed(1)} ms`);
  });
});
