/** Forwarding a request to an upstream, after the server-level access check and the rate limits and budgets. */
import { McpError, ResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { serverAccess } from "@core/bundle/bundle-index";
import type { BundleServer } from "@core/bundle/schema";
import { admitCall } from "../limits";
import type { Extra } from "./context";
import { Denied, PortalErrorCode, RpcError } from "./errors";
import { decideServerLevel } from "../decide";
import { upstreamTraceparent, type EventFields } from "./events";
import type { SessionState, Upstream } from "./state";
import { connectedUpstream } from "./upstreams";

/** Forwards one request to an upstream, relaying progress, cancellation and server-to-client requests. */
export async function forward(s: SessionState, upstream: Upstream, method: string, params: Record<string, unknown> | undefined, extra: Extra) {
  const meta = (params?._meta ?? undefined) as Record<string, unknown> | undefined;
  const progressToken = meta?.progressToken as string | number | undefined;
  const forwarded: Record<string, unknown> = { ...params };
  // The upstream's span is a child of the portal's (the caller's own traceparent is replaced).
  const traceparent = upstreamTraceparent(extra);
  if (meta || traceparent) {
    const rest: Record<string, unknown> = { ...meta, ...(traceparent ? { traceparent } : {}) };
    delete rest.progressToken;
    if (Object.keys(rest).length > 0) forwarded._meta = rest;
    else delete forwarded._meta;
  }
  s.inflight.push(extra);
  try {
    return await upstream.client.request({ method, params: forwarded } as never, ResultSchema, {
      signal: extra.signal,
      timeout: s.upstreamTimeoutMs(),
      resetTimeoutOnProgress: true,
      ...(progressToken !== undefined
        ? { onprogress: (p) => void extra.sendNotification({ method: "notifications/progress", params: { ...p, progressToken } }).catch(() => undefined) }
        : {}),
    });
  } catch (error) {
    if (error instanceof McpError) throw RpcError.fromUpstream(error);
    throw new RpcError(PortalErrorCode.UpstreamFailed, `Upstream server "${upstream.server.slug}" failed or is unreachable`, undefined, error instanceof Error ? error.message : String(error));
  } finally {
    const i = s.inflight.indexOf(extra);
    if (i >= 0) s.inflight.splice(i, 1);
  }
}

/**
 * Rate limits and blocking budgets, for a request about to reach `servers` (`tool`: the upstream
 * tool of a tools/call, else null, which only server-wide limits match). Every request that reaches
 * an upstream comes through here — lists, completions, subscriptions and log levels as much as
 * calls — and counts once against each counter, however many upstreams or steps it takes
 * (`fields.counted`).
 */
export async function admitLimits(s: SessionState, servers: readonly BundleServer[], tool: string | null, fields: EventFields): Promise<void> {
  if (servers.length === 0) return;
  const caller = s.caller();
  fields.counted ??= new Set();
  const requests = servers.map((server) => ({ kind: "mcp" as const, serverSlug: server.slug, tool }));
  const admission = await admitCall(s.env, s.index!, { user: caller.user, tokenId: caller.tokenId ?? null }, requests, { tokens: 0, microUsd: 0 }, caller.at, undefined, fields.counted);
  if (admission.admitted) return;
  const code = admission.refusal.kind === "rateLimit" ? PortalErrorCode.RateLimited : PortalErrorCode.BudgetExceeded;
  throw new Denied(code, admission.message, admission.reason, null, { retryAfterSeconds: admission.retryAfterSeconds });
}

/** Server-level access check (prompts, resources, completion), admission, and the connected upstream. */
export async function routeServerLevel(s: SessionState, server: BundleServer | undefined, fields: EventFields): Promise<Upstream> {
  const caller = s.caller();
  fields.server = server ?? null;
  const allowed = decideServerLevel(s.index!, caller, server);
  fields.policy = allowed.decision;
  await admitLimits(s, [allowed.server], null, fields);
  return connectedUpstream(s, allowed.server);
}

/**
 * Every server-level-allowed upstream of the session, in parallel, once the request is admitted
 * against all of them; one failing does not fail the list.
 */
export async function eachServerLevel(s: SessionState, fields: EventFields, fn: (server: BundleServer, upstream: Upstream) => Promise<void>): Promise<void> {
  const caller = s.caller();
  const servers = s.servers().filter((server) => serverAccess(s.index!, caller, server).effect === "allow");
  await admitLimits(s, servers, null, fields);
  await Promise.allSettled(servers.map(async (server) => fn(server, await connectedUpstream(s, server))));
}
