/** What an LLM call reserves before it runs, what it costs after, and how a stream is read to its end to know. */
import type { BundleIndex } from "@core/bundle/bundle-index";
import { LLM_LOG_LIMIT } from "@core/events/schema";
import type { Amount } from "@core/limits/ledger";
import { costMicroUsd, priceFor } from "@core/llm/pricing";
import { declaredMaxOutput, type LlmOperation, type LlmProvider } from "@core/llm/providers";
import { SseUsageTracker, totalTokens, type LlmUsage } from "@core/llm/usage";

/** Answers larger than this stream through but are not cached. */
export const CACHE_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

/** What a call costs, for budgets: tokens by the provider's own count, dollars by the price table. */
export function spend(config: BundleIndex, kind: LlmProvider, usage: LlmUsage | null, model: string | null): { amount: Amount; cost: number | null } {
  if (!usage) return { amount: { tokens: 0, microUsd: 0 }, cost: null };
  const cost = costMicroUsd(priceFor(config.bundle.llm.prices, kind, usage.model ?? model ?? ""), usage);
  return { amount: { tokens: totalTokens(kind, usage), microUsd: cost ?? 0 }, cost };
}

/**
 * Output a call that declares no cap is expected to produce: held (within what the budget has left)
 * so that uncapped calls running together near a blocking budget's cap never all hold nothing.
 */
const EXPECTED_OUTPUT_TOKENS = 1_024;

/**
 * What a call reserves before it runs: its declared output cap (`estimate`, which must fit), or,
 * without one, an expected output (`expected`, held up to the headroom). Input is not estimated.
 */
export function estimate(config: BundleIndex, kind: LlmProvider, op: LlmOperation, body: unknown, model: string | null): { estimate: Amount; expected?: Amount } {
  const amountFor = (outputTokens: number): Amount => {
    const usage: LlmUsage = { model, inputTokens: 0, outputTokens, cachedInputTokens: 0, cacheWriteTokens: 0 };
    return { tokens: outputTokens, microUsd: costMicroUsd(priceFor(config.bundle.llm.prices, kind, model ?? ""), usage) ?? 0 };
  };
  const maxOut = declaredMaxOutput(op, body);
  if (maxOut > 0) return { estimate: amountFor(maxOut) };
  const generates = op === "chat.completions" || op === "responses" || op === "messages";
  return { estimate: { tokens: 0, microUsd: 0 }, ...(generates ? { expected: amountFor(EXPECTED_OUTPUT_TOKENS) } : {}) };
}

/** How long after the provider's last byte a caller may still be reading before the call counts as abandoned. */
export const CALLER_GRACE_MS = 5_000;

/** Reads a stream to its end: the usage it reports, a copy for the cache (up to its limit), the text for the log. */
export async function meterStream(stream: ReadableStream<Uint8Array>): Promise<{ usage: LlmUsage | null; copy: Uint8Array | null; logText: string; complete: boolean }> {
  const tracker = new SseUsageTracker();
  const chunks: Uint8Array[] = [];
  let copied = 0;
  const decoder = new TextDecoder();
  let logText = "";
  let complete = true;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      tracker.push(value);
      copied += value.byteLength;
      if (copied <= CACHE_BODY_LIMIT_BYTES) chunks.push(value);
      if (logText.length < LLM_LOG_LIMIT * 2) logText += decoder.decode(value, { stream: true });
    }
  } catch {
    complete = false;
  }
  let copy: Uint8Array | null = null;
  if (copied <= CACHE_BODY_LIMIT_BYTES) {
    copy = new Uint8Array(copied);
    let offset = 0;
    for (const c of chunks) {
      copy.set(c, offset);
      offset += c.byteLength;
    }
  }
  return { usage: tracker.finish(), copy, logText, complete };
}
