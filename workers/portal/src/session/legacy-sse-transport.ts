/**
 * The old HTTP+SSE transport (MCP 2024-11-05) on web-standard streams, for the McpSession Durable
 * Object: the SDK's `SSEServerTransport` needs Node's `http`. One GET stream carries everything the
 * server says (`event: message`), opened by an `event: endpoint` naming where to POST; each POST
 * carries one message (or a batch) in, answered 202 at once. Routing: src/routes/legacy-sse.ts;
 * docs/mcp-endpoint.md, "Legacy HTTP+SSE (2024-11-05)".
 */
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { isInitializeRequest, JSONRPCMessageSchema, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { legacyEndpointUri } from "@core/mcp/legacy-sse";
import { jsonRpcError } from "./errors";

const encoder = new TextEncoder();

export class LegacySseTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport["onmessage"];
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private readonly readable: ReadableStream<Uint8Array>;
  private readonly keepAlive: ReturnType<typeof setInterval>;
  private closed = false;
  private initialized = false;

  /**
   * `endpoint`: the path the client POSTs to (`/mcp` or `/mcp/{slug}`); the session id is added as
   * `?sessionId=`. `keepAliveMs`: how often a comment goes out, keeping proxies from timing the
   * stream out; a failed one is how a vanished client is noticed where its hanging up is not.
   */
  constructor(
    readonly sessionId: string,
    endpoint: string,
    keepAliveMs: number,
  ) {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    this.readable = readable;
    this.writer = writable.getWriter();
    // The caller hung up (the stream was cancelled) or the stream ended: the session ends with it.
    this.writer.closed.then(
      () => this.close(),
      () => this.close(),
    );
    this.write(`event: endpoint\ndata: ${legacyEndpointUri(endpoint, sessionId)}\n\n`);
    this.keepAlive = setInterval(() => this.write(": keepalive\n\n"), keepAliveMs);
  }

  /** The SSE response of the GET that opened the session (call once). */
  response(): Response {
    return new Response(this.readable, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache, no-transform", "x-accel-buffering": "no" } });
  }

  /** Nothing to do: the stream is open from the constructor on (the endpoint event goes out before any server is connected). */
  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) throw new Error("Not connected: the SSE stream has ended");
    await this.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }

  /**
   * A POST to the session's endpoint: its message(s) go to the server, whose answers go out on the
   * stream; the POST itself is answered 202 at once. The body is parsed JSON-RPC (the Durable Object
   * refuses anything else first).
   */
  async handleRequest(request: Request, options: { parsedBody?: unknown }): Promise<Response> {
    if (request.method !== "POST") return jsonRpcError(405, -32000, "Method Not Allowed: a legacy SSE session takes messages by POST to its endpoint", { allow: "POST" });
    if (this.closed) return jsonRpcError(404, -32001, "Session not found");
    const messages = (Array.isArray(options.parsedBody) ? options.parsedBody : [options.parsedBody]).map((m) => JSONRPCMessageSchema.safeParse(m));
    if (messages.some((m) => !m.success)) return jsonRpcError(400, -32600, "Invalid Request: not a JSON-RPC message");
    const parsed = messages.map((m) => m.data!);
    if (parsed.some(isInitializeRequest)) {
      if (this.initialized) return jsonRpcError(400, -32600, "Invalid Request: the session is already initialized");
      this.initialized = true;
    }
    const requestInfo = { headers: Object.fromEntries(request.headers.entries()), url: new URL(request.url) };
    for (const message of parsed) this.onmessage?.(message, { requestInfo });
    return new Response("Accepted", { status: 202, headers: { "content-type": "text/plain" } });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    await this.writer.close().catch(() => {});
    this.onclose?.();
  }

  /** Writes one SSE frame; a failed write means the caller is gone, which ends the session. */
  private write(frame: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.writer.write(encoder.encode(frame)).catch(() => this.close());
  }
}
