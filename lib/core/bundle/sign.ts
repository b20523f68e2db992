import { z } from "zod";
import { base64urlDecode, base64urlEncode } from "@core/crypto/encoding";
import { canonicalJson } from "@core/tools/tool-hash";
import { ConfigBundle } from "./schema";

/**
 * Detached Ed25519 signatures over the RFC 8785 canonical JSON of a config bundle. Web Crypto only
 * (`crypto.subtle` with `{ name: "Ed25519" }`), so the console (Node) signs and the portal Worker
 * (workerd) verifies with the same code.
 *
 * Keys travel as JWKs reduced to their RFC 8037 members (`kty`, `crv`, `x`, and `d` for a private
 * key). The runtimes disagree on the rest: Node exports `alg: "Ed25519"`, workerd exports and
 * requires `alg: "EdDSA"`, and both refuse a JWK whose `key_ops` do not match the requested usage.
 * Importing only the RFC 8037 members makes a key exported by either runtime usable in the other.
 */

export interface SignedBundle {
  bundle: ConfigBundle;
  /** Ed25519 signature (64 bytes) over `canonicalJson(bundle)`, unpadded base64url. */
  signature: string;
  /** RFC 7638 thumbprint of the signing public key: see {@link signingKeyId}. */
  keyId: string;
}

export type VerifyFailure = "MALFORMED" | "UNKNOWN_KEY" | "BAD_SIGNATURE" | "INVALID_BUNDLE" | "NOT_NEWER";
export type VerifyResult = { ok: true; bundle: ConfigBundle } | { ok: false; reason: VerifyFailure };

const ED25519 = { name: "Ed25519" } as const;

/**
 * 64 bytes in unpadded base64url are 86 characters; the last one carries only 2 bits, so it must
 * be A, Q, g or w. Requiring that canonical spelling means a signature has exactly one encoding:
 * flipping the unused low bits is a changed (and refused) envelope, not the same signature.
 */
const SignatureText = z.string().regex(/^[A-Za-z0-9_-]{85}[AQgw]$/, "must be a 64-byte signature in unpadded base64url");
/** A SHA-256 thumbprint: 32 bytes, 43 unpadded base64url characters. */
const KeyIdText = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "must be an RFC 7638 SHA-256 thumbprint in base64url");

/**
 * The envelope only: the bundle stays an untouched JSON object here, because the signature must be
 * checked over exactly what arrived before any of it is parsed or trusted.
 */
const SignedBundleEnvelope = z
  .object({
    bundle: z.custom<Record<string, unknown>>((v) => typeof v === "object" && v !== null && !Array.isArray(v), "must be a JSON object"),
    signature: SignatureText,
    keyId: KeyIdText,
  })
  .strict();

function requireEd25519(jwk: JsonWebKey): { kty: "OKP"; crv: "Ed25519"; x: string } {
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") throw new TypeError("Not an Ed25519 JWK (kty OKP, crv Ed25519, x)");
  return { kty: "OKP", crv: "Ed25519", x: jwk.x };
}

function publicJwk(jwk: JsonWebKey): JsonWebKey {
  return requireEd25519(jwk);
}

function privateJwk(jwk: JsonWebKey): JsonWebKey {
  if (typeof jwk.d !== "string") throw new TypeError("Not an Ed25519 private JWK (d is missing)");
  return { ...requireEd25519(jwk), d: jwk.d };
}

/**
 * The key id of an Ed25519 key: its RFC 7638 JWK thumbprint — SHA-256 over the required members
 * `{"crv","kty","x"}` in lexicographic order without whitespace (RFC 8037 §2), unpadded base64url.
 * Derived from the key itself, so an id can never name a different key than the one it came from.
 * Accepts a public or a private JWK (only `x` is used).
 */
export async function signingKeyId(jwk: JsonWebKey): Promise<string> {
  const { crv, kty, x } = requireEd25519(jwk);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonicalJson({ crv, kty, x })));
  return base64urlEncode(new Uint8Array(digest));
}

/** A fresh console signing key. The private JWK is the secret to store; the public JWK goes to every Worker. */
export async function generateSigningKeyPair(): Promise<{ publicKeyJwk: JsonWebKey; privateKeyJwk: JsonWebKey; keyId: string }> {
  const pair = (await crypto.subtle.generateKey(ED25519, true, ["sign", "verify"])) as CryptoKeyPair;
  // workers-types widen exportKey to ArrayBuffer | JsonWebKey; "jwk" always yields a JsonWebKey.
  const publicKeyJwk = publicJwk((await crypto.subtle.exportKey("jwk", pair.publicKey)) as JsonWebKey);
  const privateKeyJwk = privateJwk((await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey);
  return { publicKeyJwk, privateKeyJwk, keyId: await signingKeyId(publicKeyJwk) };
}

/**
 * Validates the bundle (an invalid bundle is never signed — throws the `ZodError`), then signs its
 * canonical JSON. Throws if `keyId` is not the thumbprint of `privateKeyJwk`: a mislabelled key
 * would publish bundles every Worker refuses.
 */
export async function signBundle(bundle: ConfigBundle, privateKeyJwk: JsonWebKey, keyId: string): Promise<SignedBundle> {
  const parsed = ConfigBundle.parse(bundle);
  const jwk = privateJwk(privateKeyJwk);
  if ((await signingKeyId(jwk)) !== keyId) throw new Error("keyId is not the thumbprint of this signing key");
  const key = await crypto.subtle.importKey("jwk", jwk, ED25519, false, ["sign"]);
  const signature = await crypto.subtle.sign(ED25519, key, new TextEncoder().encode(canonicalJson(parsed)));
  return { bundle: parsed, signature: base64urlEncode(new Uint8Array(signature)), keyId };
}

const fail = (reason: VerifyFailure): VerifyResult => ({ ok: false, reason });

/**
 * Checks a received signed bundle, trusting nothing before the signature holds (envelope, key,
 * signature, schema, then `version` newer than `currentVersion`: the replay and rollback guard).
 * Never throws, so the caller can keep its last good bundle. The checks and their failures:
 * docs/config-bundle.md, "Verifying a received bundle".
 */
export async function verifySignedBundle(input: unknown, trustedKeys: Record<string, JsonWebKey>, currentVersion: number | null): Promise<VerifyResult> {
  const envelope = SignedBundleEnvelope.safeParse(input);
  if (!envelope.success) return fail("MALFORMED");
  const { bundle, signature, keyId } = envelope.data;

  // Own properties only: a key id must never resolve through the prototype chain.
  const trusted = Object.hasOwn(trustedKeys, keyId) ? trustedKeys[keyId] : undefined;
  if (!trusted) return fail("UNKNOWN_KEY");
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("jwk", publicJwk(trusted), ED25519, false, ["verify"]);
  } catch {
    return fail("UNKNOWN_KEY");
  }

  let signed: string;
  try {
    signed = canonicalJson(bundle);
  } catch {
    return fail("MALFORMED");
  }
  let valid: boolean;
  try {
    valid = await crypto.subtle.verify(ED25519, key, base64urlDecode(signature), new TextEncoder().encode(signed));
  } catch {
    valid = false;
  }
  if (!valid) return fail("BAD_SIGNATURE");

  const parsed = ConfigBundle.safeParse(bundle);
  // The schema has no transforms; this guards that invariant, so what the edge enforces is
  // always exactly what was signed.
  if (!parsed.success || canonicalJson(parsed.data) !== signed) return fail("INVALID_BUNDLE");
  if (currentVersion !== null && parsed.data.version <= currentVersion) return fail("NOT_NEWER");
  return { ok: true, bundle: parsed.data };
}

/**
 * Small signed statements from the console to the edge other than bundles (the OAuth consent
 * assertion: "this signed-in user approved this authorization request"). Compact form
 * `<base64url canonical JSON>.<signature>.<keyId>`, signed with the bundle key over
 * `portcullis-statement-v1\n` + the JSON — the prefix keeps a statement from ever verifying as a
 * bundle (whose signed text starts with `{`) and the other way round. `typ` names the statement
 * kind and `exp` (unix seconds) bounds its life; both are checked here.
 */
const STATEMENT_PREFIX = "portcullis-statement-v1\n";

export async function signStatement(payload: { typ: string; exp: number } & Record<string, unknown>, privateKeyJwk: JsonWebKey, keyId: string): Promise<string> {
  const jwk = privateJwk(privateKeyJwk);
  if ((await signingKeyId(jwk)) !== keyId) throw new Error("keyId is not the thumbprint of this signing key");
  const json = canonicalJson(payload);
  const key = await crypto.subtle.importKey("jwk", jwk, ED25519, false, ["sign"]);
  const signature = await crypto.subtle.sign(ED25519, key, new TextEncoder().encode(STATEMENT_PREFIX + json));
  return `${base64urlEncode(new TextEncoder().encode(json))}.${base64urlEncode(new Uint8Array(signature))}.${keyId}`;
}

/** The payload when the statement verifies with a trusted key, has the expected `typ` and has not expired; else null. */
export async function verifyStatement(token: string, typ: string, trustedKeys: Record<string, JsonWebKey>, nowSeconds = Math.floor(Date.now() / 1000)): Promise<Record<string, unknown> | null> {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  const [body, signature, keyId] = parts as [string, string, string];
  if (!SignatureText.safeParse(signature).success || !KeyIdText.safeParse(keyId).success || !/^[A-Za-z0-9_-]+$/.test(body)) return null;
  const trusted = Object.hasOwn(trustedKeys, keyId) ? trustedKeys[keyId] : undefined;
  if (!trusted) return null;
  try {
    const json = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(base64urlDecode(body));
    const key = await crypto.subtle.importKey("jwk", publicJwk(trusted), ED25519, false, ["verify"]);
    if (!(await crypto.subtle.verify(ED25519, key, base64urlDecode(signature), new TextEncoder().encode(STATEMENT_PREFIX + json)))) return null;
    const payload = JSON.parse(json) as Record<string, unknown>;
    if (payload === null || typeof payload !== "object" || payload.typ !== typ || typeof payload.exp !== "number" || payload.exp < nowSeconds) return null;
    return payload;
  } catch {
    return null;
  }
}
