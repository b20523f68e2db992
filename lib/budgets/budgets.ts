import { asc, eq, sql } from "drizzle-orm";
import { budgets, type Budget } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { toIso } from "@core/zod/helpers";
import { authorize, can, type Actor } from "../auth/actor";
import { recordAudit } from "../audit/record-audit";
import type { Ctx } from "../context";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
import { requireId } from "../ids";
import type { BudgetSpec, BudgetSubject } from "@core/limits/schema";
import { compileLimitSubject, limitSubjectNames, limitSubjectOf, resolveLimitSubject, type LimitSubjectNames } from "../rate-limits/subjects";
import { BudgetInput, toDisplayAmount, toStoredAmount, UpdateBudgetInput, type BudgetOutput } from "./schemas";

/**
 * Budgets: list, read, create, edit, delete. Each change is audited in its transaction and reaches
 * the edge with the next publish ({@link compileBudgets}). Everyone may read budgets (teams see
 * where they stand); the alert webhook URL, often a secret itself, only those who manage them.
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
function toInput(out: BudgetOutput): BudgetInput {
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

async function loadRow(db: Queryable, id: string): Promise<Budget> {
  requireId(id, "budget");
  const [row] = await db.select().from(budgets).where(eq(budgets.id, id));
  if (!row) throw new NotFoundError("No such budget");
  return row;
}

async function output(db: Queryable, row: Budget, showWebhook = true): Promise<BudgetOutput> {
  return toBudgetOutput(row, await limitSubjectNames(db, [row]), showWebhook);
}

async function nameTaken(db: Queryable, name: string, except?: string): Promise<boolean> {
  const [row] = await db.select({ id: budgets.id }).from(budgets).where(sql`lower(${budgets.name}) = ${name.toLowerCase()}`);
  return !!row && row.id !== except;
}

async function values(db: Queryable, input: BudgetInput) {
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

export async function listBudgets({ db, actor }: Ctx): Promise<BudgetOutput[]> {
  authorize(actor, "budgets.read");
  const rows = await listBudgetRows(db);
  const names = await limitSubjectNames(db, rows);
  return rows.map((r) => toBudgetOutput(r, names, seesWebhooks(actor)));
}

export async function getBudget({ db, actor }: Ctx, id: string): Promise<BudgetOutput> {
  authorize(actor, "budgets.read");
  return output(db, await loadRow(db, id), seesWebhooks(actor));
}

export async function createBudget({ db, actor }: Ctx, rawInput: unknown): Promise<BudgetOutput> {
  authorize(actor, "limits.manage");
  const input = BudgetInput.parse(rawInput);
  return db.transaction(async (tx) => {
    if (await nameTaken(tx, input.name)) throw new ConflictError(`A budget named "${input.name}" already exists`);
    const [row] = await tx
      .insert(budgets)
      .values({ ...(await values(tx, input)), createdBy: actor.userId })
      .returning();
    const out = await output(tx, row!);
    await recordAudit(tx, actor, { action: "budget.create", targetType: "budget", targetId: row!.id, details: { budget: toInput(out) } });
    return out;
  });
}

export async function updateBudget({ db, actor }: Ctx, id: string, rawInput: unknown): Promise<BudgetOutput> {
  authorize(actor, "limits.manage");
  const patch = UpdateBudgetInput.parse(rawInput);
  return db.transaction(async (tx) => {
    const before = await output(tx, await loadRow(tx, id));
    if (patch.metric !== undefined && patch.metric !== before.metric && patch.limit === undefined) {
      // The stored limit is in the old metric's unit: 50 dollars must not silently become 50 tokens.
      throw new ValidationError(`Changing the metric from ${before.metric} to ${patch.metric} needs a new limit`, { limit: "give the limit in the new metric's unit" });
    }
    const input = BudgetInput.parse({ ...toInput(before), ...patch });
    if (input.name.toLowerCase() !== before.name.toLowerCase() && (await nameTaken(tx, input.name, id))) {
      throw new ConflictError(`A budget named "${input.name}" already exists`);
    }
    const [row] = await tx
      .update(budgets)
      .set({ ...(await values(tx, input)), updatedAt: new Date() })
      .where(eq(budgets.id, id))
      .returning();
    const out = await output(tx, row!);
    await recordAudit(tx, actor, { action: "budget.update", targetType: "budget", targetId: id, details: { before: toInput(before), after: toInput(out) } });
    return out;
  });
}

export async function deleteBudget({ db, actor }: Ctx, id: string): Promise<BudgetOutput> {
  authorize(actor, "limits.manage");
  return db.transaction(async (tx) => {
    const before = await output(tx, await loadRow(tx, id));
    await tx.delete(budgets).where(eq(budgets.id, id));
    await recordAudit(tx, actor, { action: "budget.delete", targetType: "budget", targetId: id, details: { budget: toInput(before) } });
    return before;
  });
}

/**
 * The enabled budgets as the bundle carries them (limits in tokens or micro-dollars), in a fixed
 * order. A budget whose user or team subject is not in the bundle (`present`) is left out.
 */
export async function compileBudgets(db: Queryable, present: { userIds: Set<string>; teamIds: Set<string> }): Promise<BudgetSpec[]> {
  const rows = await db.select().from(budgets).where(eq(budgets.enabled, true)).orderBy(asc(budgets.id));
  const specs: BudgetSpec[] = [];
  for (const r of rows) {
    const subject = compileLimitSubject(r, present) as BudgetSubject | null;
    if (!subject) continue;
    specs.push({ id: r.id, name: r.name, subject, metric: r.metric, limit: r.limit, period: r.period, onExceed: r.onExceed });
  }
  return specs;
}
