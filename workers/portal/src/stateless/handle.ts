/**
 * MCP 2026-07-28 at `/mcp` and `/mcp/{slug}`: each request is decided and answered by the Worker
 * that receives it, from its per-isolate index of the bundle, with no Durable Object on the way
 * except the counter shards a limited call counts against. One JSON parse of the request; lists
 * come from the bundle's approved definitions; a call goes to the one upstream concerned
 * (./upstream-link.ts) and its answer comes back as JSON, or as SSE when the caller asked for
 * progress; events and token counts are done after the answer (`waitUntil`).
 *
 * Decisions and their words are the session path's (../decide.ts); so is every event's shape
 * (@core/events/mcp-event). docs/mcp-endpoint.md, "Stateless (2026-07-28)".
 */
import { blockMarks, toolAccess, type BundleIndex } from "@core/bundle/bundle-index";
import type { BundleServer } from "@core/bundle/schema";
import { resultTokens } from "@core/events/result-tokens";
import { mcpEvent } from "@core/events/mcp-event";
import { callDetail, DEFAULT_EVENT_DETAIL } from "@core/events/detail";
import { requestTrace } from "@core/trace/traceparent";
import { META_SERVER_INFO, readStatelessRequest, STATELESS_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS, type StatelessRequest } from "@core/mcp/stateless";
import { buildToolNameMap, upstreamKey, type ToolNameMap } from "@core/naming/tool-names";
import { decideToolCall, quarantined, toolNotAvailable } from "../decide";
import type { Env } from "../env";
import { enqueueEvents } from "../events/enqueue";
import { Denied, PortalErrorCode, RpcError } from "../session/errors";
import { admit, Answer, catalogTokens, eventCaller, linkOptions, serversOf, withFields, type Outcome, type StatelessContext, type VisibleTool } from "./context";
import { listen, readFilter } from "./listen";
import { knownHashes, listingStarted, liveHashes, recheckMs } from "./live-pins";
import { complete, getPrompt, listPrompts, listResources, readResource } from "./server-level";
import { codemodeCall, codemodeList, type CodemodePath } from "../codemode/handle";
import { APPROVAL_ID_PREFIX, APPROVAL_TIMEOUT_MS, approvalStub, type ApprovalAnswer } from "../codemode/approvals";

const SERVER_LEVEL: Record<string, (request: Request, env: Env, who: StatelessContext, rpc: StatelessRequest) => Promise<Answer>> = {
  "prompts/list": listPrompts,
  "prompts/get": getPrompt,
  "resources/list": (request, env, who, rpc) => listResources(request, env, who, rpc, "resources", "uri"),
  "resources/templates/list": (request, env, who, rpc) => listResources(request, env, who, rpc, "resourceTemplates", "uriTemplate"),
  "resources/read": readResource,
  "completion/complete": complete,
};
import { callUpstream, type JsonRpcMessage } from "./upstream-link";

const SERVER_INFO = { name: "Portcullis MCP portal", version: "2" };
/** How long a first list in an isolate waits for the upstreams' live tools (the pin check) before answering from the bundle. */
const LIST_PIN_WAIT_MS = 2_000;
/** How long a client may keep a list (`ttlMs`): lists change only with a publish. */
const LIST_TTL_MS = 60_000;

/** The names at `/mcp` of the tools of a set of servers, per bundle version (names depend only on the set). */
let namesVersion = -1;
const namesBySet = new Map<string, Promise<ToolNameMap>>();

function namesFor(config: BundleIndex, servers: readonly BundleServer[]): Promise<ToolNameMap> {
  if (namesVersion !== config.bundle.version) {
    namesBySet.clear();
    namesVersion = config.bundle.version;
  }
  const key = servers.map((s) => s.slug).join(" ");
  let names = namesBySet.get(key);
  if (!names) {
    names = buildToolNameMap(servers.flatMap((s) => s.tools.map((t) => ({ serverSlug: s.slug, toolName: t.name }))));
    namesBySet.set(key, names);
  }
  return names;
}

export type { StatelessContext, VisibleTool };

/**
 * How answers are shaped: 2026-07-28 (`resultType`, the server's identity in `_meta`, lists with
 * cache hints), or a sealed session of a 2025 revision (./sealed.ts), whose results are as those
 * revisions define them and whose events carry the session id.
 */
export interface Dialect {
  sessionId: string | null;
  session: boolean;
  /** The session's client declared elicitation: Code Mode may ask it for approvals. */
  elicitation?: boolean;
}
const STATELESS: Dialect = { sessionId: null, session: false };

export async function handleStateless(request: Request, body: unknown, env: Env, ctx: ExecutionContext, who: StatelessContext): Promise<Response> {
  const read = readStatelessRequest(body, {
    protocolVersion: request.headers.get("mcp-protocol-version"),
    method: request.headers.get("mcp-method"),
    name: request.headers.get("mcp-name"),
  });
  if (!read.ok) return rpcError(read.status, read.id, read.code, read.message, read.data);
  // This revision defines no client notification over HTTP (cancelling is closing the stream): accepted, nothing to do.
  if (read.request.id === undefined) return new Response(null, { status: 202 });
  return dispatch(request, read.request as StatelessRequest & { id: string | number }, env, ctx, who, STATELESS);
}

/** One request, decided and answered on the per-call path (both dialects). */
export async function dispatch(request: Request, rpc: StatelessRequest & { id: string | number }, env: Env, ctx: ExecutionContext, caller: StatelessContext, dialect: Dialect): Promise<Response> {
  // The caller's trace, continued by a span of the portal's: passed upstream (linkOptions) and on every event of the request.
  const trace = requestTrace(request.headers.get("traceparent"), rpc.meta);
  const who: StatelessContext = trace ? { ...caller, trace } : caller;
  const ok = (id: string | number, result: Record<string, unknown>) => (dialect.session ? sessionOk(id, result) : statelessOk(id, result));

  const emit = (outcome: Outcome, result?: unknown, eventId?: string) => {
    const [id, at] = [eventId ?? crypto.randomUUID(), new Date()];
    // After the answer: the result's tokens are counted, then the event goes to the queue (or the buffer).
    ctx.waitUntil(
      Promise.resolve().then(() => {
        const tokens = result === undefined ? null : safeTokens(rpc.method, result);
        const marks = blockMarks(who.config, outcome.server?.slug, outcome.decision ?? "allowed", outcome.reason);
        const { callArguments, ...fields } = outcome;
        // A tool call's content, as the portal's settings say: a Code Mode inner call's own arguments, else the request's.
        const detail = rpc.method === "tools/call" ? callDetail(who.config.bundle.audit?.detail ?? DEFAULT_EVENT_DETAIL, outcome.parentId ? callArguments : rpc.params?.arguments, result) : null;
        const event = mcpEvent(eventCaller(who, rpc.clientInfo, dialect.sessionId), { ...fields, method: rpc.method, bundleVersion: who.config.bundle.version, ...(tokens === null ? {} : { resultTokens: tokens }), ...marks, ...detail, trace }, id, at);
        return enqueueEvents(env, (p) => ctx.waitUntil(p), [event]);
      }),
    );
  };
  const started = Date.now();
  const bytesIn = Number(request.headers.get("content-length")) || null;

  if (dialect.session && rpc.method === "ping") return ok(rpc.id, {});
  if (dialect.session && rpc.method === "logging/setLevel") {
    // Sealed sessions relay no log messages (no stream outside a request) and say so by not offering `logging`; a client that sets a level anyway is answered.
    emit({ decision: "allowed", success: true, bytesIn });
    return ok(rpc.id, {});
  }
  try {
    switch (rpc.method) {
      case "server/discover":
        if (dialect.session) return rpcError(200, rpc.id, -32601, "Method not found");
        emit({ bytesIn });
        return ok(rpc.id, discoverResult(who.config));
      case "tools/list": {
        const answer = who.codemode ? await codemodeList(who.codemode, codemodePath(request, env, ctx, who, rpc)) : await listTools(request, env, ctx, who, rpc);
        emit({ ...answer.outcome, bytesIn }, answer.result);
        return ok(rpc.id, answer.result);
      }
      case "subscriptions/listen": {
        if (dialect.session) return rpcError(200, rpc.id, -32601, "Method not found");
        const read = readFilter(rpc.params);
        if (!read.ok) return rpcError(200, rpc.id, -32602, read.message);
        emit({ decision: "allowed", success: true, bytesIn });
        return listen(request, env, ctx, who, rpc, read.filter);
      }
      case "tools/call":
        if (who.codemode) {
          if (dialect.elicitation && (rpc.name === "execute" || rpc.name === "code")) return streamedCodemodeCall(request, rpc, env, ctx, who, emit, started, bytesIn);
          const result = await codemodeCall(who.codemode, rpc, env, codemodePath(request, env, ctx, who, rpc), emit);
          return ok(rpc.id, result);
        }
        return await callTool(request, env, ctx, who, rpc, emit, started, bytesIn, dialect);
      case "prompts/list":
      case "prompts/get":
      case "resources/list":
      case "resources/templates/list":
      case "resources/read":
      case "completion/complete": {
        const answer = await SERVER_LEVEL[rpc.method]!(request, env, who, rpc);
        emit({ ...answer.outcome, decision: "allowed", success: true, durationMs: Date.now() - started, bytesIn, bytesOut: null }, rpc.method === "resources/read" || rpc.method === "prompts/get" ? answer.result : undefined);
        return ok(rpc.id, answer.result);
      }
      default:
        if (dialect.session) return rpcError(200, rpc.id, -32601, "Method not found");
        return rpcError(404, rpc.id, -32601, `Method not found: ${rpc.method.slice(0, 100)} (this portal serves server/discover, tools, prompts, resources, completion and subscriptions/listen in protocol revision ${STATELESS_PROTOCOL_VERSION})`);
    }
  } catch (error) {
    const { rpcErr, outcome } = refusal(error, started, bytesIn);
    emit(outcome);
    return rpcError(200, rpc.id, rpcErr.code, rpcErr.message, rpcErr.data as Record<string, unknown> | undefined);
  }
}

/** What Code Mode needs of this path: the caller's tools, and their calls as the caller's. */
function codemodePath(request: Request, env: Env, ctx: ExecutionContext, who: StatelessContext, rpc: StatelessRequest, ask?: (question: string) => Promise<ApprovalAnswer>): CodemodePath {
  let visible: Promise<VisibleTool[]> | undefined;
  return {
    visibleTools: (admitted = true) => (visible ??= visibleTools(request, env, ctx, who, rpc, admitted)),
    callTool: (name, args, emit, paused) => innerToolCall(request, env, ctx, who, rpc, name, args, emit, ask && ((question) => paused(ask(question)))),
  };
}

/**
 * A Code Mode run for a client that can be asked (a sealed session that declared elicitation): the
 * answer is an SSE stream, on which an approval's `elicitation/create` goes out while the run
 * waits; the client's answer (a POST any isolate may receive) meets it in the approval's Durable
 * Object. The result ends the stream.
 */
function streamedCodemodeCall(request: Request, rpc: StatelessRequest & { id: string | number }, env: Env, ctx: ExecutionContext, who: StatelessContext, emit: (outcome: Outcome, result?: unknown, id?: string) => void, started: number, bytesIn: number | null): Response {
  return sseAnswer(ctx, async (write) => {
    const ask = async (question: string): Promise<ApprovalAnswer> => {
      const id = `${APPROVAL_ID_PREFIX}${crypto.randomUUID()}`;
      const answer = approvalStub(env, id).wait(APPROVAL_TIMEOUT_MS);
      await write({ jsonrpc: "2.0", id, method: "elicitation/create", params: { message: question, requestedSchema: { type: "object", properties: {} } } });
      return answer;
    };
    try {
      const result = await codemodeCall(who.codemode!, rpc, env, codemodePath(request, env, ctx, who, rpc, ask), emit);
      await write({ jsonrpc: "2.0", id: rpc.id, result });
    } catch (error) {
      const { rpcErr, outcome } = refusal(error, started, bytesIn);
      emit(outcome);
      await write({ jsonrpc: "2.0", id: rpc.id, error: { code: rpcErr.code, message: rpcErr.message } });
    }
  });
}

/** An answer as an SSE stream: `run` writes its JSON-RPC messages (in `waitUntil`); the stream ends when it returns. */
function sseAnswer(ctx: ExecutionContext, run: (write: (message: unknown) => Promise<void>) => Promise<void>): Response {
  const stream = new TransformStream<Uint8Array, Uint8Array>();
  const writer = stream.writable.getWriter();
  const encoder = new TextEncoder();
  const write = (message: unknown) => writer.write(encoder.encode(`event: message\ndata: ${JSON.stringify(message)}\n\n`)).catch(() => undefined);
  ctx.waitUntil(run(write).finally(() => writer.close().catch(() => undefined)));
  return new Response(stream.readable, { headers: { "content-type": "text/event-stream", "cache-control": "no-store", "x-accel-buffering": "no" } });
}

function discoverResult(config: BundleIndex): Record<string, unknown> {
  return {
    supportedVersions: [...SUPPORTED_PROTOCOL_VERSIONS],
    capabilities: { tools: { listChanged: true }, prompts: { listChanged: true }, resources: { listChanged: true }, completions: {} },
    instructions: `Tools of the MCP servers your company approved${config.bundle.servers.length ? ` (${config.bundle.servers.map((s) => s.slug).join(", ").slice(0, 500)})` : ""}, through the Portcullis portal: every call is checked against your access and audited.`,
    ttlMs: LIST_TTL_MS,
    cacheScope: "private",
  };
}


/**
 * The tools a caller may use now: admitted by the limits (a list counts as a request to every
 * server in it; `admitted: false` for Code Mode's execute, whose calls are admitted one by one),
 * allowed by policy, and pinned — what the upstream offers as this isolate last
 * listed it. Shared by `tools/list` and Code Mode's catalog.
 */
export async function visibleTools(request: Request, env: Env, ctx: ExecutionContext, who: StatelessContext, rpc: StatelessRequest, admitted = true): Promise<VisibleTool[]> {
  // (A server on the shadow-MCP block list is not among them: visibleServers leaves it out, so it is never listed either.)
  const servers = serversOf(who);
  if (admitted) await admit(env, who, servers.map((server) => ({ kind: "mcp" as const, serverSlug: server.slug, tool: null })));
  // A server this isolate has not listed yet is listed now (once; later lists use what is known,
  // refreshed in the background), so a tool that drifted is left out from the first list on. The
  // list waits for that at most LIST_PIN_WAIT_MS, and only the list that starts it: a slow or
  // unreachable upstream is shown from the bundle (calling it checks its pin, or fails) while its
  // listing goes on in the background.
  const unlisted = servers.filter((s) => s.transport === "streamable-http" && !listingStarted(s));
  if (unlisted.length > 0) {
    const waitUntil = (p: Promise<unknown>) => ctx.waitUntil(p);
    const listed = Promise.allSettled(unlisted.map((s) => liveHashes({ ...linkOptions(request, env, who, rpc, s), clientCapabilities: {} }, recheckMs(env.PORTCULLIS_PIN_RECHECK_SECONDS), waitUntil)));
    waitUntil(listed);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([listed, new Promise((resolve) => (timer = setTimeout(resolve, LIST_PIN_WAIT_MS)))]);
    if (timer !== undefined) clearTimeout(timer);
  }
  const names = who.scope ? null : await namesFor(who.config, servers);
  const tools: VisibleTool[] = [];
  for (const server of servers) {
    const live = knownHashes(server);
    for (const tool of server.tools) {
      if (!tool.definition) continue;
      // What decideToolCall would allow, without building its refusal for every tool left out.
      if (!toolAccess(who.config, who.caller, server, tool.name).ok) continue;
      // What the upstream offers now, as this isolate last listed it: a tool that drifted is left out
      // (and refused when called) until it is reviewed, and so is one the upstream no longer offers.
      if (live && live.get(tool.name) !== tool.hash) continue;
      const listed = names ? { ...tool.definition, name: names.byUpstream.get(upstreamKey(server.slug, tool.name))! } : (tool.definition as VisibleTool["listed"]);
      tools.push({ server, listed, definition: tool.definition });
    }
  }
  return tools;
}

async function listTools(request: Request, env: Env, ctx: ExecutionContext, who: StatelessContext, rpc: StatelessRequest): Promise<Answer> {
  const visible = await visibleTools(request, env, ctx, who, rpc);
  const serverTokens = who.scope ? {} : catalogTokens(visible);
  return new Answer({ tools: visible.map((t) => t.listed), ttlMs: LIST_TTL_MS, cacheScope: "private" }, { ...(Object.keys(serverTokens).length ? { serverTokens } : {}) });
}


/** A tool call decided and ready to forward: the upstream, the tool's upstream name, what its event says. */
interface PreparedCall {
  link: ReturnType<typeof linkOptions>;
  server: BundleServer;
  tool: string;
  fields: Outcome;
  /** In Code Mode, the call waits for the user's approval (the bundle marks the tool). */
  approval: boolean;
}

/**
 * Everything before forwarding a tool call: which server and tool the name means, the decision
 * (policy, allowlist, quarantine, block list), the pin check and admission by the limits. Throws
 * the refusal (Denied or RpcError, carrying the event's fields); a drifted tool is reported once.
 */
async function prepareCall(request: Request, env: Env, ctx: ExecutionContext, who: StatelessContext, rpc: StatelessRequest, requested: string, emit: (outcome: Outcome) => void): Promise<PreparedCall> {
  let server: BundleServer | undefined;
  let tool = requested;
  if (who.scope) server = who.config.serversBySlug.get(who.scope);
  else {
    const target = (await namesFor(who.config, serversOf(who))).byPortalName.get(requested);
    if (target) [server, tool] = [who.config.serversBySlug.get(target.serverSlug), target.toolName];
    else {
      // Not one of the caller's tools: named in the audit trail all the same ({slug}_{tool}; slugs have no underscore).
      const cut = requested.indexOf("_");
      const guess = cut > 0 ? who.config.serversBySlug.get(requested.slice(0, cut)) : undefined;
      if (guess) [server, tool] = [guess, requested.slice(cut + 1)];
    }
  }
  const fields: Outcome = { server: server ?? null, tool };
  let access;
  try {
    access = decideToolCall(who.config, who.caller, server, tool, requested);
  } catch (error) {
    throw withFields(error as Error, fields);
  }
  fields.reason = access.decision.reason;
  fields.ruleId = access.decision.ruleId;
  const upstreamServer = access.server;
  if (upstreamServer.transport !== "streamable-http") throw withFields(new RpcError(PortalErrorCode.UpstreamFailed, `Server "${upstreamServer.slug}" speaks only the legacy HTTP+SSE transport; use it from a session client (protocol 2025-11-25 or earlier)`), fields);

  const link = linkOptions(request, env, who, rpc, upstreamServer);
  // Pin check and admission at once: neither needs the other.
  const [hashes] = await Promise.all([
    liveHashes({ ...link, clientCapabilities: {} }, recheckMs(env.PORTCULLIS_PIN_RECHECK_SECONDS), (p) => ctx.waitUntil(p)).catch((error: unknown) => {
      throw withFields(error instanceof RpcError ? error : new RpcError(PortalErrorCode.UpstreamFailed, `Upstream server "${upstreamServer.slug}" failed or is unreachable`, undefined, error instanceof Error ? error.message : String(error)), fields);
    }),
    admit(env, who, [{ kind: "mcp", serverSlug: upstreamServer.slug, tool }]).catch((error: unknown) => {
      throw withFields(error as Error, fields);
    }),
  ]);
  const live = hashes.get(tool);
  if (live === undefined) throw withFields(toolNotAvailable(requested, "TOOL_NOT_OFFERED_UPSTREAM"), fields);
  if (live !== access.tool.hash) {
    reportDrift(emit, fields, live);
    throw withFields(quarantined(requested, live), fields);
  }
  return { link, server: upstreamServer, tool, fields, approval: access.tool.approval === true };
}

const upstreamFailure = (server: BundleServer, fields: Outcome, error: unknown) =>
  withFields(error instanceof RpcError ? error : new RpcError(PortalErrorCode.UpstreamFailed, `Upstream server "${server.slug}" failed or is unreachable`, undefined, error instanceof Error ? error.message : String(error)), fields);

/**
 * A tool call that Code Mode's code made (`await codemode.<name>(input)`): the same decision,
 * limits, pin check and forwarding as a client's call, its own event (`via: "codemode"`, the
 * `execute` call's event as `parentId`). Resolves with the tool's result; a refusal or failure is
 * audited and rejects with the message the caller would have got.
 */
export async function innerToolCall(
  request: Request,
  env: Env,
  ctx: ExecutionContext,
  who: StatelessContext,
  rpc: StatelessRequest,
  requested: string,
  args: Record<string, unknown>,
  emit: (outcome: Outcome, result?: unknown) => void,
  ask?: (question: string) => Promise<ApprovalAnswer>,
): Promise<Record<string, unknown>> {
  const started = Date.now();
  const bytesIn = JSON.stringify(args).length;
  let prepared: PreparedCall | undefined;
  try {
    prepared = await prepareCall(request, env, ctx, who, rpc, requested, emit);
    if (prepared.approval) await approved(prepared, requested, args, ask);
    const answer = await callUpstream(prepared.link, "tools/call", { name: prepared.tool, arguments: args }).catch((error: unknown) => {
      throw upstreamFailure(prepared!.server, prepared!.fields, error);
    });
    const durationMs = Date.now() - started;
    if (answer.message.error) {
      const error = `${answer.message.error.code}: ${answer.message.error.message}`.slice(0, 2000);
      emit({ ...prepared.fields, decision: "allowed", success: false, error, durationMs, bytesIn, bytesOut: answer.text.length });
      throw Object.assign(new Error(`${requested}: ${answer.message.error.message}`), { audited: true });
    }
    const result = answer.message.result ?? {};
    const isError = result.isError === true;
    emit({ ...prepared.fields, decision: "allowed", success: !isError, error: isError ? "the tool reported an error (isError)" : null, durationMs, bytesIn, bytesOut: answer.text.length }, result);
    return result;
  } catch (error) {
    if ((error as { audited?: boolean }).audited) throw error;
    const { rpcErr, outcome } = refusal(error, started, bytesIn);
    emit(outcome);
    throw new Error(`${requested}: ${rpcErr.message}`, { cause: error });
  }
}

/**
 * A tool marked as needing approval: the user is asked (elicitation, on the execute's stream), and
 * the call goes on only if they accept; the answer is in the call's event either way.
 */
async function approved(prepared: PreparedCall, requested: string, args: Record<string, unknown>, ask: ((question: string) => Promise<ApprovalAnswer>) | undefined): Promise<void> {
  const input = JSON.stringify(args);
  const answer = ask ? await ask(`Code Mode wants to call ${requested} (server "${prepared.server.slug}") with ${input.length > 600 ? `${input.slice(0, 600)}…` : input}. Allow it?`) : null;
  if (answer === "accept") {
    prepared.fields.reason = `${prepared.fields.reason ?? "allowed"}; approved by the user`;
    return;
  }
  const [message, reason] =
    answer === null
      ? [`${requested} needs the user's approval, and this client cannot be asked (Code Mode asks through elicitation, which it did not declare)`, "APPROVAL_UNAVAILABLE: the client cannot be asked (no elicitation)"]
      : answer === "timeout"
        ? [`${requested} needs the user's approval, and none came within ${APPROVAL_TIMEOUT_MS / 60_000} minutes`, "APPROVAL_TIMEOUT: no answer from the user"]
        : [`The user did not approve ${requested} (${answer})`, `APPROVAL_${answer.toUpperCase()}: the user ${answer === "decline" ? "declined" : "cancelled"} the call`];
  throw withFields(new Denied(PortalErrorCode.NotAllowed, message, reason, null), prepared.fields);
}

/** A request that ended in an error: the JSON-RPC error the caller gets, and what its event says (refused, or failed). */
function refusal(error: unknown, started: number, bytesIn: number | null): { rpcErr: RpcError; outcome: Outcome } {
  const denied = error instanceof Denied;
  const rpcErr = error instanceof RpcError ? error : new RpcError(PortalErrorCode.UpstreamFailed, "The portal could not complete the request", undefined, error instanceof Error ? error.message : String(error));
  return {
    rpcErr,
    outcome: {
      ...((error as { fields?: Outcome }).fields ?? {}),
      decision: denied ? "denied" : "allowed",
      reason: denied ? (error as Denied).reason : null,
      ruleId: denied ? (error as Denied).ruleId : null,
      success: false,
      error: `${rpcErr.code}: ${rpcErr.message}${rpcErr.detail ? ` (${rpcErr.detail})` : ""}`,
      durationMs: denied ? null : Date.now() - started,
      bytesIn,
    },
  };
}

async function callTool(
  request: Request,
  env: Env,
  ctx: ExecutionContext,
  who: StatelessContext,
  rpc: StatelessRequest,
  emit: (outcome: Outcome, result?: unknown) => void,
  started: number,
  bytesIn: number | null,
  dialect: Dialect,
): Promise<Response> {
  const requested = rpc.name!;
  const { link, server: upstreamServer, tool, fields } = await prepareCall(request, env, ctx, who, rpc, requested, emit);

  const params = { ...rpc.params, name: tool };
  const progressToken = (rpc.meta.progressToken ?? undefined) as string | number | undefined;
  const finish = (message: JsonRpcMessage, text: string) => {
    const durationMs = Date.now() - started;
    if (message.error) {
      emit({ ...fields, decision: "allowed", success: false, error: `${message.error.code}: ${message.error.message}`.slice(0, 2000), durationMs, bytesIn, bytesOut: text.length });
      return { jsonrpc: "2.0", id: rpc.id, error: message.error };
    }
    const result = message.result ?? {};
    const isError = result.isError === true;
    emit({ ...fields, decision: "allowed", success: !isError, error: isError ? "the tool reported an error (isError)" : null, durationMs, bytesIn, bytesOut: text.length }, result);
    return { jsonrpc: "2.0", id: rpc.id, result: dialect.session || "resultType" in result ? result : { ...result, resultType: "complete" } };
  };
  const failed = (error: unknown) => upstreamFailure(upstreamServer, fields, error);

  if (progressToken === undefined) {
    let answer;
    try {
      answer = await callUpstream(link, "tools/call", params);
    } catch (error) {
      throw failed(error);
    }
    return Response.json(finish(answer.message, answer.text), { headers: { "cache-control": "no-store" } });
  }

  // The caller asked for progress: an SSE stream with the upstream's progress notifications, then the answer.
  return sseAnswer(ctx, async (write) => {
    try {
      const answer = await callUpstream({ ...link, onNotification: (n) => n.method === "notifications/progress" && void write(n) }, "tools/call", params);
      await write(finish(answer.message, answer.text));
    } catch (error) {
      const err = failed(error);
      emit({ ...fields, decision: "allowed", success: false, error: `${err.code}: ${err.message}${err.detail ? ` (${err.detail})` : ""}`, durationMs: Date.now() - started, bytesIn });
      await write({ jsonrpc: "2.0", id: rpc.id, error: { code: err.code, message: err.message } });
    }
  });
}

/** A drifted tool, reported once per isolate so the console quarantines it. */
const reported = new Set<string>();

function reportDrift(emit: (outcome: Outcome) => void, fields: Outcome, liveHash: string): void {
  const key = `${fields.server?.id}\u0000${fields.tool}\u0000${liveHash}`;
  if (reported.has(key)) return;
  reported.add(key);
  if (reported.size > 10_000) reported.clear();
  emit({ ...fields, decision: "denied", reason: `TOOL_HASH_MISMATCH: live definition hashes to ${liveHash}, not the approved pin`, success: false });
}

function statelessOk(id: string | number, result: Record<string, unknown>): Response {
  return Response.json({ jsonrpc: "2.0", id, result: { resultType: "complete", ...result, _meta: { ...(result._meta as object | undefined), [META_SERVER_INFO]: SERVER_INFO } } }, { headers: { "cache-control": "no-store" } });
}

/** A 2025 revision's result: no `resultType`, no cache hints (those revisions have neither). */
function sessionOk(id: string | number, result: Record<string, unknown>): Response {
  const { ttlMs: _ttl, cacheScope: _scope, ...rest } = result;
  return Response.json({ jsonrpc: "2.0", id, result: rest }, { headers: { "cache-control": "no-store" } });
}

export function rpcError(status: number, id: string | number | null, code: number, message: string, data?: Record<string, unknown>): Response {
  return Response.json({ jsonrpc: "2.0", id, error: { code, message, ...(data ? { data } : {}) } }, { status, headers: { "cache-control": "no-store" } });
}

function safeTokens(method: string, result: unknown): number | null {
  try {
    return resultTokens(method, result);
  } catch {
    return null;
  }
}
