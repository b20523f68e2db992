/**
 * A stand-in for the Portcullis portal in tests: an Ed25519 key, its key set served at
 * `/.well-known/portcullis/jwks.json`, and proofs signed as the portal signs them.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { PROOF_JWKS_PATH, PROOF_TYPE } from "../src/portcullis-proof";

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");

export interface TestPortal {
  origin: string;
  /** A proof as the portal sends it, for `audience`; `overrides` change claims (expired, another audience…). */
  proof(audience: string, overrides?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export async function startTestPortal(): Promise<TestPortal> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const { x } = await crypto.subtle.exportKey("jwk", pair.publicKey);
  const kid = "test-portal-key";
  const keys = { keys: [{ kty: "OKP", crv: "Ed25519", x, kid, alg: "EdDSA", use: "sig" }] };
  const http = createServer((req, res) => {
    if (req.url === PROOF_JWKS_PATH) res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(keys));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    origin,
    async proof(audience, overrides = {}) {
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: origin, aud: audience, sub: "user-1", kind: "user", email: "ada@example.com", teams: ["research"], iat: now, exp: now + 60, jti: crypto.randomUUID(), ...overrides };
      const enc = new TextEncoder();
      const signed = `${b64url(enc.encode(JSON.stringify({ alg: "EdDSA", typ: PROOF_TYPE, kid })))}.${b64url(enc.encode(JSON.stringify(claims)))}`;
      const signature = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, enc.encode(signed)));
      return `${signed}.${b64url(signature)}`;
    },
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}
