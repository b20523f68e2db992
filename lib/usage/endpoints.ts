import { endpoint } from "@/lib/api/endpoint";
import { UsageOutput, UsageQuery } from "./schemas";
import { OperationsOutput, OperationsQuery } from "./operations";

/** The public API contracts of this domain (routes under app/api/v1; the OpenAPI document is built from them). */

export const getUsageEndpoint = endpoint({
  method: "GET", path: "/usage", operationId: "getUsage", tag: "Usage", permission: "usage.read", status: 200,
  summary: "Usage over a time range: MCP context tokens by server and tool, LLM calls, tokens and spend by model, user, team and day",
  description:
    "Default range: the last 30 UTC days up to now; at most 366 days (400 when longer, or when from is not before to). Security and admins see everyone's usage and may filter by teamId and userId; a team's lead who filters by that team sees the whole team's (per member and per API key; filters.scope is \"team\"); everyone else sees only their own (userId is forced to theirs, and filters.ownUsageOnly is true). LLM tokens and cost count allowed calls only, like budgets.",
  query: UsageQuery, response: UsageOutput,
});

export const getOperationsEndpoint = endpoint({
  method: "GET", path: "/usage/operations", operationId: "getOperations", tag: "Usage", permission: "config.read", status: 200,
  summary: "How the upstreams are doing over a time range: per server and tool calls, errors, denials and p50/p95 upstream latency; denials by reason; an hourly (up to three days) or daily series; LLM latency and 429s by model",
  description: "Everyone's figures, from the rollups; for approvers, security and admins. Same range rules as /usage.",
  query: OperationsQuery, response: OperationsOutput,
});
