import { apiRoute } from "@/lib/api/route";
import { deleteBudgetEndpoint, getBudgetEndpoint, updateBudgetEndpoint } from "@/lib/budgets/endpoints";
import { deleteBudget } from "@/lib/budgets/delete-budget";
import { getBudget } from "@/lib/budgets/queries";
import { updateBudget } from "@/lib/budgets/update-budget";

export const GET = apiRoute(getBudgetEndpoint, ({ ctx, params }) => getBudget(ctx, params.id));
export const PATCH = apiRoute(updateBudgetEndpoint, ({ ctx, params, body }) => updateBudget(ctx, params.id, body));
export const DELETE = apiRoute(deleteBudgetEndpoint, ({ ctx, params }) => deleteBudget(ctx, params.id));
