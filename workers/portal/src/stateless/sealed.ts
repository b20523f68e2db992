/**
 * Sealed sessions: 2025-revision clients (initialize, `Mcp-Session-Id`) served on the per-call path,
 * with no Durable Object. An initialize at `/mcp` from a client that cannot be asked anything
 * (no sampling, elicitation or roots) is answered here, and the session id it gets is the session
 * itself, sealed (@core/mcp/sealed-session, @core/edge/secret `sealSessionId`): any isolate opens
 * it, checks that it belongs to the caller presenting it, and serves the request with ./handle.ts
 * `dispatch`, the 2026-07-28 path's decisions, upstream links and events, answering in the 2025
 * shapes. Everything else (`/mcp/{slug}`'s faithful sessions, clients that take server→client
 * requests, old revisions) keeps its Durable Object (../mcp-session.ts).
 *
 * The transport's checks and words are the SDK's Streamable HTTP server's, so a client cannot tell
 * which kind of session it has, except that a sealed session offers no GET stream (405, which the
 * spec allows and clients expect) and so no `listChanged` or `logging`. docs/mcp-endpoint.md,
 * "Sealed sessions".
 */
import { APPROVAL_ID_PREFIX, approvalAnswerOf, approvalStub } from "../codemode/approvals";
import { BoundedCache } from "@core/cache/bounded-cache";
import { openSessionId, sealSessionId } from "@core/edge/secret";
import { mcpEvent } from "@core/events/mcp-event";
import { decodeSealedSession, encodeSealedSession, needsDurableSession, sealedSessionFresh, type SealedSession } from "@core/mcp/sealed-session";
import type { StatelessRequest } from "@core/mcp/stateless";
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  GetPromptRequestSchema,
  InitializeRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  PingRequestSchema,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SUPPORTED_PROTOCOL_VERSIONS as SDK_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/sdk/types.js";
import type { Env } from "../env";
import { enqueueEvents } from "../events/enqueue";
import { PORTAL_INSTRUCTIONS, PORTAL_SERVER_INFO } from "../session/identity";
import { jsonRpcError } from "../session/errors";
import { invalidParams, malformedMessage, plainRequestMeta } from "../session/invalid-input";
import { isJsonObject } from "@core/json/is-object";
import { edgeSecrets } from "../settings";
import { eventCaller, type StatelessContext } from "./context";
import { dispatch, rpcError } from "./handle";
import { MAX_EVENTS_PER_REFUSAL } from "../routes/refusals";

/** What a sealed session offers: no `listChanged` (no stream to say it on), no `logging`, no resource subscriptions. */
const SEALED_CAPABILITIES = { tools: {}, prompts: {}, resources: {}, completions: {} };

/** Each method's request schema (the SDK's): params that do not fit are answered -32602 in the session path's words. */
const SCHEMAS = new Map<string, { safeParse(value: unknown): { success: boolean; error?: unknown } }>(Object.entries({
  ping: PingRequestSchema,
  "tools/list": ListToolsRequestSchema,
  "tools/call": CallToolRequestSchema,
  "prompts/list": ListPromptsRequestSchema,
  "prompts/get": GetPromptRequestSchema,
  "resources/list": ListResourcesRequestSchema,
  "resources/templates/list": ListResourceTemplatesRequestSchema,
  "resources/read": ReadResourceRequestSchema,
  "completion/complete": CompleteRequestSchema,
  "logging/setLevel": SetLevelRequestSchema,
}));

/** Per isolate: ids already opened (AES-GCM once per id, not per request), and ids ended by DELETE here. */
const opened = new BoundedCache<string, SealedSession>(10_000);
const ended = new BoundedCache<string, true>(10_000);

type Message = { jsonrpc: "2.0"; id?: string | number; method?: string; params?: Record<string, unknown> };

export const isSealedSessionId = (id: string) => id.startsWith("s1.");

export function sealedSessionsOn(env: Env): boolean {
  return env.PORTCULLIS_SEALED_SESSIONS?.trim().toLowerCase() !== "off";
}

/** The SDK transport's checks of a POST, with its statuses and words. */
function postRefusal(request: Request): Response | null {
  const accept = request.headers.get("accept") ?? "";
  if (!accept.includes("application/json") || !accept.includes("text/event-stream")) return jsonRpcError(406, -32000, "Not Acceptable: Client must accept both application/json and text/event-stream");
  if (!(request.headers.get("content-type") ?? "").includes("application/json")) return jsonRpcError(415, -32000, "Unsupported Media Type: Content-Type must be application/json");
  const version = request.headers.get("mcp-protocol-version");
  if (version !== null && !SDK_PROTOCOL_VERSIONS.includes(version)) return jsonRpcError(400, -32000, `Bad Request: Unsupported protocol version: ${version} (supported versions: ${SDK_PROTOCOL_VERSIONS.join(", ")})`);
  return null;
}

/**
 * A sealed session for this initialize, or null when it must be a durable one (the route then
 * hands the request to a session object, exactly as before): sealed sessions off, `/mcp/{slug}`,
 * a client that can be asked something, a batch, or anything the SDK's transport would refuse.
 */
export async function sealedInitialize(request: Request, body: unknown, env: Env, who: StatelessContext): Promise<Response | null> {
  // Code Mode is served on the per-call path only: its sessions are sealed whatever the client can be asked, at /mcp/{slug} too.
  if (!who.codemode && (!sealedSessionsOn(env) || who.scope !== null)) return null;
  if (request.method !== "POST" || postRefusal(request)) return null;
  const message = body as Message;
  if (typeof body !== "object" || body === null || Array.isArray(body) || message.method !== "initialize" || (!who.codemode && needsDurableSession(message.params))) return null;
  const parsed = InitializeRequestSchema.safeParse(body);
  if (!parsed.success || malformedMessage(body)) return null;
  const params = parsed.data.params;
  const session: SealedSession = {
    userId: who.caller.user.id,
    tokenId: who.caller.tokenId ?? null,
    scope: who.scope,
    protocolVersion: params.protocolVersion,
    clientInfo: { name: params.clientInfo.name, version: params.clientInfo.version },
    issuedAt: Math.floor(Date.now() / 1000),
    ...(params.capabilities.elicitation ? { elicitation: true } : {}),
  };
  const id = await sealSessionId(encodeSealedSession(session), await edgeSecrets(env.PORTCULLIS_EDGE_SECRET));
  opened.set(id, session);
  const result = { protocolVersion: session.protocolVersion, capabilities: SEALED_CAPABILITIES, serverInfo: PORTAL_SERVER_INFO, instructions: PORTAL_INSTRUCTIONS };
  return Response.json({ jsonrpc: "2.0", id: message.id, result }, { headers: { "mcp-session-id": id, "cache-control": "no-store" } });
}

async function open(id: string, env: Env): Promise<SealedSession | null> {
  if (ended.get(id)) return null;
  const known = opened.get(id);
  if (known) {
    if (sealedSessionFresh(known.issuedAt, Math.floor(Date.now() / 1000))) return known;
    opened.delete(id);
    return null;
  }
  const text = await openSessionId(id, await edgeSecrets(env.PORTCULLIS_EDGE_SECRET));
  const session = text === null ? null : decodeSealedSession(text, Math.floor(Date.now() / 1000));
  if (session) opened.set(id, session);
  return session;
}

/** A request on a sealed session id (`s1.…`): GET, DELETE or POST, after the route's authentication and checks. */
export async function handleSealed(request: Request, body: unknown, id: string, env: Env, ctx: ExecutionContext, who: StatelessContext): Promise<Response> {
  const session = await open(id, env);
  if (!session) return notFound(body, id, env, ctx, who, "SESSION_NOT_FOUND: unknown or ended session (never opened, ended, or expired); the client must start a new one");
  // Another caller (or another endpoint) presenting this id: as if it did not exist.
  if (session.userId !== who.caller.user.id || session.tokenId !== (who.caller.tokenId ?? null) || session.scope !== who.scope) {
    return notFound(body, id, env, ctx, who, "SESSION_NOT_FOUND: the session belongs to another caller or endpoint");
  }
  if (request.method === "DELETE") {
    // Ends the session in this isolate at once; elsewhere it ends when its seal expires (nothing upstream is held for it alone).
    ended.set(id, true);
    opened.delete(id);
    return new Response(null, { status: 200 });
  }
  if (request.method === "GET") {
    if (!(request.headers.get("accept") ?? "").includes("text/event-stream")) return jsonRpcError(406, -32000, "Not Acceptable: Client must accept text/event-stream");
    return jsonRpcError(405, -32000, "Method Not Allowed: this session has no GET stream (the portal sends nothing outside a request's answer); send requests as POST", { allow: "POST, DELETE" });
  }
  if (request.method !== "POST") return jsonRpcError(405, -32000, "Method not allowed.", { allow: "GET, POST, DELETE" });
  const refused = postRefusal(request);
  if (refused) return refused;
  const malformed = malformedMessage(body);
  if (malformed) return jsonRpcError(400, malformed.code, malformed.message);

  const messages = (Array.isArray(body) ? body : [body]) as Message[];
  if (messages.some((m) => m.method === "initialize")) return jsonRpcError(400, -32600, "Invalid Request: Server already initialized");
  // A cancellation reaches the request if this isolate is serving it (it may be another's: then the request runs on).
  for (const m of messages) {
    const requestId = m.method === "notifications/cancelled" ? (m.params as { requestId?: unknown } | undefined)?.requestId : undefined;
    const mark = typeof requestId === "string" || typeof requestId === "number" ? inflight.get(inflightKey(id, requestId)) : undefined;
    if (mark) mark.cancelled = true;
  }
  // The user's answer to a Code Mode approval: to the approval's Durable Object, where its execute waits (perhaps in another isolate).
  const approvals = messages.filter((m) => m.method === undefined && typeof m.id === "string" && m.id.startsWith(APPROVAL_ID_PREFIX));
  if (approvals.length > 0) await Promise.all(approvals.map((m) => approvalStub(env, m.id as string).settle(approvalAnswerOf(m as { result?: unknown; error?: unknown }))));
  // Notifications (initialized, cancelled, roots/list_changed) and other responses need nothing of a sealed session.
  const requests = messages.filter((m) => typeof m.method === "string" && m.id !== undefined) as (Message & { id: string | number; method: string })[];
  if (requests.length === 0) return new Response(null, { status: 202 });
  if (!Array.isArray(body)) return serve(request, requests[0]!, id, session, env, ctx, who);
  // A batch (2025-03-26): each request in turn, the answers together.
  const answers: unknown[] = [];
  for (const message of requests) answers.push(await finalMessage(await serve(request, message, id, session, env, ctx, who), message.id));
  return Response.json(answers, { headers: { "cache-control": "no-store" } });
}

function serve(request: Request, message: Message & { id: string | number; method: string }, id: string, session: SealedSession, env: Env, ctx: ExecutionContext, who: StatelessContext): Promise<Response> | Response {
  const schema = SCHEMAS.get(message.method);
  if (schema && !plainToolCall(message)) {
    const checked = schema.safeParse(message);
    if (!checked.success) {
      const error = invalidParams(message.method, checked.error);
      return rpcError(200, message.id, error.code, error.message);
    }
  }
  const params = message.params ?? {};
  const meta = (params._meta ?? {}) as Record<string, unknown>;
  const name = typeof params.name === "string" ? params.name : typeof params.uri === "string" ? params.uri : null;
  const rpc: StatelessRequest & { id: string | number } = { id: message.id, method: message.method, params, meta, clientInfo: session.clientInfo, clientCapabilities: {}, name };
  // A later notifications/cancelled (another request) marks this one; it notices within a tick and
  // aborts its own work. (workerd binds an AbortController to the request that made it: another
  // request may not fire it.)
  const key = inflightKey(id, message.id);
  const mark = { cancelled: false };
  const cancel = new AbortController();
  inflight.set(key, mark);
  const watch = setInterval(() => {
    if (mark.cancelled && !cancel.signal.aborted) cancel.abort(new Error("cancelled by the client (notifications/cancelled)"));
  }, CANCEL_CHECK_MS);
  const done = () => {
    clearInterval(watch);
    if (inflight.get(key) === mark) inflight.delete(key);
  };
  const served: StatelessContext = {
    config: who.config,
    caller: who.caller,
    authMethod: who.authMethod,
    scope: who.scope,
    codemode: who.codemode,
    signal: AbortSignal.any([request.signal, cancel.signal]),
    // Still read only when an event is built.
    get clientCountry() {
      return who.clientCountry;
    },
  };
  return dispatch(request, rpc, env, ctx, served, { sessionId: id, session: true, elicitation: session.elicitation === true }).then(
    (response) => {
      if (!response.body || !(response.headers.get("content-type") ?? "").includes("text/event-stream")) {
        done();
        return response;
      }
      // An SSE answer (progress) is still running: it stays cancellable until its stream ends.
      const body = response.body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({ flush: done }));
      return new Response(body, { status: response.status, headers: response.headers });
    },
    (error: unknown) => {
      done();
      throw error;
    },
  );
}

/** Requests this isolate is serving on sealed sessions, by session id and request id: what notifications/cancelled can reach. */
const inflight = new BoundedCache<string, { cancelled: boolean }>(10_000);
/** How soon a request notices it was cancelled. */
const CANCEL_CHECK_MS = 50;
const inflightKey = (sessionId: string, requestId: string | number) => `${sessionId}\u0000${typeof requestId}:${requestId}`;



/**
 * A tools/call whose params the schema would take as they are (the common case), recognised
 * without running the schema: a string name, arguments an object if present, no task, `_meta` an
 * object whose progress token, if any, is a string or an integer and with no related task. Anything else meets the schema and its words.
 */
function plainToolCall(message: Message): boolean {
  if (message.method !== "tools/call") return false;
  const params = message.params;
  if (!isJsonObject(params) || typeof params.name !== "string") return false;
  if ((params.arguments !== undefined && !isJsonObject(params.arguments)) || params.task !== undefined) return false;
  return plainRequestMeta(params._meta);
}

/** The JSON-RPC answer in a response: its JSON body, or the last message of its SSE stream. */
async function finalMessage(response: Response, id: string | number): Promise<unknown> {
  const text = await response.text();
  if (!(response.headers.get("content-type") ?? "").includes("text/event-stream")) return JSON.parse(text);
  const data = text
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => JSON.parse(line.slice(6)) as { id?: unknown })
    .filter((m) => m.id === id);
  return data.at(-1) ?? { jsonrpc: "2.0", id, error: { code: -32603, message: "No answer" } };
}

/**
 * 404 "Session not found", as the session path answers an id it does not know; each request of
 * the refused POST is still audited, denied, under the caller's own name (never the session's client).
 */
function notFound(body: unknown, id: string, env: Env, ctx: ExecutionContext, who: StatelessContext, reason: string): Response {
  const at = new Date();
  const events = [];
  for (const message of ((Array.isArray(body) ? body : body === undefined ? [] : [body]) as Message[]).slice(0, MAX_EVENTS_PER_REFUSAL)) {
    if (typeof message?.method !== "string") continue;
    const toolName = message.method === "tools/call" && typeof message.params?.name === "string" ? message.params.name : null;
    const cut = toolName ? toolName.indexOf("_") : -1;
    const server = toolName && cut > 0 ? (who.config.serversBySlug.get(toolName.slice(0, cut)) ?? null) : null;
    events.push(
      mcpEvent(
        eventCaller(who, null, id),
        { method: message.method, server, tool: server ? toolName!.slice(cut + 1) : null, decision: "denied", reason, success: false, error: "-32001: Session not found", bundleVersion: who.config.bundle.version },
        crypto.randomUUID(),
        at,
      ),
    );
  }
  if (events.length) ctx.waitUntil(enqueueEvents(env, (p) => ctx.waitUntil(p), events));
  return jsonRpcError(404, -32001, "Session not found");
}
