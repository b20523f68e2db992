import { llmPrices } from "@/db/schema";
import { authorize } from "../auth/actor";
import { recordAudit } from "../audit/record-audit";
import type { Ctx } from "../context";
import { effectivePrices, priceChanges } from "./prices";
import type { PricesOutput } from "./schemas";

/** Deletes the saved table: the built-in defaults apply again. */
export async function resetLlmPrices({ db, actor }: Ctx): Promise<PricesOutput> {
  authorize(actor, "gateway.manage");
  return db.transaction(async (tx) => {
    const before = await effectivePrices(tx);
    await tx.delete(llmPrices);
    const after = await effectivePrices(tx);
    await recordAudit(tx, actor, {
      action: "llm_prices.reset",
      targetType: "llm_prices",
      details: { from: before.source, count: after.prices.length, ...priceChanges(before.prices, after.prices) },
    });
    return after;
  });
}
