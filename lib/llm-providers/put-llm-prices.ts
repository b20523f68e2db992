import { llmPrices } from "@/db/schema";
import { toIso } from "@core/zod/helpers";
import { authorize } from "../auth/actor";
import { recordAudit } from "../audit/record-audit";
import type { Ctx } from "../context";
import { effectivePrices, priceChanges, sortPrices } from "./prices";
import { PutPricesInput, type PricesOutput } from "./schemas";

/** Replaces the whole price table in one transaction (the table is never saved empty). */
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
      details: { from: before.source, count: sorted.length, ...priceChanges(before.prices, sorted) },
    });
    return { source: "custom", prices: sorted, updatedAt: toIso(now) };
  });
}
