/**
 * The interactive half of OAuth: the portal has no login of its own — the console is the sign-in
 * and consent page. `/authorize` validates the client's request, remembers it (bound to this
 * browser by a cookie), and sends the browser to the console; the console signs the user in, asks
 * for consent, and returns a short-lived statement signed with its bundle key; `/oauth/callback`
 * verifies it and issues the grant with user id, email and teams.
 */
import { AuthorizationError, authorizationErrorRedirect, type AuthRequest } from "@cloudflare/workers-oauth-provider";
import { verifyStatement } from "@core/bundle/sign";
import { CONSENT_STATEMENT } from "@core/edge/consent";
import { publicOrigin, type GrantProps } from "../auth";
import type { Env } from "../env";
import { trustedBundleKeys } from "../config-store";


function page(status: number, title: string, message: string): Response {
  const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return new Response(`<!doctype html><meta charset="utf-8"><title>${escape(title)}</title><body style="font-family:system-ui;max-width:40rem;margin:4rem auto"><h1>${escape(title)}</h1><p>${escape(message)}</p>`, {
    status,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
  });
}

export async function authorize(request: Request, env: Env): Promise<Response> {
  let authRequest;
  try {
    authRequest = await env.OAUTH_PROVIDER.parseAuthRequest(request);
  } catch (error) {
    // RFC 6749 §4.1.2.1: once the client and its redirect URI are known good, the error goes back
    // to the client (which is waiting for it); otherwise it is shown here and nowhere else.
    if (error instanceof AuthorizationError && error.redirectTo) {
      return new Response(null, { status: 302, headers: { location: error.redirectTo, "cache-control": "no-store" } });
    }
    return page(400, "Invalid authorization request", error instanceof Error ? error.message : "The client sent an invalid request.");
  }
  const { state, headers } = await env.OAUTH_PROVIDER.beginUpstream(authRequest);
  const consent = new URL("/oauth/consent", env.PORTCULLIS_CONSOLE_URL);
  const shown = await shownOnConsent(env, authRequest);
  consent.searchParams.set("state", state);
  consent.searchParams.set("client", shown.client);
  consent.searchParams.set("redirect", shown.redirectHost);
  consent.searchParams.set("return", `${publicOrigin(request, env)}/oauth/callback`);
  headers.set("location", consent.toString());
  headers.set("cache-control", "no-store");
  return new Response(null, { status: 302, headers });
}

/**
 * What the consent page shows about the client: its self-chosen name and where the grant goes (the
 * redirect URI's host, or an app's scheme). The console signs what it showed; the callback compares
 * it with the pending request, so a consent link edited to show another name or host is refused.
 */
async function shownOnConsent(env: Env, authRequest: Pick<AuthRequest, "clientId" | "redirectUri">): Promise<{ client: string; redirectHost: string }> {
  const client = await env.OAUTH_PROVIDER.lookupClient(authRequest.clientId);
  const redirect = new URL(authRequest.redirectUri);
  return { client: (client?.clientName || authRequest.clientId).slice(0, 200), redirectHost: (redirect.host || `${redirect.protocol}//`).slice(0, 200) };
}

export async function oauthCallback(request: Request, env: Env): Promise<Response> {
  const url = new URL(request.url);
  const state = url.searchParams.get("state");
  const denied = url.searchParams.get("error") !== null;
  // The console's statement is checked before the pending request is touched, so a forged or
  // stale one cannot use up the person's real sign-in. It is bound to this pending request (state,
  // itself bound to this browser by the provider's cookie) and to this portal (aud).
  let props: GrantProps | null = null;
  let consentedTo: { client: unknown; redirectHost: unknown } = { client: null, redirectHost: null };
  if (!denied) {
    const statement = await verifyStatement(url.searchParams.get("assertion") ?? "", CONSENT_STATEMENT, trustedBundleKeys(env));
    if (!statement || !state || statement.state !== state || statement.aud !== publicOrigin(request, env) || typeof statement.userId !== "string" || typeof statement.email !== "string" || !Array.isArray(statement.teamIds)) {
      return page(400, "Sign-in could not be verified", "The console's answer was not signed by a key this portal trusts, was meant for another request, or has expired.");
    }
    props = { userId: statement.userId, email: statement.email, teamIds: statement.teamIds.map(String), tokenId: null, authMethod: "oauth", scopes: ["read", "write"], grantedAt: Math.floor(Date.now() / 1000) };
    consentedTo = { client: statement.client, redirectHost: statement.redirectHost };
  }

  let resumed;
  try {
    resumed = await env.OAUTH_PROVIDER.finishUpstream(request);
  } catch {
    return page(400, "Sign-in expired", "This sign-in link is not valid any more (expired, used, or opened in another browser). Start again from your MCP client.");
  }
  const headers = new Headers(resumed.headers);
  headers.set("cache-control", "no-store");
  if (!props) {
    headers.set("location", authorizationErrorRedirect(resumed.request, "access_denied", "The user declined at the console"));
    return new Response(null, { status: 302, headers });
  }
  const shown = await shownOnConsent(env, resumed.request);
  if (consentedTo.client !== shown.client || consentedTo.redirectHost !== shown.redirectHost) {
    return page(400, "Sign-in refused", `The consent page showed a different client or destination than the one asking (${shown.client}, sending you back to ${shown.redirectHost}). Nothing was granted; start again from your MCP client.`);
  }
  const { redirectTo } = await env.OAUTH_PROVIDER.completeAuthorization({
    request: resumed.request,
    userId: props.userId,
    metadata: { email: props.email, label: props.email },
    scope: resumed.request.scope,
    props,
  });
  headers.set("location", redirectTo);
  return new Response(null, { status: 302, headers });
}
