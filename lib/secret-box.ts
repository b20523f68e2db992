/**
 * Credentials at rest: AES-256-GCM with a key id in every envelope so keys can rotate.
 *
 * Keys come from PORTCULLIS_ENCRYPTION_KEYS = "kid1:<base64 32 bytes>,kid0:<…>" — the first key
 * encrypts, every listed key decrypts (rotation: put the new key first, re-save, drop the old).
 * Local mode without the variable generates one key into `$PORTCULLIS_DATA_DIR/encryption-key`.
 * Envelope: `v1.<kid>.<iv base64url>.<ciphertext+tag base64url>`, with the record id as AAD so an
 * envelope cannot be moved to another record.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { dataDir } from "@/db/client";

export interface KeyRing {
  current: { id: string; key: Buffer };
  all: Map<string, Buffer>;
}

export function parseKeyRing(value: string): KeyRing {
  const all = new Map<string, Buffer>();
  let current: KeyRing["current"] | undefined;
  for (const part of value.split(",").map((s) => s.trim()).filter(Boolean)) {
    const [id, b64] = part.split(":");
    if (!id || !b64 || !/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new Error("PORTCULLIS_ENCRYPTION_KEYS: each entry must be <key id>:<base64 key>");
    const key = Buffer.from(b64, "base64");
    if (key.length !== 32) throw new Error(`PORTCULLIS_ENCRYPTION_KEYS: key "${id}" must be 32 bytes (base64), got ${key.length}`);
    all.set(id, key);
    current ??= { id, key };
  }
  if (!current) throw new Error("PORTCULLIS_ENCRYPTION_KEYS is empty");
  return { current, all };
}

export const ENCRYPTION_KEY_FILE = "encryption-key";

let cached: { source: string; ring: KeyRing } | undefined;

export function keyRingFromEnv(env: Record<string, string | undefined> = process.env): KeyRing {
  let source = env.PORTCULLIS_ENCRYPTION_KEYS?.trim();
  if (!source) {
    const file = path.join(dataDir(env), ENCRYPTION_KEY_FILE);
    try {
      source = readFileSync(file, "utf8").trim();
    } catch {
      source = `local1:${randomBytes(32).toString("base64")}`;
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, source + "\n", { mode: 0o600, flag: "wx" });
    }
  }
  if (cached?.source !== source) cached = { source, ring: parseKeyRing(source) };
  return cached.ring;
}

const TAG_BYTES = 16;

export function seal(plaintext: string, aad: string, ring: KeyRing = keyRingFromEnv()): { envelope: string; keyId: string } {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", ring.current.key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return { envelope: `v1.${ring.current.id}.${iv.toString("base64url")}.${body.toString("base64url")}`, keyId: ring.current.id };
}

export function open(envelope: string, aad: string, ring: KeyRing = keyRingFromEnv()): string {
  const [version, keyId, ivText, bodyText] = envelope.split(".");
  if (version !== "v1" || !keyId || !ivText || !bodyText) throw new Error("not a secret-box envelope");
  const key = ring.all.get(keyId);
  if (!key) throw new Error(`no encryption key "${keyId}" is configured (PORTCULLIS_ENCRYPTION_KEYS)`);
  const body = Buffer.from(bodyText, "base64url");
  if (body.length < TAG_BYTES) throw new Error("not a secret-box envelope");
  // Without authTagLength Node accepts a tag cut down to 4 bytes: a truncated tag would be far easier to forge.
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(ivText, "base64url"), { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString("utf8");
}
