import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import { ValidationError } from "../errors";
import { BudgetInput, UpdateBudgetInput, type BudgetOutput } from "./schemas";
import { budgetTable, budgetValues, toBudgetInput } from "./store";

/** Changes the fields sent; the rest stays as it was. */
export async function updateBudget({ db, actor }: Ctx, id: string, rawInput: unknown): Promise<BudgetOutput> {
  authorize(actor, "limits.manage");
  const patch = UpdateBudgetInput.parse(rawInput);
  return db.transaction(async (tx) => {
    const before = await budgetTable.read(tx, id);
    if (patch.metric !== undefined && patch.metric !== before.metric && patch.limit === undefined) {
      // The stored limit is in the old metric's unit: 50 dollars must not silently become 50 tokens.
      throw new ValidationError(`Changing the metric from ${before.metric} to ${patch.metric} needs a new limit`, { limit: "give the limit in the new metric's unit" });
    }
    const input = BudgetInput.parse({ ...toBudgetInput(before), ...patch });
    await budgetTable.assertNameFree(tx, input.name, id);
    return budgetTable.update(tx, actor, id, before, { ...(await budgetValues(tx, input)), updatedAt: new Date() });
  });
}
