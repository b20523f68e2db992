/**
 * MCP 2026-07-28, the stateless revision (no initialize, no session; the protocol version, client
 * info and capabilities in `_meta` of every request, mirrored in the `MCP-Protocol-Version`,
 * `Mcp-Method` and `Mcp-Name` headers). The official SDK speaks the session revisions up to
 * 2025-11-25; a stateless SDK server already needs no initialize, so a 2026-07-28 request is checked
 * here, `server/discover` answered here, and anything else handed to the SDK as a request of the
 * newest session revision.
 */
export const STATELESS_VERSION = "2026-07-28";
/** The newest session revision the SDK speaks. */
const SDK_VERSION = "2025-11-25";
export const SUPPORTED_VERSIONS = [STATELESS_VERSION, SDK_VERSION, "2025-06-18", "2025-03-26"];
const META_VERSION = "io.modelcontextprotocol/protocolVersion";
const META_SERVER_INFO = "io.modelcontextprotocol/serverInfo";
/** Methods whose `Mcp-Name` header mirrors a parameter. */
const NAMED: Record<string, string> = { "tools/call": "name", "prompts/get": "name", "resources/read": "uri" };

type Message = { jsonrpc?: unknown; id?: string | number; method?: unknown; params?: Record<string, unknown> & { _meta?: Record<string, unknown> } };

const refuse = (id: string | number | null, code: number, message: string, data?: unknown) => Response.json({ jsonrpc: "2.0", id, error: { code, message, ...(data ? { data } : {}) } }, { status: 400 });

/** Whether the request names a stateless revision (2026-07-28 or later) in its `MCP-Protocol-Version`. */
export function isStateless(request: Request): boolean {
  const version = request.headers.get("mcp-protocol-version");
  return request.method === "POST" && version !== null && /^\d{4}-\d{2}-\d{2}$/.test(version) && version >= STATELESS_VERSION;
}

/**
 * A 2026-07-28 request: the answer when it is refused or is `server/discover`, else the same request
 * for the SDK (session revision header, same body).
 */
export async function fromStateless(request: Request, server: { info: { name: string; version: string }; capabilities: Record<string, unknown> }): Promise<{ answer: Response } | { request: Request }> {
  const version = request.headers.get("mcp-protocol-version")!;
  let body: Message;
  try {
    body = (await request.json()) as Message;
  } catch {
    return { answer: refuse(null, -32700, "Parse error") };
  }
  if (!body || typeof body !== "object" || Array.isArray(body) || typeof body.method !== "string") return { answer: refuse(null, -32600, "Invalid Request: one JSON-RPC request per POST") };
  const id = body.id ?? null;
  if (version !== STATELESS_VERSION) return { answer: refuse(id, -32022, `Unsupported protocol version '${version}'`, { supported: SUPPORTED_VERSIONS, requested: version }) };
  if (body.params?._meta?.[META_VERSION] !== version) return { answer: refuse(id, -32020, "Header mismatch: MCP-Protocol-Version does not match params._meta") };
  if (request.headers.get("mcp-method") !== body.method) return { answer: refuse(id, -32020, "Header mismatch: Mcp-Method does not match the method") };
  const named = NAMED[body.method];
  if (named && request.headers.get("mcp-name") !== body.params?.[named]) return { answer: refuse(id, -32020, "Header mismatch: Mcp-Name does not match the request") };
  if (body.method === "server/discover") {
    return { answer: Response.json({ jsonrpc: "2.0", id, result: { supportedVersions: SUPPORTED_VERSIONS, capabilities: server.capabilities, _meta: { [META_SERVER_INFO]: server.info } } }) };
  }
  const headers = new Headers(request.headers);
  headers.set("mcp-protocol-version", SDK_VERSION);
  return { request: new Request(request.url, { method: "POST", headers, body: JSON.stringify(body) }) };
}
