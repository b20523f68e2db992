import { and, eq } from "drizzle-orm";
import { upstreamOauthFlows, type UpstreamOauthFlow } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { authorize } from "../auth/actor";
import { ForbiddenError, NotFoundError, ValidationError } from "../errors";
import { DiscoveryError } from "./discover";
import { beginUpstreamAuthorization, finishUpstreamAuthorization, StoredOAuthProvider, type UpstreamOAuthState } from "./stored-oauth-provider";
import { open, seal } from "@/lib/secret-box";
import type { Ctx } from "../context";
import { StartUpstreamOAuthInput } from "./schemas";
import { guardedFetch } from "./upstream";

/** An authorization must be finished, and used, within this time. */
const FLOW_TTL_MS = 15 * 60_000;
const aad = (flowId: string) => `oauth-flow:${flowId}`;

export const UPSTREAM_OAUTH_CALLBACK_PATH = "/api/oauth/upstream/callback";

/** Each request of the OAuth dance (metadata, registration, token) gets at most this long. */
const OAUTH_REQUEST_TIMEOUT_MS = 15_000;

function oauthFetch(): typeof fetch {
  const base = guardedFetch();
  return (input, init) => {
    const timeout = AbortSignal.timeout(OAUTH_REQUEST_TIMEOUT_MS);
    return base(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

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
  try {
    authorizationUrl = await beginUpstreamAuthorization(provider, input.url, oauthFetch());
  } catch (error) {
    if ((error as { code?: unknown }).code === "UPSTREAM_ADDRESS_REFUSED") throw new DiscoveryError("UPSTREAM_ADDRESS_REFUSED", describe(error));
    throw new DiscoveryError("UPSTREAM_AUTH_FAILED", `Could not start an OAuth authorization with ${input.url}: ${describe(error)}`);
  }
  await db.insert(upstreamOauthFlows).values({
    id,
    createdBy: actor.userId,
    serverUrl: input.url,
    state,
    sealed: seal(JSON.stringify(provider.data), aad(id)).envelope,
    expiresAt: new Date(Date.now() + FLOW_TTL_MS),
  });
  return { flowId: id, authorizationUrl: authorizationUrl.toString() };
}

function openFlow(flow: UpstreamOauthFlow): StoredOAuthProvider {
  return new StoredOAuthProvider(JSON.parse(open(flow.sealed, aad(flow.id))) as UpstreamOAuthState);
}

/** Step 2, at the console's callback: the same person, the same `state`, in time; exchanges the code. */
export async function completeUpstreamOAuth({ db, actor }: Ctx, params: { state: string; code?: string; error?: string }): Promise<{ flowId: string }> {
  authorize(actor, "servers.request");
  const [flow] = await db.select().from(upstreamOauthFlows).where(and(eq(upstreamOauthFlows.state, params.state), eq(upstreamOauthFlows.status, "pending")));
  if (!flow || flow.expiresAt < new Date()) throw new NotFoundError("This authorization is unknown, already used or expired: start again");
  if (flow.createdBy !== actor.userId) throw new ForbiddenError("This authorization was started by someone else");
  if (params.error || !params.code) throw new DiscoveryError("UPSTREAM_AUTH_FAILED", `The authorization server refused: ${params.error ?? "no code returned"}`);
  const provider = openFlow(flow);
  try {
    await finishUpstreamAuthorization(provider, flow.serverUrl, params.code, oauthFetch());
  } catch (error) {
    throw new DiscoveryError("UPSTREAM_AUTH_FAILED", `The code could not be exchanged for tokens: ${describe(error)}`);
  }
  await db
    .update(upstreamOauthFlows)
    .set({ status: "authorized", sealed: seal(JSON.stringify(provider.data), aad(flow.id)).envelope })
    .where(eq(upstreamOauthFlows.id, flow.id));
  return { flowId: flow.id };
}

/** For registration: the caller's own finished authorization for this URL. */
export async function loadAuthorizedFlow(db: Queryable, flowId: string, userId: string | null, serverUrl: string): Promise<StoredOAuthProvider> {
  const [flow] = await db.select().from(upstreamOauthFlows).where(eq(upstreamOauthFlows.id, flowId));
  if (!flow || flow.createdBy !== userId || flow.status !== "authorized" || flow.expiresAt < new Date()) {
    throw new ValidationError("Authorize with the server's provider first (the authorization is missing, used or expired)", { auth: "authorize again" });
  }
  if (flow.serverUrl !== serverUrl) throw new ValidationError("The authorization was made for another URL", { url: "authorize again for this URL" });
  return openFlow(flow);
}

export async function markFlowUsed(tx: Queryable, flowId: string): Promise<void> {
  await tx.update(upstreamOauthFlows).set({ status: "used", sealed: "" }).where(eq(upstreamOauthFlows.id, flowId));
}
