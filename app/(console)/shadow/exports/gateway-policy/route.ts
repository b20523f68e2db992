import { sessionRoute } from "@/lib/auth/session-route";
import { exportGatewayPolicy } from "@/lib/shadow/export-gateway-policy";

/** Download: the block list as Cloudflare Gateway HTTP rules (block, and log for entries in their rollout; each a body for the Gateway rules API). */
export const GET = sessionRoute(async (ctx) =>
  Response.json(await exportGatewayPolicy(ctx), {
    headers: { "cache-control": "no-store", "content-disposition": 'attachment; filename="portcullis-gateway-http-policy.json"' },
  }),
);
