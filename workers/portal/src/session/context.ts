/** What the Worker tells a session about each request, and how a handler reads it back. */
import type { TokenScope } from "@core/auth/roles";
import type { Env } from "../env";
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

/** Who a session object is opened or called for: the route's caller, as both Streamable HTTP and the legacy transport hand it over. */
export interface SessionCaller {
  user: { id: string; email: string };
  props: { tokenId: string | null; authMethod: "oauth" | "token" };
  scopes: TokenScope[];
  scope: string | null;
  bundleVersion: number;
}

/**
 * Hands a request to its session object (named by `sessionId`): the caller's credential stays in
 * the Worker (no session, and so no upstream, ever sees it); what the session needs to know travels
 * in the context header, which only the Worker sets.
 */
export function toSessionObject(
  sessions: Env["SESSIONS"],
  request: Request,
  caller: SessionCaller,
  session: { sessionId: string; isNew: boolean; legacySse?: boolean },
  body?: Uint8Array,
): Promise<Response> {
  const context: SessionContext = {
    sessionId: session.sessionId,
    isNew: session.isNew,
    scope: caller.scope,
    endpoint: caller.scope ? `/mcp/${caller.scope}` : "/mcp",
    userId: caller.user.id,
    email: caller.user.email,
    tokenId: caller.props.tokenId,
    authMethod: caller.props.authMethod,
    scopes: caller.scopes,
    clientIp: request.headers.get("cf-connecting-ip"),
    clientCountry: (request.cf?.country as string | undefined) ?? null,
    bundleVersion: caller.bundleVersion,
    ...(session.legacySse ? { legacySse: true } : {}),
  };
  const headers = new Headers(request.headers);
  headers.delete("authorization");
  headers.delete("cookie");
  headers.set(SESSION_CONTEXT_HEADER, JSON.stringify(context));
  return sessions.get(sessions.idFromName(session.sessionId)).fetch(new Request(request, { headers, ...(body ? { body } : {}) }));
}
