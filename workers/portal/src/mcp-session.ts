/**
 * One MCP session of one caller: a Durable Object named by the Mcp-Session-Id, holding the
 * downstream SDK server and one upstream client per server, so an upstream is initialized once per
 * session rather than per call. This class keeps the lifecycle (open, idle alarm, end); what each
 * request does is in ./session/. Shapes and lifetime: docs/mcp-endpoint.md, "Sessions".
 */
import { DurableObject } from "cloudflare:workers";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { ErrorCode, isInitializeRequest, McpError, type ClientCapabilities, type Implementation, type InitializeRequest, type ServerCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { indexBundle } from "@core/bundle/bundle-index";
import { publicOrigin } from "./auth";
import { storedActive } from "./config";
import type { Env } from "./env";
import { SESSION_CONTEXT_HEADER, type SessionContext } from "./session/context";
import { Denied, jsonRpcError, PortalErrorCode, RpcError } from "./session/errors";
import { emitEvent } from "./session/events";
import { PORTAL_INSTRUCTIONS, PORTAL_SERVER_INFO } from "./session/identity";
import { admitLimits } from "./session/forward";
import { malformedMessage } from "./session/invalid-input";
import { LegacySseTransport } from "./session/legacy-sse-transport";
import { PortalServer } from "./session/server";
import { registerHandlers } from "./session/handlers";
import { SessionState } from "./session/state";
import { connectedUpstream, endStoredUpstreams, endUpstream } from "./session/upstreams";
import { msSetting } from "./settings";

const DEFAULT_IDLE_MS = 10 * 60_000;
/** As the SDK's own default: a comment every 15 s keeps proxies from timing a stream out and notices a vanished client. */
const DEFAULT_KEEP_ALIVE_MS = 15_000;

const AGGREGATE_CAPABILITIES: ServerCapabilities = {
  tools: { listChanged: true },
  prompts: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  logging: {},
  completions: {},
};

export class McpSession extends DurableObject<Env> {
  private transport?: WebStandardStreamableHTTPServerTransport | LegacySseTransport;
  /** What the handlers read and update: owner, bundle index, upstream clients, name maps. */
  private readonly session = new SessionState(this.env, this.ctx);
  /** When the last request arrived or the last stream closed: what "idle" is measured from. */
  private lastActivity = 0;
  /** Responses still streaming to the caller (SSE): while one is open the session is not idle. */
  private openStreams = 0;

  async fetch(request: Request): Promise<Response> {
    const ctx = JSON.parse(request.headers.get(SESSION_CONTEXT_HEADER) ?? "null") as SessionContext | null;
    if (!ctx) return jsonRpcError(400, ErrorCode.InvalidRequest, "missing session context");
    this.lastActivity = Date.now();
    this.session.clientIp = ctx.clientIp;
    this.session.origin = publicOrigin(request, this.env);
    await this.refreshConfig(ctx.bundleVersion);

    let parsedBody: unknown;
    if (request.method === "POST") {
      try {
        parsedBody = await request.json();
      } catch {
        return jsonRpcError(400, ErrorCode.ParseError, "Parse error: the body is not JSON");
      }
      const malformed = malformedMessage(parsedBody);
      if (malformed) return jsonRpcError(400, malformed.code, malformed.message);
    }

    const init = Array.isArray(parsedBody) ? parsedBody.find(isInitializeRequest) : isInitializeRequest(parsedBody) ? parsedBody : undefined;
    if (!this.transport) {
      // A session the portal does not know (never made, or this object was evicted): the client
      // must start a new one, as the Streamable HTTP spec says for 404.
      if (!ctx.isNew) {
        // After an eviction its upstream sessions may still be open: they can never be used again.
        this.ctx.waitUntil(endStoredUpstreams(this.session));
        return this.sessionNotFound(ctx, parsedBody, "SESSION_NOT_FOUND: unknown or ended session (never opened, ended, or lost when the portal restarted); the client must start a new one");
      }
      // The old HTTP+SSE transport: its GET opens the stream, the initialize comes in a later POST.
      if (ctx.legacySse) return this.openLegacyStream(ctx);
      if (!init) return jsonRpcError(400, ErrorCode.InvalidRequest, "Bad Request: a new session must start with initialize");
      const refused = await this.openOrRefuse(ctx, init);
      if (refused) return refused;
    } else if (ctx.isNew || this.session.owner?.userId !== ctx.userId || this.session.owner.tokenId !== ctx.tokenId || this.session.owner.scope !== ctx.scope || Boolean(ctx.legacySse) !== this.transport instanceof LegacySseTransport) {
      // Another caller (or another endpoint, or the other transport) presenting this session id: as if it did not exist.
      return this.sessionNotFound(ctx, parsedBody, "SESSION_NOT_FOUND: the session belongs to another caller or endpoint", true);
    } else if (!this.session.server) {
      // A legacy SSE session whose stream is open but whose client has not initialized yet.
      if (!init) return jsonRpcError(400, ErrorCode.InvalidRequest, "Bad Request: a new session must start with initialize");
      const refused = await this.openOrRefuse(ctx, init);
      if (refused) return refused;
    }
    return this.watchStream(await this.transport!.handleRequest(request, { parsedBody }));
  }

  /** Opens the session's server for its initialize request, or answers why it could not (403, 429, 502). */
  private async openOrRefuse(ctx: SessionContext, init: InitializeRequest): Promise<Response | null> {
    try {
      await this.open(ctx, init.params.capabilities, init.params.clientInfo);
      await this.ctx.storage.setAlarm(Date.now() + this.idleMs());
      return null;
    } catch (error) {
      await this.end();
      if (error instanceof Denied) {
        // Refused before the upstream was contacted (admission at /mcp/{slug}).
        emitEvent(this.session, ctx, "initialize", { server: this.session.index?.serversBySlug.get(ctx.scope ?? ""), decision: "denied", reason: error.reason, success: false, error: `${error.code}: ${error.message}` });
        const retryAfter = (error.data as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
        return jsonRpcError(retryAfter === undefined ? 403 : 429, error.code, error.message, retryAfter === undefined ? undefined : { "retry-after": String(retryAfter) });
      }
      const message = error instanceof RpcError ? error.message : error instanceof McpError ? RpcError.fromUpstream(error).message : "Could not open the session";
      emitEvent(this.session, ctx, "initialize", { decision: "allowed", success: false, error: error instanceof Error ? error.message : String(error) });
      return jsonRpcError(502, PortalErrorCode.UpstreamFailed, message);
    }
  }

  /**
   * A legacy SSE session's GET: the stream opens at once with its endpoint event; the server is
   * opened by the initialize POSTed later. The stream ending (the caller hung up) ends the session.
   */
  private async openLegacyStream(ctx: SessionContext): Promise<Response> {
    this.session.owner = ownerOf(ctx);
    const transport = new LegacySseTransport(ctx.sessionId, ctx.endpoint, this.keepAliveMs());
    transport.onclose = () => {
      if (this.transport === transport) this.ctx.waitUntil(this.end());
    };
    this.transport = transport;
    await this.ctx.storage.setAlarm(Date.now() + this.idleMs());
    return this.watchStream(transport.response());
  }

  /**
   * 404 "Session not found", as the Streamable HTTP spec answers a session it does not know; each
   * JSON-RPC message of the refused POST is still audited, denied, with the tool it named.
   */
  private sessionNotFound(ctx: SessionContext, parsedBody: unknown, reason: string, outsider = false): Response {
    for (const message of Array.isArray(parsedBody) ? parsedBody : parsedBody === undefined ? [] : [parsedBody]) {
      const { method, params } = message as { method?: unknown; params?: { name?: unknown } };
      if (typeof method !== "string") continue; // a response to a server request: not a request of the caller's
      const target = method === "tools/call" && typeof params?.name === "string" ? this.session.guessTool(ctx.scope, params.name) : undefined;
      emitEvent(this.session, ctx, method, { server: target?.server ?? null, tool: target?.tool ?? null, decision: "denied", reason, success: false, error: "-32001: Session not found", outsider });
    }
    return jsonRpcError(404, -32001, "Session not found");
  }

  /** The idle check: end a quiet session, or look again when it could next be idle. */
  async alarm(): Promise<void> {
    if (!this.transport) {
      // A fresh object (the old one was evicted): only stored upstream sessions may be left.
      await endStoredUpstreams(this.session);
      return;
    }
    const idle = this.idleMs();
    const quietFor = Date.now() - this.lastActivity;
    if (this.openStreams > 0 || quietFor < idle) {
      await this.ctx.storage.setAlarm(Date.now() + (this.openStreams > 0 ? idle : idle - quietFor));
      return;
    }
    await this.end();
  }

  private idleMs(): number {
    return msSetting(this.env.PORTCULLIS_SESSION_IDLE_MS, DEFAULT_IDLE_MS);
  }

  private keepAliveMs(): number {
    return msSetting(this.env.PORTCULLIS_SSE_KEEPALIVE_MS, DEFAULT_KEEP_ALIVE_MS);
  }

  /** Counts an SSE response as an open stream until it ends or the caller hangs up. */
  private watchStream(response: Response): Response {
    if (!response.body || !response.headers.get("content-type")?.includes("text/event-stream")) return response;
    this.openStreams += 1;
    let open = true;
    const closed = () => {
      if (!open) return;
      open = false;
      this.openStreams -= 1;
      this.lastActivity = Date.now();
    };
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const chunk = await reader.read();
          if (chunk.done) {
            closed();
            controller.close();
          } else controller.enqueue(chunk.value);
        } catch (error) {
          closed();
          controller.error(error);
        }
      },
      cancel(reason) {
        closed();
        return reader.cancel(reason);
      },
    });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  }

  private async refreshConfig(version: number): Promise<void> {
    if (this.session.index?.bundle.version === version) return;
    const active = await storedActive(this.env);
    if (!active) throw new Error("no active bundle");
    if (this.session.index?.bundle.version === active.bundle.version) return;
    this.session.index = indexBundle(active.bundle);
    this.session.toolNames = undefined;
    this.session.promptNames = undefined;
    // Servers no longer published are dropped from the session.
    for (const [id, upstream] of this.session.upstreams) {
      if (!active.bundle.servers.some((s) => s.id === id)) {
        this.session.upstreams.delete(id);
        this.ctx.waitUntil(endUpstream(this.session, upstream));
      }
    }
  }

  /**
   * Ends the session (DELETE from the caller, idle, or a failed open): every upstream session is
   * terminated and closed, the transport closed, and the stored state removed. Safe to call twice.
   */
  private async end(): Promise<void> {
    const upstreams = [...this.session.upstreams.values()];
    const transport = this.transport;
    this.session.upstreams.clear();
    this.transport = undefined;
    this.session.server = undefined;
    this.session.owner = undefined;
    this.session.inflight = [];
    await transport?.close();
    await Promise.allSettled(upstreams.map((u) => endUpstream(this.session, u)));
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  private async open(ctx: SessionContext, capabilities: ClientCapabilities, clientInfo: Implementation): Promise<void> {
    this.session.owner = ownerOf(ctx);
    this.session.clientCapabilities = capabilities ?? {};
    this.session.clientInfo = clientInfo;
    let serverCapabilities = AGGREGATE_CAPABILITIES;
    let serverInfo: Implementation = PORTAL_SERVER_INFO;
    let instructions: string | undefined = PORTAL_INSTRUCTIONS;
    if (ctx.scope) {
      // Faithful mode: present the upstream as itself. Opening it reaches the upstream: admitted like any request.
      const server = this.session.scopeServer();
      await admitLimits(this.session, [server], null, {});
      const upstream = await connectedUpstream(this.session, server);
      serverCapabilities = upstream.client.getServerCapabilities() ?? {};
      serverInfo = upstream.client.getServerVersion() ?? serverInfo;
      instructions = upstream.client.getInstructions();
    }
    const server = new PortalServer(serverInfo, { capabilities: serverCapabilities, ...(instructions ? { instructions } : {}) });
    this.session.server = server;
    registerHandlers(this.session, server, serverCapabilities);
    // A legacy SSE session already has its transport (opened by its GET).
    const transport = this.transport ?? this.streamableTransport(ctx);
    this.transport = transport;
    await server.connect(transport);
  }

  private streamableTransport(ctx: SessionContext): WebStandardStreamableHTTPServerTransport {
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => ctx.sessionId,
      keepAliveMs: this.keepAliveMs(),
      // DELETE from the caller: answered once the upstream sessions are ended too.
      onsessionclosed: () => this.end(),
    });
    transport.onclose = () => {
      if (this.transport === transport) this.ctx.waitUntil(this.end());
    };
    return transport;
  }
}

const ownerOf = (ctx: SessionContext): NonNullable<SessionState["owner"]> => ({ userId: ctx.userId, tokenId: ctx.tokenId, scopes: ctx.scopes, scope: ctx.scope });
