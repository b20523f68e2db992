import { sessionRoute } from "@/lib/auth/session-route";
import { exportDlpProfile } from "@/lib/shadow/export-dlp-profile";

/** Download: a Cloudflare DLP custom profile detecting MCP JSON-RPC in request bodies. */
export const GET = sessionRoute(async (ctx) =>
  Response.json(exportDlpProfile(ctx), {
    headers: { "cache-control": "no-store", "content-disposition": 'attachment; filename="portcullis-mcp-dlp-profile.json"' },
  }),
);
