/** The audit event of each request a session serves: what it was, what was decided, how it went. */
import type { BundleServer } from "@core/bundle/schema";
import { resultTokens } from "@core/events/result-tokens";
import { mcpEvent } from "@core/events/mcp-event";
import { callDetail, DEFAULT_EVENT_DETAIL } from "@core/events/detail";
import { blockMarks } from "@core/bundle/bundle-index";
import type { PortalEvent } from "@core/events/schema";
import type { PolicyDecision } from "@core/policy/evaluate";
import { requestContext, type Extra, type SessionContext } from "./context";
import { Denied, RpcError } from "./errors";
import { enqueueEvents } from "../events/enqueue";
import { childTraceparent, requestTrace, type TraceContext } from "@core/trace/traceparent";
import type { SessionState } from "./state";

export interface EventFields {
  server?: BundleServer | null;
  /** tools/list at /mcp: context tokens of each server's tools, by slug. */
  serverTokens?: Record<string, number>;
  /** The policy decision that let the request through (its reason and rule go on the event). */
  policy?: PolicyDecision;
  tool?: string | null;
  prompt?: string | null;
  resourceUri?: string | null;
  /** The rate-limit counters this request has counted against so far (admitLimits): never twice. */
  counted?: Set<string>;
  /** The request is not the session owner's (a session id presented by another caller): nothing of the session's client goes on its event. */
  outsider?: boolean;
  /** The caller's trace and the portal's span for the request. */
  trace?: TraceContext | null;
}

/** Each request's trace, for forward() to pass upstream: the SDK hands handlers the same `extra` object. */
const traces = new WeakMap<Extra, TraceContext>();

/** The `traceparent` an upstream receives for this request, when its caller sent one. */
export function upstreamTraceparent(extra: Extra): string | null {
  const trace = traces.get(extra);
  return trace ? childTraceparent(trace) : null;
}

function traceOf(request: { params?: Record<string, unknown> }, extra: Extra): TraceContext | null {
  const header = extra.requestInfo?.headers?.traceparent;
  const trace = requestTrace(Array.isArray(header) ? header[0] : header, request.params?._meta);
  if (trace) traces.set(extra, trace);
  return trace;
}

const enc = new TextEncoder();
const byteLength = (value: unknown) => (value === undefined ? 0 : enc.encode(JSON.stringify(value)).length);

/** Runs a handler and records its event: decision, outcome, duration, sizes, tokens. */
export async function track<T extends { method: string; params?: Record<string, unknown> }>(
  s: SessionState,
  request: T,
  extra: Extra,
  fn: (request: T, extra: Extra, fields: EventFields) => Promise<Record<string, unknown>>,
): Promise<Record<string, unknown>> {
  const fields: EventFields = { trace: traceOf(request, extra) };
  const started = Date.now();
  try {
    const result = await fn(request, extra, fields);
    const isError = request.method === "tools/call" && result.isError === true;
    emitEvent(s, requestContext(extra), request.method, {
      ...fields,
      ...detailOf(s, request, result),
      decision: "allowed",
      reason: fields.policy?.reason ?? null,
      ruleId: fields.policy?.ruleId ?? null,
      success: !isError,
      error: isError ? "the tool reported an error (isError)" : null,
      durationMs: fields.server ? Date.now() - started : null,
      bytesIn: byteLength(request.params),
      bytesOut: byteLength(result),
      resultTokens: safeTokens(request.method, result),
    });
    return result;
  } catch (error) {
    const denied = error instanceof Denied;
    emitEvent(s, requestContext(extra), request.method, {
      ...fields,
      ...detailOf(s, request, undefined),
      decision: denied ? "denied" : "allowed",
      reason: denied ? error.reason : null,
      ruleId: denied ? error.ruleId : null,
      success: false,
      error: error instanceof RpcError ? `${error.code}: ${error.message}${error.detail ? ` (${error.detail})` : ""}` : String(error),
      durationMs: denied ? null : Date.now() - started,
      bytesIn: byteLength(request.params),
    });
    throw error;
  }
}

/** A tool call's arguments and result excerpt, as the bundle's audit setting says (lib/core/events/detail.ts). */
function detailOf(s: SessionState, request: { method: string; params?: Record<string, unknown> }, result: unknown): { arguments?: string | null; resultExcerpt?: string | null } {
  if (request.method !== "tools/call") return {};
  return callDetail(s.index?.bundle.audit?.detail ?? DEFAULT_EVENT_DETAIL, request.params?.arguments, result);
}

export function emitEvent(
  s: SessionState,
  ctx: SessionContext | null,
  method: string,
  e: EventFields & Partial<Pick<PortalEvent, "decision" | "reason" | "ruleId" | "success" | "error" | "durationMs" | "bytesIn" | "bytesOut" | "resultTokens" | "arguments" | "resultExcerpt">>,
): void {
  const userId = ctx?.userId ?? s.owner?.userId ?? null;
  const user = userId ? s.index?.usersById.get(userId) : undefined;
  const client = e.outsider ? { name: null, version: null } : s.clientInfo;
  const event = mcpEvent(
    {
      userId,
      email: ctx?.email ?? user?.email ?? null,
      teamIds: user?.teamIds ?? [],
      tokenId: ctx?.tokenId ?? null,
      authMethod: ctx?.authMethod ?? null,
      clientName: client.name,
      clientVersion: client.version,
      clientIp: ctx?.clientIp ?? null,
      clientCountry: ctx?.clientCountry ?? null,
      sessionId: ctx?.sessionId ?? null,
      endpoint: ctx?.endpoint ?? (s.owner?.scope ? `/mcp/${s.owner.scope}` : "/mcp"),
    },
    { ...e, method, bundleVersion: s.index?.bundle.version ?? null, ...(s.index ? blockMarks(s.index, e.server?.slug, e.decision ?? "allowed", e.reason) : null) },
    crypto.randomUUID(),
  );
  // Off the response path (waitUntil): the caller's answer does not wait for the queue or the buffer.
  void enqueueEvents(s.env, (p) => s.ctx.waitUntil(p), [event]);
}

function safeTokens(method: string, result: unknown): number | null {
  try {
    return resultTokens(method, result);
  } catch {
    return null;
  }
}
