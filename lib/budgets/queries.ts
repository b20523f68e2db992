import { desc, eq } from "drizzle-orm";
import { apiTokens, budgetAlerts, budgets, memberships, type Budget } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { authorize, can, type Actor } from "../auth/actor";
import type { Ctx } from "../context";
import { limitSubjectNames } from "../rate-limits/subjects";
import { ListBudgetAlertsQuery, type BudgetAlertOutput, type BudgetOutput, type BudgetStatusListOutput } from "./schemas";
import { budgetStatus, measureBudgets, toAlertOutput } from "./spend";
import { burnDown, type BurnDown } from "./burn-down";
import { ALERT_THRESHOLDS, toDisplayAmount } from "./schemas";
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

/**
 * The budgets whose spend over time the caller may see: security and admins (`usage.read-all`) every
 * budget; anyone else the budgets that cover them — their own, their teams' (a lead's teams among
 * them), and their API tokens' — as Usage shows them only their own and their led teams' figures.
 */
async function budgetsCovering(db: Queryable, actor: Actor, rows: Budget[]): Promise<Budget[]> {
  if (can(actor, "usage.read-all")) return rows;
  if (!actor.userId) return [];
  const [teamRows, tokenRows] = await Promise.all([
    db.select({ id: memberships.teamId }).from(memberships).where(eq(memberships.userId, actor.userId)),
    db.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.userId, actor.userId)),
  ]);
  const myTeams = new Set(teamRows.map((t) => t.id));
  const myTokens = new Set(tokenRows.map((t) => t.id));
  return rows.filter(
    (b) =>
      (b.subjectType === "user" && b.subjectUserId === actor.userId) ||
      (b.subjectType === "team" && b.subjectTeamId !== null && myTeams.has(b.subjectTeamId)) ||
      (b.subjectType === "token" && b.subjectTokenId !== null && myTokens.has(b.subjectTokenId)),
  );
}

export interface BudgetBurnDown {
  budgetId: string;
  name: string;
  metric: Budget["metric"];
  /** The team a team budget covers; null for a user's or a token's. */
  teamId: string | null;
  burnDown: BurnDown;
}

/**
 * Each budget's burn-down in its current period (lib/budgets/burn-down.ts), for the budgets that cover
 * the caller (see {@link budgetsCovering}). Amounts in the budget's display unit.
 */
export async function getBudgetBurnDowns({ db, actor }: Ctx, now: Date = new Date()): Promise<BudgetBurnDown[]> {
  authorize(actor, "budgets.read");
  const visible = await budgetsCovering(db, actor, await listBudgetRows(db));
  const spend = await measureBudgets(db, visible, now);
  return spend.map((s) => ({
    budgetId: s.budget.id,
    name: s.budget.name,
    metric: s.budget.metric,
    teamId: s.budget.subjectTeamId,
    burnDown: burnDown({
      start: s.window.start,
      end: s.window.end,
      now,
      limit: toDisplayAmount(s.budget.metric, s.budget.limit),
      thresholds: ALERT_THRESHOLDS,
      byDay: s.byDay.map((d) => ({ day: d.day, amount: toDisplayAmount(s.budget.metric, d.amount) })),
    }),
  }));
}
