/**
 * Spend against budgets, from the LLM events the portal delivered (`llm_events`), and the alerts
 * at 50, 80 and 100 % of a budget.
 *
 * What counts toward a budget in its current UTC period (lib/core/limits/windows.ts `periodOf`): the
 * allowed calls (`decision = 'allowed'`) whose time is in the period and whose caller matches the
 * subject, following the edge's hierarchy (lib/core/limits/keys.ts):
 * - user: `user_id` is the user — whichever key they used (OAuth, personal token, any token);
 * - token: `token_id` is the token;
 * - team: the team is in the event's `team_ids` (the caller's teams when the call was made) —
 *   every member's calls, whichever key they used.
 * Amounts: "usd" sums `cost_micro_usd` (an unpriced call adds nothing); "tokens" sums
 * `totalTokens` of lib/core/llm/usage.ts (what the edge meters) (input with cache reads and writes, plus output, each token once).
 */
import { and, desc, eq, inArray, sql, type SQL } from "drizzle-orm";
import { budgetAlerts, budgets, llmEvents, type Budget } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { toIso } from "@core/zod/helpers";
import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import type { BudgetBaseline, BudgetSpec } from "@core/limits/schema";
import { periodOf, type PeriodWindow } from "@core/limits/windows";
import { limitSubjectNames, type LimitSubjectNames } from "../rate-limits/subjects";
import { listBudgetRows, seesWebhooks, toBudgetOutput } from "./store";
import {
  ALERT_THRESHOLDS,
  ListBudgetAlertsQuery,
  toDisplayAmount,
  type BudgetAlertOutput,
  type BudgetStatusListOutput,
  type BudgetStatusOutput,
  type BudgetWebhookPayload,
} from "./schemas";
import { sendBudgetWebhook } from "./webhook";

/** SQL twin of `totalTokens` (lib/core/llm/usage.ts, what the edge meters): OpenAI's input already includes its cached tokens. */
export const TOKENS = sql`case when ${llmEvents.providerKind} = 'openai'
  then coalesce(${llmEvents.inputTokens}, 0) + coalesce(${llmEvents.outputTokens}, 0) + coalesce(${llmEvents.cacheWriteTokens}, 0)
  else coalesce(${llmEvents.inputTokens}, 0) + coalesce(${llmEvents.outputTokens}, 0) + coalesce(${llmEvents.cachedInputTokens}, 0) + coalesce(${llmEvents.cacheWriteTokens}, 0) end`;

function subjectFilter(b: Budget): SQL {
  switch (b.subjectType) {
    case "user":
      return eq(llmEvents.userId, b.subjectUserId!);
    case "token":
      return eq(llmEvents.tokenId, b.subjectTokenId!);
    case "team":
      return sql`${llmEvents.teamIds} @> array[${b.subjectTeamId!}]::uuid[]`;
    case "everyone":
      // The table's check constraint refuses budgets for everyone; match nothing rather than everything.
      return sql`false`;
  }
}

export interface BudgetSpend {
  budget: Budget;
  window: PeriodWindow;
  /** Tokens, or micro-dollars for "usd". */
  spent: number;
}

/**
 * Spend of each budget in its period containing `now` (stored units: tokens or micro-dollars).
 * One query per budget, in turn: each can use the (user_id, time) or (token_id, time) index, and
 * a transaction's single connection is never asked to run two queries at once.
 */
export async function measureBudgets(db: Queryable, rows: readonly Budget[], now: Date): Promise<BudgetSpend[]> {
  const out: BudgetSpend[] = [];
  for (const budget of rows) {
    const window = periodOf(budget.period, now);
    const amount = budget.metric === "usd" ? sql`coalesce(${llmEvents.costMicroUsd}, 0)` : TOKENS;
    const [row] = await db
      .select({ spent: sql<string>`coalesce(sum(${amount}), 0)::bigint`.mapWith(Number) })
      .from(llmEvents)
      .where(
        and(
          eq(llmEvents.decision, "allowed"),
          sql`${llmEvents.time} >= ${window.start.toISOString()}::timestamptz`,
          sql`${llmEvents.time} < ${window.end.toISOString()}::timestamptz`,
          subjectFilter(budget),
        ),
      );
    out.push({ budget, window, spent: row?.spent ?? 0 });
  }
  return out;
}

/**
 * Reconciliation for the bundle: each published budget's spend in its current period by the
 * console's usage data (lib/core/limits/schema.ts `BudgetBaseline`). Budgets with nothing spent are left out.
 */
export async function compileBudgetBaselines(db: Queryable, specs: readonly BudgetSpec[], now: Date): Promise<BudgetBaseline[]> {
  if (specs.length === 0) return [];
  const ids = new Set(specs.map((b) => b.id));
  const rows = (await listBudgetRows(db)).filter((b) => ids.has(b.id));
  return (await measureBudgets(db, rows, now)).filter((m) => m.spent > 0).map((m) => ({ budgetId: m.budget.id, periodKey: m.window.key, spent: m.spent }));
}

function covers(subject: string): string {
  if (subject.startsWith("team:")) return `LLM calls by any member of ${subject}, with any key`;
  if (subject.startsWith("user:")) return `LLM calls by ${subject.slice(5)}, with any of their keys`;
  return `LLM calls made with API token ${subject.slice(6)}`;
}

function statusOf(s: BudgetSpend, names: LimitSubjectNames, showWebhook: boolean): BudgetStatusOutput {
  const budget = toBudgetOutput(s.budget, names, showWebhook);
  const ratio = s.spent / s.budget.limit;
  return {
    budget,
    periodKey: s.window.key,
    periodStart: toIso(s.window.start),
    resetsAt: toIso(s.window.end),
    spent: toDisplayAmount(s.budget.metric, s.spent),
    percent: Math.round(ratio * 1000) / 10,
    level: ratio >= 1 ? "exceeded" : ratio >= 0.8 ? "warning" : "ok",
    covers: covers(budget.subject),
  };
}

/** Every budget (enabled or not) with its spend in the current period. No authorization: see {@link getBudgetStatus}. */
export async function budgetStatus(db: Queryable, now: Date, options: { showWebhookUrls?: boolean } = {}): Promise<BudgetStatusOutput[]> {
  const rows = await listBudgetRows(db);
  const spend = await measureBudgets(db, rows, now);
  const names = await limitSubjectNames(db, rows);
  return spend.map((s) => statusOf(s, names, options.showWebhookUrls ?? false));
}

export async function getBudgetStatus({ db, actor }: Ctx, now: Date = new Date()): Promise<BudgetStatusListOutput> {
  authorize(actor, "budgets.read");
  return { at: now.toISOString(), budgets: await budgetStatus(db, now, { showWebhookUrls: seesWebhooks(actor) }) };
}

function toAlertOutput(row: typeof budgetAlerts.$inferSelect, budget: Pick<Budget, "name" | "metric">): BudgetAlertOutput {
  return {
    id: row.id,
    budgetId: row.budgetId,
    budgetName: budget.name,
    metric: budget.metric,
    periodKey: row.periodKey,
    threshold: row.threshold,
    spent: toDisplayAmount(budget.metric, row.spent),
    limit: toDisplayAmount(budget.metric, row.limit),
    crossedAt: toIso(row.crossedAt),
    webhookStatus: row.webhookStatus,
  };
}

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
  const withWebhook = inserted.filter((a) => byId.get(a.budgetId)?.alertWebhookUrl);
  const statuses = new Map<string, string>();
  if (withWebhook.length > 0) {
    const names = await limitSubjectNames(db, rows).catch((): LimitSubjectNames => ({ emails: new Map(), teamSlugs: new Map() }));
    // Budgets in parallel; one budget's thresholds in order, so a receiver sees 50 before 80 before 100.
    const perBudget = new Map<string, typeof withWebhook>();
    for (const a of withWebhook) perBudget.set(a.budgetId, [...(perBudget.get(a.budgetId) ?? []), a]);
    await Promise.all(
      [...perBudget.values()].map(async (alerts) => {
        for (const alert of alerts.sort((a, b) => a.threshold - b.threshold)) {
          const budget = byId.get(alert.budgetId)!;
          const out = toBudgetOutput(budget, names, true);
          const payload: BudgetWebhookPayload = {
            budget: { id: budget.id, name: budget.name, subject: out.subject, metric: budget.metric, limit: out.limit, period: budget.period },
            periodKey: alert.periodKey,
            threshold: alert.threshold,
            spent: toDisplayAmount(budget.metric, alert.spent),
            limit: out.limit,
            at: toIso(alert.crossedAt),
          };
          statuses.set(alert.id, await sendBudgetWebhook(budget.alertWebhookUrl!, payload, deps.fetch));
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
