/** What the stateless path's handlers share: who is calling, what an event says, admission, upstream options. */
import { TOKEN_SCOPES } from "@core/auth/roles";
import { blockingEntry, visibleServers, type BundleIndex, type Caller } from "@core/bundle/bundle-index";
import type { BundleServer, CodemodeShape } from "@core/bundle/schema";
import type { McpEventCaller, McpEventOutcome } from "@core/events/mcp-event";
import type { ClientInfo, StatelessRequest } from "@core/mcp/stateless";
import type { Env } from "../env";
import { publicOrigin } from "../auth";
import { userSubject } from "../upstream-proof";
import { admitCall } from "../limits";
import { Denied, PortalErrorCode } from "../session/errors";
import { msSetting } from "../settings";
import type { CallOptions } from "./upstream-link";
import { countTokensBounded } from "@core/tools/token-cost";
import { childTraceparent, type TraceContext } from "@core/trace/traceparent";

const DEFAULT_UPSTREAM_TIMEOUT_MS = 60_000;

/** Who is calling, as the route established it. */
export interface StatelessContext {
  config: BundleIndex;
  caller: Caller;
  authMethod: "oauth" | "token";
  /** Read when an event is built, after the answer (workerd parses `request.cf` on first access). */
  readonly clientCountry: string | null;
  /** The server slug of `/mcp/{slug}`, null for `/mcp`. */
  scope: string | null;
  /** Code Mode's shape for this request (the bundle's setting and `?codemode=`), null for plain MCP. */
  codemode: CodemodeShape | null;
  /** Ends the request's upstream work when fired (a sealed session's notifications/cancelled); the request's own signal otherwise. */
  signal?: AbortSignal;
  /** The caller's trace (a `traceparent` header or `_meta.traceparent`) and the portal's span for this request. */
  trace?: TraceContext | null;
}

/** An event's outcome as the per-call path reports it; `callArguments`: a Code Mode inner call's own arguments (raw; redacted when the event is built). */
export type Outcome = Omit<McpEventOutcome, "bundleVersion" | "method" | "arguments" | "resultExcerpt"> & { callArguments?: unknown };

export class Answer {
  constructor(
    readonly result: Record<string, unknown>,
    readonly outcome: Outcome,
  ) {}
}

/** Attaches what the event should say to an error on its way out. */
export function withFields<E extends Error>(error: E, fields: Outcome): E {
  (error as E & { fields?: Outcome }).fields = fields;
  return error;
}

/** The servers a request may reach: the one of `/mcp/{slug}`, or every server the caller may use. */
export function serversOf(who: StatelessContext): BundleServer[] {
  if (!who.scope) return visibleServers(who.config, who.caller);
  const server = who.config.serversBySlug.get(who.scope);
  return server ? [server] : [];
}

/** Rate limits and blocking budgets for a request about to reach these servers (tool: null for server-level requests). */
export async function admit(env: Env, who: StatelessContext, requests: { kind: "mcp"; serverSlug: string; tool: string | null }[]): Promise<void> {
  if (requests.length === 0) return;
  const admission = await admitCall(env, who.config, { user: who.caller.user, tokenId: who.caller.tokenId ?? null }, requests, { tokens: 0, microUsd: 0 }, who.caller.at);
  if (admission.admitted) return;
  const code = admission.refusal.kind === "rateLimit" ? PortalErrorCode.RateLimited : PortalErrorCode.BudgetExceeded;
  throw new Denied(code, admission.message, admission.reason, null, { retryAfterSeconds: admission.retryAfterSeconds });
}

/** How to reach `server` for this caller: its own upstream session (never shared), the caller's client info and capabilities. */
export function linkOptions(request: Request, env: Env, who: StatelessContext, rpc: StatelessRequest, server: BundleServer): CallOptions {
  const blocked = blockingEntry(who.config, server.slug, who.caller.at?.getTime());
  return {
    env,
    server,
    callerKey: `${who.caller.user.id}\u0000${who.caller.tokenId ?? "oauth"}`,
    proof: { issuer: publicOrigin(request, env), subject: userSubject(who.config, who.caller.user, who.caller.scopes ?? TOKEN_SCOPES) },
    clientInfo: rpc.clientInfo ?? { name: "portcullis-stateless-client", version: "0" },
    clientCapabilities: rpc.clientCapabilities,
    timeoutMs: msSetting(env.PORTCULLIS_UPSTREAM_TIMEOUT_MS, DEFAULT_UPSTREAM_TIMEOUT_MS),
    signal: who.signal ?? request.signal,
    ...(blocked ? { blocked: `SERVER_BLOCKED: ${blocked.origin}${blocked.pathPrefix}` } : {}),
    ...(who.trace ? { traceparent: childTraceparent(who.trace) } : {}),
  };
}

/** Who an event names: the caller, the client it said it is (null: say nothing of a client), the session. */
export function eventCaller(who: StatelessContext, client: ClientInfo | null, sessionId: string | null): McpEventCaller {
  return {
    userId: who.caller.user.id,
    email: who.caller.user.email,
    teamIds: who.caller.user.teamIds,
    tokenId: who.caller.tokenId ?? null,
    authMethod: who.authMethod,
    clientName: client?.name ?? null,
    clientVersion: client?.version ?? null,
    clientIp: who.caller.clientIp ?? null,
    clientCountry: who.clientCountry,
    sessionId,
    endpoint: who.scope ? `/mcp/${who.scope}` : "/mcp",
  };
}

/** One tool a caller may use now, as `tools/list` shows it. */
export interface VisibleTool {
  server: BundleServer;
  /** The definition as listed: the portal's name at `/mcp`, the upstream's at `/mcp/{slug}`. */
  listed: Record<string, unknown> & { name: string };
  definition: Record<string, unknown>;
}

/** The tokens each server's tools add to a plain tool list, by slug: what a list puts into the model's context per server. */
export function catalogTokens(visible: readonly VisibleTool[]): Record<string, number> {
  const lists = new Map<string, string[]>();
  for (const { server, listed } of visible) lists.set(server.slug, [...(lists.get(server.slug) ?? []), JSON.stringify(listed)]);
  return Object.fromEntries([...lists].map(([slug, list]) => [slug, countTokensBounded(`[${list.join(",")}]`)]));
}
