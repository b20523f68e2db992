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
import { and, eq, sql, type SQL } from "drizzle-orm";
import { type budgetAlerts, llmEvents, type Budget } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { toIso } from "@core/zod/helpers";
import type { BudgetBaseline, BudgetSpec } from "@core/limits/schema";
import { periodOf, type PeriodWindow } from "@core/limits/windows";
import { limitSubjectNames, type LimitSubjectNames } from "../rate-limits/subjects";
import { listBudgetRows, toBudgetOutput } from "./store";
import { toDisplayAmount, type BudgetAlertOutput, type BudgetStatusOutput } from "./schemas";

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

