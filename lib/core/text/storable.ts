/**
 * What PostgreSQL cannot store, found before it gets there: `text` refuses NUL (U+0000), and
 * `jsonb` refuses unpaired UTF-16 surrogates (invalid Unicode JSON may still carry as escapes).
 * Checked once at each boundary (API bodies, query strings, path ids, form fields), so no verb
 * half-writes and fails with a database error.
 */
export interface TextProblem {
  /** Where: `name`, `servers.0.url`, or "" for the value itself. */
  path: string;
  reason: string;
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const NUL_REASON = "contains a NUL character (U+0000), which cannot be stored";
const SURROGATE_REASON = "contains invalid Unicode (an unpaired surrogate), which cannot be stored";

export function textProblem(text: string): string | null {
  if (text.includes("\u0000")) return NUL_REASON;
  if (LONE_SURROGATE.test(text)) return SURROGATE_REASON;
  return null;
}

/** Only the unpaired surrogates of {@link textProblem}: for JSON a peer can read but some code (canonical JSON, jsonb) cannot. */
export function surrogateProblem(text: string): string | null {
  return LONE_SURROGATE.test(text) ? "contains invalid Unicode (an unpaired surrogate)" : null;
}

const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, "g");

/**
 * `text` with every NUL and unpaired surrogate replaced by U+FFFD: for text that must reach the
 * database whatever it holds (audit events of hostile requests), where refusing it would lose it.
 */
export function storableText(text: string): string {
  return textProblem(text) === null ? text : text.replaceAll("\u0000", "\ufffd").replace(LONE_SURROGATES, "\ufffd");
}

/**
 * The first string or key of a JSON value that cannot be stored (or that `problemOf` refuses),
 * or nesting deeper than `maxDepth`; null when every part can be. Iterative, so hostile nesting
 * cannot exhaust the stack.
 */
export function unstorableText(value: unknown, maxDepth = 64, problemOf: (text: string) => string | null = textProblem): TextProblem | null {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: "", depth: 0 }];
  while (stack.length > 0) {
    const { value: v, path, depth } = stack.pop()!;
    if (typeof v === "string") {
      const reason = problemOf(v);
      if (reason) return { path, reason };
      continue;
    }
    if (v === null || typeof v !== "object") continue;
    if (depth >= maxDepth) return { path, reason: `is nested more than ${maxDepth} levels deep` };
    const at = (key: string | number) => (path ? `${path}.${key}` : String(key));
    if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push({ value: item, path: at(i), depth: depth + 1 }));
      continue;
    }
    for (const [key, item] of Object.entries(v)) {
      const reason = problemOf(key);
      if (reason) return { path: at(key), reason: `has a key that ${reason}` };
      stack.push({ value: item, path: at(key), depth: depth + 1 });
    }
  }
  return null;
}
