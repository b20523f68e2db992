/**
 * The portal's OAuth rules on top of @cloudflare/workers-oauth-provider: which clients may register
 * (redirect URIs: lib/core/edge/redirect-uris.ts) and how long a grant lives (idle expiry and a
 * maximum age: lib/core/edge/grant-lifetime.ts).
 */
import { GrantType, OAuthError, type ClientRegistrationCallbackOptions, type ClientRegistrationCallbackResult, type TokenExchangeCallbackOptions, type TokenExchangeCallbackResult } from "@cloudflare/workers-oauth-provider";
import { grantLifetimes, nextGrantLifetime, OAUTH_MAX_DAYS_SETTING } from "@core/edge/grant-lifetime";
import { redirectAllowlist, redirectUriProblem } from "@core/edge/redirect-uris";
import type { GrantProps } from "./auth";
import type { Env } from "./env";

/**
 * Dynamic client registration (RFC 7591): every redirect URI must be loopback, an app's own scheme,
 * or on the operator's allowlist. Refused with 400 `invalid_redirect_uri` (RFC 7591 §3.2.2) naming
 * the URI and the setting, so whoever set the client up knows what to change.
 */
export function registrationPolicy(env: Env) {
  return ({ clientMetadata }: ClientRegistrationCallbackOptions): ClientRegistrationCallbackResult | void => {
    const uris = clientMetadata.redirect_uris;
    if (!Array.isArray(uris) || uris.length === 0) return; // the provider itself answers "redirect_uris required"
    const allowlist = redirectAllowlist(env.PORTCULLIS_OAUTH_REDIRECT_ALLOWLIST);
    for (const uri of uris) {
      const problem = redirectUriProblem(uri, allowlist);
      if (problem) {
        const shown = typeof uri === "string" ? uri.slice(0, 200) : JSON.stringify(uri)?.slice(0, 200);
        return { code: "invalid_redirect_uri", status: 400, description: `Redirect URI ${shown} ${problem}` };
      }
    }
  };
}

/**
 * Grant lifetimes at the token endpoint: a new grant lives for the idle window; each refresh extends
 * it by the idle window, never past `PORTCULLIS_OAUTH_GRANT_MAX_DAYS` after consent. A grant made
 * before consent times were recorded starts its clock at its next refresh.
 */
export function grantLifetimePolicy(options: TokenExchangeCallbackOptions<Env>): TokenExchangeCallbackResult | void {
  const lifetimes = grantLifetimes(options.env as unknown as Record<string, string | undefined>);
  const props = options.props as GrantProps;
  const now = Math.floor(Date.now() / 1000);
  if (options.grantType === GrantType.AUTHORIZATION_CODE) return { refreshTokenTTL: lifetimes.idleSeconds };
  if (options.grantType !== GrantType.REFRESH_TOKEN) return;
  const lifetime = nextGrantLifetime(props.grantedAt, now, lifetimes);
  if (lifetime === null) {
    throw new OAuthError("invalid_grant", { description: `This sign-in is older than the portal allows (${OAUTH_MAX_DAYS_SETTING}); sign in again` });
  }
  return { refreshTokenIdleTTL: lifetime, ...(typeof props.grantedAt === "number" ? {} : { newProps: { ...props, grantedAt: now } }) };
}
