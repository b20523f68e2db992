/**
 * Makes gateway traffic safe to log: credentials out of headers and text, e-mail addresses out of
 * text, and a byte limit that never cuts a UTF-8 character. A safety net, not a guarantee. Pure.
 * The rules: docs/llm-gateway.md, "Redaction".
 */
import { TOKEN_PREFIX } from "@core/tokens/secret";

export const REDACTED = "[redacted]";

const SENSITIVE_HEADERS = new Set(["authorization", "proxy-authorization", "x-api-key", "cookie", "set-cookie"]);
const SENSITIVE_NAME_PARTS = ["token", "secret", "key", "auth", "password", "credential", "cookie", "session"];

export function isSensitiveHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return SENSITIVE_HEADERS.has(lower) || SENSITIVE_NAME_PARTS.some((part) => lower.includes(part));
}

export type HeadersLike = Headers | Iterable<readonly [string, string]> | Record<string, string | readonly string[] | undefined>;

function entriesOf(headers: HeadersLike): [string, string][] {
  if (typeof Headers !== "undefined" && headers instanceof Headers) return [...headers.entries()];
  if (Symbol.iterator in headers) return [...(headers as Iterable<readonly [string, string]>)].map(([k, v]) => [k, v]);
  const out: [string, string][] = [];
  for (const [name, value] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    if (value === undefined) continue;
    out.push([name, typeof value === "string" ? value : value.join(", ")]);
  }
  return out;
}

/** A plain, lower-cased copy of the headers with credentials replaced by `[redacted]`. */
export function redactHeaders(headers: HeadersLike): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rawName, value] of entriesOf(headers)) {
    const name = rawName.toLowerCase();
    const clean = isSensitiveHeader(name) ? REDACTED : redactText(value);
    out[name] = name in out ? `${out[name]}, ${clean}` : clean;
  }
  return out;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Secret formats, most specific first (`sk-ant-` before `sk-`). */
const SECRET_PATTERNS: RegExp[] = [
  /\bsk-ant-[A-Za-z0-9_-]{8,}/g,
  /\bsk-[A-Za-z0-9_-]{16,}/g,
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g,
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  new RegExp(`\\b${escapeRegExp(TOKEN_PREFIX)}[A-Za-z0-9_-]{8,}`, "g"),
  // JSON Web Tokens (OAuth access tokens, ID tokens): header.payload.signature, base64url.
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
];
const BEARER = /\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/gi;
const EMAIL_LOCAL_CHAR = /[A-Za-z0-9._%+-]/;
const EMAIL_DOMAIN = /[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}\b/y;

/**
 * E-mail addresses → `[email]`, found from each `@` outwards (local part ≤ 64 characters, RFC 5321)
 * rather than by a regex scan from every position, which costs 64 steps per character of text.
 */
export function redactEmails(text: string): string {
  let out = "";
  let copied = 0;
  for (let at = text.indexOf("@"); at >= 0; at = text.indexOf("@", at + 1)) {
    let start = at;
    while (start > copied && at - start < 64 && EMAIL_LOCAL_CHAR.test(text[start - 1] ?? "")) start--;
    if (start === at) continue;
    EMAIL_DOMAIN.lastIndex = at + 1;
    if (!EMAIL_DOMAIN.exec(text)) continue;
    out += `${text.slice(copied, start)}[email]`;
    copied = EMAIL_DOMAIN.lastIndex;
    at = copied - 1;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** The text with secret-looking substrings masked. */
export function redactSecrets(text: string): string {
  let out = text.replace(BEARER, `$1 ${REDACTED}`);
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, REDACTED);
  return out;
}

/** The text with secret-looking substrings and e-mail addresses masked. */
export function redactText(text: string): string {
  return redactEmails(redactSecrets(text));
}

/** True when the text contains something {@link redactText} would mask as a credential (e-mail aside). */
export function containsCredential(text: string): boolean {
  BEARER.lastIndex = 0;
  if (BEARER.test(text)) return true;
  return SECRET_PATTERNS.some((pattern) => {
    pattern.lastIndex = 0;
    return pattern.test(text);
  });
}

/** UTF-8 length of a string without encoding it (a lone surrogate counts as U+FFFD, 3 bytes). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * The text cut to at most `maxBytes` UTF-8 bytes, on a character boundary. When it is cut, it ends
 * with `…[+N bytes]` (N = bytes left out), included in the limit when the limit has room for it.
 */
export function clipForLog(text: string, maxBytes: number): string {
  const limit = Math.max(0, Math.floor(maxBytes));
  const total = utf8Length(text);
  if (total <= limit) return text;
  const fit = (budget: number) => {
    const { read } = new TextEncoder().encodeInto(text, new Uint8Array(budget));
    return text.slice(0, read);
  };
  // The marker's length depends on N, which depends on the cut: size it for the worst case.
  const marker = (omitted: number) => `…[+${omitted} bytes]`;
  const reserve = utf8Length(marker(total));
  if (reserve >= limit) return fit(limit);
  const kept = fit(limit - reserve);
  return kept + marker(total - utf8Length(kept));
}
