// The keys the console and the portal Worker share, in one place for every process that needs
// them: `npm start` (scripts/start.mjs, which hands the public half to the Worker), `npm run keys`
// (scripts/keys.mjs) and the console itself (lib/config/edge-keys.ts). Plain Node ESM so start.mjs
// can use it before anything is built.
//
// - Bundle signing key (Ed25519): `PORTCULLIS_BUNDLE_SIGNING_KEY` (a private JWK as JSON, or that
//   JSON in base64url); without it, `$PORTCULLIS_DATA_DIR/bundle-signing-key.json`, made on first use:
//   `{ "current": <private JWK>, "previous": [<public JWK>, …] }` — previous keys stay trusted by
//   the local Worker after `npm run keys -- rotate`, so the bundle it runs keeps verifying.
// - Edge secret: `PORTCULLIS_EDGE_SECRET`; without it, `$PORTCULLIS_DATA_DIR/edge-secret`, made on
//   first use (32 random bytes, base64url — the format lib/core/edge/secret.ts parses).
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";

export const SIGNING_KEY_FILE = "bundle-signing-key.json";
export const EDGE_SECRET_FILE = "edge-secret";
/** Retired public keys kept in the local key set after rotations (enough for any transition). */
const MAX_PREVIOUS_KEYS = 3;

/** Same rule as db/client.ts `dataDir` (chosen at run time: nothing in it belongs in the build output). */
export function localDataDir(env = process.env) {
  return path.resolve(/*turbopackIgnore: true*/ env.PORTCULLIS_DATA_DIR || ".data");
}

function requireEd25519(jwk, needPrivate) {
  if (!jwk || typeof jwk !== "object" || jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(jwk.x)) {
    throw new Error("not an Ed25519 JWK (expected kty OKP, crv Ed25519 and a 32-byte x)");
  }
  if (needPrivate && (typeof jwk.d !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(jwk.d))) throw new Error("not an Ed25519 private JWK (d is missing)");
}

/** Only the RFC 8037 members (see lib/core/bundle/sign.ts for why). */
export function publicJwkOf(jwk) {
  requireEd25519(jwk, false);
  return { kty: "OKP", crv: "Ed25519", x: jwk.x };
}

/**
 * RFC 7638 thumbprint: SHA-256 over `{"crv","kty","x"}` in that order, no whitespace, base64url.
 * Must equal `signingKeyId` of lib/core/bundle/sign.ts (a test checks that it does).
 */
export function keyIdOf(jwk) {
  const { crv, kty, x } = publicJwkOf(jwk);
  return createHash("sha256").update(JSON.stringify({ crv, kty, x })).digest("base64url");
}

export function generateSigningKey() {
  const { privateKey } = generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" });
  return { kty: "OKP", crv: "Ed25519", x: jwk.x, d: jwk.d };
}

/** `PORTCULLIS_BUNDLE_SIGNING_KEY`: a private JWK as JSON, or base64url of that JSON. */
export function parseSigningKeyText(text) {
  const trimmed = String(text).trim();
  let json = trimmed;
  if (!trimmed.startsWith("{")) {
    if (!/^[A-Za-z0-9_-]+=*$/.test(trimmed)) throw new Error("PORTCULLIS_BUNDLE_SIGNING_KEY must be a private Ed25519 JWK as JSON, or base64url of it");
    json = Buffer.from(trimmed, "base64url").toString("utf8");
  }
  let jwk;
  try {
    jwk = JSON.parse(json);
  } catch {
    // No cause: JSON.parse's message quotes its input, the private key.
    throw new Error("PORTCULLIS_BUNDLE_SIGNING_KEY is not valid JSON (expected a private Ed25519 JWK)");
  }
  return privateJwkOf(jwk, "PORTCULLIS_BUNDLE_SIGNING_KEY");
}

/** Only the RFC 8037 members of a private Ed25519 JWK; `where` starts the error when it is not one. */
function privateJwkOf(jwk, where) {
  try {
    requireEd25519(jwk, true);
  } catch (error) {
    throw new Error(`${where}: ${error.message}`, { cause: error });
  }
  return { kty: "OKP", crv: "Ed25519", x: jwk.x, d: jwk.d };
}

/**
 * Creates `file` with `content` only if it does not exist yet, atomically (written aside, then
 * hard-linked into place), so two processes starting at once agree on one key. Returns what the
 * file holds afterwards.
 */
function createOnce(file, content) {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = writeBeside(file, content);
  try {
    linkSync(tmp, file);
  } catch (error) {
    if (error.code !== "EEXIST") throw error;
  } finally {
    unlinkSync(tmp);
  }
  return readFileSync(file, "utf8");
}

function replaceFile(file, content) {
  renameSync(writeBeside(file, content), file);
}

/** `content` in a new owner-only temporary file next to `file`; its path. */
function writeBeside(file, content) {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  return tmp;
}

/** What `file` holds; when it does not exist yet, it is made once with `makeContent()` (createOnce). */
function readOrCreateOnce(file, makeContent) {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    if (error.code !== "ENOENT") throw error;
    return createOnce(file, makeContent());
  }
}

function parseKeyFile(text, file) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    // No cause: JSON.parse's message quotes its input, the private key.
    throw new Error(`${file} is not valid JSON; delete it to make a new key (then restart the portal so it trusts the new one)`);
  }
  const current = privateJwkOf(data?.current, `${file}: current`);
  const previous = Array.isArray(data.previous) ? data.previous.map(publicJwkOf) : [];
  return { current, previous };
}

const keyFileText = (keys) => JSON.stringify(keys, null, 2) + "\n";

/** The local signing key file, made on first use. */
export function ensureLocalSigningKey(dir) {
  const file = path.join(dir, SIGNING_KEY_FILE);
  const text = readOrCreateOnce(file, () => keyFileText({ current: generateSigningKey(), previous: [] }));
  return { ...parseKeyFile(text, file), file };
}

/** A new current key; the old one's public half moves to `previous` (newest first). */
export function rotateLocalSigningKey(dir) {
  const { current, previous, file } = ensureLocalSigningKey(dir);
  const retired = [publicJwkOf(current), ...previous].slice(0, MAX_PREVIOUS_KEYS);
  const next = { current: generateSigningKey(), previous: retired };
  replaceFile(file, keyFileText(next));
  return { ...next, file };
}

/**
 * The signing key in force: from the environment when set (production), else the local file.
 * `previous` lists retired public keys still to be trusted (local file only).
 */
export function resolveSigningKey(env = process.env, dir = localDataDir(env)) {
  const text = env.PORTCULLIS_BUNDLE_SIGNING_KEY?.trim();
  if (text) return { source: "env", current: parseSigningKeyText(text), previous: [], file: null };
  return { source: "file", ...ensureLocalSigningKey(dir) };
}

/** `{ keyId: public JWK }` for the Worker's `PORTCULLIS_BUNDLE_KEYS`: the current key first, then retired ones. */
export function publicKeySet(keys) {
  const set = {};
  for (const jwk of [keys.current, ...(keys.previous ?? [])]) set[keyIdOf(jwk)] = publicJwkOf(jwk);
  return set;
}

export function generateEdgeSecret() {
  return randomBytes(32).toString("base64url");
}

/** The edge secret text (`PORTCULLIS_EDGE_SECRET` format): from the environment, else the local file. */
export function resolveEdgeSecret(env = process.env, dir = localDataDir(env)) {
  const fromEnv = env.PORTCULLIS_EDGE_SECRET?.trim();
  if (fromEnv) return { source: "env", secret: fromEnv, file: null };
  const file = path.join(dir, EDGE_SECRET_FILE);
  const secret = readOrCreateOnce(file, () => generateEdgeSecret() + "\n").trim();
  if (!secret) throw new Error(`${file} is empty; delete it to make a new edge secret`);
  return { source: "file", secret, file };
}
