import { and, eq } from "drizzle-orm";
import { upstreamOauthFlows } from "@/db/schema";
import { authorize } from "../auth/actor";
import { ForbiddenError, NotFoundError } from "../errors";
import { DiscoveryError } from "./discover";
import { finishUpstreamAuthorization } from "./stored-oauth-provider";
import { seal } from "@/lib/secret-box";
import type { Ctx } from "../context";
import { describeOAuthError, flowAad, oauthFetch, openFlow } from "./upstream-oauth-flow";

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
    throw new DiscoveryError("UPSTREAM_AUTH_FAILED", `The code could not be exchanged for tokens: ${describeOAuthError(error)}`);
  }
  await db
    .update(upstreamOauthFlows)
    .set({ status: "authorized", sealed: seal(JSON.stringify(provider.data), flowAad(flow.id)).envelope })
    .where(eq(upstreamOauthFlows.id, flow.id));
  return { flowId: flow.id };
}
