import { indexBundle, type BundleIndex } from "@core/bundle/bundle-index";
import { upgradeStoredBundle, type ConfigBundle } from "@core/bundle/schema";
import type { Env } from "./env";

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

export async function activeConfig(env: Env): Promise<BundleIndex | null> {
  const store = configStore(env);
  const version = await store.version();
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
