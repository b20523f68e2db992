/**
 * Portcullis portal Worker. Thin: routes to the config store and (next) the MCP endpoint.
 * Until a valid signed bundle is installed every MCP request is refused.
 */
import type { Env } from "./env";

export { ConfigStore } from "./config-store";

const json = (body: unknown, status = 200) => Response.json(body, { status, headers: { "cache-control": "no-store" } });

function jsonRpcError(status: number, code: number, message: string): Response {
  return json({ jsonrpc: "2.0", id: null, error: { code, message } }, status);
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const store = env.CONFIG.get(env.CONFIG.idFromName("active"));

    if (url.pathname === "/_portcullis/bundle" && request.method === "POST") {
      let body: unknown;
      try {
        body = await request.json();
      } catch {
        return json({ error: { code: "MALFORMED", message: "send a signed bundle as JSON" } }, 400);
      }
      const result = await store.install(body);
      if (!result.ok) return json({ error: { code: result.reason, message: `bundle refused: ${result.reason}` } }, result.reason === "NOT_NEWER" ? 409 : 400);
      return json({ accepted: true, version: result.bundle.version });
    }

    if (url.pathname === "/_portcullis/status" && request.method === "GET") {
      const active = await store.active();
      return json(active ? { version: active.bundle.version, issuedAt: active.bundle.issuedAt, installedAt: active.installedAt } : { version: null });
    }

    if (url.pathname === "/mcp" || url.pathname.startsWith("/mcp/")) {
      const active = await store.active();
      // Fail closed: without a verified configuration nothing is allowed.
      if (!active) return jsonRpcError(503, -32001, "This Portcullis portal has no valid configuration yet; every request is denied");
      return jsonRpcError(501, -32601, "The MCP endpoint is not available yet in this build of the portal");
    }

    return json({ error: { code: "NOT_FOUND", message: "No such endpoint" } }, 404);
  },
} satisfies ExportedHandler<Env>;
