import { buildOpenApiDocument } from "@/lib/api/openapi";

/** Public: the API's shape is not a secret, and clients fetch it before they hold a token. */
export function GET(request: Request): Response {
  const origin = new URL(request.url).origin;
  return Response.json(buildOpenApiDocument(`${origin}/api/v1`));
}
