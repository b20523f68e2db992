/**
 * MCP 2026-07-28, the stateless revision: no initialize, no session; every request carries its
 * protocol version, client identity and capabilities in `params._meta`, mirrored in HTTP headers
 * (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`) that must match the body. This module reads
 * and checks one such request, once, and names the errors the revision defines. Pure: the portal
 * Worker's per-call path (workers/portal/src/stateless/) and its tests use it.
 *
 * Spec: docs/specification/2026-07-28 (basic/transports/streamable-http.mdx "Request Metadata",
 * "Server Validation"; basic/versioning.mdx; server/discover.mdx).
 */

import { isJsonObject } from "@core/json/is-object";

export const STATELESS_PROTOCOL_VERSION = "2026-07-28";
/** The session revisions the portal also speaks (on the same endpoint, with Mcp-Session-Id). */
export const SESSION_PROTOCOL_VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26"] as const;
/** Every revision the portal speaks, newest first: what `server/discover` advertises. */
export const SUPPORTED_PROTOCOL_VERSIONS = [STATELESS_PROTOCOL_VERSION, ...SESSION_PROTOCOL_VERSIONS] as const;

export const META_PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion";
export const META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo";
export const META_CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";
export const META_SERVER_INFO = "io.modelcontextprotocol/serverInfo";
export const META_LOG_LEVEL = "io.modelcontextprotocol/logLevel";

/** Error codes of the revision (the MCP-reserved range -32020…-32099). */
export const StatelessError = {
  HeaderMismatch: -32020,
  MissingRequiredClientCapability: -32021,
  UnsupportedProtocolVersion: -32022,
} as const;

/** Methods whose `Mcp-Name` header mirrors `params.name` or `params.uri`. */
const NAMED_METHODS: Record<string, "name" | "uri"> = { "tools/call": "name", "prompts/get": "name", "resources/read": "uri" };

/**
 * Whether a request belongs to the stateless path: its `MCP-Protocol-Version` names 2026-07-28 or
 * a later revision (a later one is answered there, with UnsupportedProtocolVersion and the list).
 * Earlier revisions, and requests without the header (2025-03-26 clients may omit it), take the
 * session path.
 */
export function isStatelessVersion(version: string | null): boolean {
  return version !== null && /^\d{4}-\d{2}-\d{2}$/.test(version) && version >= STATELESS_PROTOCOL_VERSION;
}

export interface ClientInfo {
  name: string;
  version: string;
}

export interface StatelessRequest {
  /** Absent for a notification. */
  id?: string | number;
  method: string;
  params: Record<string, unknown>;
  /** `params._meta` as sent (protocol version, client info, capabilities, progress token, trace context…). */
  meta: Record<string, unknown>;
  clientInfo: ClientInfo | null;
  clientCapabilities: Record<string, unknown>;
  /** `params.name` (tools/call, prompts/get) or `params.uri` (resources/read). */
  name: string | null;
}

export type StatelessRead =
  | { ok: true; request: StatelessRequest }
  /** `id`: the request's id when it could be read, so the error answers it. */
  | { ok: false; status: number; code: number; message: string; id: string | number | null; data?: Record<string, unknown> };

export interface StatelessHeaders {
  protocolVersion: string | null;
  method: string | null;
  name: string | null;
}

/**
 * The `Mcp-Name` / `Mcp-Param-*` value encoding: plain ASCII as is, anything else as
 * `=?base64?<UTF-8 in base64>?=`. Null when the sentinel form is not valid base64 or UTF-8.
 */
export function decodeHeaderValue(value: string): string | null {
  const m = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/.exec(value);
  if (!m) return value;
  try {
    const bytes = Uint8Array.from(atob(m[1]!), (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
}

/** A value for `Mcp-Name`: plain ASCII as is, anything else in the spec's base64 form (the inverse of {@link decodeHeaderValue}). */
export function encodeHeaderValue(value: string): string {
  if (/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(value) && !(value.startsWith("=?base64?") && value.endsWith("?="))) return value;
  return `=?base64?${btoa(String.fromCharCode(...new TextEncoder().encode(value)))}?=`;
}

/**
 * One 2026-07-28 request as a client sends it: the JSON-RPC body with the protocol version, client
 * info and capabilities in `_meta` (over any `_meta` the params carry), and the headers that mirror
 * it (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` for a method that names something).
 */
export function statelessRequest(id: number | string, method: string, params: Record<string, unknown>, client: { info: ClientInfo; capabilities: Record<string, unknown> }): { headers: Record<string, string>; body: string } {
  const meta = { ...(params._meta as Record<string, unknown> | undefined), [META_PROTOCOL_VERSION]: STATELESS_PROTOCOL_VERSION, [META_CLIENT_INFO]: client.info, [META_CLIENT_CAPABILITIES]: client.capabilities };
  const field = NAMED_METHODS[method];
  const name = field && typeof params[field] === "string" ? (params[field] as string) : null;
  return {
    headers: { "mcp-protocol-version": STATELESS_PROTOCOL_VERSION, "mcp-method": method, ...(name !== null ? { "mcp-name": encodeHeaderValue(name) } : {}) },
    body: JSON.stringify({ jsonrpc: "2.0", id, method, params: { ...params, _meta: meta } }),
  };
}


/**
 * Reads one 2026-07-28 request body (already JSON-parsed) against its headers: a single JSON-RPC
 * request or notification (no batch, no response), `_meta` with the protocol version the header
 * names, `Mcp-Method` equal to the method and `Mcp-Name` equal to the name or URI where the method
 * has one. Every refusal is a 400 with the revision's error code and words a developer can act on.
 */
export function readStatelessRequest(body: unknown, headers: StatelessHeaders): StatelessRead {
  const fail = (code: number, message: string, id: string | number | null = null, data?: Record<string, unknown>): StatelessRead => ({ ok: false, status: 400, code, message, id, ...(data ? { data } : {}) });
  if (!isJsonObject(body)) return fail(-32600, Array.isArray(body) ? "Invalid Request: this protocol revision takes one JSON-RPC message per POST (no batches)" : "Invalid Request: the body must be a JSON-RPC request object");
  const rawId = body.id;
  const id = typeof rawId === "string" || (typeof rawId === "number" && Number.isFinite(rawId)) ? rawId : undefined;
  const answerId = id ?? null;
  if (body.jsonrpc !== "2.0") return fail(-32600, 'Invalid Request: "jsonrpc" must be "2.0"', answerId);
  if ("result" in body || "error" in body) return fail(-32600, "Invalid Request: clients send requests and notifications, never responses, in this protocol revision", answerId);
  if (typeof body.method !== "string" || body.method.length === 0 || body.method.length > 200) return fail(-32600, 'Invalid Request: "method" must be a non-empty string', answerId);
  if ("id" in body && id === undefined) return fail(-32600, 'Invalid Request: "id" must be a string or a number', null);
  if (body.params !== undefined && !isJsonObject(body.params)) return fail(-32602, 'Invalid params: "params" must be an object', answerId);
  const params = (body.params ?? {}) as Record<string, unknown>;
  if (params._meta !== undefined && !isJsonObject(params._meta)) return fail(-32602, 'Invalid params: "params._meta" must be an object', answerId);
  const meta = (params._meta ?? {}) as Record<string, unknown>;

  const version = meta[META_PROTOCOL_VERSION];
  if (typeof version !== "string") return fail(-32602, `Invalid params: "params._meta" must carry "${META_PROTOCOL_VERSION}" (every request of this revision names its protocol version)`, answerId);
  if (headers.protocolVersion === null) return fail(StatelessError.HeaderMismatch, "Header mismatch: the MCP-Protocol-Version header is required", answerId);
  if (headers.protocolVersion !== version) return fail(StatelessError.HeaderMismatch, `Header mismatch: MCP-Protocol-Version header value '${clipped(headers.protocolVersion)}' does not match body value '${clipped(version)}'`, answerId);
  if (!(SUPPORTED_PROTOCOL_VERSIONS as readonly string[]).includes(version) || version < STATELESS_PROTOCOL_VERSION) {
    return fail(StatelessError.UnsupportedProtocolVersion, `Unsupported protocol version '${clipped(version)}': this portal speaks ${SUPPORTED_PROTOCOL_VERSIONS.join(", ")}`, answerId, { supported: [...SUPPORTED_PROTOCOL_VERSIONS], requested: clipped(version) });
  }
  if (headers.method === null) return fail(StatelessError.HeaderMismatch, "Header mismatch: the Mcp-Method header is required", answerId);
  if (headers.method !== body.method) return fail(StatelessError.HeaderMismatch, `Header mismatch: Mcp-Method header value '${clipped(headers.method)}' does not match body value '${clipped(body.method)}'`, answerId);

  let name: string | null = null;
  const field = NAMED_METHODS[body.method];
  if (field) {
    const value = params[field];
    if (typeof value !== "string") return fail(-32602, `Invalid params: "params.${field}" must be a string`, answerId);
    name = value;
    if (headers.name === null) return fail(StatelessError.HeaderMismatch, `Header mismatch: the Mcp-Name header is required for ${body.method}`, answerId);
    const decoded = decodeHeaderValue(headers.name);
    if (decoded === null) return fail(StatelessError.HeaderMismatch, "Header mismatch: the Mcp-Name header's base64 form is not valid", answerId);
    if (decoded !== value) return fail(StatelessError.HeaderMismatch, `Header mismatch: Mcp-Name header value '${clipped(decoded)}' does not match body value '${clipped(value)}'`, answerId);
  }

  const info = meta[META_CLIENT_INFO];
  const clientInfo = isJsonObject(info) && typeof info.name === "string" ? { name: info.name, version: typeof info.version === "string" ? info.version : "" } : null;
  const caps = meta[META_CLIENT_CAPABILITIES];
  return {
    ok: true,
    request: { ...(id === undefined ? {} : { id }), method: body.method, params, meta, clientInfo, clientCapabilities: isJsonObject(caps) ? caps : {}, name },
  };
}

/** A caller's value quoted in an error: short, so a caller's kilobytes never come back. */
function clipped(value: string): string {
  return value.length <= 80 ? value : `${value.slice(0, 79)}…`;
}
