import { resourceEndpoints } from "@/lib/api/resource-endpoints";
import { RateLimitInput, RateLimitOutput, UpdateRateLimitInput } from "./schemas";

/** The public API contracts of this domain (routes under app/api/v1; the OpenAPI document is built from them). */

export const {
  list: listRateLimitsEndpoint,
  create: createRateLimitEndpoint,
  get: getRateLimitEndpoint,
  update: updateRateLimitEndpoint,
  delete: deleteRateLimitEndpoint,
} = resourceEndpoints({
  path: "/rate-limits",
  tag: "Limits",
  name: { one: "RateLimit", many: "RateLimits", listKey: "rateLimits" },
  permissions: { read: "limits.read", manage: "limits.manage" },
  schemas: { output: RateLimitOutput, create: RateLimitInput, update: UpdateRateLimitInput },
  summaries: {
    list: "Every rate limit, by name",
    create: "Create a rate limit; it reaches the edge with the next publish",
    get: "One rate limit",
    update: "Change a rate limit (only the fields sent)",
    delete: "Delete a rate limit; answers the deleted limit",
  },
  descriptions: {
    create:
      "`limit` requests per sliding `window` (seconds, or \"30s\", \"1m\", \"1h\", \"1d\") for the calls `subject` makes (everyone, user:<e-mail>, team:<slug>, token:<id>; not group: or domain:) within `scope` (mcp, llm, all), counted `per` user, team or token. `server` and `tool` narrow an mcp scope. 409 when the name is taken.",
  },
});

