import { and, eq, inArray } from "drizzle-orm";
import { budgetAlerts, budgets } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { toIso } from "@core/zod/helpers";
import { periodOf } from "@core/limits/windows";
import { limitSubjectNames, type LimitSubjectNames } from "../rate-limits/subjects";
import { toBudgetOutput } from "./store";
import { ALERT_THRESHOLDS, toDisplayAmount, type BudgetAlertOutput, type BudgetWebhookPayload } from "./schemas";
import { sendBudgetWebhook } from "./webhook";
import { forwardBudgetAlerts } from "@/lib/forwarding/budget-alerts";
import { toAlertOutput, measureBudgets } from "./spend";

export interface CheckBudgetAlertsDeps {
  /** Sends the webhooks; default: the SSRF-guarded fetch (lib/budgets/webhook.ts). */
  fetch?: typeof fetch;
}

/**
 * Records each alert threshold (50, 80, 100 %) that an enabled budget's spend has reached in its
 * current period, once per budget, period and threshold (the unique index decides, so concurrent
 * callers cannot both fire one), and POSTs every newly recorded alert to the budget's webhook,
 * recording "sent" or "failed: <reason>". Webhook failures never throw. Returns the new alerts.
 * Call after the LLM events are committed, outside a transaction: webhooks may take up to 5 s each.
 */
export async function checkBudgetAlerts(db: Queryable, now: Date, deps: CheckBudgetAlertsDeps = {}): Promise<BudgetAlertOutput[]> {
  const rows = await db.select().from(budgets).where(eq(budgets.enabled, true));
  if (rows.length === 0) return [];
  // A budget whose last threshold already fired this period has nothing left to fire: skip measuring it.
  const currentKeys = [...new Set(rows.map((b) => periodOf(b.period, now).key))];
  const done = new Set(
    (
      await db
        .select({ budgetId: budgetAlerts.budgetId, periodKey: budgetAlerts.periodKey })
        .from(budgetAlerts)
        .where(and(eq(budgetAlerts.threshold, ALERT_THRESHOLDS[ALERT_THRESHOLDS.length - 1]!), inArray(budgetAlerts.periodKey, currentKeys)))
    ).map((a) => `${a.budgetId} ${a.periodKey}`),
  );
  const open = rows.filter((b) => !done.has(`${b.id} ${periodOf(b.period, now).key}`));
  if (open.length === 0) return [];
  const spend = await measureBudgets(db, open, now);
  const candidates = spend.flatMap((s) =>
    ALERT_THRESHOLDS.filter((t) => s.spent * 100 >= s.budget.limit * t).map((threshold) => ({
      budgetId: s.budget.id,
      periodKey: s.window.key,
      threshold,
      spent: s.spent,
      limit: s.budget.limit,
      crossedAt: now,
      webhookStatus: null,
    })),
  );
  if (candidates.length === 0) return [];
  const inserted = await db.insert(budgetAlerts).values(candidates).onConflictDoNothing().returning();
  if (inserted.length === 0) return [];

  const byId = new Map(rows.map((b) => [b.id, b]));
  const names = await limitSubjectNames(db, rows).catch((): LimitSubjectNames => ({ emails: new Map(), teamSlugs: new Map() }));
  const payloadOf = (alert: (typeof inserted)[number]): BudgetWebhookPayload => {
    const budget = byId.get(alert.budgetId)!;
    const out = toBudgetOutput(budget, names, true);
    return {
      budget: { id: budget.id, name: budget.name, subject: out.subject, metric: budget.metric, limit: out.limit, period: budget.period },
      periodKey: alert.periodKey,
      threshold: alert.threshold,
      spent: toDisplayAmount(budget.metric, alert.spent),
      limit: out.limit,
      at: toIso(alert.crossedAt),
    };
  };
  // To the forwarding sinks that ask for budget alerts too (queued here, sent by the outbox).
  await forwardBudgetAlerts(db, inserted.map((a) => ({ id: a.id, payload: payloadOf(a) }))).catch((error: unknown) =>
    console.error("[budgets] could not queue alerts for forwarding:", error instanceof Error ? error.message : error),
  );
  const withWebhook = inserted.filter((a) => byId.get(a.budgetId)?.alertWebhookUrl);
  const statuses = new Map<string, string>();
  if (withWebhook.length > 0) {
    // Budgets in parallel; one budget's thresholds in order, so a receiver sees 50 before 80 before 100.
    const perBudget = new Map<string, typeof withWebhook>();
    for (const a of withWebhook) perBudget.set(a.budgetId, [...(perBudget.get(a.budgetId) ?? []), a]);
    await Promise.all(
      [...perBudget.values()].map(async (alerts) => {
        for (const alert of alerts.sort((a, b) => a.threshold - b.threshold)) {
          statuses.set(alert.id, await sendBudgetWebhook(byId.get(alert.budgetId)!.alertWebhookUrl!, payloadOf(alert), deps.fetch));
        }
      }),
    );
    for (const [id, status] of statuses) {
      await db
        .update(budgetAlerts)
        .set({ webhookStatus: status })
        .where(eq(budgetAlerts.id, id))
        .catch((error: unknown) => console.error("[budgets] could not record a webhook status:", error instanceof Error ? error.message : error));
    }
  }
  return inserted
    .sort((a, b) => (a.budgetId === b.budgetId ? a.threshold - b.threshold : a.budgetId < b.budgetId ? -1 : 1))
    .map((a) => toAlertOutput({ ...a, webhookStatus: statuses.get(a.id) ?? a.webhookStatus }, byId.get(a.budgetId)!));
}
