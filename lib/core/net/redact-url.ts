/**
 * Secrets inside URLs (`https://user:pass@host`, `…/mcp/<key>/sse`, `?api_key=…`), and the one
 * rule for hiding them wherever a URL is shown or leaves the machine: the server registry's API
 * and pages, audit details, the portal's events, error text, config bundles as the console shows
 * them, and the laptop scan's report. The real URL stays in the database and in the signed bundle
 * the edge connects with. Pure, so the console, the portal and the scan CLI redact alike.
 *
 * What is replaced by `[redacted]` (README, "Secrets in server URLs"):
 * - userinfo: `https://user:pass@host` → `https://[redacted]@host`;
 * - the value of a query parameter whose name says credential ({@link isSecretName}) or whose
 *   value looks like a secret ({@link looksSecret});
 * - a path segment that looks like a secret ({@link looksSecret});
 * - the fragment, whole (it never reaches a server; `#access_token=…` is an OAuth implicit grant).
 * A false positive costs a little readability; a false negative shows a secret to every role.
 */

export const REDACTED = "[redacted]";

/** Query parameter names (or parts of them) that always name a credential, whatever the value. */
const SECRET_NAME_PARTS = ["token", "secret", "passw", "apikey", "credential", "signature", "cookie", "bearer", "authorization", "privatekey", "accesskey"];
/** Short names that count only as a whole word of the name (`api_key`, `X-Amz-Sig`, `sessionId`), so `monkey` or `author` stay. */
const SECRET_NAME_WORDS = new Set(["key", "auth", "sig", "pwd", "pass", "pat", "jwt", "otp", "session", "sas"]);
/** Names that are a credential only on their own (`code` is OAuth's authorization code; `country_code` is not). */
const SECRET_NAMES = new Set(["code"]);

/** Well-known credential prefixes: GitHub, OpenAI/Anthropic, Stripe, Slack, AWS, GitLab, Google, npm, Hugging Face, Portcullis, JWTs. */
const TOKEN_PREFIX = /(gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,}|sk-[A-Za-z0-9_-]{16,}|[rs]k_(live|test)_[A-Za-z0-9]{10,}|xox[abposr]-[A-Za-z0-9-]{10,}|A[KS]IA[A-Z0-9]{12,}|glpat-[A-Za-z0-9_-]{16,}|AIza[A-Za-z0-9_-]{20,}|npm_[A-Za-z0-9]{20,}|hf_[A-Za-z0-9]{20,}|pcs_[A-Za-z0-9_-]{10,}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})/;

export const AUTH_SCHEME = /\b(bearer|basic|token)\s+\S+/i;

/** The words of a name: `X-Api-Key` → x, api, key; `sessionId` → session, id. */
function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/**
 * True when a parameter, flag or variable of this name holds a credential (case-insensitive):
 * a name containing token, secret, passw(ord), apikey, credential, signature, cookie, bearer,
 * authorization, privatekey or accesskey (separators ignored: `api_key`, `X-Amz-Security-Token`);
 * a name with the word key, auth, sig, pwd, pass, pat, jwt, otp, session or sas; or `code` alone.
 */
export function isSecretName(name: string): boolean {
  const words = nameWords(name);
  const joined = words.join("");
  return SECRET_NAMES.has(joined) || SECRET_NAME_PARTS.some((part) => joined.includes(part)) || words.some((w) => SECRET_NAME_WORDS.has(w));
}

function shannonEntropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** A long opaque string: random-looking, not a word, path or package name. */
export function looksHighEntropy(s: string): boolean {
  if (s.length < 20 || !/^[A-Za-z0-9_\-+=.~]+$/.test(s)) return false;
  if (/^[0-9a-f]{32,}$/i.test(s)) return true;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((r) => r.test(s)).length;
  return classes >= 3 && shannonEntropy(s) >= 3.5;
}

/**
 * A run of letters and digits (between any other characters) that is a token, not a name: 32 or
 * more hex digits, or 20 or more letters and digits mixed — but not a word followed by a number
 * (`internationalization2024`). UUIDs (runs of at most 12) and slugs (`github-mcp-server-v2`) stay.
 */
function hasOpaqueRun(s: string): boolean {
  return s.split(/[^A-Za-z0-9]+/).some((run) => {
    if (run.length >= 32 && /^[0-9a-f]+$/i.test(run)) return true;
    return run.length >= 20 && /[A-Za-z]/.test(run) && /[0-9]/.test(run) && !/^([A-Za-z]+[0-9]+|[0-9]+[A-Za-z]+)$/.test(run);
  });
}

/** True when a bare value (a path segment, a query value, an argument) should not be shown. */
export function looksSecret(value: string): boolean {
  return TOKEN_PREFIX.test(value) || AUTH_SCHEME.test(value) || looksHighEntropy(value) || hasOpaqueRun(value);
}

export interface Redaction {
  value: string;
  /** What was removed, by name only (`url:userinfo`, `url:path`, `url:query:api_key`, `url:fragment`). */
  removed: string[];
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function redactQueryPair(pair: string, removed: string[]): string {
  const at = pair.indexOf("=");
  const rawName = at < 0 ? pair : pair.slice(0, at);
  const name = safeDecode(rawName.replace(/\+/g, " "));
  if (at < 0) {
    if (!looksSecret(name)) return pair;
    removed.push("url:query");
    return REDACTED;
  }
  const value = safeDecode(pair.slice(at + 1).replace(/\+/g, " "));
  if (!value || !(isSecretName(name) || looksSecret(value))) return pair;
  removed.push(`url:query:${name}`);
  return `${rawName}=${REDACTED}`;
}

/**
 * The URL with its secrets replaced by `[redacted]`, kept readable: built by hand so the marker is
 * not percent-encoded, and the text is returned exactly as given when nothing was removed.
 * Idempotent: a redacted URL comes back unchanged.
 */
export function redactUrl(raw: string): Redaction {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return looksSecret(raw) ? { value: REDACTED, removed: ["url:unparsable"] } : { value: raw, removed: [] };
  }
  const removed: string[] = [];
  let userinfo = "";
  if (url.username || url.password) {
    userinfo = `${REDACTED}@`;
    removed.push("url:userinfo");
  }
  const path = url.pathname
    .split("/")
    .map((segment) => {
      if (!segment || !looksSecret(safeDecode(segment))) return segment;
      removed.push("url:path");
      return REDACTED;
    })
    .join("/");
  const query = url.search ? `?${url.search.slice(1).split("&").map((pair) => redactQueryPair(pair, removed)).join("&")}` : "";
  const fragment = url.hash ? `#${REDACTED}` : "";
  if (url.hash && url.hash !== `#${REDACTED}`) removed.push("url:fragment");
  if (removed.length === 0) return { value: raw, removed };
  return { value: `${url.protocol}//${userinfo}${url.host}${path}${query}${fragment}`, removed };
}

/** `scheme://…` up to white space, a quote, an angle bracket or a backslash. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`\\]+/gi;

/** Sentence punctuation after a URL is not part of it (`… from https://x/sse.`); a closing `]` of the marker is. */
function splitTrailing(match: string): [string, string] {
  let end = match.length;
  while (end > 0) {
    const c = match[end - 1]!;
    if (".,;:!?)}".includes(c) || (c === "]" && !match.slice(0, end).endsWith(REDACTED))) end--;
    else break;
  }
  return [match.slice(0, end), match.slice(end)];
}

/** Free text (an error message, a reason) with every URL in it redacted by {@link redactUrl}. */
export function redactUrlsInText(text: string): string {
  if (!text.includes("://")) return text;
  return text.replace(URL_IN_TEXT, (match) => {
    const [url, trailing] = splitTrailing(match);
    return redactUrl(url).value + trailing;
  });
}

/** A JSON value (audit details, a timeline entry) with the URLs in every string redacted. */
export function redactUrlsIn<T>(value: T): T {
  if (typeof value === "string") return redactUrlsInText(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactUrlsIn(v)) as T;
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactUrlsIn(v)])) as T;
  }
  return value;
}

/** True when the text holds the marker, as typed or percent-encoded: a redacted URL sent back as if it were the real one. */
export function containsRedaction(text: string): boolean {
  return text.includes(REDACTED) || /%5Bredacted%5D/i.test(text);
}
