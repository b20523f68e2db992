/**
 * Redaction of what a config file may hold besides names: command-line arguments and URLs.
 * The scan report leaves the machine, so anything that might be a credential is replaced by
 * REDACTED; a false positive costs a little context, a false negative leaks a secret.
 */

export const REDACTED = "[redacted]";

/** Names of flags, query parameters and variables whose values are credentials. */
const SECRET_NAME = /(api[-_]?key|apikey|token|secret|passw(or)?d|passwd|\bpwd\b|auth|credential|bearer|session|cookie|private[-_]?key|access[-_]?key|client[-_]?secret|signature|\bsig\b|\bcode\b|\bkey\b|\bpat\b)/i;

/** Well-known credential prefixes: GitHub, OpenAI/Anthropic, Stripe, Slack, AWS, GitLab, Google, npm, Hugging Face, Portcullis, JWTs. */
const TOKEN_PREFIX = /(gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,}|sk-[A-Za-z0-9_-]{16,}|[rs]k_(live|test)_[A-Za-z0-9]{10,}|xox[abposr]-[A-Za-z0-9-]{10,}|A[KS]IA[A-Z0-9]{12,}|glpat-[A-Za-z0-9_-]{16,}|AIza[A-Za-z0-9_-]{20,}|npm_[A-Za-z0-9]{20,}|hf_[A-Za-z0-9]{20,}|pcs_[A-Za-z0-9_-]{10,}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})/;

const EMBEDDED_SECRET = /["']?[\w-]*(api[-_]?key|apikey|token|secret|passw(or)?d|credential)[\w-]*["']?\s*[:=]\s*["']?[^\s"',}]+/i;

const AUTH_SCHEME = /\b(bearer|basic|token)\s+\S+/i;

/** Flags that take a header value (`--header "Authorization: Bearer …"`). */
const HEADER_FLAGS = new Set(["--header", "-H", "--headers"]);
/** Flags that take an environment assignment (`docker run -e NAME=value`). */
const ENV_FLAGS = new Set(["-e", "--env", "--set-env"]);

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

/** True when a bare value (not a flag) should not leave the machine. */
export function looksSecret(value: string): boolean {
  return TOKEN_PREFIX.test(value) || AUTH_SCHEME.test(value) || looksHighEntropy(value);
}

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

export interface Redaction {
  value: string;
  /** What was removed, by name only (`arg:3`, `url:userinfo`, `url:query:api_key`). */
  removed: string[];
}

/**
 * A URL with its userinfo, secret-looking query values, secret-looking path segments and
 * fragment removed. Built by hand so the placeholder is not percent-encoded.
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
      const decoded = safeDecode(segment);
      if (decoded && looksSecret(decoded)) {
        removed.push("url:path");
        return REDACTED;
      }
      return segment;
    })
    .join("/");
  const query = [...url.searchParams.entries()].map(([name, value]) => {
    if (value && (isSecretName(name) || looksSecret(value))) {
      removed.push(`url:query:${name}`);
      return `${encodeURIComponent(name)}=${REDACTED}`;
    }
    return `${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
  });
  if (url.hash) removed.push("url:fragment");
  const value = `${url.protocol}//${userinfo}${url.host}${path}${query.length ? `?${query.join("&")}` : ""}${url.hash ? `#${REDACTED}` : ""}`;
  return { value, removed };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Redacts a `Name: value` header or `NAME=value` assignment, keeping the name. */
function keepName(arg: string, separator: ":" | "="): string | null {
  const at = arg.indexOf(separator);
  if (at < 1) return null;
  return `${arg.slice(0, at)}${separator}${separator === ":" ? " " : ""}${REDACTED}`;
}

/** Redacts secret-looking command-line arguments; flags and ordinary values are kept. */
export function redactArgs(args: readonly string[]): Redaction & { args: string[] } {
  const removed: string[] = [];
  const out = args.map((arg, i) => {
    const previous = i > 0 ? args[i - 1] : undefined;
    const mark = (value: string) => {
      removed.push(`arg:${i}`);
      return value;
    };
    if (previous !== undefined && HEADER_FLAGS.has(previous)) return mark(keepName(arg, ":") ?? REDACTED);
    if (previous !== undefined && ENV_FLAGS.has(previous) && arg.includes("=")) return mark(keepName(arg, "=") ?? REDACTED);
    if (previous !== undefined && /^--?[A-Za-z]/.test(previous) && !previous.includes("=") && isSecretName(previous) && !arg.startsWith("-")) {
      return mark(REDACTED);
    }
    const flag = /^(--?[A-Za-z][\w.-]*)=(.*)$/s.exec(arg);
    if (flag?.[1] && flag[2] !== undefined && flag[2] !== "") {
      if (isSecretName(flag[1]) || looksSecret(flag[2])) return mark(`${flag[1]}=${REDACTED}`);
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(flag[2])) {
        const url = redactUrl(flag[2]);
        if (url.removed.length) return mark(`${flag[1]}=${url.value}`);
      }
      return arg;
    }
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/s.exec(arg);
    if (assignment?.[1] && assignment[2] !== undefined) {
      if (isSecretName(assignment[1]) || looksSecret(assignment[2])) return mark(`${assignment[1]}=${REDACTED}`);
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(assignment[2])) {
        const url = redactUrl(assignment[2]);
        if (url.removed.length) return mark(`${assignment[1]}=${url.value}`);
      }
      return arg;
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg)) {
      const url = redactUrl(arg);
      if (url.removed.length) return mark(url.value);
      return arg;
    }
    if (AUTH_SCHEME.test(arg)) return mark(keepName(arg, ":") ?? REDACTED);
    // Inline JSON or key=value lists (`{"apiKey":"…"}`, `token:abc,region:eu`): drop the whole argument.
    if (EMBEDDED_SECRET.test(arg)) return mark(REDACTED);
    if (looksSecret(arg)) return mark(REDACTED);
    return arg;
  });
  return { value: out.join(" "), args: out, removed };
}
