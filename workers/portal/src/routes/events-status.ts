/**
 * The portal's operator endpoints for the console: `GET /_portcullis/status` (the active bundle
 * version) and `GET /_portcullis/events` (the outgoing event buffer). They answer only requests the
 * console signed with the edge secret (lib/core/edge/secret.ts, signEdgeRequest; any configured
 * secret, for rotation): what a portal runs and how far its delivery lags is nobody else's business.
 */
import { EDGE_SIGNATURE_HEADER, verifyEdgeRequest } from "@core/edge/secret";
import { storedActive } from "../config";
import type { Env } from "../env";
import { eventDeliveryStatus, recentDeadLetters } from "../events/status";
import { edgeSecrets } from "../settings";

const json = (body: unknown, status = 200) => Response.json(body, { status, headers: { "cache-control": "no-store" } });

/** Null when the console signed this request; else the 401 to answer (the same whatever was wrong, so it tells a prober nothing). */
async function unsigned(request: Request, env: Env): Promise<Response | null> {
  const { pathname } = new URL(request.url);
  // A portal whose secret cannot be parsed verifies nothing, and says no more than for a bad signature.
  const secrets = await edgeSecrets(env.PORTCULLIS_EDGE_SECRET).catch(() => []);
  if (secrets.length > 0 && (await verifyEdgeRequest(request.headers.get(EDGE_SIGNATURE_HEADER), request.method, pathname, secrets))) return null;
  return json({ error: { code: "UNAUTHORIZED", message: `This endpoint is for the Portcullis console: sign the request with the edge secret (${EDGE_SIGNATURE_HEADER})` } }, 401);
}

/** `GET /_portcullis/status`: the active bundle's version, when it was issued and installed. */
export async function portalStatus(request: Request, env: Env): Promise<Response> {
  const refused = await unsigned(request, env);
  if (refused) return refused;
  const active = await storedActive(env);
  return json(active ? { version: active.bundle.version, issuedAt: active.bundle.issuedAt, installedAt: active.installedAt, expiresAt: active.expiresAt, expired: active.expired } : { version: null });
}

/**
 * `GET /_portcullis/events`: event delivery's state over whichever path is active (the queue or the
 * sharded buffer): pending (not yet acknowledged by the console), dead letters, last delivery, last
 * error, next retry (src/events/status.ts).
 */
export async function eventsStatus(request: Request, env: Env): Promise<Response> {
  return (await unsigned(request, env)) ?? json(await eventDeliveryStatus(env));
}

/** `GET /_portcullis/events/dead-letters`: the newest events no console would take, each with its reason. */
export async function deadLettersStatus(request: Request, env: Env): Promise<Response> {
  return (await unsigned(request, env)) ?? json({ deadLetters: await recentDeadLetters(env) });
}
