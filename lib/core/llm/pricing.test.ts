import { describe, expect, it } from "vitest";
import { costMicroUsd, DEFAULT_PRICES, PriceEntry, PriceTable, priceFor } from "./pricing";
import { type LlmUsage } from "./usage";

const usage = (u: Partial<LlmUsage>): LlmUsage => ({ model: null, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, ...u });

describe("PriceEntry / PriceTable", () => {
  it("accepts the defaults", () => {
    expect(PriceTable.safeParse(DEFAULT_PRICES).success).toBe(true);
  });

  it.each([
    [{ provider: "openai", model: "x", inputPerMTok: -1, outputPerMTok: 1 }],
    [{ provider: "openai", model: "x", inputPerMTok: 1, outputPerMTok: 10_001 }],
    [{ provider: "openai", model: "x", inputPerMTok: Number.NaN, outputPerMTok: 1 }],
    [{ provider: "openai", model: "x", inputPerMTok: Infinity, outputPerMTok: 1 }],
    [{ provider: "gemini", model: "x", inputPerMTok: 1, outputPerMTok: 1 }],
    [{ provider: "openai", model: "", inputPerMTok: 1, outputPerMTok: 1 }],
    [{ provider: "openai", model: "gpt 4", inputPerMTok: 1, outputPerMTok: 1 }],
    [{ provider: "openai", model: "x", inputPerMTok: 1 }],
    [{ provider: "openai", model: "x", inputPerMTok: 1, outputPerMTok: 1, cachedInputPerMtok: 0.1 }],
  ])("refuses %j", (entry) => {
    expect(PriceEntry.safeParse(entry).success).toBe(false);
  });

  it("refuses more than 1000 entries and duplicate models", () => {
    const many = Array.from({ length: 1001 }, (_, i) => ({ provider: "openai", model: `m${i}`, inputPerMTok: 1, outputPerMTok: 1 }));
    expect(PriceTable.safeParse(many).success).toBe(false);
    expect(PriceTable.safeParse(many.slice(0, 1000)).success).toBe(true);
    const dup = [
      { provider: "openai", model: "a", inputPerMTok: 1, outputPerMTok: 1 },
      { provider: "openai", model: "a", inputPerMTok: 2, outputPerMTok: 2 },
    ];
    expect(PriceTable.safeParse(dup).success).toBe(false);
  });
});

describe("priceFor", () => {
  const entry = (model: string, inputPerMTok: number, provider: "openai" | "anthropic" = "openai"): PriceEntry => ({ provider, model, inputPerMTok, outputPerMTok: 0 });
  const table = [entry("*", 1), entry("gpt-4*", 2), entry("gpt-4o*", 3), entry("gpt-4o", 4), entry("gpt-4o-mini*", 5), entry("gpt-*-mini", 6), entry("claude-*", 7, "anthropic")];

  it("prefers an exact name to any glob, wherever it sits in the table", () => {
    expect(priceFor(table, "openai", "gpt-4o")?.inputPerMTok).toBe(4);
    expect(priceFor([...table].reverse(), "openai", "gpt-4o")?.inputPerMTok).toBe(4);
  });

  it("prefers the longest matching glob", () => {
    expect(priceFor(table, "openai", "gpt-4o-2024-08-06")?.inputPerMTok).toBe(3);
    expect(priceFor(table, "openai", "gpt-4o-mini-2024-07-18")?.inputPerMTok).toBe(5);
    expect(priceFor(table, "openai", "gpt-4.1")?.inputPerMTok).toBe(2);
    expect(priceFor(table, "openai", "o3")?.inputPerMTok).toBe(1);
    expect(priceFor([...table].reverse(), "openai", "gpt-4o-mini-2024-07-18")?.inputPerMTok).toBe(5);
  });

  it("breaks a length tie by literal characters, then by table order", () => {
    expect(priceFor([entry("a**", 1), entry("ab*", 2)], "openai", "abc")?.inputPerMTok).toBe(2);
    expect(priceFor([entry("a*c", 1), entry("ab*", 2)], "openai", "abc")?.inputPerMTok).toBe(1);
  });

  it("matches globs anywhere, including an empty run", () => {
    expect(priceFor([entry("gpt-*-mini", 6)], "openai", "gpt-5-mini")?.inputPerMTok).toBe(6);
    expect(priceFor([entry("gpt-*-mini", 6)], "openai", "gpt--mini")?.inputPerMTok).toBe(6);
    expect(priceFor([entry("gpt-*-mini", 6)], "openai", "gpt-mini")).toBeNull();
    expect(priceFor([entry("a*b*a", 6)], "openai", "aba")?.inputPerMTok).toBe(6);
    expect(priceFor([entry("a*b*a", 6)], "openai", "ab")).toBeNull();
  });

  it("is provider-scoped and returns null when nothing matches", () => {
    expect(priceFor(table, "anthropic", "gpt-4o")).toBeNull();
    expect(priceFor(table, "anthropic", "claude-sonnet-4-5")?.inputPerMTok).toBe(7);
    expect(priceFor([], "openai", "gpt-4o")).toBeNull();
  });

  it("prices common models from the defaults", () => {
    expect(priceFor(DEFAULT_PRICES, "openai", "gpt-4o-mini")?.inputPerMTok).toBe(0.15);
    expect(priceFor(DEFAULT_PRICES, "openai", "gpt-4o-2024-08-06")?.inputPerMTok).toBe(2.5);
    expect(priceFor(DEFAULT_PRICES, "anthropic", "claude-opus-4-5-20251101")?.inputPerMTok).toBe(5);
    expect(priceFor(DEFAULT_PRICES, "anthropic", "claude-opus-4-1-20250805")?.inputPerMTok).toBe(15);
    expect(priceFor(DEFAULT_PRICES, "anthropic", "claude-sonnet-4-5-20250929")?.outputPerMTok).toBe(15);
  });
});

describe("costMicroUsd", () => {
  const openai: PriceEntry = { provider: "openai", model: "m", inputPerMTok: 2.5, cachedInputPerMTok: 1.25, outputPerMTok: 10 };
  const anthropic: PriceEntry = { provider: "anthropic", model: "m", inputPerMTok: 3, cachedInputPerMTok: 0.3, cacheWritePerMTok: 3.75, outputPerMTok: 15 };

  it("is null without a price", () => {
    expect(costMicroUsd(null, usage({ inputTokens: 10 }))).toBeNull();
  });

  it("is tokens × $/MTok micro-dollars", () => {
    expect(costMicroUsd(openai, usage({ inputTokens: 1000, outputTokens: 100 }))).toBe(2500 + 1000);
    expect(costMicroUsd(openai, usage({}))).toBe(0);
  });

  it("rounds up to a whole micro-dollar, without floating-point drift", () => {
    expect(costMicroUsd({ ...openai, inputPerMTok: 0.15 }, usage({ inputTokens: 1 }))).toBe(1);
    expect(costMicroUsd({ ...openai, inputPerMTok: 0.3 }, usage({ inputTokens: 10 }))).toBe(3);
    expect(costMicroUsd({ ...openai, inputPerMTok: 0.1, outputPerMTok: 0.2 }, usage({ inputTokens: 1, outputTokens: 1 }))).toBe(1);
    expect(costMicroUsd({ ...openai, inputPerMTok: 0.1, outputPerMTok: 0.2 }, usage({ inputTokens: 10, outputTokens: 10 }))).toBe(3);
    expect(costMicroUsd({ ...openai, inputPerMTok: 0.1, outputPerMTok: 0.2 }, usage({ inputTokens: 11, outputTokens: 10 }))).toBe(4);
  });

  it("takes OpenAI's cached tokens out of its input and prices them at the cached rate", () => {
    expect(costMicroUsd(openai, usage({ inputTokens: 1000, cachedInputTokens: 400 }))).toBe(600 * 2.5 + 400 * 1.25);
    expect(costMicroUsd({ ...openai, cachedInputPerMTok: undefined }, usage({ inputTokens: 1000, cachedInputTokens: 400 }))).toBe(2500);
    // More cached than input is a provider bug: never bill below zero input.
    expect(costMicroUsd(openai, usage({ inputTokens: 100, cachedInputTokens: 400 }))).toBe(125);
    expect(costMicroUsd(openai, usage({ inputTokens: 100, cacheWriteTokens: 400 }))).toBe(250);
  });

  it("adds Anthropic's cache reads and writes to its input at their own rates", () => {
    expect(costMicroUsd(anthropic, usage({ inputTokens: 100, cachedInputTokens: 1000, cacheWriteTokens: 200, outputTokens: 10 }))).toBe(300 + 300 + 750 + 150);
    expect(costMicroUsd({ ...anthropic, cachedInputPerMTok: undefined, cacheWritePerMTok: undefined }, usage({ cachedInputTokens: 1000, cacheWriteTokens: 1000 }))).toBe(6000);
  });

  it("stays exact for very large counts", () => {
    expect(costMicroUsd({ ...openai, inputPerMTok: 10_000, outputPerMTok: 0 }, usage({ inputTokens: 1e9 }))).toBe(1e13);
  });

  it("treats nonsense counts as zero", () => {
    expect(costMicroUsd(openai, usage({ inputTokens: -5, outputTokens: Number.NaN }))).toBe(0);
  });
});
