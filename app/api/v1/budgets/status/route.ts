import { apiRoute } from "@/lib/api/route";
import { budgetStatusEndpoint } from "@/lib/api/endpoints";
import { getBudgetStatus } from "@/lib/budgets/spend";

export const GET = apiRoute(budgetStatusEndpoint, ({ ctx }) => getBudgetStatus(ctx));
