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

/** How an entry treats calls: `block` refuses them; `log` lets them through and marks their events `wouldBlock`. */
export type BlockMode = "log" | "block";

/** The rollout fields of an entry (bundle and console alike; absent mode = block). */
export interface BlockRollout {
  mode?: BlockMode | null;
  /** ISO time (or Date) from which a `log` entry blocks by itself; absent/null: it logs until changed. */
  enforceAt?: string | Date | null;
}

/**
 * The mode an entry is in at `at` (ms since the epoch): a `log` entry whose `enforceAt` has come
 * blocks. An `enforceAt` that does not parse blocks (fail closed).
 */
export function blockModeAt(entry: BlockRollout, at: number): BlockMode {
  if (entry.mode !== "log") return "block";
  if (entry.enforceAt === undefined || entry.enforceAt === null) return "log";
  const t = entry.enforceAt instanceof Date ? entry.enforceAt.getTime() : Date.parse(entry.enforceAt);
  return Number.isNaN(t) || t <= at ? "block" : "log";
}
