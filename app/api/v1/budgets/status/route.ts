import { apiRoute } from "@/lib/api/route";
import { budgetStatusEndpoint } from "@/lib/budgets/endpoints";
import { getBudgetStatus } from "@/lib/budgets/queries";

export const GET = apiRoute(budgetStatusEndpoint, ({ ctx }) => getBudgetStatus(ctx));
