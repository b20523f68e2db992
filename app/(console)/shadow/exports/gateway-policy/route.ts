import { sessionRoute } from "@/lib/auth/session-route";
import { exportGatewayPolicy } from "@/lib/shadow/export-gateway-policy";

/** Download: the block list as a Cloudflare Gateway HTTP policy (the body for the Gateway rules API). */
export const GET = sessionRoute(async (ctx) =>
  Response.json(await exportGatewayPolicy(ctx), {
    headers: { "cache-control": "no-store", "content-disposition": 'attachment; filename="portcullis-gateway-http-policy.json"' },
  }),
);
