/**
 * Discovery: connect to a remote MCP server with the official SDK client, detect its transport the
 * way Cloudflare's portals do, and list everything it offers. Server-side only.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ClientCredentialsProvider } from "@modelcontextprotocol/sdk/client/auth-extensions.js";
import { SSEClientTransport, SseError } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { DomainError } from "@/lib/errors";
import { describeConnectionFailure, type ConnectionFailureCode, type HttpAnswer } from "./connection-failure";
import { redactUrlsInText } from "@core/net/redact-url";
import { META_SERVER_INFO, STATELESS_PROTOCOL_VERSION, statelessRequest } from "@core/mcp/stateless";
import type { McpToolDefinition } from "@core/tools/tool-types";

export type UpstreamAuth =
  | { type: "none" }
  | { type: "bearer"; token: string }
  | { type: "headers"; headers: Record<string, string> }
  | { type: "oauth_client_credentials"; clientId: string; clientSecret: string; scope?: string }
  /** Authorization code + refresh token; the provider holds (and refreshes) the tokens. */
  | { type: "oauth_authorization_code"; provider: OAuthClientProvider };

export type TransportKind = "streamable-http" | "sse";

/**
 * The console's upstream proof (docs/upstream-proof.md): headers for one request to the server at
 * `audience` (the URL being tried), made fresh per request. Servers that accept only the portal's
 * calls accept these too, so they can be registered and synced.
 */
export type ProofHeaders = (audience: string) => Promise<Record<string, string>>;

export interface DiscoveryResult {
  transport: TransportKind;
  endpointUrl: string;
  serverInfo: Record<string, unknown>;
  protocolVersion: string | null;
  capabilities: Record<string, unknown>;
  instructions: string | null;
  tools: McpToolDefinition[];
  prompts: Record<string, unknown>[];
  resources: Record<string, unknown>[];
  resourceTemplates: Record<string, unknown>[];
}

export type DiscoveryErrorCode = ConnectionFailureCode;

export class DiscoveryError extends DomainError {
  override readonly status = 422;
  constructor(
    override readonly code: DiscoveryErrorCode,
    message: string,
  ) {
    // The message names the URL; it is stored as the server's sync error and shown to every role.
    super(redactUrlsInText(message));
    this.fieldErrors = { url: this.message };
  }
  /** Every discovery failure is about the URL: a form shows it beside that field. */
  readonly fieldErrors: Record<string, string>;
}

/** A URL ending /mcp is Streamable HTTP, /sse is legacy SSE; otherwise try both, then the usual paths. */
export function transportCandidates(url: string): { transport: TransportKind; url: string }[] {
  const u = new URL(url);
  const path = u.pathname.replace(/\/+$/, "");
  if (path.endsWith("/mcp")) return [{ transport: "streamable-http", url }];
  if (path.endsWith("/sse")) return [{ transport: "sse", url }];
  const join = (suffix: string) => {
    const v = new URL(u);
    v.pathname = `${path}${suffix}`;
    return v.toString();
  };
  return [
    { transport: "streamable-http", url },
    { transport: "sse", url },
    { transport: "streamable-http", url: join("/mcp") },
    { transport: "sse", url: join("/sse") },
  ];
}

const MAX_PAGES = 100;
const SKIP_STATUSES = new Set([404, 405, 406]);

function statusOf(error: unknown): number | undefined {
  if (error instanceof StreamableHTTPError || error instanceof SseError) return error.code !== undefined && error.code > 0 ? error.code : undefined;
  const match = /\bHTTP (\d{3})\b/.exec(error instanceof Error ? error.message : "");
  return match ? Number(match[1]) : undefined;
}

/** An answer no MCP transport accepts: an error status, or a success with another kind of content. */
function isNonMcpAnswer(answer: HttpAnswer): boolean {
  if (answer.status >= 300) return true;
  const type = answer.contentType ?? "";
  return answer.status !== 202 && answer.status !== 204 && !/application\/json|text\/event-stream/i.test(type);
}

/** The fetch, noting each answer's status and headers, so a failure can say what the URL answered (the SDK's errors do not). */
function recordingFetch(base: typeof fetch, answers: HttpAnswer[]): typeof fetch {
  return async (input, init) => {
    const res = await base(input, init);
    answers.push({ status: res.status, contentType: res.headers.get("content-type"), wwwAuthenticate: res.headers.get("www-authenticate") });
    return res;
  };
}

function withHeaders(base: typeof fetch, extra: Record<string, string>, origin: string): typeof fetch {
  return (input, init) => {
    const target = new URL(input instanceof Request ? input.url : String(input));
    // Credentials go only to the server's own origin, never to wherever a redirect points.
    if (target.origin !== origin || Object.keys(extra).length === 0) return base(input, init);
    const headers = new Headers(init?.headers);
    for (const [k, v] of Object.entries(extra)) headers.set(k, v);
    return base(input, { ...init, headers });
  };
}

/** Adds a fresh proof to every request to the server's own origin (as credentials: never to a redirect's target elsewhere). */
function withProof(base: typeof fetch, audience: string, proof: ProofHeaders | undefined): typeof fetch {
  if (!proof) return base;
  const origin = new URL(audience).origin;
  return async (input, init) => {
    const target = new URL(input instanceof Request ? input.url : String(input));
    if (target.origin !== origin) return base(input, init);
    const headers = new Headers(init?.headers);
    for (const [k, v] of Object.entries(await proof(audience))) headers.set(k, v);
    return base(input, { ...init, headers });
  };
}

function makeTransport(kind: TransportKind, url: string, auth: UpstreamAuth, baseFetch: typeof fetch, proof?: ProofHeaders): Transport {
  const origin = new URL(url).origin;
  const headers: Record<string, string> =
    auth.type === "bearer" ? { authorization: `Bearer ${auth.token}` } : auth.type === "headers" ? auth.headers : {};
  const fetchImpl = withProof(withHeaders(baseFetch, headers, origin), url, proof);
  const authProvider =
    auth.type === "oauth_client_credentials"
      ? new ClientCredentialsProvider({ clientId: auth.clientId, clientSecret: auth.clientSecret, scope: auth.scope })
      : auth.type === "oauth_authorization_code"
        ? auth.provider
        : undefined;
  return kind === "streamable-http"
    ? new StreamableHTTPClientTransport(new URL(url), { fetch: fetchImpl, authProvider })
    : new SSEClientTransport(new URL(url), { fetch: fetchImpl, authProvider });
}

async function listAll<T>(page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor?: string }>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < MAX_PAGES; i++) {
    const { items, nextCursor } = await page(cursor);
    out.push(...items);
    if (!nextCursor || nextCursor === cursor) return out;
    cursor = nextCursor;
  }
  return out;
}

async function listEverything(client: Client, deadline: number) {
  const requestOptions = () => ({ timeout: Math.max(1, deadline - Date.now()) });
  const capabilities = (client.getServerCapabilities() ?? {}) as Record<string, unknown>;
  const tools = capabilities.tools
    ? await listAll(async (cursor) => {
        const r = await client.listTools(cursor ? { cursor } : {}, requestOptions());
        return { items: r.tools as unknown as McpToolDefinition[], nextCursor: r.nextCursor };
      })
    : [];
  // A server that advertises prompts or resources but fails to list them still has tools to review.
  const optional = async <T>(enabled: unknown, run: () => Promise<T[]>): Promise<T[]> => (enabled ? run().catch(() => []) : []);
  const prompts = await optional(capabilities.prompts, () =>
    listAll(async (cursor) => {
      const r = await client.listPrompts(cursor ? { cursor } : {}, requestOptions());
      return { items: r.prompts as Record<string, unknown>[], nextCursor: r.nextCursor };
    }),
  );
  const resources = await optional(capabilities.resources, () =>
    listAll(async (cursor) => {
      const r = await client.listResources(cursor ? { cursor } : {}, requestOptions());
      return { items: r.resources as Record<string, unknown>[], nextCursor: r.nextCursor };
    }),
  );
  const resourceTemplates = await optional(capabilities.resources, () =>
    listAll(async (cursor) => {
      const r = await client.listResourceTemplates(cursor ? { cursor } : {}, requestOptions());
      return { items: r.resourceTemplates as Record<string, unknown>[], nextCursor: r.nextCursor };
    }),
  );
  return { capabilities, tools, prompts, resources, resourceTemplates };
}

const DISCOVERY_CLIENT = { info: { name: "portcullis-discovery", version: "1.0.0" }, capabilities: {} };

/** The answer to request `id` in a response: its JSON body, or the matching message of its SSE stream. */
async function answerOf(res: Response, id: number): Promise<{ result?: Record<string, unknown>; error?: { message?: string } } | null> {
  const text = await res.text();
  const messages = (res.headers.get("content-type") ?? "").includes("text/event-stream")
    ? text
        .split(/\r?\n/)
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trim())
    : [text];
  for (const data of messages) {
    try {
      const message = JSON.parse(data) as { id?: unknown; result?: Record<string, unknown>; error?: { message?: string } };
      if (message.id === id) return message;
    } catch {
      // Not JSON: not the answer.
    }
  }
  return null;
}

/**
 * A server of the stateless revision (2026-07-28, no initialize): asked with `server/discover`,
 * then listed with one request per page. Null when the URL does not answer as one (a session
 * server refuses the method or the missing session, or the request fails): the SDK's session client
 * is tried next, and says what went wrong. OAuth-protected servers take the SDK's path (its auth flow).
 */
async function discoverStateless(url: string, auth: UpstreamAuth, baseFetch: typeof fetch, deadline: number, proof?: ProofHeaders): Promise<DiscoveryResult | null> {
  if (auth.type !== "none" && auth.type !== "bearer" && auth.type !== "headers") return null;
  const credential: Record<string, string> = auth.type === "bearer" ? { authorization: `Bearer ${auth.token}` } : auth.type === "headers" ? auth.headers : {};
  let id = 0;
  const ask = async (method: string, params: Record<string, unknown>) => {
    const request = statelessRequest(++id, method, params, DISCOVERY_CLIENT);
    const res = await baseFetch(url, {
      method: "POST",
      redirect: "manual",
      headers: { ...credential, ...(await proof?.(url)), "content-type": "application/json", accept: "application/json, text/event-stream", ...request.headers },
      body: request.body,
      signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
    });
    if (!res.ok) {
      await res.body?.cancel();
      return null;
    }
    return answerOf(res, id);
  };
  let discovered;
  try {
    discovered = await ask("server/discover", {});
  } catch {
    return null;
  }
  const versions = discovered?.result?.supportedVersions;
  if (!Array.isArray(versions) || !versions.includes(STATELESS_PROTOCOL_VERSION)) return null;
  const result = discovered!.result!;
  const capabilities = (result.capabilities && typeof result.capabilities === "object" ? result.capabilities : {}) as Record<string, unknown>;
  const list = async <T>(method: string, key: string): Promise<T[]> =>
    listAll(async (cursor) => {
      const answer = await ask(method, cursor ? { cursor } : {});
      if (!answer?.result) throw new Error(`${method}: ${answer?.error?.message ?? "no answer"}`);
      return { items: (Array.isArray(answer.result[key]) ? answer.result[key] : []) as T[], nextCursor: typeof answer.result.nextCursor === "string" ? answer.result.nextCursor : undefined };
    });
  const optional = async <T>(enabled: unknown, run: () => Promise<T[]>): Promise<T[]> => (enabled ? run().catch(() => []) : []);
  const meta = (result._meta ?? {}) as Record<string, unknown>;
  return {
    transport: "streamable-http",
    endpointUrl: url,
    serverInfo: (meta[META_SERVER_INFO] ?? {}) as Record<string, unknown>,
    protocolVersion: STATELESS_PROTOCOL_VERSION,
    capabilities,
    instructions: typeof result.instructions === "string" ? result.instructions : null,
    tools: capabilities.tools ? await list<McpToolDefinition>("tools/list", "tools") : [],
    prompts: await optional(capabilities.prompts, () => list<Record<string, unknown>>("prompts/list", "prompts")),
    resources: await optional(capabilities.resources, () => list<Record<string, unknown>>("resources/list", "resources")),
    resourceTemplates: await optional(capabilities.resources, () => list<Record<string, unknown>>("resources/templates/list", "resourceTemplates")),
  };
}

/**
 * Connects, initializes, lists tools (following cursors), prompts, resources and resource
 * templates, and disconnects. Throws DiscoveryError with a message a person can act on.
 */
export async function discoverServer(options: {
  url: string;
  auth: UpstreamAuth;
  fetch?: typeof fetch;
  timeoutMs?: number;
  proof?: ProofHeaders;
}): Promise<DiscoveryResult> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  const baseFetch = options.fetch ?? fetch;
  const credentialsSent = options.auth.type !== "none";
  const failures: { url: string; error: unknown; answer?: HttpAnswer }[] = [];
  const timedOut = () =>
    new DiscoveryError(
      "UPSTREAM_TIMEOUT",
      `${options.url} did not answer within ${Math.round(timeoutMs / 1000)} s. Check that the server is running and that the URL is its MCP endpoint; a firewall that drops the traffic looks the same.`,
    );
  const fail = (url: string, failure: { error?: unknown; answer?: HttpAnswer; pathsTried?: string[] }) => {
    const { code, message } = describeConnectionFailure(url, { ...failure, credentialsSent });
    return new DiscoveryError(code, message);
  };

  for (const candidate of transportCandidates(options.url)) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw timedOut();
    if (candidate.transport === "streamable-http") {
      const stateless = await discoverStateless(candidate.url, options.auth, baseFetch, deadline, options.proof);
      if (stateless) return stateless;
    }
    const answers: HttpAnswer[] = [];
    const client = new Client({ name: "portcullis-discovery", version: "1.0.0" }, { capabilities: {} });
    const transport = makeTransport(candidate.transport, candidate.url, options.auth, recordingFetch(baseFetch, answers), options.proof);
    try {
      await client.connect(transport, { timeout: remaining });
      const listed = await listEverything(client, deadline);
      return {
        transport: candidate.transport,
        endpointUrl: candidate.url,
        serverInfo: (client.getServerVersion() ?? {}) as Record<string, unknown>,
        protocolVersion: (transport as { protocolVersion?: string }).protocolVersion ?? null,
        instructions: client.getInstructions() ?? null,
        ...listed,
      };
    } catch (error) {
      if ((error as { code?: unknown })?.code === "UPSTREAM_ADDRESS_REFUSED") throw fail(candidate.url, { error });
      const status = statusOf(error);
      if (status === 401 || status === 403 || (error as Error)?.name === "UnauthorizedError") {
        const refusal = answers.findLast((a) => a.status === 401 || a.status === 403) ?? { status: status ?? 401, contentType: null, wwwAuthenticate: null };
        throw fail(candidate.url, { answer: refusal });
      }
      if (Date.now() >= deadline - 50) throw timedOut();
      const last = answers.at(-1);
      const answer = last && isNonMcpAnswer(last) ? last : status ? { status, contentType: null, wwwAuthenticate: null } : undefined;
      failures.push({ url: candidate.url, error, answer });
      // Cloudflare's rule: move on after 404/405/406; other answers mean this URL is not MCP.
      if (answer && !SKIP_STATUSES.has(answer.status)) throw fail(candidate.url, { answer });
    } finally {
      await client.close().catch(() => undefined);
    }
  }
  // Every path answered "not here", or none answered at all.
  const notFound = failures.filter((f) => f.answer);
  if (notFound.length > 0) {
    const pathsTried = [...new Set(failures.map((f) => new URL(f.url).pathname))];
    throw fail(options.url, { answer: notFound[0]!.answer, pathsTried });
  }
  throw fail(options.url, { error: failures[0]?.error });
}
