import { z } from "zod";
import { endpoint, IdParams, NoQuery } from "@/lib/api/endpoint";
import { RateLimitInput, RateLimitOutput, UpdateRateLimitInput } from "./schemas";

/** The public API contracts of this domain (routes under app/api/v1; the OpenAPI document is built from them). */

export const listRateLimitsEndpoint = endpoint({
  method: "GET", path: "/rate-limits", operationId: "listRateLimits", tag: "Limits", permission: "limits.read", status: 200,
  summary: "Every rate limit, by name",
  query: NoQuery, response: z.object({ rateLimits: z.array(RateLimitOutput) }),
});

export const createRateLimitEndpoint = endpoint({
  method: "POST", path: "/rate-limits", operationId: "createRateLimit", tag: "Limits", permission: "limits.manage", status: 201,
  summary: "Create a rate limit; it reaches the edge with the next publish",
  description:
    "`limit` requests per sliding `window` (seconds, or \"30s\", \"1m\", \"1h\", \"1d\") for the calls `subject` makes (everyone, user:<e-mail>, team:<slug>, token:<id>; not group: or domain:) within `scope` (mcp, llm, all), counted `per` user, team or token. `server` and `tool` narrow an mcp scope. 409 when the name is taken.",
  query: NoQuery, body: RateLimitInput, response: RateLimitOutput,
});

export const getRateLimitEndpoint = endpoint({
  method: "GET", path: "/rate-limits/{id}", operationId: "getRateLimit", tag: "Limits", permission: "limits.read", status: 200,
  summary: "One rate limit", params: IdParams, query: NoQuery, response: RateLimitOutput,
});

export const updateRateLimitEndpoint = endpoint({
  method: "PATCH", path: "/rate-limits/{id}", operationId: "updateRateLimit", tag: "Limits", permission: "limits.manage", status: 200,
  summary: "Change a rate limit (only the fields sent)", params: IdParams, query: NoQuery, body: UpdateRateLimitInput, response: RateLimitOutput,
});

export const deleteRateLimitEndpoint = endpoint({
  method: "DELETE", path: "/rate-limits/{id}", operationId: "deleteRateLimit", tag: "Limits", permission: "limits.manage", status: 200,
  summary: "Delete a rate limit; answers the deleted limit", params: IdParams, query: NoQuery, response: RateLimitOutput,
});
