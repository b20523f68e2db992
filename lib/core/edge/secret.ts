/**
 * The edge secret shared by the console and the portal Worker (`PORTCULLIS_EDGE_SECRET`), and three
 * independent keys derived from it (sealing upstream credentials, signing event batches the portal
 * sends, signing requests the console sends) so no use can be turned into another. Pure Web Crypto.
 * Rotation and the keys: docs/edge-secret.md.
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

/** 32 bytes derived from an edge secret for one purpose (HKDF-SHA-256, `info` names the purpose): no use can be turned into another. */
export function deriveFromEdgeSecret(secret: EdgeSecret, info: string): Promise<ArrayBuffer> {
  return derive(secret.raw, info);
}

async function derive(raw: Uint8Array<ArrayBuffer>, info: string): Promise<ArrayBuffer> {
  const base = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveBits"]);
  return crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: enc.encode(info) }, base, 256);
}

/** AES-GCM keys by purpose (the HKDF info) and secret. */
const aesKeys = new Map<string, WeakMap<Uint8Array, Promise<CryptoKey>>>();
function aesKey(secret: EdgeSecret, info: string): Promise<CryptoKey> {
  let byPurpose = aesKeys.get(info);
  if (!byPurpose) aesKeys.set(info, (byPurpose = new WeakMap()));
  let key = byPurpose.get(secret.raw);
  if (!key) {
    key = derive(secret.raw, info).then((bits) => crypto.subtle.importKey("raw", bits, "AES-GCM", false, ["encrypt", "decrypt"]));
    byPurpose.set(secret.raw, key);
  }
  return key;
}
const credentialKey = (secret: EdgeSecret) => aesKey(secret, "portcullis edge credentials v1");
/** MCP session ids the portal mints (sealed sessions): a key of their own, so a session id never opens as a credential. */
const sessionKey = (secret: EdgeSecret) => aesKey(secret, "portcullis mcp sessions v1");

/** HMAC keys by secret and purpose (the HKDF info). */
const hmacKeys = new Map<string, WeakMap<Uint8Array, Promise<CryptoKey>>>();
function hmacKey(secret: EdgeSecret, info: string): Promise<CryptoKey> {
  let byPurpose = hmacKeys.get(info);
  if (!byPurpose) hmacKeys.set(info, (byPurpose = new WeakMap()));
  let key = byPurpose.get(secret.raw);
  if (!key) {
    key = derive(secret.raw, info).then((bits) => crypto.subtle.importKey("raw", bits, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]));
    byPurpose.set(secret.raw, key);
  }
  return key;
}

/** Event batches, portal → console. */
const EVENTS_KEY = "portcullis edge events v1";
/** Requests to the portal's operator endpoints, console → portal: a separate key, so a portal's signature never passes as the console's. */
const REQUESTS_KEY = "portcullis edge requests v1";

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

/** Carries both signatures: event batches (portal → console) and operator requests (console → portal). */
export const EDGE_SIGNATURE_HEADER = "x-portcullis-signature";
/** How far a signature's timestamp may be from the receiver's clock. */
export const EDGE_SIGNATURE_TOLERANCE_SECONDS = 300;

/** `t=<unix seconds>,v1=<hex HMAC-SHA-256 of "<t>.<text>">`, with the current (first) secret. */
async function signText(text: string, secrets: EdgeSecret[], info: string, nowSeconds: number): Promise<string> {
  const secret = secrets[0];
  if (!secret) throw new Error("no edge secret");
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret, info), enc.encode(`${nowSeconds}.${text}`));
  return `t=${nowSeconds},v1=${hex(mac)}`;
}

/**
 * Checks a signature against every listed secret (rotation; constant-time via `verify`), and that
 * its timestamp is within the tolerance (a captured signature cannot be replayed later).
 */
async function verifyText(header: string | null, text: string | Uint8Array, secrets: EdgeSecret[], info: string, nowSeconds: number): Promise<boolean> {
  const match = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header?.trim() ?? "");
  if (!match) return false;
  const t = Number(match[1]);
  if (Math.abs(nowSeconds - t) > EDGE_SIGNATURE_TOLERANCE_SECONDS) return false;
  const mac = Uint8Array.from(match[2]!.match(/../g)!, (h) => parseInt(h, 16));
  const signed = typeof text === "string" ? enc.encode(`${t}.${text}`) : concatBytes(enc.encode(`${t}.`), text);
  for (const secret of secrets) {
    if (await crypto.subtle.verify("HMAC", await hmacKey(secret, info), mac, signed)) return true;
  }
  return false;
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The `X-Portcullis-Signature` value for an event batch body, signed with the current secret. */
export function signEventBody(body: string, secrets: EdgeSecret[], nowSeconds = Math.floor(Date.now() / 1000)): Promise<string> {
  return signText(body, secrets, EVENTS_KEY, nowSeconds);
}

/**
 * Checks an event batch signature against every listed secret. Within the tolerance a replay is
 * harmless: ingest is idempotent on event ids. The body may be the bytes as received (UTF-8): the
 * signature covers exactly those, and they need no encoding again.
 */
export function verifyEventSignature(header: string | null, body: string | Uint8Array, secrets: EdgeSecret[], nowSeconds = Math.floor(Date.now() / 1000)): Promise<boolean> {
  return verifyText(header, body, secrets, EVENTS_KEY, nowSeconds);
}

/**
 * The `X-Portcullis-Signature` value with which the console calls one of the portal's operator
 * endpoints (`GET /_portcullis/status`): `path` is the endpoint's path at the portal, whatever
 * prefix a proxy in front of it adds. Only reads are signed this way; within the tolerance a
 * replay reads the same status again.
 */
export function signEdgeRequest(method: string, path: string, secrets: EdgeSecret[], nowSeconds = Math.floor(Date.now() / 1000)): Promise<string> {
  return signText(`${method.toUpperCase()} ${path}`, secrets, REQUESTS_KEY, nowSeconds);
}

/** Checks a {@link signEdgeRequest} signature against every listed secret. */
export function verifyEdgeRequest(header: string | null, method: string, path: string, secrets: EdgeSecret[], nowSeconds = Math.floor(Date.now() / 1000)): Promise<boolean> {
  return verifyText(header, `${method.toUpperCase()} ${path}`, secrets, REQUESTS_KEY, nowSeconds);
}

/** The prefix of a sealed MCP session id: `s1.<kid>.<iv>.<ciphertext>`, all base64url or hex (visible ASCII, as Mcp-Session-Id must be). */
export const SEALED_SESSION_PREFIX = "s1.";

/**
 * Seals `plaintext` into an MCP session id with the current (first) secret: AES-GCM under a key
 * derived for session ids only, so it is both secret and tamper-evident; only the portal opens it.
 */
export async function sealSessionId(plaintext: string, secrets: EdgeSecret[]): Promise<string> {
  const secret = secrets[0];
  if (!secret) throw new Error("no edge secret");
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: enc.encode(SEALED_SESSION_PREFIX) }, await sessionKey(secret), enc.encode(plaintext));
  return `${SEALED_SESSION_PREFIX}${secret.kid}.${base64urlEncode(iv)}.${base64urlEncode(new Uint8Array(ct))}`;
}

/** The plaintext of a session id sealed by {@link sealSessionId} with any listed secret, or null (unknown secret, altered, or not one). */
export async function openSessionId(id: string, secrets: EdgeSecret[]): Promise<string | null> {
  if (!id.startsWith(SEALED_SESSION_PREFIX)) return null;
  const [kid, ivText, ctText, extra] = id.slice(SEALED_SESSION_PREFIX.length).split(".");
  const secret = secrets.find((s) => s.kid === kid);
  if (!secret || !ivText || !ctText || extra !== undefined) return null;
  try {
    const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: base64urlDecode(ivText), additionalData: enc.encode(SEALED_SESSION_PREFIX) }, await sessionKey(secret), base64urlDecode(ctText));
    return new TextDecoder().decode(pt);
  } catch {
    return null;
  }
}
