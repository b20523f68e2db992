import { desc, eq } from "drizzle-orm";
import { budgetAlerts, budgets } from "@/db/schema";
import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import { limitSubjectNames } from "../rate-limits/subjects";
import { ListBudgetAlertsQuery, type BudgetAlertOutput, type BudgetOutput, type BudgetStatusListOutput } from "./schemas";
import { budgetStatus, toAlertOutput } from "./spend";
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

export async function getBudgetStatus({ db, actor }: Ctx, now: Date = new Date()): Promise<BudgetStatusListOutput> {
  authorize(actor, "budgets.read");
  return { at: now.toISOString(), budgets: await budgetStatus(db, now, { showWebhookUrls: seesWebhooks(actor) }) };
}

/** The latest alerts, newest first. */
export async function listBudgetAlerts({ db, actor }: Ctx, rawQuery: unknown = {}): Promise<BudgetAlertOutput[]> {
  authorize(actor, "budgets.read");
  const { limit } = ListBudgetAlertsQuery.parse(rawQuery);
  const rows = await db
    .select({ alert: budgetAlerts, name: budgets.name, metric: budgets.metric })
    .from(budgetAlerts)
    .innerJoin(budgets, eq(budgets.id, budgetAlerts.budgetId))
    .orderBy(desc(budgetAlerts.crossedAt), desc(budgetAlerts.threshold))
    .limit(limit);
  return rows.map((r) => toAlertOutput(r.alert, r));
}
