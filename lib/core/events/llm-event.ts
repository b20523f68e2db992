/**
 * The usage event of one call through the LLM gateway, refused or forwarded, cached or not: who,
 * to which provider, what it cost, and (when the provider's administrator asked for it) the
 * redacted bodies. Built here, in the shared core, like `mcpEvent`: one pure function a route calls.
 */
import type { LlmOperation, LlmProvider } from "@core/llm/providers";
import { clipForLog, redactText } from "@core/llm/redact";
import type { LlmUsage } from "@core/llm/usage";
import { LLM_LOG_LIMIT, type LlmEvent } from "./schema";

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
  return {
    kind: "llm",
    id,
    time: new Date(call.started).toISOString(),
    userId: call.user?.id ?? null,
    email: call.user?.email ?? null,
    teamIds: [...(call.user?.teamIds ?? [])],
    tokenId: call.tokenId,
    clientIp: call.clientIp,
    providerSlug: call.provider?.slug ?? "unknown",
    providerKind: call.kind,
    operation: call.op ?? "http",
    model: usage?.model ?? call.model,
    stream: call.stream,
    status: outcome.status,
    success: outcome.status < 400,
    error: outcome.error ?? null,
    decision: outcome.decision,
    reason: call.reason,
    ruleId: call.ruleId,
    cache: outcome.cache ?? null,
    inputTokens: usage?.inputTokens ?? null,
    outputTokens: usage?.outputTokens ?? null,
    cachedInputTokens: usage?.cachedInputTokens ?? null,
    cacheWriteTokens: usage?.cacheWriteTokens ?? null,
    costMicroUsd: outcome.cost ?? null,
    overBudget: call.overBudget,
    durationMs: now - call.started,
    requestLog: logs && call.requestText ? clipForLog(redactText(call.requestText), LLM_LOG_LIMIT) : null,
    responseLog: logs && outcome.responseText ? clipForLog(redactText(outcome.responseText), LLM_LOG_LIMIT) : null,
    bundleVersion: call.bundleVersion,
  };
}
