/**
 * API token secrets: pure, Web Crypto only, so the console and the edge hash the same way.
 * Format `pcs_` + 32 base64url characters (24 random bytes, 192 bits).
 */
import { base64urlEncode } from "@core/crypto/encoding";
import { sha256Hex } from "@core/crypto/sha256";

export const TOKEN_PREFIX = "pcs_";
/** Characters of the secret kept in clear to tell tokens apart: `pcs_` + 8. */
export const VISIBLE_PREFIX_LENGTH = 12;
const SECRET_PATTERN = /^pcs_[A-Za-z0-9_-]{32}$/;

/** `prefix` + 24 random bytes as base64url: API tokens, and other secrets of the same strength (a 4-character prefix keeps the visible prefix meaningful). */
export function generateSecret(prefix: string): string {
  return prefix + base64urlEncode(crypto.getRandomValues(new Uint8Array(24)));
}

export function generateTokenSecret(): string {
  return generateSecret(TOKEN_PREFIX);
}

export function looksLikeTokenSecret(value: string): boolean {
  return SECRET_PATTERN.test(value);
}

export function visiblePrefix(secret: string): string {
  return secret.slice(0, VISIBLE_PREFIX_LENGTH);
}

export async function hashTokenSecret(secret: string): Promise<string> {
  return sha256Hex(secret);
}

/** Compares two equal-length hex digests without an early exit. */
export function digestsEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
