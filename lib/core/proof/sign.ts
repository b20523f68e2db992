/**
 * Making upstream proofs (verify.ts checks them): the portal signs one for every request it sends
 * to an upstream, the console one for each discovery and sync. docs/upstream-proof.md.
 *
 * The signing key is an Ed25519 key derived from the edge secret (HKDF, a purpose of its own), so
 * the console and every portal that share `PORTCULLIS_EDGE_SECRET` hold the same key with nothing
 * new to configure, and rotating the edge secret rotates it: the published key set lists the key of
 * every listed secret, proofs are signed with the first.
 */
import { signingKeyId } from "@core/bundle/sign";
import { base64urlEncode } from "@core/crypto/encoding";
import { deriveFromEdgeSecret, type EdgeSecret } from "@core/edge/secret";
import { PROOF_LIFETIME_SECONDS, PROOF_TYPE, type ProofJwk, type ProofKeySet, type ProofKind } from "./verify";

const PROOF_KEY_INFO = "portcullis upstream proof key v1";
/** RFC 8410 PKCS #8 prefix of an Ed25519 private key; the 32-byte seed follows. Web Crypto imports a raw seed only this way. */
const PKCS8_ED25519_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

interface ProofKey {
  privateKey: CryptoKey;
  publicJwk: ProofJwk;
}

const keys = new WeakMap<Uint8Array, Promise<ProofKey>>();

/** The proof key of one edge secret (once per secret and process or isolate). */
function proofKey(secret: EdgeSecret): Promise<ProofKey> {
  let key = keys.get(secret.raw);
  if (!key) {
    key = (async () => {
      const seed = new Uint8Array(await deriveFromEdgeSecret(secret, PROOF_KEY_INFO));
      const pkcs8 = new Uint8Array(PKCS8_ED25519_PREFIX.length + seed.length);
      pkcs8.set(PKCS8_ED25519_PREFIX);
      pkcs8.set(seed, PKCS8_ED25519_PREFIX.length);
      // Extractable once, to read the public half (`x`); only the non-extractable copy is kept.
      const exportable = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
      const { x } = (await crypto.subtle.exportKey("jwk", exportable)) as JsonWebKey;
      if (typeof x !== "string") throw new Error("the runtime did not export the public half of the proof key");
      const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
      const kid = await signingKeyId({ kty: "OKP", crv: "Ed25519", x });
      return { privateKey, publicJwk: { kty: "OKP", crv: "Ed25519", x, kid, alg: "EdDSA", use: "sig" } };
    })();
    keys.set(secret.raw, key);
  }
  return key;
}

/** What the portal publishes at `/.well-known/portcullis/jwks.json`: the key of every listed edge secret, the signing one first. */
export async function proofKeySet(secrets: EdgeSecret[]): Promise<ProofKeySet> {
  return { keys: await Promise.all(secrets.map(async (s) => (await proofKey(s)).publicJwk)) };
}

/** Who a proof says is calling. */
export type ProofSubject = { kind: "user"; userId: string; email: string; teams: string[]; /** The caller's credential's scopes (`scope` claim). */ scopes?: readonly string[] } | { kind: Exclude<ProofKind, "user"> };

export const PORTAL_SUBJECT: ProofSubject = { kind: "portal" };
export const CONSOLE_SUBJECT: ProofSubject = { kind: "console" };

/** A proof for one request to `audience` (the server's URL as registered), signed with the current (first) edge secret's key. */
export async function signProof(input: { issuer: string; audience: string; subject: ProofSubject; nowSeconds?: number }, secrets: EdgeSecret[]): Promise<string> {
  const secret = secrets[0];
  if (!secret) throw new Error("no edge secret");
  const key = await proofKey(secret);
  const iat = input.nowSeconds ?? Math.floor(Date.now() / 1000);
  const { subject } = input;
  const identity =
    subject.kind === "user"
      ? { sub: subject.userId, kind: "user", email: subject.email, teams: subject.teams, ...(subject.scopes ? { scope: subject.scopes.join(" ") } : {}) }
      : { sub: `portcullis-${subject.kind}`, kind: subject.kind };
  const claims = { iss: new URL(input.issuer).origin, aud: input.audience, ...identity, iat, exp: iat + PROOF_LIFETIME_SECONDS, jti: crypto.randomUUID() };
  const enc = new TextEncoder();
  const signed = `${base64urlEncode(enc.encode(JSON.stringify({ alg: "EdDSA", typ: PROOF_TYPE, kid: key.publicJwk.kid })))}.${base64urlEncode(enc.encode(JSON.stringify(claims)))}`;
  const signature = await crypto.subtle.sign({ name: "Ed25519" }, key.privateKey, enc.encode(signed));
  return `${signed}.${base64urlEncode(new Uint8Array(signature))}`;
}
