/**
 * `/mcp` and `/mcp/{slug}`: the DNS-rebinding guard (run by src/index.ts before authentication),
 * then, after authentication, fail closed without a bundle, refuse callers who are no longer active, then hand the request to
 * the session's Durable Object (a new one for an initialize without Mcp-Session-Id).
 */
import { blockedDecision, blockingEntry, portalRefusal, visibleServers } from "@core/bundle/bundle-index";
import { readBoundedBody } from "@core/http/bounded-body";
import type { GrantProps } from "../auth";
import { configFor } from "../config";
import type { Env } from "../env";
import { toSessionObject } from "../session/context";
import { jsonRpcError, PortalErrorCode } from "../session/errors";
import { handleStateless, type StatelessContext } from "../stateless/handle";
import { handleSealed, isSealedSessionId, sealedInitialize } from "../stateless/sealed";
import { isStatelessVersion } from "@core/mcp/stateless";
import { CODEMODE_PARAM, codemodeShape } from "@core/codemode/shape";
import { handleLegacySse, isLegacySse } from "./legacy-sse";
import { audited } from "./refusals";
import type { BundleServer } from "@core/bundle/schema";

const SLUG_PATH = /^\/mcp\/([a-z0-9]+(?:-[a-z0-9]+)*)\/?$/;
/** MCP protocol revisions are dates (2025-06-18). */
const PROTOCOL_VERSION = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The largest MCP request body the portal reads (JSON-RPC messages are small; tool arguments of a
 * megabyte are already unusual). A larger one is refused before it is read, or, without a
 * Content-Length, as soon as it passes the limit: nothing buffers an attacker's 20 MB.
 */
export const MCP_MAX_BODY_BYTES = 1_048_576;

const tooLarge = () => jsonRpcError(413, -32600, `Request body too large: the portal accepts MCP messages of at most ${MCP_MAX_BODY_BYTES.toLocaleString("en")} bytes`);

/** Before authentication: a declared length over the limit is refused without reading anything. */
export function declaredTooLarge(request: Request): Response | null {
  const declared = Number(request.headers.get("content-length") ?? "0");
  return declared > MCP_MAX_BODY_BYTES ? tooLarge() : null;
}

/** Names a local client uses for the machine it runs on. */
const LOOPBACK_HOSTNAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * DNS-rebinding guard (MCP transports, "Security Warning": servers MUST validate Origin): a rebound
 * page arrives with its own Host and Origin, so both must name the portal (or loopback). What is
 * accepted, and why: docs/mcp-endpoint.md, "DNS-rebinding guard".
 */
export function rebindingRefusal(request: Request, env: Pick<Env, "PORTCULLIS_PUBLIC_URL">): Response | null {
  const url = new URL(request.url);
  const configured = env.PORTCULLIS_PUBLIC_URL?.trim() ? new URL(env.PORTCULLIS_PUBLIC_URL.trim()) : null;
  const hostOk = LOOPBACK_HOSTNAMES.has(url.hostname) || (configured ? url.host === configured.host : url.protocol === "https:");
  if (!hostOk) return jsonRpcError(403, -32000, `Forbidden: "${url.host}" is not this portal's host`);
  const origin = request.headers.get("origin");
  if (origin === null) return null;
  let parsed: URL | null = null;
  try {
    parsed = new URL(origin);
  } catch {
    // `null` and other opaque or malformed origins: refused below.
  }
  const originOk = parsed !== null && (parsed.protocol === "http:" || parsed.protocol === "https:") && (parsed.origin === url.origin || parsed.origin === configured?.origin || LOOPBACK_HOSTNAMES.has(parsed.hostname));
  return originOk ? null : jsonRpcError(403, -32000, "Forbidden: requests from this Origin are not accepted");
}

/** After `rebindingRefusal` and authentication (src/index.ts runs both first). */
export async function handleMcp(request: Request, env: Env, props: GrantProps, ctx: ExecutionContext): Promise<Response> {
  const config = await configFor(request, env);
  // Fail closed: without a verified configuration nothing is allowed.
  if (!config) return jsonRpcError(503, -32001, "This Portcullis portal has no valid configuration (none published yet, or it expired without a renewal from the console); every request is denied");
  // Every refusal from here on is audited (routes/refusals.ts).
  const refuse = (status: number, code: number, message: string, reason: string, server: BundleServer | null = null) =>
    audited(request, env, ctx, config, props, { reason, error: `${code}: ${message}`, server }, jsonRpcError(status, code, message));
  const user = config.usersById.get(props.userId);
  if (!user) return refuse(403, PortalErrorCode.AccountInactive, "Your account is not active at this portal", "ACCOUNT_INACTIVE: not an active user in the published configuration");
  if (props.tokenId && !config.tokenIds.has(props.tokenId)) return refuse(401, -32001, "This API token is no longer valid", "TOKEN_REVOKED: the API token is not in the published configuration");
  // An API token's scopes are the bundle's; an OAuth grant's were fixed at consent.
  const scopes = props.tokenId ? (config.tokensById.get(props.tokenId)?.scopes ?? []) : (props.scopes ?? ["read", "write"]);
  const refusal = portalRefusal({ user, scopes });
  if (refusal) {
    const message = refusal.code === "ROLE_NOT_ALLOWED" ? `Your role (${user.role}) may not use the portal: members and above may; ask an administrator` : "This credential does not carry the read scope the portal needs";
    return refuse(403, PortalErrorCode.NotAllowed, message, refusal.reason);
  }

  const url = new URL(request.url);
  let scope: string | null = null;
  const caller = { user, tokenId: props.tokenId, scopes, clientIp: request.headers.get("cf-connecting-ip"), at: new Date() };
  if (url.pathname !== "/mcp" && url.pathname !== "/mcp/") {
    const slug = SLUG_PATH.exec(url.pathname)?.[1];
    // Unknown and not-allowed servers look the same: a caller learns nothing about servers it may not use.
    const server = slug ? config.serversBySlug.get(slug) : undefined;
    const blocked = slug && server ? blockingEntry(config, slug, caller.at.getTime()) : null;
    if (blocked) return refuse(403, -32001, `Server "${slug}" is blocked by your security team (its URL is on the shadow-MCP block list)`, blockedDecision(blocked).reason, server ?? null);
    if (!slug || !visibleServers(config, caller).some((s) => s.slug === slug)) return refuse(404, -32001, "No such MCP server at this portal", server ? "SERVER_NOT_ALLOWED: no rule lets this caller use the server" : "UNKNOWN_SERVER: no approved server has this slug", server ?? null);
    scope = slug;
  }

  // Code Mode (src/codemode/): the portal's setting and the client's ?codemode= choose the shape.
  const choice = codemodeShape(config.bundle.codemode, url.searchParams.get(CODEMODE_PARAM));
  if (!choice.ok) return jsonRpcError(400, -32602, `Bad Request: ${choice.message}`);
  const codemode = choice.shape;

  /** The per-call path's view of the caller (2026-07-28 and sealed sessions). */
  const who = (): StatelessContext => ({
    config,
    caller,
    codemode,
    authMethod: props.authMethod,
    get clientCountry() {
      return (request.cf?.country as string | undefined) ?? null;
    },
    scope,
  });

  // The SDK names an unsupported version in its answer: one that is not even date-shaped is refused
  // here, so a caller's kilobytes never come back in an error.
  const version = request.headers.get("mcp-protocol-version");
  if (version !== null && !PROTOCOL_VERSION.test(version)) return jsonRpcError(400, -32000, "Bad Request: MCP-Protocol-Version must be a protocol revision such as 2025-06-18");

  // 2026-07-28 and later: stateless, decided and answered here (src/stateless/), no session object.
  if (isStatelessVersion(version)) {
    if (request.method !== "POST") return jsonRpcError(405, -32000, "Method Not Allowed: protocol revision 2026-07-28 has no GET stream and no sessions to DELETE; send each request as a POST", { allow: "POST" });
    const read = await readBoundedBody(request, MCP_MAX_BODY_BYTES);
    if (!read) return tooLarge();
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(read));
    } catch {
      return jsonRpcError(400, -32700, "Parse error: the body is not JSON");
    }
    return handleStateless(request, body, env, ctx, who());
  }

  // The old HTTP+SSE transport (2024-11-05): its GET stream and its POSTs to ?sessionId= (routes/legacy-sse.ts).
  if (isLegacySse(request)) {
    if (codemode) return jsonRpcError(400, -32000, "Bad Request: Code Mode is served over Streamable HTTP (protocol 2025-03-26 and later) and 2026-07-28, not the old HTTP+SSE transport: connect with Streamable HTTP, or without ?codemode= where the portal allows it");
    return handleLegacySse(request, env, { user, props, scopes, scope, bundleVersion: config.bundle.version });
  }
  let body: Uint8Array | undefined;
  if (request.method === "POST") {
    const read = await readBoundedBody(request, MCP_MAX_BODY_BYTES);
    if (!read) return tooLarge();
    body = read;
  }
  let sessionId = request.headers.get("mcp-session-id");
  // Sealed sessions (src/stateless/sealed.ts): the session is in its id, served here on the per-call path.
  if (!sessionId || isSealedSessionId(sessionId)) {
    let parsed: unknown;
    try {
      parsed = body ? JSON.parse(new TextDecoder().decode(body)) : undefined;
    } catch {
      if (sessionId) return jsonRpcError(400, -32700, "Parse error: the body is not JSON");
    }
    if (sessionId) return handleSealed(request, parsed, sessionId, env, ctx, who());
    const sealed = parsed === undefined ? null : await sealedInitialize(request, parsed, env, who());
    if (sealed) return sealed;
  }
  const isNew = !sessionId;
  if (!sessionId) {
    if (request.method !== "POST") return jsonRpcError(request.method === "GET" || request.method === "DELETE" ? 400 : 405, -32000, "Bad Request: Mcp-Session-Id header is required", request.method === "POST" || request.method === "GET" || request.method === "DELETE" ? undefined : { allow: "GET, POST, DELETE" });
    sessionId = crypto.randomUUID();
  } else if (!/^[0-9a-f-]{36}$/.test(sessionId)) {
    return jsonRpcError(404, -32001, "Session not found");
  }

  return toSessionObject(env.SESSIONS, request, { user, props, scopes, scope, bundleVersion: config.bundle.version }, { sessionId, isNew }, body);
}
