import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import type { BudgetOutput } from "./schemas";
import { budgetTable } from "./store";

/** Deletes a budget and answers what it was. */
export async function deleteBudget({ db, actor }: Ctx, id: string): Promise<BudgetOutput> {
  authorize(actor, "limits.manage");
  return db.transaction((tx) => budgetTable.remove(tx, actor, id));
}
