/**
 * The price table (USD per million tokens) the gateway meters LLM calls with (lib/core/llm/pricing.ts).
 *
 * Defaults are not copied into the database: while `llm_prices` is empty the built-in
 * `DEFAULT_PRICES` apply (reported as `source: "default"`), so a console that never edited prices
 * follows the defaults as they are updated. Saving a table replaces every row in one transaction
 * (`source: "custom"`); resetting deletes them, and the defaults apply again. A saved table is
 * therefore never empty.
 *
 * Order: the table has no position column, so entries are kept sorted by provider, then model
 * (code-unit order). Precedence between entries does not depend on order except for two globs of
 * equal length and equal literal characters, where the one sorting first wins.
 */
import { llmPrices, type LlmPriceRow } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { toIso } from "@core/zod/helpers";
import { DEFAULT_PRICES, type PriceEntry, type PriceTable } from "@core/llm/pricing";
import type { PricesOutput } from "./schemas";

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const keyOf = (p: PriceEntry) => `${p.provider} ${p.model}`;

export function sortPrices(table: readonly PriceEntry[]): PriceTable {
  return [...table].sort((a, b) => cmp(a.provider, b.provider) || cmp(a.model, b.model));
}

function toEntry(r: LlmPriceRow): PriceEntry {
  return {
    provider: r.provider,
    model: r.model,
    inputPerMTok: r.inputPerMTok,
    outputPerMTok: r.outputPerMTok,
    ...(r.cachedInputPerMTok !== null ? { cachedInputPerMTok: r.cachedInputPerMTok } : {}),
    ...(r.cacheWritePerMTok !== null ? { cacheWritePerMTok: r.cacheWritePerMTok } : {}),
  };
}

/** The prices in force: the saved table, or the built-in defaults while none is saved. */
export async function effectivePrices(db: Queryable): Promise<PricesOutput> {
  const rows = await db.select().from(llmPrices);
  if (rows.length === 0) return { source: "default", prices: sortPrices(DEFAULT_PRICES), updatedAt: null };
  const updatedAt = rows.reduce((latest, r) => (r.updatedAt > latest ? r.updatedAt : latest), rows[0]!.updatedAt);
  return { source: "custom", prices: sortPrices(rows.map(toEntry)), updatedAt: toIso(updatedAt) };
}

/** Which models a new table adds, removes or reprices compared with the one in force (for the audit trail). */
export function priceChanges(before: readonly PriceEntry[], after: readonly PriceEntry[]) {
  const old = new Map(before.map((p) => [keyOf(p), JSON.stringify(p)]));
  const now = new Map(after.map((p) => [keyOf(p), JSON.stringify(p)]));
  const cap = (list: string[]) => list.slice(0, 100);
  return {
    added: cap([...now.keys()].filter((k) => !old.has(k))),
    removed: cap([...old.keys()].filter((k) => !now.has(k))),
    changed: cap([...now.keys()].filter((k) => old.has(k) && old.get(k) !== now.get(k))),
  };
}
