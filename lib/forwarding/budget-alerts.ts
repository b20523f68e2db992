import type { Queryable } from "@/db/client";
import type { BudgetWebhookPayload } from "@/lib/budgets/schemas";
import { raiseAlert } from "./alerts";
import { kickForwarding } from "./delivery-job";

/**
 * Queues budget alerts (just recorded by lib/budgets/check-budget-alerts.ts, once per budget, period
 * and threshold) for the sinks that ask for them, and starts a delivery pass without waiting for it.
 */
export async function forwardBudgetAlerts(db: Queryable, alerts: { id: string; payload: BudgetWebhookPayload }[]): Promise<void> {
  let queued = 0;
  for (const { id, payload } of alerts.sort((a, b) => a.payload.threshold - b.payload.threshold)) {
    queued += await raiseAlert(
      db,
      {
        id: `budget:${id}`,
        type: "budget",
        severity: payload.threshold >= 100 ? "critical" : "warning",
        title: `Budget “${payload.budget.name}” reached ${payload.threshold} % (${payload.spent} of ${payload.limit} ${payload.budget.metric}, ${payload.periodKey})`,
        at: payload.at,
        details: { budgetId: payload.budget.id, budget: payload.budget.name, subject: payload.budget.subject, metric: payload.budget.metric, period: payload.budget.period, periodKey: payload.periodKey, threshold: payload.threshold, spent: payload.spent, limit: payload.limit },
      },
      (sink) => sink.alertRules.budgets,
    );
  }
  if (queued > 0) kickForwarding(db);
}
