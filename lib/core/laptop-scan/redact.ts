/**
 * Redaction of what a config file may hold besides names: command-line arguments and URLs.
 * The scan report leaves the machine, so anything that might be a credential is replaced by
 * REDACTED; a false positive costs a little context, a false negative leaks a secret. The rules
 * for URLs and secret-looking values are the console's too (@core/net/redact-url).
 */
import { AUTH_SCHEME, isSecretName, looksSecret, REDACTED, redactUrl, type Redaction } from "@core/net/redact-url";

export { looksSecret, REDACTED, redactUrl, type Redaction };

const EMBEDDED_SECRET = /["']?[\w-]*(api[-_]?key|apikey|token|secret|passw(or)?d|credential)[\w-]*["']?\s*[:=]\s*["']?[^\s"',}]+/i;

/** Flags that take a header value (`--header "Authorization: Bearer …"`). */
const HEADER_FLAGS = new Set(["--header", "-H", "--headers"]);
/** Flags that take an environment assignment (`docker run -e NAME=value`). */
const ENV_FLAGS = new Set(["-e", "--env", "--set-env"]);

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
