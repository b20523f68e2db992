import { apiRoute } from "@/lib/api/route";
import { listBudgetAlertsEndpoint } from "@/lib/budgets/endpoints";
import { listBudgetAlerts } from "@/lib/budgets/queries";

export const GET = apiRoute(listBudgetAlertsEndpoint, async ({ ctx, query }) => ({ alerts: await listBudgetAlerts(ctx, query) }));
