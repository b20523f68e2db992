/**
 * The shadow-MCP block list: matching a URL against it, and the entry that blocks a finding.
 * Pure; the console (publishing, registration) and the portal Worker (every upstream call) use it.
 */
import { pathHasPrefix } from "./detect";
import { normalizePath } from "./servers";

export interface BlockTarget {
  /** `URL.origin` form: scheme, lower-case host, port only when not the default. */
  origin: string;
  /** "" = the whole origin; else a normalized path prefix ("/mcp"). */
  pathPrefix: string;
}

/** Splits a URL into origin and normalized path; null when it is not an http(s) URL. */
export function blockTargetOf(url: string): BlockTarget | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") return null;
  return { origin: u.origin, pathPrefix: normalizePath(u.pathname) };
}

/**
 * The first entry that covers `url`: same origin (scheme, host and port — a server on another
 * port is another server) and the path on a segment boundary under the entry's prefix.
 * A URL that cannot be parsed is reported as blocked by nothing; callers refuse it on their own.
 */
export function blockedBy<E extends BlockTarget>(url: string, entries: readonly E[]): E | null {
  if (entries.length === 0) return null;
  const t = blockTargetOf(url);
  if (t === null) return null;
  for (const e of entries) if (e.origin === t.origin && pathHasPrefix(t.pathPrefix, e.pathPrefix)) return e;
  return null;
}

/** Whether `pathPrefix` is a valid stored prefix: "" or "/segment…" without a trailing slash. */
export function isValidPathPrefix(pathPrefix: string): boolean {
  return pathPrefix === "" || (pathPrefix.startsWith("/") && !pathPrefix.endsWith("/") && normalizePath(pathPrefix) === pathPrefix && !/[?#\s]/.test(pathPrefix));
}

/** Whether `origin` is exactly what `URL.origin` gives for it (http/https only). */
export function isCanonicalOrigin(origin: string): boolean {
  const t = blockTargetOf(origin);
  return t !== null && t.origin === origin;
}
