/**
 * The stateless path's connections to upstream MCP servers: plain `fetch` and one JSON parse per
 * message, no SDK client. Per isolate, each upstream's protocol is found once (a 2026-07-28
 * `server/discover`; anything else means a session server) and remembered; a session server gets
 * one upstream session per caller and server (never shared between callers), opened on first use,
 * reopened when the upstream forgets it. Legacy HTTP+SSE upstreams are not served here (the route
 * sends their callers to the session path's SDK client).
 */
import type { BundleServer } from "@core/bundle/schema";
import { STATELESS_PROTOCOL_VERSION, statelessRequest, type ClientInfo } from "@core/mcp/stateless";
import { upstreamHeaders } from "../upstream";
import { proofHeader, type ProofContext } from "../upstream-proof";
import { blockedError, RpcError, PortalErrorCode } from "../session/errors";

/** What the portal asks an upstream session for: the newest session revision. */
const SESSION_VERSION = "2025-11-25";
const OPEN_TIMEOUT_MS = 15_000;
/** Upstream sessions kept per isolate; beyond it the least recently opened is forgotten (the upstream ends it when idle). */
const MAX_LINKS = 2_000;

export interface JsonRpcMessage {
  jsonrpc: "2.0";
  id?: string | number | null;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

export interface UpstreamAnswer {
  message: JsonRpcMessage;
  /** The body's bytes as the upstream sent the final message (for sizes and off-path token counting). */
  text: string;
}

type Capabilities = Record<string, unknown>;
type Mode = { mode: "stateless"; capabilities: Capabilities } | { mode: "session" };

interface Link {
  sessionId: string | null;
  protocolVersion: string;
  capabilities: Capabilities;
}

/** Per isolate: each upstream's protocol (and, for 2026-07-28 ones, capabilities), by server id and URL. */
const modes = new Map<string, Promise<Mode>>();
/** Per isolate: upstream sessions by server, URL, credential and caller. */
const links = new Map<string, Promise<Link>>();
let nextId = 1;

const serverKey = (server: BundleServer) => `${server.id}\u0000${server.url}\u0000${server.credential?.sealed.slice(-32) ?? ""}`;

/** The upstream answered outside MCP (an HTTP error, no answer, a malformed body). */
function upstreamFailed(server: BundleServer, detail: string): RpcError {
  return new RpcError(PortalErrorCode.UpstreamFailed, `Upstream server "${server.slug}" failed or is unreachable`, undefined, detail);
}

export interface CallOptions {
  env: { PORTCULLIS_EDGE_SECRET: string };
  server: BundleServer;
  /** Whose upstream session this is: user and credential (never shared between callers). */
  callerKey: string;
  /** Who the proof on each upstream request names (upstream-proof.ts): a fresh proof per request. */
  proof: ProofContext;
  clientInfo: ClientInfo;
  clientCapabilities: Record<string, unknown>;
  timeoutMs: number;
  /** Notifications the upstream sends about this request (progress), in order. */
  onNotification?: (message: JsonRpcMessage) => void;
  signal?: AbortSignal;
  /** The server's URL is on the shadow-MCP block list: nothing is sent (defense in depth behind the access checks). */
  blocked?: string;
  /** The caller's trace continued (lib/core/trace/traceparent.ts): sent as the `traceparent` header and `_meta.traceparent`. */
  traceparent?: string;
}

/**
 * Sends one request to the upstream and returns its final answer (result or error), whatever the
 * upstream's protocol. `params` are sent as given (the caller's `_meta` keys of 2026-07-28 are set
 * for a stateless upstream, dropped for a session one).
 */
export async function callUpstream(options: CallOptions, method: string, params: Record<string, unknown>): Promise<UpstreamAnswer> {
  const { server } = options;
  // Never contact a blocked URL, whichever path asked (as the session path's upstream pool refuses it).
  if (options.blocked) throw blockedError(server, options.blocked);
  if (server.transport !== "streamable-http") throw upstreamFailed(server, "legacy HTTP+SSE upstreams are served on the session path");
  const headers = await upstreamHeaders(server, options.env.PORTCULLIS_EDGE_SECRET);
  const mode = await modeOf(server, headers, options);
  if (options.traceparent) {
    // The upstream's span is a child of the portal's: in the header (HTTP instrumentation) and in `_meta` (MCP's own), replacing the caller's.
    headers.traceparent = options.traceparent;
    params = { ...params, _meta: { ...(params._meta as Record<string, unknown> | undefined), traceparent: options.traceparent } };
  }
  if (mode.mode === "stateless") {
    const id = nextId++;
    const request = statelessRequest(id, method, params, { info: options.clientInfo, capabilities: options.clientCapabilities });
    return post(server, { ...headers, ...request.headers }, id, request.body, options);
  }
  const sessionParams = withoutStatelessMeta(params);
  for (let attempt = 0; ; attempt++) {
    const key = `${serverKey(server)}\u0000${options.callerKey}`;
    const link = await linkFor(key, server, headers, options);
    try {
      const id = nextId++;
      const sessionHeaders = { ...headers, "mcp-protocol-version": link.protocolVersion, ...(link.sessionId ? { "mcp-session-id": link.sessionId } : {}) };
      // Cancelled by the caller: a session upstream hears it as the 2025 revisions say (closing the stream is not enough there).
      const cancel = () => void send(server, sessionHeaders, { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id, reason: "cancelled by the client" } }, OPEN_TIMEOUT_MS, options).then((r) => r.body?.cancel(), () => undefined);
      options.signal?.addEventListener("abort", cancel, { once: true });
      try {
        return await post(server, sessionHeaders, id, { jsonrpc: "2.0", id, method, params: sessionParams }, options, link);
      } finally {
        options.signal?.removeEventListener("abort", cancel);
      }
    } catch (error) {
      // The upstream forgot the session (restarted, or ended it when idle): open a new one, once.
      if (error instanceof SessionGone && attempt === 0) {
        links.delete(key);
        continue;
      }
      throw error;
    }
  }
}

class SessionGone extends Error {}

/** What the upstream said it can do (`prompts`, `resources`, `completions`…), from its discovery or its session's initialize. */
export async function upstreamCapabilities(options: CallOptions): Promise<Capabilities> {
  const { server } = options;
  // Never contact a blocked URL, whichever path asked (as the session path's upstream pool refuses it).
  if (options.blocked) throw blockedError(server, options.blocked);
  if (server.transport !== "streamable-http") throw upstreamFailed(server, "legacy HTTP+SSE upstreams are served on the session path");
  const headers = await upstreamHeaders(server, options.env.PORTCULLIS_EDGE_SECRET);
  const mode = await modeOf(server, headers, options);
  if (mode.mode === "stateless") return mode.capabilities;
  return (await linkFor(`${serverKey(server)}\u0000${options.callerKey}`, server, headers, options)).capabilities;
}

function withoutStatelessMeta(params: Record<string, unknown>): Record<string, unknown> {
  const meta = params._meta as Record<string, unknown> | undefined;
  if (!meta) return params;
  const rest = Object.fromEntries(Object.entries(meta).filter(([k]) => !k.startsWith("io.modelcontextprotocol/")));
  const out = { ...params };
  if (Object.keys(rest).length > 0) out._meta = rest;
  else delete out._meta;
  return out;
}

/** Whether the upstream speaks 2026-07-28: asked once per isolate with `server/discover`. */
function modeOf(server: BundleServer, headers: Record<string, string>, options: CallOptions): Promise<Mode> {
  const key = serverKey(server);
  let mode = modes.get(key);
  if (!mode) {
    mode = discover(server, headers, options).catch((error: unknown) => {
      modes.delete(key);
      throw error;
    });
    modes.set(key, mode);
  }
  return mode;
}

async function discover(server: BundleServer, headers: Record<string, string>, options: CallOptions): Promise<Mode> {
  const id = nextId++;
  const request = statelessRequest(id, "server/discover", {}, { info: options.clientInfo, capabilities: {} });
  let res: Response;
  try {
    res = await fetch(server.url, {
      method: "POST",
      headers: { ...headers, ...(await proofHeader(server, options.env.PORTCULLIS_EDGE_SECRET, options.proof)), "content-type": "application/json", accept: "application/json, text/event-stream", ...request.headers },
      body: request.body,
      signal: AbortSignal.timeout(OPEN_TIMEOUT_MS),
    });
  } catch (error) {
    throw upstreamFailed(server, `server/discover: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    // A session server refuses the unknown method or the missing session (400/404/405...): speak sessions with it.
    if (res.status >= 400 && res.status < 500) return { mode: "session" };
    throw upstreamFailed(server, `server/discover answered HTTP ${res.status}`);
  }
  const answer = await readAnswer(server, res, id, undefined).catch(() => null);
  const result = answer?.message.result;
  const versions = result?.supportedVersions;
  if (!Array.isArray(versions) || !versions.includes(STATELESS_PROTOCOL_VERSION)) return { mode: "session" };
  const capabilities = result?.capabilities;
  return { mode: "stateless", capabilities: capabilities && typeof capabilities === "object" ? (capabilities as Capabilities) : {} };
}

function linkFor(key: string, server: BundleServer, headers: Record<string, string>, options: CallOptions): Promise<Link> {
  let link = links.get(key);
  if (!link) {
    link = openSession(server, headers, options).catch((error: unknown) => {
      links.delete(key);
      throw error;
    });
    links.set(key, link);
    if (links.size > MAX_LINKS) links.delete(links.keys().next().value!);
  }
  return link;
}

/** initialize, then notifications/initialized: an upstream session for one caller. */
async function openSession(server: BundleServer, headers: Record<string, string>, options: CallOptions): Promise<Link> {
  const init = { jsonrpc: "2.0" as const, id: nextId++, method: "initialize", params: { protocolVersion: SESSION_VERSION, capabilities: {}, clientInfo: options.clientInfo } };
  const res = await send(server, headers, init, OPEN_TIMEOUT_MS, options);
  const sessionId = res.headers.get("mcp-session-id");
  const answer = await readAnswer(server, res, init.id, undefined);
  if (answer.message.error) throw new RpcError(answer.message.error.code, answer.message.error.message, answer.message.error.data);
  const version = answer.message.result?.protocolVersion;
  const capabilities = answer.message.result?.capabilities;
  const link: Link = { sessionId, protocolVersion: typeof version === "string" ? version : SESSION_VERSION, capabilities: capabilities && typeof capabilities === "object" ? (capabilities as Capabilities) : {} };
  const note = await send(server, { ...headers, "mcp-protocol-version": link.protocolVersion, ...(sessionId ? { "mcp-session-id": sessionId } : {}) }, { jsonrpc: "2.0", method: "notifications/initialized" }, OPEN_TIMEOUT_MS, options);
  await note.body?.cancel();
  return link;
}

/** One POST to the upstream, with a proof of its own (a cancel or a refusal can come long after the call began). */
async function send(server: BundleServer, headers: Record<string, string>, body: string | JsonRpcMessage, timeoutMs: number, options: Pick<CallOptions, "env" | "proof">, signal?: AbortSignal): Promise<Response> {
  const proof = await proofHeader(server, options.env.PORTCULLIS_EDGE_SECRET, options.proof);
  try {
    return await fetch(server.url, {
      method: "POST",
      headers: { ...headers, ...proof, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: typeof body === "string" ? body : JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw upstreamFailed(server, error instanceof Error ? error.message : String(error));
  }
}

async function post(server: BundleServer, headers: Record<string, string>, id: number, body: string | JsonRpcMessage, options: CallOptions, link?: Link): Promise<UpstreamAnswer> {
  const res = await send(server, headers, body, options.timeoutMs, options, options.signal);
  if (link?.sessionId && res.status === 404) {
    await res.body?.cancel();
    throw new SessionGone();
  }
  if (!res.ok) {
    // An HTTP error may still carry a JSON-RPC error (a 400 with the reason): forward that.
    const text = await res.text().catch(() => "");
    const message = parseMessage(text);
    if (message?.error) return { message, text };
    throw upstreamFailed(server, `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ""}`);
  }
  return readAnswer(server, res, id, options, link, headers);
}

function parseMessage(text: string): JsonRpcMessage | null {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === "object" && !Array.isArray(value) ? (value as JsonRpcMessage) : null;
  } catch {
    return null;
  }
}

/**
 * The final message for `id` from a JSON body or an SSE stream. On a stream, notifications go to
 * `onNotification`; a request from the upstream (sampling, elicitation, roots) is answered with an
 * error, since the portal opened the upstream session without those capabilities.
 */
async function readAnswer(server: BundleServer, res: Response, id: number, options: CallOptions | undefined, link?: Link, headers?: Record<string, string>): Promise<UpstreamAnswer> {
  const type = res.headers.get("content-type") ?? "";
  if (!type.includes("text/event-stream")) {
    const text = await res.text();
    const message = parseMessage(text);
    if (!message || (message.result === undefined && message.error === undefined)) throw upstreamFailed(server, `not a JSON-RPC answer: ${text.slice(0, 200)}`);
    return { message, text };
  }
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  // Cancelled while the answer streams: stop reading (the upstream sees its stream close).
  const signal = options?.signal;
  const stop = () => void reader.cancel(signal?.reason).catch(() => undefined);
  signal?.addEventListener("abort", stop, { once: true });
  try {
    for (;;) {
      const chunk = await reader.read();
      if (signal?.aborted) throw upstreamFailed(server, signal.reason instanceof Error ? signal.reason.message : String(signal.reason));
      if (chunk.done) throw upstreamFailed(server, "the stream ended without an answer");
      buffer += chunk.value.replace(/\r\n?/g, "\n");
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(line[5] === " " ? 6 : 5))
          .join("\n");
        if (!data) continue;
        const message = parseMessage(data);
        if (!message) continue;
        if ((message.result !== undefined || message.error !== undefined) && message.id === id) return { message, text: data };
        if (message.method && message.id === undefined) options?.onNotification?.(message);
        else if (message.method && message.id !== undefined && link && headers && options) {
          const refusal = { jsonrpc: "2.0" as const, id: message.id, error: { code: -32601, message: `The portal does not relay ${message.method} on this path` } };
          void send(server, { ...headers, "mcp-protocol-version": link.protocolVersion, ...(link.sessionId ? { "mcp-session-id": link.sessionId } : {}) }, refusal, OPEN_TIMEOUT_MS, options).then((r) => r.body?.cancel(), () => undefined);
        }
      }
    }
  } finally {
    signal?.removeEventListener("abort", stop);
    void reader.cancel().catch(() => undefined);
  }
}
