/**
 * What caching saved, estimated (pure). Two caches save money on LLM calls:
 * - the gateway's response cache: a hit is answered without calling the provider at all. Its event
 *   carries the usage and cost of the answer it replays (workers/portal/src/routes/llm.ts), so what a
 *   hit saved is that recorded cost — priced when it was answered;
 * - the provider's prompt cache: input tokens read from it (`cached_input_tokens`) are billed at the
 *   cached rate instead of the input rate; Anthropic bills writes to it above the input rate, which
 *   takes back part of the saving (OpenAI caches for free). Priced here with the price table in force
 *   (lib/core/llm/pricing.ts, the same rates the gateway meters with), per provider and model; models
 *   the table does not price are left out and counted apart.
 *
 * Estimates: a token count summed over many calls is priced as one (OpenAI's per-call clamp of cached
 * tokens to the input is not re-applied), and prices may have changed since the calls were made.
 */
import { LLM_PROVIDERS, type LlmProvider } from "@core/llm/providers";
import { priceFor, type PriceEntry } from "@core/llm/pricing";

export interface PromptCacheRow {
  /** Provider kind ("openai", "anthropic"). */
  kind: string;
  model: string | null;
  cachedTokens: number;
  writeTokens: number;
}

const isProvider = (kind: string): kind is LlmProvider => (LLM_PROVIDERS as readonly string[]).includes(kind);

/** Prompt-cache savings in micro-dollars (negative when write premiums exceed read savings), and the cached tokens no price covers. */
export function promptCacheSavings(rows: readonly PromptCacheRow[], prices: readonly PriceEntry[]): { savedMicroUsd: number; cachedTokens: number; unpricedCachedTokens: number } {
  let saved = 0;
  let cachedTokens = 0;
  let unpriced = 0;
  for (const row of rows) {
    cachedTokens += row.cachedTokens;
    const entry = row.model && isProvider(row.kind) ? priceFor(prices, row.kind, row.model) : null;
    if (!entry) {
      unpriced += row.cachedTokens;
      continue;
    }
    // USD per million tokens is micro-dollars per token.
    saved += row.cachedTokens * (entry.inputPerMTok - (entry.cachedInputPerMTok ?? entry.inputPerMTok));
    if (entry.provider !== "openai") saved -= row.writeTokens * ((entry.cacheWritePerMTok ?? entry.inputPerMTok) - entry.inputPerMTok);
  }
  return { savedMicroUsd: Math.round(saved), cachedTokens, unpricedCachedTokens: unpriced };
}
