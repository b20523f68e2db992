import { z } from "zod";
import { endpoint, IdParams, NoQuery } from "@/lib/api/endpoint";
import { BudgetAlertOutput, BudgetInput, BudgetOutput, BudgetStatusListOutput, ListBudgetAlertsQuery, UpdateBudgetInput } from "./schemas";

/** The public API contracts of this domain (routes under app/api/v1; the OpenAPI document is built from them). */

export const listBudgetsEndpoint = endpoint({
  method: "GET", path: "/budgets", operationId: "listBudgets", tag: "Budgets", permission: "budgets.read", status: 200,
  summary: "Every budget, by name (alert webhook URLs only for those who manage budgets)",
  query: NoQuery, response: z.object({ budgets: z.array(BudgetOutput) }),
});

export const createBudgetEndpoint = endpoint({
  method: "POST", path: "/budgets", operationId: "createBudget", tag: "Budgets", permission: "limits.manage", status: 201,
  summary: "Create a budget; it reaches the edge with the next publish",
  description:
    "Caps the LLM spend of a user (any of their keys), a team (every member, any key) or one API token per UTC day, ISO week or month, in tokens or US dollars (up to 6 decimals). Alerts at 50, 80 and 100 % go to the Budgets page and, when set, to `alertWebhookUrl`. 409 when the name is taken.",
  query: NoQuery, body: BudgetInput, response: BudgetOutput,
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

export const getBudgetEndpoint = endpoint({
  method: "GET", path: "/budgets/{id}", operationId: "getBudget", tag: "Budgets", permission: "budgets.read", status: 200,
  summary: "One budget", params: IdParams, query: NoQuery, response: BudgetOutput,
});

export const updateBudgetEndpoint = endpoint({
  method: "PATCH", path: "/budgets/{id}", operationId: "updateBudget", tag: "Budgets", permission: "limits.manage", status: 200,
  summary: "Change a budget (only the fields sent; a new metric needs a new limit)", params: IdParams, query: NoQuery, body: UpdateBudgetInput, response: BudgetOutput,
});

export const deleteBudgetEndpoint = endpoint({
  method: "DELETE", path: "/budgets/{id}", operationId: "deleteBudget", tag: "Budgets", permission: "limits.manage", status: 200,
  summary: "Delete a budget and its alerts; answers the deleted budget", params: IdParams, query: NoQuery, response: BudgetOutput,
});
