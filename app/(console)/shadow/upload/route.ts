import { sessionRoute } from "@/lib/auth/session-route";
import { ForbiddenError } from "@/lib/errors";
import { TrafficQuery } from "@/lib/shadow/schemas";
import { ingestTraffic } from "@/lib/shadow/ingest-traffic";

/**
 * The console's file upload (XMLHttpRequest, for its progress events): the same streamed ingest as
 * `POST /api/v1/traffic`, authenticated by the session. A cross-site page cannot send it: the
 * session cookie is SameSite=Lax, and a foreign Origin is refused here as well.
 */
export const POST = sessionRoute(async (ctx, request) => {
  const origin = request.headers.get("origin");
  if (origin && origin !== new URL(request.url).origin && origin !== `${request.headers.get("x-forwarded-proto") ?? "http"}://${request.headers.get("host")}`) {
    throw new ForbiddenError("Uploads are accepted from the console's own pages only");
  }
  const query = TrafficQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
  const result = await ingestTraffic(ctx, { body: request.body, format: query.format, filename: query.filename });
  return Response.json(result, { headers: { "cache-control": "no-store" } });
});
