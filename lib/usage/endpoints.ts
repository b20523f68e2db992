import { endpoint } from "@/lib/api/endpoint";
import { UsageOutput, UsageQuery } from "./schemas";

/** The public API contracts of this domain (routes under app/api/v1; the OpenAPI document is built from them). */

export const getUsageEndpoint = endpoint({
  method: "GET", path: "/usage", operationId: "getUsage", tag: "Usage", permission: "usage.read", status: 200,
  summary: "Usage over a time range: MCP context tokens by server and tool, LLM calls, tokens and spend by model, user, team and day",
  description:
    "Default range: the last 30 UTC days up to now; at most 366 days (400 when longer, or when from is not before to). Security and admins see everyone's usage and may filter by teamId and userId; a team's lead who filters by that team sees the whole team's (per member and per API key; filters.scope is \"team\"); everyone else sees only their own (userId is forced to theirs, and filters.ownUsageOnly is true). LLM tokens and cost count allowed calls only, like budgets.",
  query: UsageQuery, response: UsageOutput,
});
