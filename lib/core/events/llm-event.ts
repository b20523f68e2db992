/**
 * The usage event of one call through the LLM gateway, refused or forwarded, cached or not: who,
 * to which provider, what it cost, and (when the provider's administrator asked for it) the
 * redacted bodies. Like `mcpEvent`, it satisfies the contract (`LlmEvent`) whatever the caller and
 * the provider sent (builders.test.ts): text is clipped and made storable, counts rounded and
 * clamped. Frozen and marked as built (built.ts), so the edge sends it without validating it again.
 */
import type { LlmOperation, LlmProvider } from "@core/llm/providers";
import { clipForLog, redactText } from "@core/llm/redact";
import type { LlmUsage } from "@core/llm/usage";
import { builtEvent } from "./built";
import { EVENT_ERROR_LIMIT, LLM_LOG_LIMIT, eventCount, eventText, type LlmEvent } from "./schema";

/** What the route knows of the call when it emits the event (its checks fill it in as they go). */
export interface LlmEventCall {
  /** When the call arrived (ms since the epoch): the event's time; its duration runs from here. */
  started: number;
  user: { id: string; email: string; teamIds: readonly string[] } | null;
  tokenId: string | null;
  clientIp: string | null;
  provider: { slug: string; logBodies: boolean } | null;
  kind: LlmProvider;
  op: LlmOperation | null;
  /** The model the caller asked for. */
  model: string | null;
  stream: boolean;
  requestText: string | null;
  ruleId: string | null;
  reason: string | null;
  overBudget: boolean;
  bundleVersion: number | null;
  /** The block-list entry covering the provider (bundle-index.ts `blockMarks`); `wouldBlock`: it was in log mode and the call went through. */
  blockId?: string | null;
  wouldBlock?: boolean;
}

export interface LlmEventOutcome {
  status: number;
  decision: "allowed" | "denied";
  error?: string | null;
  cache?: LlmEvent["cache"];
  usage?: LlmUsage | null;
  cost?: number | null;
  responseText?: string | null;
}

/** `now`: when the event is made (ms since the epoch), for its duration. */
export function llmEvent(call: LlmEventCall, outcome: LlmEventOutcome, id: string, now: number): LlmEvent {
  const usage = outcome.usage ?? null;
  // Whether bodies are logged is the provider's setting (an administrator's), never the caller's.
  const logs = call.provider?.logBodies;
  return builtEvent<LlmEvent>({
    kind: "llm",
    id,
    time: new Date(call.started).toISOString(),
    userId: call.user?.id ?? null,
    email: eventText(call.user?.email),
    teamIds: [...(call.user?.teamIds ?? [])],
    tokenId: call.tokenId,
    clientIp: eventText(call.clientIp),
    providerSlug: eventText(call.provider?.slug) || "unknown",
    providerKind: call.kind,
    operation: call.op ?? "http",
    model: eventText(usage?.model ?? call.model),
    stream: call.stream,
    status: outcome.status,
    success: outcome.status < 400,
    error: eventText(outcome.error, EVENT_ERROR_LIMIT),
    decision: outcome.decision,
    reason: eventText(call.reason),
    ruleId: eventText(call.ruleId),
    cache: outcome.cache ?? null,
    inputTokens: eventCount(usage?.inputTokens),
    outputTokens: eventCount(usage?.outputTokens),
    cachedInputTokens: eventCount(usage?.cachedInputTokens),
    cacheWriteTokens: eventCount(usage?.cacheWriteTokens),
    costMicroUsd: eventCount(outcome.cost, Number.MAX_SAFE_INTEGER),
    overBudget: call.overBudget,
    durationMs: eventCount(now - call.started),
    requestLog: logs && call.requestText ? eventText(clipForLog(redactText(call.requestText), LLM_LOG_LIMIT), LLM_LOG_LIMIT) : null,
    responseLog: logs && outcome.responseText ? eventText(clipForLog(redactText(outcome.responseText), LLM_LOG_LIMIT), LLM_LOG_LIMIT) : null,
    bundleVersion: call.bundleVersion,
    ...(call.blockId ? { blockId: call.blockId, wouldBlock: call.wouldBlock === true } : {}),
  });
}
