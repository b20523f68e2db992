import { readAuthSettings } from "../auth/settings";
import { discoverServer, type DiscoveryResult, type UpstreamAuth } from "./discover";
import { upstreamGuardOptionsFromEnv } from "@/lib/net/check-upstream-url";
import { createGuardedFetch } from "@/lib/net/guarded-fetch";

export type Discover = (options: { url: string; auth: UpstreamAuth }) => Promise<DiscoveryResult>;

/**
 * Discovery through the SSRF guard: loopback, private, link-local and metadata addresses are
 * refused (after DNS resolution and on every redirect) unless PORTCULLIS_ALLOWED_UPSTREAM_CIDRS
 * allows them; local mode allows loopback so the demo works on one machine.
 */
export function guardedFetch(): typeof fetch {
  return createGuardedFetch(upstreamGuardOptionsFromEnv(process.env, readAuthSettings().mode === "local"));
}

export const guardedDiscover: Discover = (options) => discoverServer({ ...options, fetch: guardedFetch() });
