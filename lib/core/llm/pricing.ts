/**
 * What an LLM request cost, from a price table an admin edits: exact, rounded up to a micro-dollar so
 * a request is never metered below what the provider charges. Pure. Which entry prices a model, and
 * cached tokens per provider: docs/llm-gateway.md, "Pricing".
 */
import { z } from "zod";
import { LLM_PROVIDERS, type LlmProvider } from "./providers";
import { type LlmUsage } from "./usage";

const UsdPerMTok = z.number().nonnegative().max(10_000);

export const PriceEntry = z.strictObject({
  provider: z.enum(LLM_PROVIDERS),
  /** An exact model name, or a glob with `*`. */
  model: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[\x21-\x7e]+$/, "printable ASCII without spaces"),
  inputPerMTok: UsdPerMTok,
  outputPerMTok: UsdPerMTok,
  cachedInputPerMTok: UsdPerMTok.optional(),
  cacheWritePerMTok: UsdPerMTok.optional(),
});
export type PriceEntry = z.infer<typeof PriceEntry>;

export const PriceTable = z
  .array(PriceEntry)
  .max(1000)
  .superRefine((entries, ctx) => {
    const seen = new Set<string>();
    entries.forEach((entry, index) => {
      const key = `${entry.provider}\u0000${entry.model}`;
      if (seen.has(key)) ctx.addIssue({ code: "custom", path: [index, "model"], message: `duplicate price for ${entry.provider} ${entry.model}` });
      seen.add(key);
    });
  });
export type PriceTable = z.infer<typeof PriceTable>;

/**
 * Defaults, written 2026-11 from the providers' public list prices (standard tier, 5-minute cache
 * writes for Anthropic). They are a starting point an admin edits in the console, not a source of
 * truth: prices change, and contracts differ.
 */
export const DEFAULT_PRICES: PriceTable = [
  { provider: "openai", model: "gpt-5", inputPerMTok: 1.25, cachedInputPerMTok: 0.125, outputPerMTok: 10 },
  { provider: "openai", model: "gpt-5-20*", inputPerMTok: 1.25, cachedInputPerMTok: 0.125, outputPerMTok: 10 },
  { provider: "openai", model: "gpt-5-mini*", inputPerMTok: 0.25, cachedInputPerMTok: 0.025, outputPerMTok: 2 },
  { provider: "openai", model: "gpt-5-nano*", inputPerMTok: 0.05, cachedInputPerMTok: 0.005, outputPerMTok: 0.4 },
  { provider: "openai", model: "gpt-4.1*", inputPerMTok: 2, cachedInputPerMTok: 0.5, outputPerMTok: 8 },
  { provider: "openai", model: "gpt-4.1-mini*", inputPerMTok: 0.4, cachedInputPerMTok: 0.1, outputPerMTok: 1.6 },
  { provider: "openai", model: "gpt-4.1-nano*", inputPerMTok: 0.1, cachedInputPerMTok: 0.025, outputPerMTok: 0.4 },
  { provider: "openai", model: "gpt-4o", inputPerMTok: 2.5, cachedInputPerMTok: 1.25, outputPerMTok: 10 },
  { provider: "openai", model: "gpt-4o-20*", inputPerMTok: 2.5, cachedInputPerMTok: 1.25, outputPerMTok: 10 },
  { provider: "openai", model: "gpt-4o-mini*", inputPerMTok: 0.15, cachedInputPerMTok: 0.075, outputPerMTok: 0.6 },
  { provider: "openai", model: "o3", inputPerMTok: 2, cachedInputPerMTok: 0.5, outputPerMTok: 8 },
  { provider: "openai", model: "o4-mini*", inputPerMTok: 1.1, cachedInputPerMTok: 0.275, outputPerMTok: 4.4 },
  { provider: "openai", model: "text-embedding-3-small", inputPerMTok: 0.02, outputPerMTok: 0 },
  { provider: "openai", model: "text-embedding-3-large", inputPerMTok: 0.13, outputPerMTok: 0 },
  { provider: "anthropic", model: "claude-opus-4*", inputPerMTok: 15, cachedInputPerMTok: 1.5, cacheWritePerMTok: 18.75, outputPerMTok: 75 },
  { provider: "anthropic", model: "claude-opus-4-5*", inputPerMTok: 5, cachedInputPerMTok: 0.5, cacheWritePerMTok: 6.25, outputPerMTok: 25 },
  { provider: "anthropic", model: "claude-sonnet-4*", inputPerMTok: 3, cachedInputPerMTok: 0.3, cacheWritePerMTok: 3.75, outputPerMTok: 15 },
  { provider: "anthropic", model: "claude-haiku-4*", inputPerMTok: 1, cachedInputPerMTok: 0.1, cacheWritePerMTok: 1.25, outputPerMTok: 5 },
  { provider: "anthropic", model: "claude-3-5-haiku*", inputPerMTok: 0.8, cachedInputPerMTok: 0.08, cacheWritePerMTok: 1, outputPerMTok: 4 },
];

function globMatches(pattern: string, model: string): boolean {
  const parts = pattern.split("*");
  const first = parts[0] ?? "";
  const last = parts[parts.length - 1] ?? "";
  if (model.length < first.length + last.length || !model.startsWith(first) || !model.endsWith(last)) return false;
  let at = first.length;
  const end = model.length - last.length;
  for (const middle of parts.slice(1, -1)) {
    const found = model.indexOf(middle, at);
    if (found < 0 || found + middle.length > end) return false;
    at = found + middle.length;
  }
  return true;
}

/** The entry that prices `model` of `provider`, or null (see the file header for precedence). */
export function priceFor(table: readonly PriceEntry[], provider: LlmProvider, model: string): PriceEntry | null {
  let best: PriceEntry | null = null;
  let bestLength = -1;
  let bestLiterals = -1;
  for (const entry of table) {
    if (entry.provider !== provider) continue;
    if (!entry.model.includes("*")) {
      if (entry.model === model) return entry;
      continue;
    }
    if (!globMatches(entry.model, model)) continue;
    const literals = entry.model.replaceAll("*", "").length;
    if (entry.model.length > bestLength || (entry.model.length === bestLength && literals > bestLiterals)) {
      best = entry;
      bestLength = entry.model.length;
      bestLiterals = literals;
    }
  }
  return best;
}

/** A $/MTok price in millionths, so tokens × it is an exact integer (pico-dollars). */
function picoPerToken(usdPerMTok: number): bigint {
  return BigInt(Math.round(usdPerMTok * 1e6));
}

function tokens(n: number): bigint {
  return BigInt(Number.isFinite(n) && n > 0 ? Math.floor(n) : 0);
}

/** Cost in whole micro-dollars (rounded up), or null when there is no price. */
export function costMicroUsd(entry: PriceEntry | null, usage: LlmUsage): number | null {
  if (!entry) return null;
  const input = tokens(usage.inputTokens);
  const cached = tokens(usage.cachedInputTokens);
  const writes = tokens(usage.cacheWriteTokens);
  const inputRate = picoPerToken(entry.inputPerMTok);
  const cachedRate = picoPerToken(entry.cachedInputPerMTok ?? entry.inputPerMTok);
  const writeRate = picoPerToken(entry.cacheWritePerMTok ?? entry.inputPerMTok);
  let pico = tokens(usage.outputTokens) * picoPerToken(entry.outputPerMTok);
  if (entry.provider === "openai") {
    // OpenAI counts cached tokens inside the input (a report of more cached than input is clamped),
    // and writes to its cache are not billed apart.
    const cachedInput = cached < input ? cached : input;
    pico += (input - cachedInput) * inputRate + cachedInput * cachedRate;
  } else {
    pico += input * inputRate + cached * cachedRate + writes * writeRate;
  }
  const micro = (pico + 999_999n) / 1_000_000n;
  return Number(micro);
}
