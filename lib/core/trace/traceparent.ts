/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/, `traceparent`) at the portal: a caller's
 * trace is continued, never started — the portal is one span of it (its id is new for each request)
 * and upstreams see that span as their parent, with the caller's trace id and flags. Pure; shared by
 * the portal (which reads and passes it) and the console (which forwards it to OTLP).
 */

export interface TraceContext {
  /** 32 lowercase hex, not all zeros. */
  traceId: string;
  /** The portal's span for this request: 16 lowercase hex, not all zeros. */
  spanId: string;
  /** The caller's parent span (its `parent-id`). */
  parentSpanId: string;
  /** 2 hex (`01`: sampled), passed on as received. */
  flags: string;
}

export const TRACE_ID = /^[0-9a-f]{32}$/;
export const SPAN_ID = /^[0-9a-f]{16}$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/**
 * Parses a `traceparent` value: `00-<trace-id>-<parent-id>-<flags>`. A later version is read by its
 * first four fields, as the spec asks (anything after them is ignored); version `ff`, upper-case hex,
 * all-zero ids and anything malformed are refused (null), and the request goes on untraced.
 */
export function parseTraceparent(value: unknown): Omit<TraceContext, "spanId"> | null {
  if (typeof value !== "string") return null;
  const text = value.trim();
  const match = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/.exec(text);
  if (!match) return null;
  const [, version, traceId, parentSpanId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  if (version === "ff" || (version === "00" && rest !== undefined)) return null;
  if (traceId === ZERO_TRACE || parentSpanId === ZERO_SPAN) return null;
  return { traceId, parentSpanId, flags };
}

/** A fresh span id (8 random bytes, never all zeros). */
export function newSpanId(): string {
  for (;;) {
    const id = [...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, "0")).join("");
    if (id !== ZERO_SPAN) return id;
  }
}

/**
 * The trace of one request: from `_meta.traceparent` (MCP 2026-07-28 carries it in the request, per
 * OpenTelemetry's MCP conventions), else the `traceparent` HTTP header; null when neither is valid.
 * The portal's span gets a new id.
 */
export function requestTrace(header: string | null | undefined, meta: unknown): TraceContext | null {
  const metaValue = meta && typeof meta === "object" ? (meta as Record<string, unknown>).traceparent : undefined;
  const parent = parseTraceparent(metaValue) ?? parseTraceparent(header);
  return parent ? { ...parent, spanId: newSpanId() } : null;
}

/** The `traceparent` an upstream receives: the same trace, the portal's span as its parent. */
export function childTraceparent(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.flags}`;
}
