/**
 * Who is calling. Two ways in, one shape out (`GrantProps`, the OAuth provider's `ctx.props`):
 * - OAuth 2.1 access tokens issued by this portal after the console signed the user in;
 * - console API tokens (`pcs_…`) as bearer tokens, for headless agents, checked against the token
 *   hashes in the active bundle (`resolveExternalToken`).
 * The caller's token never goes upstream: upstream requests carry the server's own credential.
 */
import type { ResolveExternalTokenInput, ResolveExternalTokenResult } from "@cloudflare/workers-oauth-provider";
import type { TokenScope } from "@core/auth/roles";
import { hashTokenSecret, looksLikeTokenSecret } from "@core/tokens/secret";
import type { BundleIndex } from "@core/bundle/bundle-index";
import type { BundleUser } from "@core/bundle/schema";
import { BoundedCache } from "@core/cache/bounded-cache";
import { configFor } from "./config";
import type { Env } from "./env";

export interface GrantProps {
  userId: string;
  email: string;
  /** Teams at the time of consent; enforcement uses the teams of the current bundle. */
  teamIds: string[];
  tokenId: string | null;
  authMethod: "oauth" | "token";
  /**
   * What the credential may do: an API token's scopes; an OAuth grant carries read and write (the
   * person consented to act as themselves; grants made before scopes were recorded read as both).
   */
  scopes?: TokenScope[];
  /** OAuth grants: when the person consented (Unix seconds); the grant's maximum age counts from here. */
  grantedAt?: number;
}

export function resourceFor(origin: string): string {
  return `${origin}/mcp`;
}

/**
 * SHA-256 of the API tokens this isolate has seen, so a token is hashed once per isolate rather
 * than on every request. Only the hash is cached: whether it names a live token of an active user
 * is looked up in the current bundle on every request, so a revoked token is refused at once.
 */
const tokenHashes = new BoundedCache<string, Promise<string>>(10_000);

/** The active user behind a live console API token (`pcs_…`) of the bundle, or null. */
export async function tokenCaller(config: BundleIndex, secret: string): Promise<{ user: BundleUser; tokenId: string; scopes: TokenScope[] } | null> {
  if (!looksLikeTokenSecret(secret)) return null;
  const entry = config.tokensByHash.get(await tokenHashes.getOrMake(secret, () => hashTokenSecret(secret)));
  if (!entry || (entry.expiresAt !== null && Date.parse(entry.expiresAt) <= Date.now())) return null;
  const user = config.usersById.get(entry.userId);
  return user ? { user, tokenId: entry.id, scopes: entry.scopes } : null;
}

export async function resolveApiToken({ token, request, env }: ResolveExternalTokenInput<Env>): Promise<ResolveExternalTokenResult | null> {
  if (!looksLikeTokenSecret(token)) return null;
  const config = await configFor(request, env);
  if (!config) return null;
  const found = await tokenCaller(config, token);
  if (!found) return null;
  const { user } = found;
  const props: GrantProps = { userId: user.id, email: user.email, teamIds: user.teamIds, tokenId: found.tokenId, authMethod: "token", scopes: found.scopes };
  return { props, audience: resourceFor(publicOrigin(request, env)) };
}

/** The portal's public origin: `PORTCULLIS_PUBLIC_URL` when set (production), else the request's. */
export function publicOrigin(request: Request, env: Env): string {
  const configured = env.PORTCULLIS_PUBLIC_URL?.trim();
  return configured ? new URL(configured).origin : new URL(request.url).origin;
}
