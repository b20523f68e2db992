/**
 * The audit event of one MCP request, built the same way by every path of the portal (the session
 * Durable Object and the stateless per-call path): who, through what, what was decided, how it
 * went. Text is clipped to the contract's limits, the upstream URL shown with its secrets redacted.
 */
import { redactUrl, redactUrlsInText } from "@core/net/redact-url";
import { clip, type PortalEvent } from "./schema";

export interface McpEventCaller {
  userId: string | null;
  email: string | null;
  /** The caller's teams in the bundle; the first labels the event. */
  teamIds: readonly string[];
  tokenId: string | null;
  authMethod: "oauth" | "token" | null;
  clientName: string | null;
  clientVersion: string | null;
  clientIp: string | null;
  clientCountry: string | null;
  sessionId: string | null;
  endpoint: string;
}

export interface McpEventOutcome {
  method: string;
  server?: { id: string; slug: string; url: string } | null;
  tool?: string | null;
  prompt?: string | null;
  resourceUri?: string | null;
  decision?: "allowed" | "denied";
  reason?: string | null;
  ruleId?: string | null;
  success?: boolean;
  error?: string | null;
  durationMs?: number | null;
  bytesIn?: number | null;
  bytesOut?: number | null;
  resultTokens?: number | null;
  serverTokens?: Record<string, number>;
  bundleVersion: number | null;
}

export function mcpEvent(caller: McpEventCaller, e: McpEventOutcome, id: string, at: Date = new Date()): PortalEvent {
  return {
    id,
    time: at.toISOString(),
    userId: caller.userId,
    email: clip(caller.email),
    teamId: caller.teamIds[0] ?? null,
    tokenId: caller.tokenId,
    authMethod: caller.authMethod,
    clientName: clip(caller.clientName),
    clientVersion: clip(caller.clientVersion),
    clientIp: clip(caller.clientIp),
    clientCountry: clip(caller.clientCountry),
    sessionId: clip(caller.sessionId),
    method: clip(e.method)!,
    endpoint: clip(caller.endpoint)!,
    serverId: e.server?.id ?? null,
    serverSlug: e.server?.slug ?? null,
    // The edge connects with the real URL; what it reports shows it with its secrets redacted.
    serverUrl: e.server ? clip(redactUrl(e.server.url).value, 2000) : null,
    tool: clip(e.tool),
    prompt: clip(e.prompt),
    resourceUri: clip(e.resourceUri, 2000),
    decision: e.decision ?? "allowed",
    reason: clip(e.reason),
    ruleId: clip(e.ruleId),
    success: e.success ?? true,
    error: e.error == null ? null : clip(redactUrlsInText(e.error), 2000),
    durationMs: e.durationMs ?? null,
    bytesIn: e.bytesIn ?? null,
    bytesOut: e.bytesOut ?? null,
    resultTokens: e.resultTokens ?? null,
    ...(e.serverTokens ? { serverTokens: e.serverTokens } : {}),
    bundleVersion: e.bundleVersion,
  };
}
