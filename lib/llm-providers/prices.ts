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
import { authorize } from "@/lib/auth/actor";
import { recordAudit } from "@/lib/audit/record-audit";
import type { Ctx } from "@/lib/context";
import { DEFAULT_PRICES, type PriceEntry, type PriceTable } from "@core/llm/pricing";
import { PutPricesInput, type PricesOutput } from "./schemas";

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

export async function listLlmPrices({ db, actor }: Ctx): Promise<PricesOutput> {
  authorize(actor, "gateway.read");
  return effectivePrices(db);
}

/** Which models a new table adds, removes or reprices compared with the one in force (for the audit trail). */
function changes(before: readonly PriceEntry[], after: readonly PriceEntry[]) {
  const old = new Map(before.map((p) => [keyOf(p), JSON.stringify(p)]));
  const now = new Map(after.map((p) => [keyOf(p), JSON.stringify(p)]));
  const cap = (list: string[]) => list.slice(0, 100);
  return {
    added: cap([...now.keys()].filter((k) => !old.has(k))),
    removed: cap([...old.keys()].filter((k) => !now.has(k))),
    changed: cap([...now.keys()].filter((k) => old.has(k) && old.get(k) !== now.get(k))),
  };
}

export async function putLlmPrices({ db, actor }: Ctx, rawInput: unknown): Promise<PricesOutput> {
  authorize(actor, "gateway.manage");
  const { prices } = PutPricesInput.parse(rawInput);
  const sorted = sortPrices(prices);
  return db.transaction(async (tx) => {
    const before = await effectivePrices(tx);
    const now = new Date();
    await tx.delete(llmPrices);
    await tx.insert(llmPrices).values(
      sorted.map((p) => ({
        provider: p.provider,
        model: p.model,
        inputPerMTok: p.inputPerMTok,
        outputPerMTok: p.outputPerMTok,
        cachedInputPerMTok: p.cachedInputPerMTok ?? null,
        cacheWritePerMTok: p.cacheWritePerMTok ?? null,
        updatedAt: now,
      })),
    );
    await recordAudit(tx, actor, {
      action: "llm_prices.replace",
      targetType: "llm_prices",
      details: { from: before.source, count: sorted.length, ...changes(before.prices, sorted) },
    });
    return { source: "custom", prices: sorted, updatedAt: toIso(now) };
  });
}

export async function resetLlmPrices({ db, actor }: Ctx): Promise<PricesOutput> {
  authorize(actor, "gateway.manage");
  return db.transaction(async (tx) => {
    const before = await effectivePrices(tx);
    await tx.delete(llmPrices);
    const after = await effectivePrices(tx);
    await recordAudit(tx, actor, {
      action: "llm_prices.reset",
      targetType: "llm_prices",
      details: { from: before.source, count: after.prices.length, ...changes(before.prices, after.prices) },
    });
    return after;
  });
}
