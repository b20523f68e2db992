/**
 * `npx portcullis bridge`: a local stdio MCP server behind a Streamable HTTP endpoint that only the
 * portal can call (every request must carry a valid upstream proof, docs/upstream-proof.md; else
 * 401). docs/bridge.md.
 *
 * Each HTTP session gets its own child process, as each desktop client runs its own copy of a
 * stdio server, and the bridge relays JSON-RPC messages between the two untouched (ids, progress,
 * logging, list_changed, and the server's own requests such as sampling): the official SDK's
 * Streamable HTTP server transport on one side, its stdio client transport (newline-delimited
 * framing, the child's stderr) on the other. A child that dies is started again with backoff and
 * re-initialized with its session's own initialize; requests that were in flight get an error.
 * No dependency beyond the SDK: supergateway and mcp-proxy do the relay but check no caller, and
 * each brings its own HTTP stack to wrap.
 */
import { createServer, type IncomingMessage, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest, type JSONRPCMessage, type RequestId } from "@modelcontextprotocol/sdk/types.js";
import { createProofVerifier, portalIssuers, type ProofClaims } from "@core/proof/verify";
import { slugFor } from "@core/laptop-scan/adopt";

export { slugFor };

export interface BridgeOptions {
  command: string;
  args: string[];
  /** The portal whose proofs are accepted (its keys: `<portal>/.well-known/portcullis/jwks.json`). */
  portal: string;
  port?: number;
  host?: string;
  /** The URL the portal reaches the bridge at, when not `http://<host>:<port>/mcp` (a tunnel, a proxy). */
  publicUrl?: string;
  /** Environment of the child (default: the bridge's own). */
  env?: Record<string, string>;
  /** Restart backoff: first wait and longest wait, in ms (defaults 500 and 30,000). */
  backoffMs?: { first: number; max: number };
  /** A session without requests for this long is ended, its child stopped (default 30 minutes). */
  idleMs?: number;
  log?: (line: string) => void;
}

export interface RunningBridge {
  url: string;
  /** What the command answered when the bridge tried it at start: its name and tools. */
  server: { name: string; version: string; tools: string[] };
  /** Process ids of the running children, by session. */
  children(): Map<string, number | null>;
  /** Who called, as the proofs said (newest last; bounded). */
  callers: ProofClaims[];
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const REPLAY_PREFIX = "portcullis-bridge-init-";

/** A JSON-RPC error; `id` null when the request could not be read (the HTTP answers before any session). */
const rpcError = (id: RequestId | null, code: number, message: string) => ({ jsonrpc: "2.0" as const, id, error: { code, message } });

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) reject(new Error("body too large"));
      else chunks.push(c);
    });
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      try {
        resolve(text ? JSON.parse(text) : undefined);
      } catch {
        reject(new Error("body is not JSON"));
      }
    });
    req.on("error", reject);
  });
}

/** One HTTP session and its child: relays messages, restarts the child when it dies. */
class BridgedSession {
  readonly transport: StreamableHTTPServerTransport;
  private child: StdioClientTransport | null = null;
  private ready = false;
  private queue: JSONRPCMessage[] = [];
  private initialize: JSONRPCMessage | null = null;
  /** Requests from the client not answered yet, oldest first: where the server's notifications and requests go. */
  private inflight: RequestId[] = [];
  private progressOwners = new Map<string | number, RequestId>();
  private restarts = 0;
  private startedAt = 0;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  lastActivity = Date.now();

  constructor(
    private readonly options: BridgeOptions,
    private readonly log: (line: string) => void,
    onSession: (id: string, session: BridgedSession) => void,
    onEnd: (id: string) => void,
  ) {
    this.transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => crypto.randomUUID(), onsessioninitialized: (id) => onSession(id, this) });
    this.transport.onmessage = (message) => this.fromClient(message);
    this.transport.onclose = () => {
      if (this.transport.sessionId) onEnd(this.transport.sessionId);
      void this.close();
    };
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  async start(): Promise<void> {
    await this.transport.start();
    await this.spawn();
  }

  private async spawn(): Promise<void> {
    const child = new StdioClientTransport({ command: this.options.command, args: this.options.args, env: this.options.env ?? (process.env as Record<string, string>), stderr: "pipe" });
    this.child = child;
    this.ready = false;
    child.stderr?.on("data", (d: Buffer) => this.log(`[child ${child.pid ?? "?"}] ${d.toString("utf8").trimEnd()}`));
    child.onmessage = (message) => this.fromChild(message);
    child.onerror = (error) => this.log(`[bridge] child ${child.pid ?? "?"}: ${error.message}`);
    child.onclose = () => {
      if (this.child === child) this.childExited();
    };
    this.startedAt = Date.now();
    await child.start();
    this.log(`[bridge] started child pid ${child.pid} for session ${this.transport.sessionId ?? "(new)"}`);
    if (this.initialize && "id" in this.initialize) {
      // A restart: the new child hears the session's own initialize again (its answer is the bridge's, not the client's).
      await child.send({ ...this.initialize, id: `${REPLAY_PREFIX}${this.restarts}` } as JSONRPCMessage);
    } else {
      this.markReady();
    }
  }

  private markReady(): void {
    this.ready = true;
    const queued = this.queue;
    this.queue = [];
    for (const message of queued) void this.child?.send(message).catch((error: Error) => this.log(`[bridge] send: ${error.message}`));
  }

  private fromClient(message: JSONRPCMessage): void {
    this.lastActivity = Date.now();
    if ("method" in message && "id" in message) {
      if (isInitializeRequest(message)) this.initialize = message;
      this.inflight.push(message.id);
      const token = (message.params as { _meta?: { progressToken?: string | number } } | undefined)?._meta?.progressToken;
      if (token !== undefined) this.progressOwners.set(token, message.id);
    }
    if (!this.ready || !this.child) return void this.queue.push(message);
    void this.child.send(message).catch((error: Error) => this.log(`[bridge] send: ${error.message}`));
  }

  private fromChild(message: JSONRPCMessage): void {
    if ("id" in message && !("method" in message)) {
      if (typeof message.id === "string" && message.id.startsWith(REPLAY_PREFIX)) {
        void this.child?.send({ jsonrpc: "2.0", method: "notifications/initialized" }).then(() => this.markReady());
        return;
      }
      if (message.id !== undefined) this.answered(message.id);
      return void this.toClient(message);
    }
    const token = "method" in message && message.method === "notifications/progress" ? (message.params as { progressToken?: string | number } | undefined)?.progressToken : undefined;
    // Progress goes with its request; anything else with the latest request still open (else on the session's GET stream).
    const related = token !== undefined ? this.progressOwners.get(token) : this.inflight.at(-1);
    this.toClient(message, related);
  }

  private answered(id: RequestId): void {
    this.inflight = this.inflight.filter((i) => i !== id);
    for (const [token, owner] of this.progressOwners) if (owner === id) this.progressOwners.delete(token);
  }

  private toClient(message: JSONRPCMessage, relatedRequestId?: RequestId): void {
    this.transport.send(message, relatedRequestId !== undefined ? { relatedRequestId } : undefined).catch((error: Error) => this.log(`[bridge] to client: ${error.message}`));
  }

  private childExited(): void {
    this.child = null;
    this.ready = false;
    if (this.closed) return;
    for (const id of this.inflight) this.toClient({ jsonrpc: "2.0", id, error: { code: -32603, message: "The bridged MCP server stopped while answering; the bridge is restarting it" } });
    this.inflight = [];
    this.progressOwners.clear();
    // Backoff doubles while the child keeps dying soon after it starts; a child that ran a while starts over.
    if (Date.now() - this.startedAt > 60_000) this.restarts = 0;
    const { first, max } = this.options.backoffMs ?? { first: 500, max: 30_000 };
    const wait = Math.min(max, first * 2 ** this.restarts);
    this.restarts += 1;
    this.log(`[bridge] child exited; restarting in ${wait} ms`);
    this.timer = setTimeout(() => void this.spawn().catch((error: Error) => (this.log(`[bridge] restart failed: ${error.message}`), this.childExited())), wait);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    await this.child?.close().catch(() => undefined);
    await this.transport.close().catch(() => undefined);
  }
}

/** Runs the command once as an MCP client would (initialize, tools/list), so a wrong command fails now rather than at the first call. */
async function probe(options: BridgeOptions): Promise<RunningBridge["server"]> {
  const client = new Client({ name: "portcullis-bridge", version: "1.0.0" });
  const transport = new StdioClientTransport({ command: options.command, args: options.args, env: options.env ?? (process.env as Record<string, string>), stderr: "pipe" });
  const stderr: string[] = [];
  transport.stderr?.on("data", (d: Buffer) => stderr.push(d.toString("utf8")));
  try {
    await client.connect(transport, { timeout: 60_000 });
    const tools = client.getServerCapabilities()?.tools ? (await client.listTools(undefined, { timeout: 60_000 })).tools.map((t) => t.name) : [];
    const info = client.getServerVersion();
    return { name: info?.name ?? options.command, version: info?.version ?? "", tools };
  } catch (error) {
    const said = stderr.join("").trim().split("\n").slice(-5).join("\n");
    throw new Error(`${options.command} ${options.args.join(" ")} did not answer as an MCP server over stdio: ${(error as Error).message}${said ? `\n${said}` : ""}`, { cause: error });
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** The API call that requests registration of the bridged server (pending review, as any request). */
export function registrationCommand(input: { consoleUrl: string; name: string; url: string; command: string[] }): string {
  const body = JSON.stringify({ name: input.name, slug: slugFor(input.name), url: input.url, justification: `Local stdio server moved behind the portal with npx portcullis bridge: ${input.command.join(" ")}`.slice(0, 4000) });
  const quoted = `'${body.replace(/'/g, "'\\''")}'`;
  return `curl -X POST ${new URL("/api/v1/servers", input.consoleUrl).href} -H "Authorization: Bearer $PORTCULLIS_TOKEN" -H "content-type: application/json" -d ${quoted}`;
}

/** Starts the bridge: checks that the command answers MCP, then listens. */
export async function startBridge(options: BridgeOptions): Promise<RunningBridge> {
  const log = options.log ?? ((line: string) => console.error(line));
  const server = await probe(options);
  const host = options.host ?? "127.0.0.1";
  const sessions = new Map<string, BridgedSession>();
  const callers: ProofClaims[] = [];
  let url = options.publicUrl ?? "";
  /** This endpoint's URLs as the portal may name them (`aud`): filled in once the port is known. */
  const audience: string[] = [];
  const verify = createProofVerifier({ portal: options.portal, audience, issuer: portalIssuers(options.portal) });

  const http: HttpServer = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://bridge").pathname;
    if (path !== "/mcp") return void res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "the MCP endpoint is /mcp" }));
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
    const proof = await verify(headers);
    if (!proof.ok) {
      req.resume();
      return void res.writeHead(401, { "content-type": "application/json", "www-authenticate": `Portcullis-Proof error="${proof.reason.toLowerCase()}"` }).end(JSON.stringify(rpcError(null, -32001, `Unauthorized: ${proof.message}`)));
    }
    callers.push(proof.claims);
    if (callers.length > 1000) callers.splice(0, callers.length - 1000);
    let body: unknown;
    try {
      body = req.method === "POST" ? await readBody(req) : undefined;
    } catch (error) {
      return void res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify(rpcError(null, -32700, `Parse error: ${(error as Error).message}`)));
    }
    const sessionId = req.headers["mcp-session-id"];
    const existing = typeof sessionId === "string" ? sessions.get(sessionId) : undefined;
    if (existing) {
      existing.lastActivity = Date.now();
      return void existing.transport.handleRequest(req, res, body);
    }
    if (typeof sessionId === "string") return void res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify(rpcError(null, -32001, "Session not found")));
    if (req.method !== "POST" || !isInitializeRequest(body)) {
      return void res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify(rpcError(null, -32000, "Bad Request: start a session with initialize (this bridge speaks the session protocols)")));
    }
    const session = new BridgedSession(options, log, (id, s) => sessions.set(id, s), (id) => sessions.delete(id));
    try {
      await session.start();
    } catch (error) {
      await session.close();
      return void res.writeHead(502, { "content-type": "application/json" }).end(JSON.stringify(rpcError(null, -32603, `The bridged MCP server did not start: ${(error as Error).message}`)));
    }
    await session.transport.handleRequest(req, res, body);
  });

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  const local = `http://${host.includes(":") ? `[${host}]` : host}:${port}/mcp`;
  url ||= local;
  audience.push(...new Set([url, ...(host === "127.0.0.1" || host === "localhost" ? [`http://127.0.0.1:${port}/mcp`, `http://localhost:${port}/mcp`] : [])]));

  const idleMs = options.idleMs ?? 30 * 60_000;
  const sweeper = setInterval(() => {
    for (const [id, session] of sessions) {
      if (Date.now() - session.lastActivity > idleMs) {
        sessions.delete(id);
        void session.close();
      }
    }
  }, Math.min(idleMs, 60_000));
  sweeper.unref();

  return {
    url,
    server,
    callers,
    children: () => new Map([...sessions].map(([id, s]) => [id, s.pid])),
    async close() {
      clearInterval(sweeper);
      await Promise.allSettled([...sessions.values()].map((s) => s.close()));
      sessions.clear();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
