/**
 * Verifying a Portcullis upstream proof: the short-lived token the portal sends with every request
 * it forwards to an upstream MCP server (header `Portcullis-Proof`), so a server can refuse calls
 * that did not come through the portal and know, verified, who is calling. Format and claims:
 * docs/upstream-proof.md.
 *
 * A compact JWS (a JWT: `alg` EdDSA, `typ` portcullis-proof+jwt, `kid`), verified against the
 * portal's published key set (`GET <portal>/.well-known/portcullis/jwks.json`): signature, issuer,
 * audience (the server's own URL, so a proof for one server never opens another), and a lifetime of
 * at most a few minutes checked with a small clock skew. Anything else is refused.
 *
 * Self-contained on purpose (Web Crypto only, no imports): it runs in Workers and in Node, the
 * bridge uses it as it is, and `npx portcullis new-server` copies this file into the servers it
 * scaffolds. Key fetching takes the `fetch` to use, so this module does no I/O of its own.
 */

/** The request header that carries the proof (HTTP header names are case-insensitive). */
export const PROOF_HEADER = "portcullis-proof";
/** The JWS `typ` of a proof: a token of another kind signed with the same key is never a proof. */
export const PROOF_TYPE = "portcullis-proof+jwt";
/** Where a portal publishes the keys its proofs are signed with. */
export const PROOF_JWKS_PATH = "/.well-known/portcullis/jwks.json";
/** How long a proof lives (the portal makes a fresh one for every upstream request). */
export const PROOF_LIFETIME_SECONDS = 60;
/** Clock skew tolerated between the portal and the verifier. */
export const PROOF_CLOCK_SKEW_SECONDS = 30;
/** A token claiming a longer life than this is not a proof the portal made. */
const MAX_LIFETIME_SECONDS = 300;

/** Who sent the request: a person through the portal, the portal itself (pin checks, ending sessions), or the console (discovery and sync). */
export type ProofKind = "user" | "portal" | "console";

export interface ProofClaims {
  /** The portal's public origin. */
  iss: string;
  /** The upstream server's URL as registered at the portal. */
  aud: string;
  /** The caller's user id (`kind: "user"`), else "portcullis-portal" or "portcullis-console". */
  sub: string;
  kind: ProofKind;
  /** The caller's email address (`kind: "user"`). */
  email?: string;
  /** Slugs of the caller's teams (`kind: "user"`). */
  teams?: string[];
  /**
   * What the caller's own credential may do, space-separated (`read write`; `kind: "user"`): the
   * portal's LLM gateway accepts a proof as the caller's credential only with `write`.
   */
  scope?: string;
  iat: number;
  exp: number;
  /** Unique per proof: a server that wants single use can remember the ones it saw until they expire. */
  jti: string;
}

/** One public key of a proof key set (RFC 8037 OKP, Ed25519). */
export interface ProofJwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
  kid: string;
  alg?: string;
  use?: string;
}

export interface ProofKeySet {
  keys: ProofJwk[];
}

/** Finds the public key a proof names (`kid`), or undefined. */
export type ProofKeyLookup = (kid: string) => Promise<ProofJwk | undefined>;

export type ProofFailure = "MISSING" | "MALFORMED" | "UNKNOWN_KEY" | "BAD_SIGNATURE" | "WRONG_ISSUER" | "WRONG_AUDIENCE" | "EXPIRED" | "NOT_YET_VALID";

export type ProofResult = { ok: true; claims: ProofClaims } | { ok: false; reason: ProofFailure; message: string };

export interface VerifyProofOptions {
  /** The portal's keys: a key set, or a lookup (see {@link remoteProofKeys}). */
  keys: ProofKeySet | ProofKeyLookup;
  /** The portal origin(s) whose proofs are accepted. */
  issuer: string | readonly string[];
  /** This server's URL(s) as registered at the portal. */
  audience: string | readonly string[];
  nowSeconds?: number;
  skewSeconds?: number;
}

const fail = (reason: ProofFailure, message: string): ProofResult => ({ ok: false, reason, message });

function base64urlBytes(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function jsonPart(text: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(base64urlBytes(text))) as unknown;
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** URLs compared as the WHATWG parser spells them (case of scheme and host, default ports); other text as it is. */
function normalized(value: string): string {
  try {
    return new URL(value).href;
  } catch {
    return value;
  }
}

const list = (value: string | readonly string[]) => (typeof value === "string" ? [value] : [...value]);

const importedKeys = new Map<string, Promise<CryptoKey>>();
function importKey(jwk: ProofJwk): Promise<CryptoKey> {
  let key = importedKeys.get(jwk.x);
  if (!key) {
    // Only the RFC 8037 members: Node and workerd disagree on `alg` and `key_ops`.
    key = crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: jwk.x }, { name: "Ed25519" }, false, ["verify"]);
    key.catch(() => importedKeys.delete(jwk.x));
    if (importedKeys.size >= 64) importedKeys.delete(importedKeys.keys().next().value!);
    importedKeys.set(jwk.x, key);
  }
  return key;
}

function isProofJwk(value: unknown): value is ProofJwk {
  const k = value as ProofJwk | null;
  return !!k && typeof k === "object" && k.kty === "OKP" && k.crv === "Ed25519" && typeof k.x === "string" && typeof k.kid === "string";
}

/** The proof of a request (its `Portcullis-Proof` header), or null. */
export function proofOf(request: Request | Headers): string | null {
  const headers = request instanceof Headers ? request : request.headers;
  return headers.get(PROOF_HEADER)?.trim() || null;
}

/**
 * Checks a proof: well-formed compact JWS of type {@link PROOF_TYPE} with alg EdDSA, a key the
 * portal publishes, a valid signature, then the claims (issuer, audience, not expired, not issued in
 * the future, a short life). Never throws; the failure says what was wrong.
 */
export async function verifyProof(token: string | null | undefined, options: VerifyProofOptions): Promise<ProofResult> {
  if (!token) return fail("MISSING", `no ${PROOF_HEADER} header: this server accepts requests through its Portcullis portal only`);
  const parts = token.split(".");
  if (parts.length !== 3 || token.length > 16_384) return fail("MALFORMED", "the proof is not a compact JWS");
  const [headerText, payloadText, signatureText] = parts as [string, string, string];
  const header = jsonPart(headerText);
  if (!header || header.alg !== "EdDSA" || header.typ !== PROOF_TYPE || typeof header.kid !== "string" || header.crit !== undefined) {
    return fail("MALFORMED", `the proof's header must say alg EdDSA, typ ${PROOF_TYPE} and a kid`);
  }
  let jwk: ProofJwk | undefined;
  try {
    jwk = typeof options.keys === "function" ? await options.keys(header.kid) : options.keys.keys.find((k) => k.kid === header.kid);
  } catch {
    jwk = undefined;
  }
  if (!isProofJwk(jwk) || jwk.kid !== header.kid) return fail("UNKNOWN_KEY", "the proof is signed with a key the portal does not publish");
  let valid: boolean;
  try {
    const signature = base64urlBytes(signatureText);
    valid = signature.length === 64 && (await crypto.subtle.verify({ name: "Ed25519" }, await importKey(jwk), signature, new TextEncoder().encode(`${headerText}.${payloadText}`)));
  } catch {
    valid = false;
  }
  if (!valid) return fail("BAD_SIGNATURE", "the proof's signature does not verify");

  const claims = jsonPart(payloadText);
  if (
    !claims ||
    typeof claims.iss !== "string" ||
    typeof claims.aud !== "string" ||
    typeof claims.sub !== "string" ||
    (claims.kind !== "user" && claims.kind !== "portal" && claims.kind !== "console") ||
    !Number.isInteger(claims.iat) ||
    !Number.isInteger(claims.exp) ||
    typeof claims.jti !== "string" ||
    (claims.email !== undefined && typeof claims.email !== "string") ||
    (claims.teams !== undefined && !(Array.isArray(claims.teams) && claims.teams.every((t) => typeof t === "string"))) ||
    (claims.scope !== undefined && typeof claims.scope !== "string")
  ) {
    return fail("MALFORMED", "the proof's claims are incomplete");
  }
  const iat = claims.iat as number;
  const exp = claims.exp as number;
  if (exp <= iat || exp - iat > MAX_LIFETIME_SECONDS) return fail("MALFORMED", "the proof's lifetime is not that of a portal proof");
  if (!list(options.issuer).some((i) => normalizedOrigin(i) === normalizedOrigin(claims.iss as string))) return fail("WRONG_ISSUER", `the proof was issued by ${claims.iss as string}, not by this server's portal`);
  if (!list(options.audience).map(normalized).includes(normalized(claims.aud as string))) return fail("WRONG_AUDIENCE", "the proof is for another server");
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const skew = options.skewSeconds ?? PROOF_CLOCK_SKEW_SECONDS;
  if (exp + skew < now) return fail("EXPIRED", "the proof has expired");
  if (iat - skew > now) return fail("NOT_YET_VALID", "the proof is issued in the future (check the clocks)");
  return { ok: true, claims: claims as unknown as ProofClaims };
}

function normalizedOrigin(value: string): string {
  try {
    return new URL(value).origin;
  } catch {
    return value;
  }
}

const LOOPBACK = ["localhost", "127.0.0.1", "[::1]"];

/**
 * The origins a portal at `portalUrl` issues proofs as: its origin, and for a portal on this
 * machine every loopback spelling of it (without `PORTCULLIS_PUBLIC_URL` the portal names the origin
 * a request arrived on, and local clients use `localhost` or `127.0.0.1` alike).
 */
export function portalIssuers(portalUrl: string): string[] {
  const url = new URL(portalUrl);
  if (!LOOPBACK.includes(url.hostname)) return [url.origin];
  return LOOPBACK.map((host) => `${url.protocol}//${host}${url.port ? `:${url.port}` : ""}`);
}

/**
 * The keys of the portal at `portalUrl`, fetched from its well-known URL when first needed, kept
 * for `maxAgeMs`, and fetched again (at most every `minRefetchMs`) when a proof names a key not in
 * the set — so a rotated key is picked up without a restart, and a flood of forged kids costs one
 * fetch per interval. A failed fetch refuses (fail closed) and is retried on a later proof.
 */
export function remoteProofKeys(portalUrl: string, options: { fetch?: typeof fetch; maxAgeMs?: number; minRefetchMs?: number } = {}): ProofKeyLookup {
  const url = new URL(PROOF_JWKS_PATH, portalUrl).href;
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  const maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
  const minRefetchMs = options.minRefetchMs ?? 30_000;
  let current: { at: number; keys: ProofJwk[] } | undefined;
  let inflight: Promise<void> | undefined;
  const load = () =>
    (inflight ??= (async () => {
      try {
        const res = await fetchImpl(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(10_000) });
        if (!res.ok) throw new Error(`${url} answered ${res.status}`);
        const body = (await res.json()) as { keys?: unknown };
        current = { at: Date.now(), keys: Array.isArray(body.keys) ? body.keys.filter(isProofJwk) : [] };
      } finally {
        inflight = undefined;
      }
    })());
  return async (kid) => {
    const age = current ? Date.now() - current.at : Infinity;
    let key = age < maxAgeMs ? current?.keys.find((k) => k.kid === kid) : undefined;
    if (!key && age >= minRefetchMs) {
      await load().catch(() => undefined);
      key = current?.keys.find((k) => k.kid === kid);
    }
    return key;
  };
}

/**
 * A verifier for one server: `portal` is the portal's URL (its keys and, by default, its issuer
 * names), `audience` this server's URL(s) as registered there.
 */
export function createProofVerifier(options: { portal: string; audience: string | readonly string[]; issuer?: string | readonly string[]; fetch?: typeof fetch }): (request: Request | Headers) => Promise<ProofResult> {
  const keys = remoteProofKeys(options.portal, { fetch: options.fetch });
  const issuer = options.issuer ?? portalIssuers(options.portal);
  return (request) => verifyProof(proofOf(request), { keys, issuer, audience: options.audience });
}

/** The 401 a server answers a request without a valid proof: JSON-RPC shaped, saying why. */
export function proofRefusal(result: Extract<ProofResult, { ok: false }>): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32001, message: `Unauthorized: ${result.message}` } }), {
    status: 401,
    headers: { "content-type": "application/json", "www-authenticate": `Portcullis-Proof error="${result.reason.toLowerCase()}"` },
  });
}
