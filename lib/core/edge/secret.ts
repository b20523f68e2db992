/**
 * The edge secret shared by the console and the portal Worker (`PORTCULLIS_EDGE_SECRET`), and two
 * independent keys derived from it (sealing upstream credentials, signing event batches) so neither
 * use can be turned into the other. Pure Web Crypto. Rotation and the two keys: docs/edge-secret.md.
 */
import type { SealedCredential } from "@core/bundle/schema";
import { base64urlDecode, base64urlEncode, hex } from "@core/crypto/encoding";

const enc = new TextEncoder();

export interface EdgeSecret {
  /** 16 hex characters naming the secret (derived, reveals nothing usable). */
  kid: string;
  raw: Uint8Array<ArrayBuffer>;
}

/** A fresh secret, as the text to put in `PORTCULLIS_EDGE_SECRET`. */
export function generateEdgeSecret(): string {
  return base64urlEncode(crypto.getRandomValues(new Uint8Array(32)));
}

/** Parses `PORTCULLIS_EDGE_SECRET` (comma-separated base64url, 32 bytes each). Throws with a clear message. */
export async function parseEdgeSecrets(value: string | undefined): Promise<EdgeSecret[]> {
  const parts = (value ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new Error("PORTCULLIS_EDGE_SECRET is not set");
  return Promise.all(
    parts.map(async (part) => {
      let raw: Uint8Array<ArrayBuffer>;
      try {
        raw = base64urlDecode(part);
      } catch {
        throw new Error("PORTCULLIS_EDGE_SECRET: each entry must be base64url");
      }
      if (raw.length !== 32) throw new Error(`PORTCULLIS_EDGE_SECRET: each entry must be 32 bytes, got ${raw.length}`);
      const kid = hex(await derive(raw, "portcullis edge key id v1")).slice(0, 16);
      return { kid, raw };
    }),
  );
}

async function derive(raw: Uint8Array<ArrayBuffer>, info: string): Promise<ArrayBuffer> {
  const base = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveBits"]);
  return crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: enc.encode(info) }, base, 256);
}

const aesKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>();
function credentialKey(secret: EdgeSecret): Promise<CryptoKey> {
  let key = aesKeys.get(secret.raw);
  if (!key) {
    key = derive(secret.raw, "portcullis edge credentials v1").then((bits) => crypto.subtle.importKey("raw", bits, "AES-GCM", false, ["encrypt", "decrypt"]));
    aesKeys.set(secret.raw, key);
  }
  return key;
}

const hmacKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>();
function eventsKey(secret: EdgeSecret): Promise<CryptoKey> {
  let key = hmacKeys.get(secret.raw);
  if (!key) {
    key = derive(secret.raw, "portcullis edge events v1").then((bits) => crypto.subtle.importKey("raw", bits, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]));
    hmacKeys.set(secret.raw, key);
  }
  return key;
}

/** Seals `plaintext` for the edge with the current (first) secret. `aad` binds it to its record. */
export async function sealForEdge(plaintext: string, secrets: EdgeSecret[], aad: string): Promise<SealedCredential> {
  const secret = secrets[0];
  if (!secret) throw new Error("no edge secret");
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: enc.encode(aad) }, await credentialKey(secret), enc.encode(plaintext));
  return { kid: secret.kid, sealed: `${base64urlEncode(iv)}.${base64urlEncode(new Uint8Array(ct))}` };
}

/** Opens a sealed credential; throws when no listed secret has its kid or the envelope was altered. */
export async function openAtEdge(sealed: SealedCredential, secrets: EdgeSecret[], aad: string): Promise<string> {
  const secret = secrets.find((s) => s.kid === sealed.kid);
  if (!secret) throw new Error(`credential sealed with an unknown edge secret (${sealed.kid})`);
  const [ivText, ctText, extra] = sealed.sealed.split(".");
  if (!ivText || !ctText || extra !== undefined) throw new Error("malformed sealed credential");
  const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: base64urlDecode(ivText), additionalData: enc.encode(aad) }, await credentialKey(secret), base64urlDecode(ctText));
  return new TextDecoder().decode(pt);
}

/**
 * Seals like {@link sealForEdge}, but hands back `previous` when it already opens (with the current
 * edge secret) to exactly `plaintext`: sealing draws a fresh IV, so without reuse every publish
 * would look like a credential change and equal content would hash differently.
 */
export async function sealForEdgeReusing(plaintext: string, secrets: EdgeSecret[], aad: string, previous: SealedCredential | null | undefined): Promise<SealedCredential> {
  if (previous && previous.kid === secrets[0]?.kid) {
    const opened = await openAtEdge(previous, secrets, aad).catch(() => null);
    if (opened === plaintext) return previous;
  }
  return sealForEdge(plaintext, secrets, aad);
}

export const EVENTS_SIGNATURE_HEADER = "x-portcullis-signature";
export const EVENTS_SIGNATURE_TOLERANCE_SECONDS = 300;

/** The `X-Portcullis-Signature` value for an event batch body, signed with the current secret. */
export async function signEventBody(body: string, secrets: EdgeSecret[], nowSeconds = Math.floor(Date.now() / 1000)): Promise<string> {
  const secret = secrets[0];
  if (!secret) throw new Error("no edge secret");
  const mac = await crypto.subtle.sign("HMAC", await eventsKey(secret), enc.encode(`${nowSeconds}.${body}`));
  return `t=${nowSeconds},v1=${hex(mac)}`;
}

/**
 * Checks an event batch signature against every listed secret (constant-time via `verify`), and
 * that its timestamp is within the tolerance (a captured batch cannot be replayed later; within the
 * window a replay is harmless because ingest is idempotent on event ids).
 */
export async function verifyEventSignature(header: string | null, body: string, secrets: EdgeSecret[], nowSeconds = Math.floor(Date.now() / 1000)): Promise<boolean> {
  const match = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header?.trim() ?? "");
  if (!match) return false;
  const t = Number(match[1]);
  if (Math.abs(nowSeconds - t) > EVENTS_SIGNATURE_TOLERANCE_SECONDS) return false;
  const mac = Uint8Array.from(match[2]!.match(/../g)!, (h) => parseInt(h, 16));
  for (const secret of secrets) {
    if (await crypto.subtle.verify("HMAC", await eventsKey(secret), mac, enc.encode(`${t}.${body}`))) return true;
  }
  return false;
}
