import { describe, expect, it } from "vitest";
import { costMicroUsd, type PriceEntry } from "@core/llm/pricing";
import { promptCacheSavings } from "./cache-savings";

const openai: PriceEntry = { provider: "openai", model: "gpt-x*", inputPerMTok: 2.5, cachedInputPerMTok: 1.25, outputPerMTok: 10 };
const anthropic: PriceEntry = { provider: "anthropic", model: "claude-x", inputPerMTok: 3, cachedInputPerMTok: 0.3, cacheWritePerMTok: 3.75, outputPerMTok: 15 };
const usage = (u: { inputTokens?: number; cachedInputTokens?: number; cacheWriteTokens?: number }) => ({ model: null, outputTokens: 0, inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, ...u });

describe("prompt cache savings", () => {
  it("is the difference between the input rate and the cached rate, as the gateway prices a call", () => {
    const { savedMicroUsd, cachedTokens } = promptCacheSavings([{ kind: "openai", model: "gpt-x-2026", cachedTokens: 400_000, writeTokens: 0 }], [openai]);
    // What the same call costs without the cache, less what it cost with it.
    const withCache = costMicroUsd(openai, usage({ inputTokens: 1_000_000, cachedInputTokens: 400_000 }))!;
    const without = costMicroUsd(openai, usage({ inputTokens: 1_000_000 }))!;
    expect(savedMicroUsd).toBe(without - withCache);
    expect(savedMicroUsd).toBe(500_000);
    expect(cachedTokens).toBe(400_000);
  });

  it("takes Anthropic's cache-write premium back off the saving, and can come out negative", () => {
    const read = promptCacheSavings([{ kind: "anthropic", model: "claude-x", cachedTokens: 1_000_000, writeTokens: 100_000 }], [anthropic]);
    // 1M reads save (3 − 0.3) $/MTok; 100k writes cost (3.75 − 3) $/MTok more than plain input.
    expect(read.savedMicroUsd).toBe(2_700_000 - 75_000);
    // Matches the gateway's own pricing of the same tokens: as plain input, less as cache reads and writes.
    const plain = costMicroUsd(anthropic, usage({ inputTokens: 1_100_000 }))!;
    const cached = costMicroUsd(anthropic, usage({ cachedInputTokens: 1_000_000, cacheWriteTokens: 100_000 }))!;
    expect(read.savedMicroUsd).toBe(plain - cached);
    expect(promptCacheSavings([{ kind: "anthropic", model: "claude-x", cachedTokens: 0, writeTokens: 1_000_000 }], [anthropic]).savedMicroUsd).toBe(-750_000);
    // OpenAI does not bill writes.
    expect(promptCacheSavings([{ kind: "openai", model: "gpt-x", cachedTokens: 0, writeTokens: 1_000_000 }], [openai]).savedMicroUsd).toBe(0);
  });

  it("leaves out and counts apart the tokens of models without a price, without a model, or of an unknown provider", () => {
    const result = promptCacheSavings(
      [
        { kind: "openai", model: "other", cachedTokens: 10, writeTokens: 0 },
        { kind: "anthropic", model: null, cachedTokens: 20, writeTokens: 0 },
        { kind: "mystery", model: "gpt-x", cachedTokens: 30, writeTokens: 0 },
        { kind: "openai", model: "gpt-x", cachedTokens: 1_000_000, writeTokens: 0 },
      ],
      [openai, anthropic],
    );
    expect(result).toEqual({ savedMicroUsd: 1_250_000, cachedTokens: 1_000_060, unpricedCachedTokens: 60 });
    expect(promptCacheSavings([], [openai])).toEqual({ savedMicroUsd: 0, cachedTokens: 0, unpricedCachedTokens: 0 });
  });
});
