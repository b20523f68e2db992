import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import { limitSubjectNames } from "../rate-limits/subjects";
import type { BudgetOutput } from "./schemas";
import { budgetTable, listBudgetRows, seesWebhooks, toBudgetOutput } from "./store";

export async function listBudgets({ db, actor }: Ctx): Promise<BudgetOutput[]> {
  authorize(actor, "budgets.read");
  const rows = await listBudgetRows(db);
  const names = await limitSubjectNames(db, rows);
  return rows.map((r) => toBudgetOutput(r, names, seesWebhooks(actor)));
}

export async function getBudget({ db, actor }: Ctx, id: string): Promise<BudgetOutput> {
  authorize(actor, "budgets.read");
  const row = await budgetTable.loadRow(db, id);
  return toBudgetOutput(row, await limitSubjectNames(db, [row]), seesWebhooks(actor));
}
