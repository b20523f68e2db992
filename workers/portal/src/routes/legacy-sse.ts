/**
 * `/mcp` and `/mcp/{slug}` for clients of the old HTTP+SSE transport (MCP 2024-11-05), beside
 * Streamable HTTP on the same endpoint: a GET without Mcp-Session-Id that accepts an event stream
 * opens a legacy session (a new McpSession Durable Object, its stream the GET's answer); a POST to
 * `?sessionId=<id>` hands that session one message, answered 202, its answer going out on the
 * stream. Reached from routes/mcp.ts `handleMcp` after the same guard, authentication and caller
 * checks as every /mcp request. docs/mcp-endpoint.md, "Legacy HTTP+SSE (2024-11-05)".
 */
import { readBoundedBody } from "@core/http/bounded-body";
import { legacySseRequest, type LegacySseRequest } from "@core/mcp/legacy-sse";
import type { Env } from "../env";
import { toSessionObject, type SessionCaller } from "../session/context";
import { jsonRpcError } from "../session/errors";
import { MCP_MAX_BODY_BYTES } from "./mcp";

/** The caller as handleMcp has checked it: user, credential, scopes, and the endpoint's server (null at /mcp). */
const legacyOf = (request: Request): LegacySseRequest | null =>
  legacySseRequest({ method: request.method, url: new URL(request.url), accept: request.headers.get("accept"), sessionHeader: request.headers.get("mcp-session-id") });

/** Whether the request is the legacy transport's (the rest stays on the Streamable HTTP path). */
export function isLegacySse(request: Request): boolean {
  return legacyOf(request) !== null;
}

export async function handleLegacySse(request: Request, env: Env, caller: SessionCaller): Promise<Response> {
  const legacy = legacyOf(request);
  if (!legacy) return jsonRpcError(400, -32000, "Bad Request: not a legacy HTTP+SSE request");
  // An id the portal could not have made names no session (as a malformed Mcp-Session-Id does).
  if (legacy.kind === "message" && !legacy.sessionId) return jsonRpcError(404, -32001, "Session not found");
  let body: Uint8Array | undefined;
  if (legacy.kind === "message") {
    const type = request.headers.get("content-type")?.split(";")[0]!.trim().toLowerCase();
    if (type !== "application/json") return jsonRpcError(415, -32000, "Unsupported Media Type: POST the JSON-RPC message as application/json");
    const read = await readBoundedBody(request, MCP_MAX_BODY_BYTES);
    if (!read) return jsonRpcError(413, -32600, `Request body too large: the portal accepts MCP messages of at most ${MCP_MAX_BODY_BYTES.toLocaleString("en")} bytes`);
    body = read;
  }
  const sessionId = legacy.kind === "message" ? legacy.sessionId! : crypto.randomUUID();
  return toSessionObject(env.SESSIONS, request, caller, { sessionId, isNew: legacy.kind === "open", legacySse: true }, body);
}
