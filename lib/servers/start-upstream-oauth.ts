import { upstreamOauthFlows } from "@/db/schema";
import { authorize } from "../auth/actor";
import { ValidationError } from "../errors";
import { describeConnectionFailure, networkCode } from "./connection-failure";
import { DiscoveryError } from "./discover";
import { beginUpstreamAuthorization, StoredOAuthProvider } from "./stored-oauth-provider";
import { seal } from "@/lib/secret-box";
import type { Ctx } from "../context";
import { StartUpstreamOAuthInput } from "./schemas";
import { describeOAuthError, FLOW_TTL_MS, flowAad, oauthFetch, UPSTREAM_OAUTH_CALLBACK_PATH } from "./upstream-oauth-flow";

/**
 * Step 1 of "OAuth (authorization code)": discover the server's authorization server (RFC 9728 →
 * RFC 8414), register the console as a client there (RFC 7591) and return the URL to send the
 * person's browser to (PKCE S256, RFC 8707 resource). Network traffic goes through the SSRF guard.
 */
export async function startUpstreamOAuth({ db, actor }: Ctx, rawInput: unknown, consoleOrigin: string): Promise<{ flowId: string; authorizationUrl: string }> {
  authorize(actor, "servers.request");
  if (!actor.userId) throw new ValidationError("An interactive authorization needs a signed-in person");
  const input = StartUpstreamOAuthInput.parse(rawInput);
  const id = crypto.randomUUID();
  const state = crypto.randomUUID().replace(/-/g, "") + crypto.randomUUID().replace(/-/g, "");
  const provider = new StoredOAuthProvider({ redirectUrl: new URL(UPSTREAM_OAUTH_CALLBACK_PATH, consoleOrigin).toString(), scope: input.scope, state });
  let authorizationUrl: URL;
  let metadataFound = false;
  const base = oauthFetch();
  const fetchFn: typeof fetch = async (request, init) => {
    const res = await base(request, init);
    if (res.ok && new URL(request instanceof Request ? request.url : String(request)).pathname.includes("/.well-known/")) metadataFound = true;
    return res;
  };
  try {
    authorizationUrl = await beginUpstreamAuthorization(provider, input.url, fetchFn);
  } catch (error) {
    if ((error as { code?: unknown }).code === "UPSTREAM_ADDRESS_REFUSED" || networkCode(error)) {
      const failure = describeConnectionFailure(input.url, { error, credentialsSent: false });
      throw new DiscoveryError(failure.code, failure.message);
    }
    if (!metadataFound) {
      // The SDK then tries to register at {origin}/register and reports that 404's body, which says nothing useful.
      throw new DiscoveryError(
        "UPSTREAM_AUTH_FAILED",
        `${input.url} does not offer OAuth sign-in: it publishes no OAuth metadata (no /.well-known/oauth-protected-resource or /.well-known/oauth-authorization-server). Choose no authentication, a bearer token or custom headers instead.`,
      );
    }
    throw new DiscoveryError("UPSTREAM_AUTH_FAILED", `Could not start an OAuth authorization with ${input.url}: ${describeOAuthError(error)}`);
  }
  await db.insert(upstreamOauthFlows).values({
    id,
    createdBy: actor.userId,
    serverUrl: input.url,
    state,
    sealed: seal(JSON.stringify(provider.data), flowAad(id)).envelope,
    expiresAt: new Date(Date.now() + FLOW_TTL_MS),
  });
  return { flowId: id, authorizationUrl: authorizationUrl.toString() };
}
