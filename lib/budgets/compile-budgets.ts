import { asc, eq } from "drizzle-orm";
import { budgets } from "@/db/schema";
import type { Queryable } from "@/db/client";
import type { BudgetSpec, BudgetSubject } from "@core/limits/schema";
import { compileLimitSubject } from "../rate-limits/subjects";

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
