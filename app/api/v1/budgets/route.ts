import { apiRoute } from "@/lib/api/route";
import { createBudgetEndpoint, listBudgetsEndpoint } from "@/lib/budgets/endpoints";
import { createBudget, listBudgets } from "@/lib/budgets/budgets";

export const GET = apiRoute(listBudgetsEndpoint, async ({ ctx }) => ({ budgets: await listBudgets(ctx) }));
export const POST = apiRoute(createBudgetEndpoint, ({ ctx, body }) => createBudget(ctx, body));
