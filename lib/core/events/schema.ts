import { z } from "zod";
import { storableText } from "@core/text/storable";
import { IsoDateTime, Uuid } from "@core/zod/helpers";
import { EVENT_ARGUMENTS_LIMIT, EVENT_RESULT_EXCERPT_LIMIT } from "./detail";

/**
 * One MCP request as the portal saw it — the contract between the edge (which emits, buffers and
 * delivers) and the console (which ingests, idempotently on `id`, and shows the audit log). Field
 * coverage is at least Cloudflare's `mcp_portal_logs`. Text fields are bounded so one odd client
 * cannot make a whole batch unacceptable: the edge truncates to these limits before sending.
 */
export const EVENT_TEXT_LIMIT = 500;
export const EVENT_ERROR_LIMIT = 2_000;
export const EVENT_BATCH_LIMIT = 500;
/** The console refuses a delivery body larger than this (413); the edge keeps its batches well below it. */
export const EVENT_BODY_LIMIT_BYTES = 2_000_000;

const Text = z.string().max(EVENT_TEXT_LIMIT).nullable();
const Count = z.number().int().min(0).max(2_147_483_647).nullable();

/**
 * The shadow-MCP block list's marks (lib/core/shadow/blocklist.ts): `blockId`, the entry that covers
 * the upstream (the call was refused, or — in log mode — would have been); `wouldBlock`, the entry
 * is in log mode and the call went through. Absent on events of uncovered upstreams.
 */
const BlockMarks = {
  blockId: Uuid.nullable().optional(),
  wouldBlock: z.boolean().optional(),
};

export const PortalEvent = z
  .object({
    /** Absent (or "mcp"): an MCP event; LLM gateway events say `kind: "llm"` (below). */
    kind: z.literal("mcp").optional(),
    /** Made by the edge (UUID); the console stores each id once, so redelivery is harmless. */
    id: Uuid,
    time: IsoDateTime,
    userId: Uuid.nullable(),
    email: Text,
    /** The caller's first team in the bundle (teams are many; this labels charts). */
    teamId: Uuid.nullable(),
    /** The console API token used, when the caller authenticated with one. */
    tokenId: Uuid.nullable(),
    /** How the caller authenticated: `oauth`, `token`, or null when it did not. */
    authMethod: z.enum(["oauth", "token"]).nullable(),
    clientName: Text,
    clientVersion: Text,
    clientIp: Text,
    clientCountry: Text,
    /** The portal's MCP session id (Mcp-Session-Id). */
    sessionId: Text,
    /** JSON-RPC method, e.g. `tools/call`; `http` for a request refused before any JSON-RPC was read. */
    method: z.string().min(1).max(EVENT_TEXT_LIMIT),
    /** `/mcp` or `/mcp/{slug}`. */
    endpoint: z.string().min(1).max(EVENT_TEXT_LIMIT),
    serverId: Uuid.nullable(),
    serverSlug: Text,
    serverUrl: z.string().max(2_000).nullable(),
    /** The upstream tool name (not the portal's `{slug}_{tool}` name). */
    tool: Text,
    prompt: Text,
    resourceUri: z.string().max(2_000).nullable(),
    decision: z.enum(["allowed", "denied"]),
    /** Why: the denial reason, or what allowed it (e.g. the deciding rule's description). */
    reason: Text,
    ruleId: Text,
    /** The request completed without a JSON-RPC error and, for tools, without `isError`. */
    success: z.boolean(),
    error: z.string().max(EVENT_ERROR_LIMIT).nullable(),
    /** Time spent waiting for the upstream, in milliseconds (null when not forwarded). */
    durationMs: Count,
    bytesIn: Count,
    bytesOut: Count,
    /** o200k tokens of the result as the model will see it (tool results, prompt messages, resources). */
    resultTokens: Count,
    /**
     * tools/list at `/mcp` (all servers in one list): the tokens each server's tools add to it, by
     * server slug — what every session pays in context for each server. Absent elsewhere.
     */
    serverTokens: z
      .record(z.string().min(1).max(40), z.number().int().min(0).max(2_147_483_647))
      .refine((m) => Object.keys(m).length <= 1_000, "at most 1,000 servers")
      .nullable()
      .optional(),
    bundleVersion: z.number().int().positive().max(2_147_483_647).nullable(),
    /** `codemode`: a tool call that code in Code Mode's sandbox made (`await codemode.x(…)`); absent for a client's own request. */
    via: z.enum(["codemode"]).nullable().optional(),
    /** The event of the Code Mode `execute` (or `code`) call an inner call belongs to. */
    parentId: Uuid.nullable().optional(),
    /** tools/list in Code Mode: o200k tokens of the list sent (the JSON catalog's are in `serverTokens`; the difference is saved). */
    codemodeTokens: Count.optional(),
    /**
     * W3C trace context, when the caller sent a `traceparent` (header or `_meta`): its trace id, and
     * the portal's span for this request — the parent of what the upstream records. Absent otherwise.
     */
    traceId: z.string().regex(/^[0-9a-f]{32}$/, "must be 32 lowercase hex").nullable().optional(),
    spanId: z.string().regex(/^[0-9a-f]{16}$/, "must be 16 lowercase hex").nullable().optional(),
    ...BlockMarks,
    /** tools/call: the arguments as JSON and an excerpt of the result, redacted per the portal's settings (lib/core/events/detail.ts); absent when not recorded. */
    arguments: z.string().max(EVENT_ARGUMENTS_LIMIT).nullable().optional(),
    resultExcerpt: z.string().max(EVENT_RESULT_EXCERPT_LIMIT).nullable().optional(),
  })
  .strict();
export type PortalEvent = z.infer<typeof PortalEvent>;

/** Redacted, clipped request/response bodies on an LLM event (when the provider logs bodies). */
export const LLM_LOG_LIMIT = 16_000;

/**
 * One call through the LLM gateway (`/llm/{provider}/v1/...`), refused or forwarded, cached or not:
 * the usage record budgets and charts are built from. Travels in the same batches as MCP events,
 * told apart by `kind`.
 */
export const LlmEvent = z
  .object({
    kind: z.literal("llm"),
    id: Uuid,
    time: IsoDateTime,
    userId: Uuid.nullable(),
    email: Text,
    /** Every team of the caller at the time of the call (team budgets count all of them). */
    teamIds: z.array(Uuid).max(1_000),
    tokenId: Uuid.nullable(),
    clientIp: Text,
    providerSlug: z.string().min(1).max(EVENT_TEXT_LIMIT),
    providerKind: z.enum(["openai", "anthropic"]),
    /** e.g. `chat.completions`, `responses`, `embeddings`, `models`, `messages`; `http` when refused before routing. */
    operation: z.string().min(1).max(EVENT_TEXT_LIMIT),
    model: Text,
    stream: z.boolean(),
    /** The HTTP status the caller got. */
    status: z.number().int().min(100).max(599),
    success: z.boolean(),
    error: z.string().max(EVENT_ERROR_LIMIT).nullable(),
    decision: z.enum(["allowed", "denied"]),
    reason: Text,
    ruleId: Text,
    cache: z.enum(["hit", "miss", "bypass"]).nullable(),
    inputTokens: Count,
    outputTokens: Count,
    cachedInputTokens: Count,
    cacheWriteTokens: Count,
    costMicroUsd: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable(),
    /** Admitted although a `flag` budget was exhausted. */
    overBudget: z.boolean(),
    durationMs: Count,
    requestLog: z.string().max(LLM_LOG_LIMIT).nullable(),
    responseLog: z.string().max(LLM_LOG_LIMIT).nullable(),
    bundleVersion: z.number().int().positive().max(2_147_483_647).nullable(),
    ...BlockMarks,
  })
  .strict();
export type LlmEvent = z.infer<typeof LlmEvent>;

/** What the edge delivers: MCP events (no `kind`) and LLM events (`kind: "llm"`), in one list. */
export const AnyEvent = z.discriminatedUnion("kind", [PortalEvent, LlmEvent]);
export type AnyEvent = z.infer<typeof AnyEvent>;

export const isLlmEvent = (e: AnyEvent): e is LlmEvent => "kind" in e && e.kind === "llm";

export const EventBatch = z.object({ events: z.array(AnyEvent).min(1).max(EVENT_BATCH_LIMIT) }).strict();
export type EventBatch = z.infer<typeof EventBatch>;

/** Cuts a string to `limit` characters (for the edge, before an event is buffered). */
export function clip(value: string | null | undefined, limit = EVENT_TEXT_LIMIT): string | null {
  if (value == null) return null;
  return value.length <= limit ? value : value.slice(0, limit - 1) + "…";
}

/**
 * Text for an event field: clipped to `limit`, then with NUL and unpaired surrogates replaced
 * (`storableText`, which only checks when nothing needs it): text a caller chose must not make the
 * console refuse the event — a caller could keep its own calls out of the audit log.
 */
export function eventText(value: string | null | undefined, limit = EVENT_TEXT_LIMIT): string | null {
  const clipped = clip(value, limit);
  return clipped === null ? null : storableText(clipped);
}

const COUNT_MAX = 2_147_483_647;

/** A count for an event field: rounded and clamped to the contract's range; null when it is not a finite number. */
export function eventCount(value: number | null | undefined, max = COUNT_MAX): number | null {
  if (typeof value !== "number" || !Number.isFinite(value)) return null;
  return Math.min(Math.max(Math.round(value), 0), max);
}
