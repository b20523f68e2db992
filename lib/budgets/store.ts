import { asc, sql } from "drizzle-orm";
import { budgets, type Budget } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { toIso } from "@core/zod/helpers";
import { can, type Actor } from "../auth/actor";
import { auditedTable } from "../audit/audited-table";
import { limitSubjectNames, limitSubjectOf, resolveLimitSubject, type LimitSubjectNames } from "../rate-limits/subjects";
import { toDisplayAmount, toStoredAmount, type BudgetInput, type BudgetOutput } from "./schemas";

/**
 * Budgets as stored and as shown. Everyone may read budgets (teams see where they stand); the alert
 * webhook URL, often a secret itself, only those who manage them.
 */

export function toBudgetOutput(row: Budget, names: LimitSubjectNames, showWebhook: boolean): BudgetOutput {
  return {
    id: row.id,
    name: row.name,
    subject: limitSubjectOf(row, names),
    metric: row.metric,
    limit: toDisplayAmount(row.metric, row.limit),
    period: row.period,
    onExceed: row.onExceed,
    alertWebhookUrl: showWebhook ? row.alertWebhookUrl : null,
    hasAlertWebhook: row.alertWebhookUrl !== null,
    enabled: row.enabled,
    createdAt: toIso(row.createdAt),
    updatedAt: toIso(row.updatedAt),
  };
}

export const seesWebhooks = (actor: Actor) => can(actor, "limits.manage");

/** What was written, without id and timestamps (audit details, and the base an edit is merged onto). */
export function toBudgetInput(out: BudgetOutput): BudgetInput {
  return {
    name: out.name,
    subject: out.subject,
    metric: out.metric,
    limit: out.limit,
    period: out.period,
    onExceed: out.onExceed,
    alertWebhookUrl: out.alertWebhookUrl,
    enabled: out.enabled,
  };
}

export async function listBudgetRows(db: Queryable): Promise<Budget[]> {
  return db.select().from(budgets).orderBy(asc(sql`lower(${budgets.name})`), asc(budgets.id));
}

export async function budgetValues(db: Queryable, input: BudgetInput) {
  return {
    name: input.name,
    ...(await resolveLimitSubject(db, input.subject)),
    metric: input.metric,
    limit: toStoredAmount(input.metric, input.limit),
    period: input.period,
    onExceed: input.onExceed,
    alertWebhookUrl: input.alertWebhookUrl ?? null,
    enabled: input.enabled,
  };
}

export const budgetTable = auditedTable({
  table: budgets,
  entity: "budget",
  noun: "budget",
  name: { column: budgets.name, caseInsensitive: true, taken: (name) => `A budget named "${name}" already exists` },
  output: async (db, row: Budget) => toBudgetOutput(row, await limitSubjectNames(db, [row]), true),
  auditView: toBudgetInput,
  auditKey: "budget",
});
