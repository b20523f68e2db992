import { z } from "zod";

/**
 * `body.name: is required; body.scopes.0: must be one of read, write`: each field's first issue, in
 * words (never the library's JSON dump of the issues). Shared by the console's API errors and forms,
 * and the portal's -32602.
 */
export function describeZodError(error: Pick<z.core.$ZodError, "issues">, where?: string): { message: string; fields: Record<string, string> } {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.map(String).join(".") || "(root)";
    fields[key] ??= issueInWords(issue);
  }
  const message = Object.entries(fields)
    .map(([k, v]) => `${where ? `${where}.` : ""}${k}: ${v}`)
    .join("; ");
  return { message: message || "invalid input", fields };
}

/** zod's own English messages ("Invalid input: expected number, received string"); a schema's own message is kept as written. */
const LIBRARY_MESSAGE = /^(Invalid |Too small: |Too big: |Unrecognized key)/;

const TYPE_WORDS: Record<string, string> = {
  number: "must be a number",
  int: "must be a whole number",
  string: "must be text",
  boolean: "must be true or false",
  array: "must be a list",
  object: "must be an object",
  date: "must be a date",
};

const FORMAT_WORDS: Record<string, string> = {
  url: "must be a full URL, such as https://example.com/mcp",
  email: "must be an e-mail address, such as alice@example.com",
  uuid: "must be a UUID",
  datetime: "must be a date and time such as 2026-12-06T14:00:00Z",
  date: "must be a date such as 2026-12-06",
  time: "must be a time such as 14:00",
  regex: "is not in the expected format",
};

/**
 * One issue as a person would say it: "must be a number" where zod says "Invalid input: expected
 * number, received string", "is required" for a missing or empty value. Messages a schema wrote
 * itself pass through.
 */
export function issueInWords(issue: z.core.$ZodIssue): string {
  if (!LIBRARY_MESSAGE.test(issue.message)) return issue.message;
  switch (issue.code) {
    case "invalid_type":
      if (/received (undefined|null)$/.test(issue.message)) return "is required";
      return TYPE_WORDS[issue.expected] ?? `must be ${issue.expected}`;
    case "too_small": {
      const n = Number(issue.minimum);
      if (issue.origin === "string") return n <= 1 ? "is required" : `must be at least ${n} characters`;
      if (issue.origin === "array" || issue.origin === "set") return n <= 1 ? "needs at least one entry" : `needs at least ${n} entries`;
      return issue.inclusive === false ? `must be more than ${n}` : `must be at least ${n}`;
    }
    case "too_big": {
      const n = Number(issue.maximum);
      if (issue.origin === "string") return `must be at most ${n} characters`;
      if (issue.origin === "array" || issue.origin === "set") return `takes at most ${n} entries`;
      return issue.inclusive === false ? `must be less than ${n}` : `must be at most ${n}`;
    }
    case "invalid_format":
      return FORMAT_WORDS[issue.format] ?? issue.message.replace(/^Invalid string: /, "").replace(/^Invalid /, "must be a valid ");
    case "invalid_value":
      return issue.values.length === 1 ? `must be ${String(issue.values[0])}` : `must be one of ${issue.values.map(String).join(", ")}`;
    case "unrecognized_keys":
      return `${issue.keys.length === 1 ? "is an unknown field" : "has unknown fields"}: ${issue.keys.join(", ")}`;
    case "invalid_union":
      return "does not match any accepted form";
    default:
      return issue.message;
  }
}

/** Timestamps leave the server as ISO-8601 strings. */
export const IsoDateTime = z.iso.datetime({ offset: true });

export function toIso(value: Date): string;
export function toIso(value: Date | null): string | null;
export function toIso(value: Date | null): string | null {
  return value ? value.toISOString() : null;
}

export const Uuid = z.uuid({ message: "must be a UUID" });

/**
 * The URL the text names, or null. For refinements after `.url()`: zod 4 runs them even when the
 * `.url()` check failed, so a refinement that calls `new URL()` itself would throw on bad input.
 */
export function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/**
 * Server and team slugs inside the signed config bundle: the rule of `Slug`, but without `.trim()`,
 * since a transform would make the parsed bundle differ from the signed one. No underscore, so the
 * portal's `{server_slug}_{tool}` names split unambiguously.
 */
export const BundleSlug = z
  .string()
  .min(2)
  .max(40)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "use lowercase letters, digits and single hyphens");

/** Team slugs: lowercase letters, digits and single hyphens (no underscore, like server slugs). */
export const Slug = z
  .string()
  .trim()
  .min(2, "must be at least 2 characters")
  .max(40, "must be at most 40 characters")
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "use lowercase letters, digits and single hyphens");
