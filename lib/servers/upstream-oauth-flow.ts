import { eq } from "drizzle-orm";
import { upstreamOauthFlows, type UpstreamOauthFlow } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { ValidationError } from "../errors";
import { StoredOAuthProvider, type UpstreamOAuthState } from "./stored-oauth-provider";
import { open } from "@/lib/secret-box";
import { guardedFetch } from "./upstream";

/** An authorization must be finished, and used, within this time. */
export const FLOW_TTL_MS = 15 * 60_000;
/** The sealed provider state is bound to its flow. */
export const flowAad = (flowId: string) => `oauth-flow:${flowId}`;

export const UPSTREAM_OAUTH_CALLBACK_PATH = "/api/oauth/upstream/callback";

/** Each request of the OAuth dance (metadata, registration, token) gets at most this long. */
const OAUTH_REQUEST_TIMEOUT_MS = 15_000;

export function oauthFetch(): typeof fetch {
  const base = guardedFetch();
  return (input, init) => {
    const timeout = AbortSignal.timeout(OAUTH_REQUEST_TIMEOUT_MS);
    return base(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
  };
}

export function describeOAuthError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function openFlow(flow: UpstreamOauthFlow): StoredOAuthProvider {
  return new StoredOAuthProvider(JSON.parse(open(flow.sealed, flowAad(flow.id))) as UpstreamOAuthState);
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
