// The first sign-in code of local mode: `npm start` prints it in its terminal, and the first person
// to sign in (who becomes admin) types it, so only someone who sees this machine's terminal can
// claim an empty console. 60 random bits, in groups a person can read back.
import { randomBytes, timingSafeEqual } from "node:crypto";

export const SIGN_IN_CODE_SETTING = "PORTCULLIS_FIRST_SIGNIN_CODE";
const ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ0123456789"; // no I, L, O, U: nothing to misread

export function generateSignInCode() {
  const bytes = randomBytes(12);
  const chars = [...bytes].map((b) => ALPHABET[b % 32]);
  return [chars.slice(0, 4), chars.slice(4, 8), chars.slice(8, 12)].map((g) => g.join("")).join("-");
}

/** Upper case without spaces or dashes, so `abcd efgh-jkmn` matches `ABCD-EFGH-JKMN`. */
export function normalizeSignInCode(code) {
  return String(code).toUpperCase().replace(/[\s-]/g, "");
}

/** Whether `given` is the configured code (constant time); false when none is configured. */
export function signInCodeMatches(given, expected) {
  if (typeof given !== "string" || typeof expected !== "string" || !expected) return false;
  const a = Buffer.from(normalizeSignInCode(given));
  const b = Buffer.from(normalizeSignInCode(expected));
  return a.length === b.length && b.length > 0 && timingSafeEqual(a, b);
}
