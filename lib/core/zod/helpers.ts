import { z } from "zod";

/**
 * `body.name: is required; body.scopes.0: invalid option`: each field's first issue, in words (never
 * the library's JSON dump of the issues). Shared by the console's API errors and the portal's -32602.
 */
export function describeZodError(error: Pick<z.core.$ZodError, "issues">, where?: string): { message: string; fields: Record<string, string> } {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.map(String).join(".") || "(root)";
    fields[key] ??= issue.message;
  }
  const message = Object.entries(fields)
    .map(([k, v]) => `${where ? `${where}.` : ""}${k}: ${v}`)
    .join("; ");
  return { message: message || "invalid input", fields };
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
