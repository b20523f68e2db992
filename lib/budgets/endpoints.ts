import { z } from "zod";
import { endpoint, NoQuery } from "@/lib/api/endpoint";
import { resourceEndpoints } from "@/lib/api/resource-endpoints";
import { BudgetAlertOutput, BudgetInput, BudgetOutput, BudgetStatusListOutput, ListBudgetAlertsQuery, UpdateBudgetInput } from "./schemas";

/** The public API contracts of this domain (routes under app/api/v1; the OpenAPI document is built from them). */

export const {
  list: listBudgetsEndpoint,
  create: createBudgetEndpoint,
  get: getBudgetEndpoint,
  update: updateBudgetEndpoint,
  delete: deleteBudgetEndpoint,
} = resourceEndpoints({
  path: "/budgets",
  tag: "Budgets",
  name: { one: "Budget", many: "Budgets", listKey: "budgets" },
  permissions: { read: "budgets.read", manage: "limits.manage" },
  schemas: { output: BudgetOutput, create: BudgetInput, update: UpdateBudgetInput },
  summaries: {
    list: "Every budget, by name (alert webhook URLs only for those who manage budgets)",
    create: "Create a budget; it reaches the edge with the next publish",
    get: "One budget",
    update: "Change a budget (only the fields sent; a new metric needs a new limit)",
    delete: "Delete a budget and its alerts; answers the deleted budget",
  },
  descriptions: {
    create:
      "Caps the LLM spend of a user (any of their keys), a team (every member, any key) or one API token per UTC day, ISO week or month, in tokens or US dollars (up to 6 decimals). Alerts at 50, 80 and 100 % go to the Budgets page and, when set, to `alertWebhookUrl`. 409 when the name is taken.",
  },
});

export const budgetStatusEndpoint = endpoint({
  method: "GET", path: "/budgets/status", operationId: "getBudgetStatus", tag: "Budgets", permission: "budgets.read", status: 200,
  summary: "Every budget's spend in its current period: amount, percent of the limit, and when the period resets",
  query: NoQuery, response: BudgetStatusListOutput,
});

export const listBudgetAlertsEndpoint = endpoint({
  method: "GET", path: "/budgets/alerts", operationId: "listBudgetAlerts", tag: "Budgets", permission: "budgets.read", status: 200,
  summary: "Budget alerts (50, 80, 100 % reached), newest first, with the webhook's outcome",
  query: ListBudgetAlertsQuery, response: z.object({ alerts: z.array(BudgetAlertOutput) }),
});

