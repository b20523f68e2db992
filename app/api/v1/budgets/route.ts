import { apiRoute } from "@/lib/api/route";
import { createBudgetEndpoint, listBudgetsEndpoint } from "@/lib/budgets/endpoints";
import { createBudget } from "@/lib/budgets/create-budget";
import { listBudgets } from "@/lib/budgets/queries";

export const GET = apiRoute(listBudgetsEndpoint, async ({ ctx }) => ({ budgets: await listBudgets(ctx) }));
export const POST = apiRoute(createBudgetEndpoint, ({ ctx, body }) => createBudget(ctx, body));
