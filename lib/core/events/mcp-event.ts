/**
 * The audit event of one MCP request, built the same way by every path of the portal (the session
 * Durable Object and the stateless per-call path): who, through what, what was decided, how it
 * went. The upstream URL is shown with its secrets redacted. The event satisfies the contract
 * (`PortalEvent`) whatever text the caller chose (builders.test.ts): text is clipped and made
 * storable, counts rounded and clamped. The ids it is given are the bundle's and the portal's
 * (UUIDs), its version the bundle's. Frozen and marked as built (built.ts), so the edge sends it
 * without validating it again.
 */
import { BoundedCache } from "@core/cache/bounded-cache";
import { redactUrl, redactUrlsInText } from "@core/net/redact-url";
import { builtEvent } from "./built";
import { EVENT_ARGUMENTS_LIMIT, EVENT_RESULT_EXCERPT_LIMIT } from "./detail";
import { EVENT_ERROR_LIMIT, eventCount, eventText, type PortalEvent } from "./schema";

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
  /** A call made by Code Mode code, and the `execute` event it belongs to. */
  via?: "codemode";
  parentId?: string;
  codemodeTokens?: number;
  /** The block-list entry covering the server (bundle-index.ts `blockMarks`); `wouldBlock`: it was in log mode and the call went through. */
  blockId?: string | null;
  wouldBlock?: boolean;
  /** tools/call: arguments and result excerpt, already redacted and clipped (./detail.ts `callDetail`). */
  arguments?: string | null;
  resultExcerpt?: string | null;
  /** The caller's trace and the portal's span (lib/core/trace/traceparent.ts), when it sent one. */
  trace?: { traceId: string; spanId: string } | null;
}

/** Upstream URLs as events show them, by URL: the bundle's few servers, each parsed and redacted once per isolate. */
const shownUrls = new BoundedCache<string, string | null>(1_000);
const shownUrl = (url: string) => shownUrls.getOrMake(url, () => eventText(redactUrl(url).value, 2000));

export function mcpEvent(caller: McpEventCaller, e: McpEventOutcome, id: string, at: Date = new Date()): PortalEvent {
  return builtEvent<PortalEvent>({
    id,
    time: at.toISOString(),
    userId: caller.userId,
    email: eventText(caller.email),
    teamId: caller.teamIds[0] ?? null,
    tokenId: caller.tokenId,
    authMethod: caller.authMethod,
    clientName: eventText(caller.clientName),
    clientVersion: eventText(caller.clientVersion),
    clientIp: eventText(caller.clientIp),
    clientCountry: eventText(caller.clientCountry),
    sessionId: eventText(caller.sessionId),
    // Both are required text: a caller's empty method is reported as such, not as a broken event.
    method: eventText(e.method) || "(empty)",
    endpoint: eventText(caller.endpoint) || "/mcp",
    serverId: e.server?.id ?? null,
    serverSlug: eventText(e.server?.slug),
    // The edge connects with the real URL; what it reports shows it with its secrets redacted.
    serverUrl: e.server ? shownUrl(e.server.url) : null,
    tool: eventText(e.tool),
    prompt: eventText(e.prompt),
    resourceUri: eventText(e.resourceUri, 2000),
    decision: e.decision ?? "allowed",
    reason: eventText(e.reason),
    ruleId: eventText(e.ruleId),
    success: e.success ?? true,
    error: e.error == null ? null : eventText(redactUrlsInText(e.error), EVENT_ERROR_LIMIT),
    durationMs: eventCount(e.durationMs),
    bytesIn: eventCount(e.bytesIn),
    bytesOut: eventCount(e.bytesOut),
    resultTokens: eventCount(e.resultTokens),
    ...(e.serverTokens ? { serverTokens: Object.freeze(Object.fromEntries(Object.entries(e.serverTokens).map(([slug, n]) => [slug, eventCount(n) ?? 0]))) } : {}),
    bundleVersion: e.bundleVersion,
    ...(e.via ? { via: e.via, parentId: e.parentId ?? null } : {}),
    ...(e.codemodeTokens !== undefined ? { codemodeTokens: eventCount(e.codemodeTokens) } : {}),
    ...(e.blockId ? { blockId: e.blockId, wouldBlock: e.wouldBlock === true } : {}),
    ...(e.arguments != null ? { arguments: eventText(e.arguments, EVENT_ARGUMENTS_LIMIT) } : {}),
    ...(e.resultExcerpt != null ? { resultExcerpt: eventText(e.resultExcerpt, EVENT_RESULT_EXCERPT_LIMIT) } : {}),
    ...(e.trace ? { traceId: e.trace.traceId, spanId: e.trace.spanId } : {}),
  });
}
