/**
 * One MCP session of one caller: a Durable Object named by the Mcp-Session-Id. It holds the
 * downstream server (SDK `Server` on the web-standard Streamable HTTP transport) and one upstream
 * client per server the session uses — so an upstream is initialized once per session, not per call.
 *
 * Every request is enforced here: the caller must still exist in the active bundle, the tool must
 * be approved and enabled, the policy must allow it, and the live upstream definition must still
 * hash to its pinned value. Each request yields an audit event.
 *
 * Two shapes: `/mcp` aggregates every server the caller may use (tools named `{slug}_{tool}`), and
 * `/mcp/{slug}` exposes one server under its own names, mirroring its capabilities, instructions
 * and any request the portal has no special handling for — the faithful mode.
 *
 * Lifetime: a session ends when the caller deletes it (DELETE) or after `PORTCULLIS_SESSION_IDLE_MS`
 * (default 10 minutes) without a request and without an open stream (checked by a storage alarm).
 * A client listening on its GET stream is not idle; one that vanished is noticed when a write to
 * its stream fails (the SDK writes an SSE keep-alive comment every 15 s). Ending a session ends its
 * upstream sessions too (DELETE upstream for Streamable HTTP). The runtime may evict the object
 * from memory sooner (a minute or two without requests or open streams), losing the clients; the
 * upstream session ids are kept in storage so the alarm, or the caller's next request, still ends them.
 */
import { DurableObject } from "cloudflare:workers";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  isInitializeRequest,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListRootsRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  ResultSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type ClientCapabilities,
  type Implementation,
  type JSONRPCRequest,
  type Notification,
  type ServerCapabilities,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { indexBundle, serverAccess, toolAccess, visibleServers, type BundleIndex, type Caller } from "@core/bundle/bundle-index";
import type { BundleServer, BundleUser } from "@core/bundle/schema";
import type { PolicyDecision } from "@core/policy/evaluate";
import { clip, type PortalEvent } from "@core/events/schema";
import { resultTokens } from "@core/events/result-tokens";
import { buildToolNameMap, upstreamKey, type ToolNameMap } from "@core/naming/tool-names";
import type { McpToolDefinition } from "@core/tools/tool-types";
import { toolHash } from "@core/tools/tool-hash";
import { countTokens } from "@core/tools/token-cost";
import { configStore } from "./config";
import { admitCall } from "./limits";
import { msSetting } from "./settings";
import type { Env } from "./env";
import { closeUpstream, connectUpstream, terminateUpstreamSession, upstreamHeaders, upstreamSession, type UpstreamSessionRecord } from "./upstream";

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
  clientIp: string | null;
  clientCountry: string | null;
  bundleVersion: number;
}
export const SESSION_CONTEXT_HEADER = "x-portcullis-ctx";

/** Portal-specific JSON-RPC error codes (the -32000…-32099 range is the server's). */
export const PortalErrorCode = {
  /** The tool/prompt/resource is unknown, not approved, or not allowed for the caller. */
  NotAvailable: ErrorCode.InvalidParams,
  /** The live upstream definition no longer matches what was approved. */
  Quarantined: -32003,
  /** The upstream failed or could not be reached. */
  UpstreamFailed: -32004,
  /** The caller is no longer an active user at this portal. */
  AccountInactive: -32005,
  /** A rate limit is reached (`data.retryAfterSeconds`). */
  RateLimited: -32006,
  /** A blocking budget is used up for this period (`data.retryAfterSeconds`: when it renews). */
  BudgetExceeded: -32007,
} as const;

/** How long an upstream may take to answer (without progress): `PORTCULLIS_UPSTREAM_TIMEOUT_MS`, default 60 s. */
const DEFAULT_UPSTREAM_TIMEOUT_MS = 60_000;
const DEFAULT_IDLE_MS = 10 * 60_000;
/** Storage key prefix of the upstream sessions this session opened (UpstreamSessionRecord). */
const UPSTREAM_KEY = "upstream:";

const AGGREGATE_CAPABILITIES: ServerCapabilities = {
  tools: { listChanged: true },
  prompts: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  logging: {},
  completions: {},
};

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

interface LiveTool {
  def: Tool;
  hash: string;
}

interface Upstream {
  server: BundleServer;
  client: Client;
  /** The upstream's tools as last listed in this session, with their hashes; refreshed on list_changed. */
  tools?: Promise<Map<string, LiveTool>>;
}

/** A denial: the message the caller sees (no detail it may not know) and the reason the event records. */
/**
 * A JSON-RPC error as the SDK's server sends it (`code`, `message`, `data`). Not `McpError`: its
 * message carries an "MCP error <code>: " prefix, and the caller's SDK adds its own, so forwarded
 * errors would read "MCP error -32602: MCP error -32602: …".
 */
class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
    /** For the audit event only; never sent to the caller (it may name internal addresses). */
    readonly detail?: string,
  ) {
    super(message);
  }

  /** An upstream's error, forwarded as it was sent: same code, message and data. */
  static fromUpstream(error: McpError): RpcError {
    return new RpcError(error.code, error.message.replace(/^MCP error -?\d+: /, ""), error.data);
  }
}

class Denied extends RpcError {
  constructor(
    code: number,
    message: string,
    readonly reason: string,
    readonly ruleId: string | null = null,
    data?: unknown,
  ) {
    super(code, message, data);
  }
}

/** A server on the shadow-MCP block list: said plainly, since security wants people to know why. */
function blockedError(server: BundleServer, reason: string): Denied {
  return new Denied(PortalErrorCode.NotAvailable, `Server "${server.slug}" is blocked by your security team (its URL is on the shadow-MCP block list)`, reason.startsWith("SERVER_BLOCKED") ? reason : `SERVER_BLOCKED: ${reason}`);
}

interface EventFields {
  server?: BundleServer | null;
  /** tools/list at /mcp: context tokens of each server's tools, by slug. */
  serverTokens?: Record<string, number>;
  /** The policy decision that let the request through (its reason and rule go on the event). */
  policy?: PolicyDecision;
  tool?: string | null;
  prompt?: string | null;
  resourceUri?: string | null;
}

const enc = new TextEncoder();
const byteLength = (value: unknown) => (value === undefined ? 0 : enc.encode(JSON.stringify(value)).length);

export class McpSession extends DurableObject<Env> {
  private transport?: WebStandardStreamableHTTPServerTransport;
  private server?: Server;
  /** Who opened the session (user and API token) and through which endpoint; nobody else may use it. */
  private owner?: { userId: string; tokenId: string | null; scope: string | null };
  /**
   * The client IP of the latest request, for policy conditions. Requests of one session come from
   * one caller; should they interleave from two addresses, a decision may see the other one's.
   */
  private clientIp: string | null = null;
  private index?: BundleIndex;
  private upstreams = new Map<string, Promise<Upstream>>();
  private clientCapabilities: ClientCapabilities = {};
  private clientInfo: Implementation = { name: "unknown", version: "0" };
  private logLevel?: string;
  /** Downstream requests being served right now, newest last: where server-to-client traffic goes. */
  private inflight: Extra[] = [];
  private toolNames?: ToolNameMap;
  private promptNames?: ToolNameMap;
  private resourceServers = new Map<string, string>();
  private reportedMismatches = new Set<string>();
  /** When the last request arrived or the last stream closed: what "idle" is measured from. */
  private lastActivity = 0;
  /** Responses still streaming to the caller (SSE): while one is open the session is not idle. */
  private openStreams = 0;

  async fetch(request: Request): Promise<Response> {
    const ctx = JSON.parse(request.headers.get(SESSION_CONTEXT_HEADER) ?? "null") as SessionContext | null;
    if (!ctx) return jsonRpcError(400, ErrorCode.InvalidRequest, "missing session context");
    this.lastActivity = Date.now();
    this.clientIp = ctx.clientIp;
    await this.refreshConfig(ctx.bundleVersion);

    let parsedBody: unknown;
    if (request.method === "POST") {
      try {
        parsedBody = await request.json();
      } catch {
        return jsonRpcError(400, ErrorCode.ParseError, "Parse error: the body is not JSON");
      }
    }

    if (!this.transport) {
      const init = Array.isArray(parsedBody) ? parsedBody.find(isInitializeRequest) : isInitializeRequest(parsedBody) ? parsedBody : undefined;
      // A session the portal does not know (never made, or this object was evicted): the client
      // must start a new one, as the Streamable HTTP spec says for 404.
      if (!ctx.isNew) {
        // After an eviction its upstream sessions may still be open: they can never be used again.
        this.ctx.waitUntil(this.endStoredUpstreams());
        return jsonRpcError(404, -32001, "Session not found");
      }
      if (!init) return jsonRpcError(400, ErrorCode.InvalidRequest, "Bad Request: a new session must start with initialize");
      try {
        await this.open(ctx, init.params.capabilities, init.params.clientInfo);
        await this.ctx.storage.setAlarm(Date.now() + this.idleMs());
      } catch (error) {
        await this.end();
        const message = error instanceof RpcError ? error.message : error instanceof McpError ? RpcError.fromUpstream(error).message : "Could not open the session";
        this.emit(ctx, "initialize", { decision: "allowed", success: false, error: error instanceof Error ? error.message : String(error) });
        return jsonRpcError(502, PortalErrorCode.UpstreamFailed, message);
      }
    } else if (ctx.isNew || this.owner?.userId !== ctx.userId || this.owner.tokenId !== ctx.tokenId || this.owner.scope !== ctx.scope) {
      // Another caller (or another endpoint) presenting this session id: as if it did not exist.
      return jsonRpcError(404, -32001, "Session not found");
    }
    return this.watchStream(await this.transport!.handleRequest(request, { parsedBody }));
  }

  /** The idle check: end a quiet session, or look again when it could next be idle. */
  async alarm(): Promise<void> {
    if (!this.transport) {
      // A fresh object (the old one was evicted): only stored upstream sessions may be left.
      await this.endStoredUpstreams();
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

  private upstreamTimeoutMs(): number {
    return msSetting(this.env.PORTCULLIS_UPSTREAM_TIMEOUT_MS, DEFAULT_UPSTREAM_TIMEOUT_MS);
  }

  private idleMs(): number {
    return msSetting(this.env.PORTCULLIS_SESSION_IDLE_MS, DEFAULT_IDLE_MS);
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
    if (this.index?.bundle.version === version) return;
    const active = await configStore(this.env).active();
    if (!active) throw new Error("no active bundle");
    if (this.index?.bundle.version === active.bundle.version) return;
    this.index = indexBundle(active.bundle);
    this.toolNames = undefined;
    this.promptNames = undefined;
    // Servers no longer published are dropped from the session.
    for (const [id, upstream] of this.upstreams) {
      if (!active.bundle.servers.some((s) => s.id === id)) {
        this.upstreams.delete(id);
        this.ctx.waitUntil(this.endUpstream(upstream));
      }
    }
  }

  /**
   * Ends the session (DELETE from the caller, idle, or a failed open): every upstream session is
   * terminated and closed, the transport closed, and the stored state removed. Safe to call twice.
   */
  private async end(): Promise<void> {
    const upstreams = [...this.upstreams.values()];
    const transport = this.transport;
    this.upstreams.clear();
    this.transport = undefined;
    this.server = undefined;
    this.owner = undefined;
    this.inflight = [];
    await transport?.close();
    await Promise.allSettled(upstreams.map((u) => this.endUpstream(u)));
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  private async endUpstream(upstream: Promise<Upstream>): Promise<void> {
    const u = await upstream.catch(() => undefined);
    if (!u) return;
    await closeUpstream(u.client);
    await this.ctx.storage.delete(`${UPSTREAM_KEY}${u.server.id}`);
  }

  /** Upstream sessions recorded by an object that is gone: end them with the servers' current credentials. */
  private async endStoredUpstreams(): Promise<void> {
    const stored = await this.ctx.storage.list<UpstreamSessionRecord>({ prefix: UPSTREAM_KEY });
    if (stored.size === 0) return;
    const active = await configStore(this.env).active();
    await Promise.allSettled(
      [...stored.values()].map(async (record) => {
        // A server no longer published: its credential is gone, and so is the reason to call it.
        const server = active?.bundle.servers.find((s) => s.id === record.serverId && s.url === record.url);
        if (server) await terminateUpstreamSession(record, await upstreamHeaders(server, this.env.PORTCULLIS_EDGE_SECRET));
      }),
    );
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  private async open(ctx: SessionContext, capabilities: ClientCapabilities, clientInfo: Implementation): Promise<void> {
    this.owner = { userId: ctx.userId, tokenId: ctx.tokenId, scope: ctx.scope };
    this.clientCapabilities = capabilities ?? {};
    this.clientInfo = clientInfo;
    let serverCapabilities = AGGREGATE_CAPABILITIES;
    let serverInfo: Implementation = { name: "portcullis", version: "0.1.0", title: "Portcullis MCP portal" };
    let instructions: string | undefined =
      "Portcullis portal: the company's approved MCP servers behind one endpoint. Tools and prompts are named `<server>_<name>`.";
    if (ctx.scope) {
      // Faithful mode: present the upstream as itself.
      const server = this.scopeServer();
      const upstream = await this.upstream(server);
      serverCapabilities = upstream.client.getServerCapabilities() ?? {};
      serverInfo = upstream.client.getServerVersion() ?? serverInfo;
      instructions = upstream.client.getInstructions();
    }
    const server = new Server(serverInfo, { capabilities: serverCapabilities, ...(instructions ? { instructions } : {}) });
    this.server = server;
    this.registerHandlers(server, serverCapabilities, ctx.scope !== null);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => ctx.sessionId,
      // DELETE from the caller: answered once the upstream sessions are ended too.
      onsessionclosed: () => this.end(),
    });
    transport.onclose = () => {
      if (this.transport === transport) this.ctx.waitUntil(this.end());
    };
    this.transport = transport;
    await server.connect(transport);
  }

  // ---------------------------------------------------------------- helpers

  private user(): BundleUser {
    const user = this.owner && this.index?.usersById.get(this.owner.userId);
    if (!user) throw new Denied(PortalErrorCode.AccountInactive, "Your account is not active at this portal", "USER_INACTIVE");
    return user;
  }

  /** The caller as the policy sees it, now: user, API token, client IP and the current time. */
  private caller(): Caller {
    return { user: this.user(), tokenId: this.owner?.tokenId ?? null, clientIp: this.clientIp, at: new Date() };
  }

  private scopeServer(): BundleServer {
    const server = this.owner?.scope ? this.index?.serversBySlug.get(this.owner.scope) : undefined;
    if (!server) throw new Denied(PortalErrorCode.NotAvailable, "This server is not available at this portal", "SERVER_NOT_PUBLISHED");
    return server;
  }

  /** The servers this session may reach: the scoped one, or every server the caller may use. */
  private servers(): BundleServer[] {
    const caller = this.caller();
    if (this.owner?.scope) return [this.scopeServer()];
    return visibleServers(this.index!, caller);
  }

  private upstream(server: BundleServer): Promise<Upstream> {
    // Never connect to a blocked URL, whichever path asked (defense in depth behind the access checks).
    const blocked = this.index?.blockedSlugs.get(server.slug);
    if (blocked) return Promise.reject(blockedError(server, `SERVER_BLOCKED: ${blocked.origin}${blocked.pathPrefix}`));
    let upstream = this.upstreams.get(server.id);
    if (!upstream) {
      upstream = (async () => {
        const headers = await upstreamHeaders(server, this.env.PORTCULLIS_EDGE_SECRET);
        const capabilities: ClientCapabilities = {};
        if (this.clientCapabilities.sampling) capabilities.sampling = this.clientCapabilities.sampling;
        if (this.clientCapabilities.elicitation) capabilities.elicitation = this.clientCapabilities.elicitation;
        if (this.clientCapabilities.roots) capabilities.roots = this.clientCapabilities.roots;
        const holder: Partial<Upstream> = { server };
        const client = await connectUpstream({ server, headers, clientInfo: this.clientInfo, capabilities }, (c) => this.configureUpstream(c, holder, capabilities));
        holder.client = client;
        const session = upstreamSession(server, client);
        if (session) await this.ctx.storage.put(`${UPSTREAM_KEY}${server.id}`, session);
        if (this.logLevel && client.getServerCapabilities()?.logging) await client.setLoggingLevel(this.logLevel as never).catch(() => undefined);
        return holder as Upstream;
      })();
      this.upstreams.set(server.id, upstream);
      // A failed connection is not cached: the next request tries again.
      upstream.catch(() => this.upstreams.delete(server.id));
    }
    return upstream;
  }

  /** Server-to-client traffic from the upstream goes to the caller, on the stream of the request that caused it. */
  private configureUpstream(client: Client, holder: Partial<Upstream>, capabilities: ClientCapabilities): void {
    const relay = async (request: { method: string; params?: Record<string, unknown> }, signal: AbortSignal) => {
      const current = this.inflight.at(-1);
      const req = request as ServerRequest;
      return current ? current.sendRequest(req, ResultSchema, { signal }) : this.server!.request(req, ResultSchema, { signal });
    };
    if (capabilities.sampling) client.setRequestHandler(CreateMessageRequestSchema, (req, extra) => relay(req, extra.signal) as never);
    if (capabilities.elicitation) client.setRequestHandler(ElicitRequestSchema, (req, extra) => relay(req, extra.signal) as never);
    if (capabilities.roots) client.setRequestHandler(ListRootsRequestSchema, (req, extra) => relay(req, extra.signal) as never);
    client.fallbackNotificationHandler = async (notification: Notification) => {
      if (notification.method === "notifications/tools/list_changed") {
        holder.tools = undefined;
        this.toolNames = undefined;
      }
      if (notification.method === "notifications/prompts/list_changed") this.promptNames = undefined;
      await this.notify(notification);
    };
  }

  private async notify(notification: Notification): Promise<void> {
    const current = this.inflight.at(-1);
    try {
      if (current) await current.sendNotification(notification as ServerNotification);
      else await this.server?.notification(notification as ServerNotification);
    } catch {
      // The caller went away or does not take this notification; nothing to deliver it to.
    }
  }

  private liveTools(upstream: Upstream, refresh = false): Promise<Map<string, LiveTool>> {
    if (!upstream.tools || refresh) {
      upstream.tools = (async () => {
        const tools = new Map<string, LiveTool>();
        let cursor: string | undefined;
        do {
          const page = await upstream.client.listTools(cursor ? { cursor } : undefined, { timeout: this.upstreamTimeoutMs() });
          for (const def of page.tools) tools.set(def.name, { def, hash: await toolHash(def as McpToolDefinition) });
          cursor = page.nextCursor;
        } while (cursor);
        return tools;
      })();
      upstream.tools.catch(() => (upstream.tools = undefined));
    }
    return upstream.tools;
  }

  /** A changed definition: refused at the edge and reported so the console quarantines it. */
  private reportMismatch(extra: Extra | null, server: BundleServer, tool: string, hash: string): void {
    const key = `${server.id}\u0000${tool}\u0000${hash}`;
    if (this.reportedMismatches.has(key)) return;
    this.reportedMismatches.add(key);
    this.emit(this.context(extra), "tools/list", {
      server,
      tool,
      decision: "denied",
      reason: `TOOL_HASH_MISMATCH: live definition hashes to ${hash}, not the approved pin`,
      success: false,
    });
  }

  /** Forwards one request to an upstream, relaying progress, cancellation and server-to-client requests. */
  private async forward(upstream: Upstream, method: string, params: Record<string, unknown> | undefined, extra: Extra) {
    const meta = (params?._meta ?? undefined) as Record<string, unknown> | undefined;
    const progressToken = meta?.progressToken as string | number | undefined;
    const forwarded: Record<string, unknown> = { ...params };
    if (meta) {
      const rest = { ...meta };
      delete rest.progressToken;
      if (Object.keys(rest).length > 0) forwarded._meta = rest;
      else delete forwarded._meta;
    }
    this.inflight.push(extra);
    try {
      return await upstream.client.request({ method, params: forwarded } as never, ResultSchema, {
        signal: extra.signal,
        timeout: this.upstreamTimeoutMs(),
        resetTimeoutOnProgress: true,
        ...(progressToken !== undefined
          ? { onprogress: (p) => void extra.sendNotification({ method: "notifications/progress", params: { ...p, progressToken } }).catch(() => undefined) }
          : {}),
      });
    } catch (error) {
      if (error instanceof McpError) throw RpcError.fromUpstream(error);
      throw new RpcError(PortalErrorCode.UpstreamFailed, `Upstream server "${upstream.server.slug}" failed or is unreachable`, undefined, error instanceof Error ? error.message : String(error));
    } finally {
      const i = this.inflight.indexOf(extra);
      if (i >= 0) this.inflight.splice(i, 1);
    }
  }

  // ---------------------------------------------------------------- handlers

  private registerHandlers(server: Server, capabilities: ServerCapabilities, scoped: boolean): void {
    const handle = <T extends { method: string; params?: Record<string, unknown> }>(
      schema: Parameters<Server["setRequestHandler"]>[0],
      fn: (request: T, extra: Extra, fields: EventFields) => Promise<Record<string, unknown>>,
    ) => {
      server.setRequestHandler(schema, ((request: T, extra: Extra) => this.track(request, extra, fn)) as never);
    };

    if (capabilities.tools) {
      handle(ListToolsRequestSchema, async (_req, extra, fields) => ({ tools: await this.listTools(extra, fields) }));
      handle(CallToolRequestSchema, (req, extra, fields) => this.callTool(req, extra, fields));
    }
    if (capabilities.prompts) {
      handle(ListPromptsRequestSchema, async (req, extra) => this.listPrompts(req, extra));
      handle(GetPromptRequestSchema, async (req, extra, fields) => {
        const { upstream, name } = await this.routePrompt(String(req.params?.name ?? ""), fields);
        await this.admitLimits(upstream.server, null);
        return this.forward(upstream, req.method, { ...req.params, name }, extra);
      });
    }
    if (capabilities.resources) {
      handle(ListResourcesRequestSchema, (req, extra) => this.listMerged(req, extra, "resources", "uri"));
      handle(ListResourceTemplatesRequestSchema, (req, extra) => this.listMerged(req, extra, "resourceTemplates", "uriTemplate"));
      for (const schema of [ReadResourceRequestSchema, SubscribeRequestSchema, UnsubscribeRequestSchema]) {
        handle(schema, async (req, extra, fields) => {
          const uri = String(req.params?.uri ?? "");
          fields.resourceUri = uri;
          const upstream = await this.routeServerLevel(this.resourceServer(uri), fields);
          if (req.method === "resources/read") await this.admitLimits(upstream.server, null);
          return this.forward(upstream, req.method, req.params, extra);
        });
      }
    }
    if (capabilities.completions) {
      handle(CompleteRequestSchema, async (req, extra, fields) => {
        const ref = (req.params?.ref ?? {}) as { type?: string; name?: string; uri?: string };
        if (ref.type === "ref/prompt") {
          const { upstream, name } = await this.routePrompt(String(ref.name ?? ""), fields);
          return this.forward(upstream, req.method, { ...req.params, ref: { ...ref, name } }, extra);
        }
        fields.resourceUri = ref.uri ?? null;
        const upstream = await this.routeServerLevel(this.resourceServer(String(ref.uri ?? "")), fields);
        return this.forward(upstream, req.method, req.params, extra);
      });
    }
    if (capabilities.logging) {
      handle(SetLevelRequestSchema, async (req) => {
        this.logLevel = String(req.params?.level);
        const upstreams = await Promise.allSettled([...this.upstreams.values()]);
        await Promise.allSettled(
          upstreams.flatMap((u) => (u.status === "fulfilled" && u.value.client.getServerCapabilities()?.logging ? [u.value.client.setLoggingLevel(this.logLevel as never)] : [])),
        );
        return {};
      });
    }
    if (scoped) {
      // Anything else the upstream understands (and the portal has no rule for) passes through as is.
      server.fallbackRequestHandler = (request: JSONRPCRequest, extra: Extra) =>
        this.track(request as { method: string; params?: Record<string, unknown> }, extra, async (req, ex, fields) => {
          const upstream = await this.routeServerLevel(this.scopeServer(), fields);
          return this.forward(upstream, req.method, req.params, ex);
        }) as never;
    }
    server.fallbackNotificationHandler = async (notification: Notification) => {
      // e.g. notifications/roots/list_changed: every upstream of this session hears it.
      for (const upstream of this.upstreams.values()) void upstream.then((u) => u.client.notification(notification as never)).catch(() => undefined);
    };
  }

  /** Runs a handler and records its event: decision, outcome, duration, sizes, tokens. */
  private async track<T extends { method: string; params?: Record<string, unknown> }>(
    request: T,
    extra: Extra,
    fn: (request: T, extra: Extra, fields: EventFields) => Promise<Record<string, unknown>>,
  ): Promise<Record<string, unknown>> {
    const fields: EventFields = {};
    const started = Date.now();
    try {
      const result = await fn(request, extra, fields);
      const isError = request.method === "tools/call" && result.isError === true;
      this.emit(this.context(extra), request.method, {
        ...fields,
        decision: "allowed",
        reason: fields.policy?.reason ?? null,
        ruleId: fields.policy?.ruleId ?? null,
        success: !isError,
        error: isError ? "the tool reported an error (isError)" : null,
        durationMs: fields.server ? Date.now() - started : null,
        bytesIn: byteLength(request.params),
        bytesOut: byteLength(result),
        resultTokens: safeTokens(request.method, result),
      });
      return result;
    } catch (error) {
      const denied = error instanceof Denied;
      this.emit(this.context(extra), request.method, {
        ...fields,
        decision: denied ? "denied" : "allowed",
        reason: denied ? error.reason : null,
        ruleId: denied ? error.ruleId : null,
        success: false,
        error: error instanceof RpcError ? `${error.code}: ${error.message}${error.detail ? ` (${error.detail})` : ""}` : String(error),
        durationMs: denied ? null : Date.now() - started,
        bytesIn: byteLength(request.params),
      });
      throw error;
    }
  }

  /** `fields` (the tools/list event's): at `/mcp`, what each server's tools cost in context tokens. */
  private async listTools(extra: Extra, fields?: EventFields): Promise<Tool[]> {
    const caller = this.caller();
    const servers = this.servers();
    const found: { server: BundleServer; tool: Tool }[] = [];
    await Promise.all(
      servers.map(async (server) => {
        let live: Map<string, LiveTool>;
        try {
          live = await this.liveTools(await this.upstream(server), true);
        } catch (error) {
          // One broken upstream must not hide the others; in faithful mode it is the only one.
          if (this.owner?.scope) throw error instanceof RpcError ? error : error instanceof McpError ? RpcError.fromUpstream(error) : new RpcError(PortalErrorCode.UpstreamFailed, `Upstream server "${server.slug}" failed or is unreachable`);
          return;
        }
        for (const [name, tool] of live) {
          const access = toolAccess(this.index!, caller, server, name);
          if (!access.ok) continue;
          if (tool.hash !== access.tool.hash) {
            this.reportMismatch(extra, server, name, tool.hash);
            continue;
          }
          found.push({ server, tool: tool.def });
        }
      }),
    );
    const order = new Map(servers.map((s, i) => [s.id, i]));
    found.sort((a, b) => order.get(a.server.id)! - order.get(b.server.id)!);
    if (this.owner?.scope) return found.map((f) => f.tool);
    const names = await buildToolNameMap(found.map((f) => ({ serverSlug: f.server.slug, toolName: f.tool.name })));
    this.toolNames = names;
    const tools = found.map((f) => ({ ...f.tool, name: names.byUpstream.get(upstreamKey(f.server.slug, f.tool.name))! }));
    if (fields) {
      const bySlug = new Map<string, Tool[]>();
      found.forEach((f, i) => bySlug.set(f.server.slug, [...(bySlug.get(f.server.slug) ?? []), tools[i]!]));
      fields.serverTokens = Object.fromEntries([...bySlug].map(([slug, list]) => [slug, countTokens(JSON.stringify(list))]));
    }
    return tools;
  }

  private async callTool(request: { params?: Record<string, unknown>; method: string }, extra: Extra, fields: EventFields): Promise<Record<string, unknown>> {
    const caller = this.caller();
    const requested = String(request.params?.name ?? "");
    const notAvailable = (reason: string, ruleId: string | null = null) =>
      new Denied(PortalErrorCode.NotAvailable, `Tool "${requested}" is not available: it is unknown, not approved, or not allowed for you`, reason, ruleId);

    let server: BundleServer | undefined;
    let tool: string;
    if (this.owner?.scope) {
      server = this.scopeServer();
      tool = requested;
    } else {
      if (!this.toolNames?.byPortalName.has(requested)) await this.listTools(extra);
      const target = this.toolNames?.byPortalName.get(requested);
      server = target ? this.index!.serversBySlug.get(target.serverSlug) : undefined;
      tool = target?.toolName ?? requested;
      if (!target) {
        // Not one of the caller's tools. For the audit trail only, read it as `{slug}_{tool}` of a
        // published server (slugs have no underscore); the caller gets the same answer either way.
        const cut = requested.indexOf("_");
        const guess = cut > 0 ? this.index!.serversBySlug.get(requested.slice(0, cut)) : undefined;
        if (guess) [server, tool] = [guess, requested.slice(cut + 1)];
      }
    }
    fields.server = server ?? null;
    fields.tool = tool;
    if (!server) throw notAvailable("UNKNOWN_TOOL");
    const access = toolAccess(this.index!, caller, server, tool);
    if (!access.ok && access.code === "SERVER_BLOCKED") throw blockedError(server, access.reason);
    if (!access.ok) throw notAvailable(access.code === "POLICY_DENIED" ? `POLICY_DENIED: ${access.reason}` : "TOOL_NOT_APPROVED", access.decision?.ruleId ?? null);
    fields.policy = access.decision;

    const upstream = await this.upstream(server);
    const live = (await this.liveTools(upstream)).get(tool);
    if (!live) throw notAvailable("TOOL_NOT_OFFERED_UPSTREAM");
    if (live.hash !== access.tool.hash) {
      this.reportMismatch(extra, server, tool, live.hash);
      throw new Denied(PortalErrorCode.Quarantined, `Tool "${requested}" changed upstream since it was approved; it is quarantined until it is reviewed again`, `TOOL_HASH_MISMATCH: live definition hashes to ${live.hash}`);
    }
    await this.admitLimits(server, tool);
    return this.forward(upstream, request.method, { ...request.params, name: tool }, extra);
  }

  private async listPrompts(request: { method: string; params?: Record<string, unknown> }, extra: Extra): Promise<Record<string, unknown>> {
    if (this.owner?.scope) return this.forward(await this.routeServerLevel(this.scopeServer(), {}), request.method, request.params, extra);
    const found: { server: BundleServer; prompt: { name: string } & Record<string, unknown> }[] = [];
    await this.eachServerLevel(async (server, upstream) => {
      if (!upstream.client.getServerCapabilities()?.prompts) return;
      const page = await this.forward(upstream, request.method, {}, extra);
      for (const prompt of (page.prompts as ({ name: string } & Record<string, unknown>)[]) ?? []) found.push({ server, prompt });
    });
    const names = await buildToolNameMap(found.map((f) => ({ serverSlug: f.server.slug, toolName: f.prompt.name })));
    this.promptNames = names;
    return { prompts: found.map((f) => ({ ...f.prompt, name: names.byUpstream.get(upstreamKey(f.server.slug, f.prompt.name))! })) };
  }

  private async routePrompt(requested: string, fields: EventFields): Promise<{ upstream: Upstream; name: string }> {
    if (this.owner?.scope) {
      fields.prompt = requested;
      return { upstream: await this.routeServerLevel(this.scopeServer(), fields), name: requested };
    }
    if (!this.promptNames?.byPortalName.has(requested)) {
      const found: { serverSlug: string; toolName: string }[] = [];
      await this.eachServerLevel(async (server, upstream) => {
        if (!upstream.client.getServerCapabilities()?.prompts) return;
        const page = await upstream.client.listPrompts();
        for (const p of page.prompts) found.push({ serverSlug: server.slug, toolName: p.name });
      });
      this.promptNames = await buildToolNameMap(found);
    }
    const target = this.promptNames.byPortalName.get(requested);
    fields.prompt = target?.toolName ?? requested;
    const server = target ? this.index!.serversBySlug.get(target.serverSlug) : undefined;
    if (!server) throw new Denied(PortalErrorCode.NotAvailable, `Prompt "${requested}" is not available`, "UNKNOWN_PROMPT");
    return { upstream: await this.routeServerLevel(server, fields), name: target!.toolName };
  }

  /**
   * Rate limits and blocking budgets, for a request that is about to be forwarded (tools/call,
   * prompts/get, resources/read; `tool` null for the latter two, which only server-wide limits match).
   */
  private async admitLimits(server: BundleServer, tool: string | null): Promise<void> {
    const caller = this.caller();
    const admission = await admitCall(this.env, this.index!, { user: caller.user, tokenId: caller.tokenId ?? null }, { kind: "mcp", serverSlug: server.slug, tool }, { tokens: 0, microUsd: 0 }, caller.at);
    if (admission.admitted) return;
    const code = admission.refusal.kind === "rateLimit" ? PortalErrorCode.RateLimited : PortalErrorCode.BudgetExceeded;
    throw new Denied(code, admission.message, admission.reason, null, { retryAfterSeconds: admission.retryAfterSeconds });
  }

  /** Server-level access check (prompts, resources, completion) and the connected upstream. */
  private async routeServerLevel(server: BundleServer | undefined, fields: EventFields): Promise<Upstream> {
    const caller = this.caller();
    if (!server) throw new Denied(PortalErrorCode.NotAvailable, "Resource not available: it is unknown or not allowed for you", "UNKNOWN_RESOURCE");
    fields.server = server;
    const decision = serverAccess(this.index!, caller, server);
    const blocked = this.index!.blockedSlugs.get(server.slug);
    if (blocked) throw blockedError(server, decision.reason);
    if (decision.effect === "deny") throw new Denied(PortalErrorCode.NotAvailable, "Not available: unknown or not allowed for you", `POLICY_DENIED: ${decision.reason}`, decision.ruleId);
    fields.policy = decision;
    return this.upstream(server);
  }

  /** Every server-level-allowed upstream of the session, in parallel; one failing does not fail the list. */
  private async eachServerLevel(fn: (server: BundleServer, upstream: Upstream) => Promise<void>): Promise<void> {
    const caller = this.caller();
    const servers = this.servers().filter((s) => serverAccess(this.index!, caller, s).effect === "allow");
    await Promise.allSettled(servers.map(async (s) => fn(s, await this.upstream(s))));
  }

  private resourceServer(uri: string): BundleServer | undefined {
    if (this.owner?.scope) return this.scopeServer();
    const slug = this.resourceServers.get(uri);
    if (slug) return this.index!.serversBySlug.get(slug);
    // Templated URIs: the longest literal template prefix the URI starts with.
    let best: { slug: string; length: number } | undefined;
    for (const [template, s] of this.resourceServers) {
      const prefix = template.split("{")[0]!;
      if (template.includes("{") && uri.startsWith(prefix) && prefix.length > (best?.length ?? 0)) best = { slug: s, length: prefix.length };
    }
    return best ? this.index!.serversBySlug.get(best.slug) : undefined;
  }

  private async listMerged(request: { method: string; params?: Record<string, unknown> }, extra: Extra, key: "resources" | "resourceTemplates", uriField: "uri" | "uriTemplate"): Promise<Record<string, unknown>> {
    if (this.owner?.scope) return this.forward(await this.routeServerLevel(this.scopeServer(), {}), request.method, request.params, extra);
    const items: Record<string, unknown>[] = [];
    await this.eachServerLevel(async (server, upstream) => {
      if (!upstream.client.getServerCapabilities()?.resources) return;
      let cursor: string | undefined;
      do {
        const page = await this.forward(upstream, request.method, cursor ? { cursor } : {}, extra);
        for (const item of (page[key] as Record<string, unknown>[]) ?? []) {
          this.resourceServers.set(String(item[uriField]), server.slug);
          items.push(item);
        }
        cursor = typeof page.nextCursor === "string" ? page.nextCursor : undefined;
      } while (cursor);
    });
    return { [key]: items };
  }

  // ---------------------------------------------------------------- events

  private context(extra: Extra | null): SessionContext | null {
    const raw = extra?.requestInfo?.headers?.[SESSION_CONTEXT_HEADER];
    const text = Array.isArray(raw) ? raw[0] : raw;
    return text ? (JSON.parse(text) as SessionContext) : null;
  }

  private emit(
    ctx: SessionContext | null,
    method: string,
    e: EventFields & Partial<Pick<PortalEvent, "decision" | "reason" | "ruleId" | "success" | "error" | "durationMs" | "bytesIn" | "bytesOut" | "resultTokens">>,
  ): void {
    const user = this.owner ? this.index?.usersById.get(this.owner.userId) : undefined;
    const event: PortalEvent = {
      id: crypto.randomUUID(),
      time: new Date().toISOString(),
      userId: ctx?.userId ?? this.owner?.userId ?? null,
      email: clip(ctx?.email ?? user?.email),
      teamId: user?.teamIds[0] ?? null,
      tokenId: ctx?.tokenId ?? null,
      authMethod: ctx?.authMethod ?? null,
      clientName: clip(this.clientInfo.name),
      clientVersion: clip(this.clientInfo.version),
      clientIp: clip(ctx?.clientIp),
      clientCountry: clip(ctx?.clientCountry),
      sessionId: clip(ctx?.sessionId),
      method: clip(method)!,
      endpoint: clip(ctx?.endpoint ?? (this.owner?.scope ? `/mcp/${this.owner.scope}` : "/mcp"))!,
      serverId: e.server?.id ?? null,
      serverSlug: e.server?.slug ?? null,
      serverUrl: e.server ? clip(e.server.url, 2000) : null,
      tool: clip(e.tool),
      prompt: clip(e.prompt),
      resourceUri: clip(e.resourceUri, 2000),
      decision: e.decision ?? "allowed",
      reason: clip(e.reason),
      ruleId: clip(e.ruleId),
      success: e.success ?? true,
      error: clip(e.error, 2000),
      durationMs: e.durationMs ?? null,
      bytesIn: e.bytesIn ?? null,
      bytesOut: e.bytesOut ?? null,
      resultTokens: e.resultTokens ?? null,
      ...(e.serverTokens ? { serverTokens: e.serverTokens } : {}),
      bundleVersion: this.index?.bundle.version ?? null,
    };
    // Not awaited: the buffer is durable and delivery is its job; the caller's answer does not wait.
    this.ctx.waitUntil(this.env.EVENTS.get(this.env.EVENTS.idFromName("events")).enqueue([event]).catch((err: unknown) => console.error("event enqueue failed", err)));
  }
}

function safeTokens(method: string, result: unknown): number | null {
  try {
    return resultTokens(method, result);
  } catch {
    return null;
  }
}

export function jsonRpcError(status: number, code: number, message: string, headers?: HeadersInit): Response {
  return Response.json({ jsonrpc: "2.0", id: null, error: { code, message } }, { status, headers: { "cache-control": "no-store", ...Object.fromEntries(new Headers(headers).entries()) } });
}
