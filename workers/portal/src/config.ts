import { indexBundle, type BundleIndex } from "../../../lib/bundle/bundle-index";
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

export async function activeConfig(env: Env): Promise<BundleIndex | null> {
  const store = configStore(env);
  const version = await store.version();
  if (version === null) return null;
  if (cached?.bundle.version !== version) {
    const active = await store.active();
    if (!active) return null;
    cached = indexBundle(active.bundle);
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
