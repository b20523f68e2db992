import { z } from "zod";
import { IsoDateTime, Uuid } from "@core/zod/helpers";
import { WebhookUrl as BaseWebhookUrl } from "@core/net/webhook-url";
import { BudgetMetric, LIMITS_BOUNDS } from "@core/limits/schema";
import { PERIODS } from "@core/limits/windows";
import { limitSubjectText } from "@core/limits/subject-text";

/**
 * Budgets as people write them (the Budgets page, `/api/v1/budgets`). A USD limit is written and
 * shown in dollars (up to 6 decimals) and stored, compiled and counted in micro-dollars
 * (1 USD = 1,000,000), like every amount at the edge (lib/core/limits/schema.ts `BudgetSpec`).
 */

export const MICRO_PER_USD = 1_000_000;
/** Sanity bounds, far above real use, that keep micro-dollars exact as JavaScript numbers. */
export const BUDGET_MAX = { tokens: 1e15, usd: 1e9 } as const;
/** Alert thresholds, percent of the limit: each fires once per budget and period. */
export const ALERT_THRESHOLDS = [50, 80, 100] as const;


/** Dollars → micro-dollars, exactly for up to 6 decimals (19.99 × 10⁶ is 19989999.999999996 in floating point). */
export function toMicroUsd(dollars: number): number {
  return Math.round(dollars * MICRO_PER_USD);
}

export function fromMicroUsd(micro: number): number {
  return micro / MICRO_PER_USD;
}

/** A limit or amount as stored (tokens, micro-dollars) → as shown (tokens, dollars). */
export const toDisplayAmount = (metric: BudgetMetric, stored: number): number => (metric === "usd" ? fromMicroUsd(stored) : stored);
/** As written (tokens, dollars) → as stored. */
export const toStoredAmount = (metric: BudgetMetric, written: number): number => (metric === "usd" ? toMicroUsd(written) : written);

export const WebhookUrl = BaseWebhookUrl.describe("Receives a JSON POST when the budget reaches 50, 80 and 100 % in a period; https (http only for loopback hosts)");

export const BudgetSubjectText = limitSubjectText(["user", "team", "token"], "a budget");

// Without defaults: an edit sends only what changes (zod applies defaults inside .partial() too).
const budgetFields = {
  name: z.string().trim().min(1, "is required").max(LIMITS_BOUNDS.nameLength),
  subject: BudgetSubjectText.describe(
    "user:<e-mail> (their calls with any key), team:<slug> (every member's calls, with any key) or token:<token id> (calls made with that API token)",
  ),
  metric: BudgetMetric.describe("tokens: tokens processed; usd: cost from the price table"),
  limit: z.number().positive().describe("Tokens (a whole number), or US dollars with at most 6 decimals"),
  period: z.enum(PERIODS).describe("UTC calendar day, ISO week (Monday to Sunday) or calendar month"),
  onExceed: z.enum(["block", "flag"]).describe("block (default): refuse calls that would exceed it; flag: let them through, marked over budget"),
  alertWebhookUrl: WebhookUrl.nullable().optional(),
  enabled: z.boolean(),
};

function limitFitsMetric(v: { metric?: BudgetMetric; limit?: number }, ctx: z.RefinementCtx) {
  if (v.metric === undefined || v.limit === undefined) return;
  if (v.metric === "tokens") {
    if (!Number.isInteger(v.limit)) ctx.addIssue({ code: "custom", path: ["limit"], message: "a token budget is a whole number of tokens" });
    else if (v.limit > BUDGET_MAX.tokens) ctx.addIssue({ code: "custom", path: ["limit"], message: `at most ${BUDGET_MAX.tokens} tokens` });
  } else {
    const micro = v.limit * MICRO_PER_USD;
    // Floating point: 19.99 × 10⁶ misses 19990000 by a few ulps; a 7th decimal misses by ≥ 0.1.
    const tolerance = Math.max(1e-3, micro * 8 * Number.EPSILON);
    if (Math.abs(micro - Math.round(micro)) > tolerance) {
      ctx.addIssue({ code: "custom", path: ["limit"], message: "dollars with at most 6 decimals (a micro-dollar is the smallest amount)" });
    } else if (Math.round(micro) < 1) ctx.addIssue({ code: "custom", path: ["limit"], message: "at least $0.000001" });
    else if (v.limit > BUDGET_MAX.usd) ctx.addIssue({ code: "custom", path: ["limit"], message: `at most $${BUDGET_MAX.usd}` });
  }
}

/** One budget as written (create, and the whole of it after an edit). */
export const BudgetInput = z
  .object({ ...budgetFields, onExceed: budgetFields.onExceed.default("block"), enabled: budgetFields.enabled.default(true) })
  .strict()
  .superRefine(limitFitsMetric);
export type BudgetInput = z.infer<typeof BudgetInput>;
export type BudgetInputRaw = z.input<typeof BudgetInput>;

export const UpdateBudgetInput = z
  .object(budgetFields)
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, "send at least one field to change");
export type UpdateBudgetInput = z.infer<typeof UpdateBudgetInput>;

export const BudgetOutput = z.object({
  id: Uuid,
  name: z.string(),
  subject: z.string(),
  metric: BudgetMetric,
  /** Tokens, or dollars for "usd". */
  limit: z.number(),
  period: z.enum(PERIODS),
  onExceed: z.enum(["block", "flag"]),
  alertWebhookUrl: z.string().nullable().describe("Shown to those who may manage budgets (a webhook URL is often a secret); null for others"),
  hasAlertWebhook: z.boolean(),
  enabled: z.boolean(),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
});
export type BudgetOutput = z.infer<typeof BudgetOutput>;

export const BudgetStatusOutput = z.object({
  budget: BudgetOutput,
  periodKey: z.string().describe('The current UTC period: "2026-11-26", "2026-W48" or "2026-11"'),
  periodStart: IsoDateTime,
  resetsAt: IsoDateTime.describe("End of the current period (exclusive): spend starts again from zero"),
  /** Tokens, or dollars for "usd" (same unit as the limit). */
  spent: z.number(),
  percent: z.number().describe("spent / limit × 100, one decimal, not capped at 100"),
  level: z.enum(["ok", "warning", "exceeded"]).describe("warning from 80 %, exceeded from 100 %"),
  covers: z.string().describe("Which LLM calls count"),
});
export type BudgetStatusOutput = z.infer<typeof BudgetStatusOutput>;

export const BudgetStatusListOutput = z.object({ at: IsoDateTime, budgets: z.array(BudgetStatusOutput) });
export type BudgetStatusListOutput = z.infer<typeof BudgetStatusListOutput>;

export const BudgetAlertOutput = z.object({
  id: Uuid,
  budgetId: Uuid,
  budgetName: z.string(),
  metric: BudgetMetric,
  periodKey: z.string(),
  threshold: z.number().int(),
  /** Tokens, or dollars for "usd", when the threshold was crossed. */
  spent: z.number(),
  limit: z.number(),
  crossedAt: IsoDateTime,
  webhookStatus: z.string().nullable().describe('null: no webhook; "sent"; or "failed: <reason>"'),
});
export type BudgetAlertOutput = z.infer<typeof BudgetAlertOutput>;

export const ListBudgetAlertsQuery = z
  .object({ limit: z.coerce.number().int().min(1).max(500).default(50).describe("How many, newest first (default 50)") })
  .strict();
export type ListBudgetAlertsQuery = z.input<typeof ListBudgetAlertsQuery>;

/** What a budget's webhook receives (JSON POST), one per threshold crossed. Amounts as in the API: tokens, or dollars. */
export interface BudgetWebhookPayload {
  budget: { id: string; name: string; subject: string; metric: BudgetMetric; limit: number; period: string };
  periodKey: string;
  threshold: number;
  spent: number;
  limit: number;
  at: string;
}
