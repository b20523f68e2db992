import { readAuthSettings } from "../auth/settings";
import { discoverServer, type DiscoveryResult, type ProofHeaders, type UpstreamAuth } from "./discover";
import { edgeSecrets, portalPublicUrl } from "@/lib/config/edge-keys";
import { upstreamGuardOptionsFromEnv } from "@/lib/net/check-upstream-url";
import { createGuardedFetch } from "@/lib/net/guarded-fetch";
import type { EdgeSecret } from "@core/edge/secret";
import { CONSOLE_SUBJECT, signProof } from "@core/proof/sign";
import { PROOF_HEADER } from "@core/proof/verify";

export type Discover = (options: { url: string; auth: UpstreamAuth }) => Promise<DiscoveryResult>;

/**
 * Discovery through the SSRF guard: loopback, private, link-local and metadata addresses are
 * refused (after DNS resolution and on every redirect) unless PORTCULLIS_ALLOWED_UPSTREAM_CIDRS
 * allows them; local mode allows loopback so the demo works on one machine.
 */
export function guardedFetch(): typeof fetch {
  return createGuardedFetch(upstreamGuardOptionsFromEnv(process.env, readAuthSettings().mode === "local"));
}

/** The edge secrets, read again at most once a minute (a discovery makes many requests; a rotation is picked up soon). */
let secretsMemo: { at: number; secrets: Promise<EdgeSecret[] | null> } | undefined;
function proofSecrets(): Promise<EdgeSecret[] | null> {
  if (!secretsMemo || Date.now() - secretsMemo.at > 60_000) secretsMemo = { at: Date.now(), secrets: edgeSecrets().catch(() => null) };
  return secretsMemo.secrets;
}

/**
 * The console's upstream proof (sub `portcullis-console`, docs/upstream-proof.md), signed with the
 * key the portals derive from the same edge secret and issued as the portal's public URL, so a
 * server that accepts only the portal's calls can still be registered and synced. Without an edge
 * secret there is no proof (and such a server answers 401, which discovery reports).
 */
export const consoleProof: ProofHeaders = async (audience): Promise<Record<string, string>> => {
  const secrets = await proofSecrets();
  if (!secrets) return {};
  return { [PROOF_HEADER]: await signProof({ issuer: portalPublicUrl(), audience, subject: CONSOLE_SUBJECT }, secrets) };
};

export const guardedDiscover: Discover = (options) => discoverServer({ ...options, fetch: guardedFetch(), proof: consoleProof });
