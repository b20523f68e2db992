/** What the Worker tells a session about each request, and how a handler reads it back. */
import type { TokenScope } from "@core/auth/roles";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";

/** What the Worker tells the session about the request (header `x-portcullis-ctx`, set by the Worker only). */
export interface SessionContext {
  sessionId: string;
  isNew: boolean;
  /** Server slug for `/mcp/{slug}`, null for `/mcp`. */
  scope: string | null;
  endpoint: string;
  userId: string;
  email: string;
  tokenId: string | null;
  authMethod: "oauth" | "token";
  /** The credential's scopes (a read-only credential calls only read-only tools). */
  scopes: TokenScope[];
  clientIp: string | null;
  clientCountry: string | null;
  bundleVersion: number;
  /** The old HTTP+SSE transport (2024-11-05, routes/legacy-sse.ts) rather than Streamable HTTP. */
  legacySse?: boolean;
}
export const SESSION_CONTEXT_HEADER = "x-portcullis-ctx";

/** What the SDK's server hands a request handler. */
export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** The context of the request a handler is serving, or null outside a request. */
export function requestContext(extra: Extra | null): SessionContext | null {
  const raw = extra?.requestInfo?.headers?.[SESSION_CONTEXT_HEADER];
  const text = Array.isArray(raw) ? raw[0] : raw;
  return text ? (JSON.parse(text) as SessionContext) : null;
}
