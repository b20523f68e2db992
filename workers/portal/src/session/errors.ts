/** The portal's JSON-RPC errors: its error codes, the error a handler throws, and a denial with the reason the event records. */
import { ErrorCode, type McpError } from "@modelcontextprotocol/sdk/types.js";
import type { BundleServer } from "@core/bundle/schema";

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
  /** The caller's role may not use the portal at all (`portal.use`: viewers never). */
  NotAllowed: -32008,
} as const;

/**
 * A JSON-RPC error as the SDK's server sends it (`code`, `message`, `data`). Not `McpError`: its
 * message carries an "MCP error <code>: " prefix, and the caller's SDK adds its own, so forwarded
 * errors would read "MCP error -32602: MCP error -32602: …".
 */
export class RpcError extends Error {
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

/** A denial: the message the caller sees (no detail it may not know) and the reason the event records. */
export class Denied extends RpcError {
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
export function blockedError(server: BundleServer, reason: string): Denied {
  return new Denied(PortalErrorCode.NotAvailable, `Server "${server.slug}" is blocked by your security team (its URL is on the shadow-MCP block list)`, reason.startsWith("SERVER_BLOCKED") ? reason : `SERVER_BLOCKED: ${reason}`);
}

/** A name the caller sent, as it appears in an error message: never more than 100 characters of it. */
export function named(text: string): string {
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}

export function jsonRpcError(status: number, code: number, message: string, headers?: HeadersInit): Response {
  return Response.json({ jsonrpc: "2.0", id: null, error: { code, message } }, { status, headers: { "cache-control": "no-store", ...Object.fromEntries(new Headers(headers).entries()) } });
}
