/**
 * Connections from the portal to upstream MCP servers: the SDK client over Streamable HTTP or
 * legacy SSE, with the server's credential opened from the bundle (never the caller's token —
 * client credentials are not passed upstream).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { ClientCapabilities, Implementation } from "@modelcontextprotocol/sdk/types.js";
import type { jsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/types.js";
import type { BundleServer } from "@core/bundle/schema";
import { edgeCredentialAad, type EdgeCredential } from "@core/edge/credential";
import { openSealedJson } from "./opened-credentials";

/**
 * The portal forwards results; validating an upstream's structured output is the caller's job
 * (and ajv's code generation is not allowed in workerd). So the client accepts what arrives.
 */
export const passThroughValidator: jsonSchemaValidator = {
  getValidator: () => (input: unknown) => ({ valid: true, data: input, errorMessage: undefined }) as never,
};


/** Access tokens fetched with OAuth client credentials, per server, until shortly before expiry. */
const clientCredentialTokens = new Map<string, { token: string; expiresAt: number }>();

async function clientCredentialsToken(serverId: string, cred: Extract<EdgeCredential, { type: "oauth_client_credentials" }>): Promise<string> {
  const cached = clientCredentialTokens.get(serverId);
  if (cached && cached.expiresAt > Date.now() + 30_000) return cached.token;
  const body = new URLSearchParams({ grant_type: "client_credentials", ...(cred.scope ? { scope: cred.scope } : {}) });
  const res = await fetch(cred.tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa(`${encodeURIComponent(cred.clientId)}:${encodeURIComponent(cred.clientSecret)}`)}` },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`token endpoint answered ${res.status}`);
  const json = (await res.json()) as { access_token?: unknown; expires_in?: unknown };
  if (typeof json.access_token !== "string") throw new Error("token endpoint sent no access_token");
  const ttl = typeof json.expires_in === "number" ? json.expires_in * 1000 : 3_600_000;
  clientCredentialTokens.set(serverId, { token: json.access_token, expiresAt: Date.now() + ttl });
  return json.access_token;
}

/**
 * The headers that authenticate the portal at this upstream (empty when it needs none). The sealed
 * credential is opened once per isolate (src/sealed.ts); each caller gets its own copy of the headers.
 */
export async function upstreamHeaders(server: BundleServer, edgeSecretSource: string): Promise<Record<string, string>> {
  if (!server.credential) return {};
  const credential = (await openSealedJson(server.credential, edgeCredentialAad(server.id), edgeSecretSource)) as EdgeCredential;
  if (credential.type === "headers") return { ...credential.headers };
  return { authorization: `Bearer ${await clientCredentialsToken(server.id, credential)}` };
}

export interface UpstreamOptions {
  server: BundleServer;
  headers: Record<string, string>;
  clientInfo: Implementation;
  capabilities: ClientCapabilities;
  /** The fetch every request of the connection goes through (the session path's adds a fresh proof to each: upstream-proof.ts). */
  fetch?: typeof fetch;
}

/** A connected client (initialize done). The caller installs handlers before connecting via `configure`. */
export async function connectUpstream(options: UpstreamOptions, configure: (client: Client) => void): Promise<Client> {
  const client = new Client(options.clientInfo, { capabilities: options.capabilities, jsonSchemaValidator: passThroughValidator });
  configure(client);
  const url = new URL(options.server.url);
  const requestInit: RequestInit = { headers: options.headers };
  const base = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const transport =
    options.server.transport === "sse"
      ? new SSEClientTransport(url, { requestInit, fetch: base, eventSourceInit: { fetch: (u, init) => base(u, { ...init, headers: { ...options.headers, ...Object.fromEntries(new Headers(init?.headers).entries()) } }) } })
      : new StreamableHTTPClientTransport(url, { requestInit, fetch: base });
  await client.connect(transport, { timeout: 15_000 });
  return client;
}

/** What it takes to end an upstream Streamable HTTP session later, even from a fresh object (after eviction). */
export interface UpstreamSessionRecord {
  serverId: string;
  url: string;
  sessionId: string;
  protocolVersion: string | null;
  /** The portal origin the session's proofs named: what ending it later (from a fresh object) names too. Absent in records made before proofs. */
  issuer?: string;
}

const TERMINATE_TIMEOUT_MS = 5_000;

/** The upstream session of a connected client, when its transport has one (Streamable HTTP). */
export function upstreamSession(server: BundleServer, client: Client): UpstreamSessionRecord | null {
  const transport = client.transport;
  if (!(transport instanceof StreamableHTTPClientTransport) || !transport.sessionId) return null;
  return { serverId: server.id, url: server.url, sessionId: transport.sessionId, protocolVersion: transport.protocolVersion ?? null };
}

/**
 * Ends an upstream session: DELETE with its Mcp-Session-Id for Streamable HTTP (the spec's session
 * termination; a 405 means the server keeps sessions itself), then closes the client. Never throws:
 * an upstream that is down or slow must not hold up the caller's session ending.
 */
export async function closeUpstream(client: Client): Promise<void> {
  const transport = client.transport;
  if (transport instanceof StreamableHTTPClientTransport && transport.sessionId) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([transport.terminateSession(), new Promise((resolve) => (timer = setTimeout(resolve, TERMINATE_TIMEOUT_MS)))]).catch(() => undefined);
    if (timer !== undefined) clearTimeout(timer);
  }
  await client.close().catch(() => undefined);
}

/** The same DELETE as `closeUpstream`, for a session whose client object is gone (the Durable Object was evicted). */
export async function terminateUpstreamSession(record: UpstreamSessionRecord, headers: Record<string, string>): Promise<void> {
  const res = await fetch(record.url, {
    method: "DELETE",
    headers: { ...headers, "mcp-session-id": record.sessionId, ...(record.protocolVersion ? { "mcp-protocol-version": record.protocolVersion } : {}) },
    signal: AbortSignal.timeout(TERMINATE_TIMEOUT_MS),
  }).catch(() => undefined);
  await res?.body?.cancel();
}
