import { indexBundle, type BundleIndex } from "@core/bundle/bundle-index";
import { upgradeStoredBundle, type ConfigBundle } from "@core/bundle/schema";
import type { Env } from "./env";
import { msSetting } from "./settings";

/**
 * The active bundle, indexed, cached per isolate by version. Each request asks the config store
 * for its version only (a tiny RPC) and re-reads the whole bundle only when it changed, so a new
 * publish takes effect on the next request everywhere.
 */
let cached: BundleIndex | undefined;

export function configStore(env: Env) {
  return env.CONFIG.get(env.CONFIG.idFromName("active"));
}

export interface ActiveBundle {
  bundle: ConfigBundle;
  installedAt: string;
  expiresAt: string | null;
  expired: boolean;
}

/** The store's active bundle, typed here once: the RPC's inferred type of a whole bundle is too deep for the compiler. */
export async function storedActive(env: Env): Promise<ActiveBundle | null> {
  return (await configStore(env).active()) as ActiveBundle | null;
}

/** How often an isolate asks the config store which version is active: `PORTCULLIS_CONFIG_CHECK_MS`, default 1 s. */
const DEFAULT_CHECK_MS = 1_000;

/** The active version and its expiry as this isolate last read them, and when. */
let head: { version: number; expiresAt: number | null; readAt: number } | { version: null; readAt: number } | undefined;
let expiryLogged = -1;

/** A bundle or lease was installed through this isolate: read the store again at the next request. */
export function forgetConfigHead(): void {
  head = undefined;
}

/**
 * The active version, from this isolate's copy of the store's head, read again once it is older
 * than `PORTCULLIS_CONFIG_CHECK_MS`: the store is one Durable Object and must not be on every
 * request's path. Expiry is checked against the clock on every request (fail closed at once); a
 * publish reaches other isolates within the check interval, the isolate it arrived through at once.
 */
export async function activeVersion(env: Env): Promise<number | null> {
  const now = Date.now();
  if (!head || now - head.readAt >= msSetting(env.PORTCULLIS_CONFIG_CHECK_MS, DEFAULT_CHECK_MS)) {
    const read = await configStore(env).head();
    head = read ? { ...read, readAt: now } : { version: null, readAt: now };
  }
  if (head.version === null) return null;
  if (head.expiresAt !== null && now >= head.expiresAt) {
    if (expiryLogged !== head.version) console.error(`[config] bundle v${head.version} expired at ${new Date(head.expiresAt).toISOString()} without a renewal from the console: denying everything until it publishes or renews`);
    expiryLogged = head.version;
    return null;
  }
  return head.version;
}

export async function activeConfig(env: Env): Promise<BundleIndex | null> {
  const version = await activeVersion(env);
  if (version === null) return null;
  if (cached?.bundle.version !== version) {
    const active = await storedActive(env);
    if (!active) return null;
    try {
      // A bundle stored by an older Worker (schema 1) is read as today's schema: no limits, no LLM
      // providers, users without IdP groups — what it meant when it was verified.
      cached = indexBundle(upgradeStoredBundle(active.bundle));
    } catch (error) {
      console.error(`[config] the stored bundle v${version} cannot be read by this Worker; denying everything until the console publishes again:`, error instanceof Error ? error.message.slice(0, 300) : error);
      return null;
    }
  }
  return cached;
}

/** One lookup per incoming request, however many steps (fail-closed check, token check, routing) ask. */
const perRequest = new WeakMap<Request, Promise<BundleIndex | null>>();

export function configFor(request: Request, env: Env): Promise<BundleIndex | null> {
  let config = perRequest.get(request);
  if (!config) {
    config = activeConfig(env);
    perRequest.set(request, config);
  }
  return config;
}
