import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import { BudgetInput, type BudgetOutput } from "./schemas";
import { budgetTable, budgetValues } from "./store";

/** Creates a budget; it reaches the edge with the next publish. */
export async function createBudget({ db, actor }: Ctx, rawInput: unknown): Promise<BudgetOutput> {
  authorize(actor, "limits.manage");
  const input = BudgetInput.parse(rawInput);
  return db.transaction(async (tx) => {
    await budgetTable.assertNameFree(tx, input.name);
    return budgetTable.insert(tx, actor, { ...(await budgetValues(tx, input)), createdBy: actor.userId });
  });
}
