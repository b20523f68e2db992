/**
 * `GET /.well-known/portcullis/jwks.json`: the public keys of the portal's upstream proofs
 * (docs/upstream-proof.md), for any upstream that wants to refuse calls not made through the portal.
 * Public on purpose (no credential): it holds public keys only. Cached for five minutes; verifiers
 * fetch again when a proof names a key they do not have (a rotated edge secret).
 */
import { proofKeySet } from "@core/proof/sign";
import type { Env } from "../env";
import { edgeSecrets } from "../settings";

export async function proofKeys(request: Request, env: Env): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") return Response.json({ error: { code: "METHOD_NOT_ALLOWED", message: "GET the key set" } }, { status: 405, headers: { allow: "GET, HEAD" } });
  let body: string;
  try {
    body = JSON.stringify(await proofKeySet(await edgeSecrets(env.PORTCULLIS_EDGE_SECRET)));
  } catch {
    return Response.json({ error: { code: "PORTAL_MISCONFIGURED", message: "The portal has no valid PORTCULLIS_EDGE_SECRET, so it has no proof keys" } }, { status: 503, headers: { "cache-control": "no-store" } });
  }
  return new Response(request.method === "HEAD" ? null : body, { headers: { "content-type": "application/jwk-set+json", "cache-control": "public, max-age=300", "access-control-allow-origin": "*" } });
}
