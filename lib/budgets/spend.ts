/**
 * Spend against budgets, from the LLM events the portal delivered (`llm_events`, summed through their
 * daily rollups), and the alerts at 50, 80 and 100 % of a budget.
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
import { and, eq, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import { type budgetAlerts, llmTeamRollupDaily, llmUserTotalsDaily, type Budget } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { toIso } from "@core/zod/helpers";
import type { BudgetBaseline, BudgetSpec } from "@core/limits/schema";
import { periodOf, type PeriodWindow } from "@core/limits/windows";
import { limitSubjectNames, type LimitSubjectNames } from "../rate-limits/subjects";
import { listBudgetRows, toBudgetOutput } from "./store";
import { toDisplayAmount, type BudgetAlertOutput, type BudgetStatusOutput } from "./schemas";

type TokenColumns = Record<"kind" | "input" | "output" | "cached" | "write", SQLWrapper>;

/**
 * The tokens of LLM calls as the edge meters them (`totalTokens`, lib/core/llm/usage.ts): the database's
 * `portcullis_llm_tokens` (migration 0019, which the rollup triggers use too), on events or on a
 * rollup's sums (one provider kind per rollup row, so the sum of each call's tokens is this of the
 * row's sums).
 */
export const tokensOf = (c: TokenColumns): SQL => sql`portcullis_llm_tokens(${c.kind}, ${c.input}, ${c.output}, ${c.cached}, ${c.write})`;


/**
 * A budget's spend in a period per UTC day, from the daily rollups (db/schema/event-rollups.ts),
 * exactly what its events sum to: periods are whole UTC days (lib/core/limits/windows.ts), and a
 * rollup row holds one day. A user's or a token's from the per-user totals (by their user or token
 * index), a team's from the team rollup (a call counts once for each team of its caller), by its team
 * index. Days with nothing spent are left out.
 */
export async function spendByDay(db: Queryable, b: Budget, window: PeriodWindow): Promise<{ day: string; amount: number }[]> {
  const from = sql`${window.start.toISOString()}::timestamptz`;
  const to = sql`${window.end.toISOString()}::timestamptz`;
  const dayOf = (bucket: SQLWrapper) => sql<string>`to_char(${bucket} at time zone 'UTC', 'YYYY-MM-DD')`;
  // The per-user totals hold allowed calls' tokens and spend; the team rollup every call's, with its decision.
  const u = llmUserTotalsDaily;
  const byUser = (subject: SQL) =>
    db
      .select({ day: dayOf(u.bucket), amount: sql<string>`sum(${b.metric === "usd" ? u.costMicroUsd : u.tokens})::bigint`.mapWith(Number) })
      .from(u)
      .where(and(subject, sql`${u.bucket} >= ${from}`, sql`${u.bucket} < ${to}`))
      .groupBy(u.bucket);
  const t = llmTeamRollupDaily;
  let rows: { day: string; amount: number }[];
  switch (b.subjectType) {
    case "user":
      rows = await byUser(eq(u.userId, b.subjectUserId!));
      break;
    case "token":
      rows = await byUser(eq(u.tokenId, b.subjectTokenId!));
      break;
    case "team": {
      const amount = b.metric === "usd" ? sql`${t.costMicroUsd}` : tokensOf({ kind: t.providerKind, input: t.inputTokens, output: t.outputTokens, cached: t.cachedInputTokens, write: t.cacheWriteTokens });
      rows = await db
        .select({ day: dayOf(t.bucket), amount: sql<string>`sum(${amount})::bigint`.mapWith(Number) })
        .from(t)
        .where(and(eq(t.teamId, b.subjectTeamId!), eq(t.decision, "allowed"), sql`${t.bucket} >= ${from}`, sql`${t.bucket} < ${to}`))
        .groupBy(t.bucket);
      break;
    }
    case "everyone":
      // The table's check constraint refuses budgets for everyone; count nothing rather than everything.
      return [];
  }
  return rows.filter((r) => r.amount !== 0).sort((x, y) => (x.day < y.day ? -1 : 1));
}

export interface BudgetSpend {
  budget: Budget;
  window: PeriodWindow;
  /** Tokens, or micro-dollars for "usd". */
  spent: number;
  /** The same per UTC day of the period, oldest first (days with nothing spent left out). */
  byDay: { day: string; amount: number }[];
}

/**
 * Spend of each budget in its period containing `now` (stored units: tokens or micro-dollars).
 * One query per budget, in turn: a transaction's single connection is never asked to run two
 * queries at once.
 */
export async function measureBudgets(db: Queryable, rows: readonly Budget[], now: Date): Promise<BudgetSpend[]> {
  const out: BudgetSpend[] = [];
  for (const budget of rows) {
    const window = periodOf(budget.period, now);
    const byDay = await spendByDay(db, budget, window);
    out.push({ budget, window, spent: byDay.reduce((sum, d) => sum + d.amount, 0), byDay });
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

export function toAlertOutput(row: typeof budgetAlerts.$inferSelect, budget: Pick<Budget, "name" | "metric">): BudgetAlertOutput {
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

