import { describe, expect, it } from "vitest";
import { BudgetSpec, LimitsConfig, RateLimitSpec } from "./schema";

const rate = {
  id: "7d8b6c1e-2f3a-4b5c-8d9e-0a1b2c3d4e5f",
  name: "GitHub writes",
  subject: { type: "team", teamId: "1d8b6c1e-2f3a-4b5c-8d9e-0a1b2c3d4e5f" },
  per: "user",
  scope: { kind: "mcp", serverSlug: "github", tool: "create_*" },
  limit: 30,
  windowSeconds: 60,
};

const budget = {
  id: "2d8b6c1e-2f3a-4b5c-8d9e-0a1b2c3d4e5f",
  name: "Platform team LLM spend",
  subject: { type: "team", teamId: "1d8b6c1e-2f3a-4b5c-8d9e-0a1b2c3d4e5f" },
  metric: "usd",
  limit: 250_000_000,
  period: "month",
  onExceed: "block",
};

describe("limit specs", () => {
  it("parse to exactly the data given (nothing added, trimmed or transformed: the bundle is signed)", () => {
    expect(RateLimitSpec.parse(rate)).toStrictEqual(rate);
    expect(BudgetSpec.parse(budget)).toStrictEqual(budget);
    const minimal = { ...rate, subject: { type: "everyone" }, per: "token", scope: { kind: "llm" } };
    expect(RateLimitSpec.parse(minimal)).toStrictEqual(minimal);
    expect(LimitsConfig.parse({ rateLimits: [rate], budgets: [budget] })).toStrictEqual({ rateLimits: [rate], budgets: [budget] });
  });

  it("refuse unknown keys anywhere", () => {
    expect(RateLimitSpec.safeParse({ ...rate, burst: 5 }).success).toBe(false);
    expect(RateLimitSpec.safeParse({ ...rate, scope: { ...rate.scope, method: "tools/call" } }).success).toBe(false);
    expect(BudgetSpec.safeParse({ ...budget, subject: { ...budget.subject, userId: rate.id } }).success).toBe(false);
  });

  it("refuse server or tool narrowing outside MCP, and everyone as a budget subject", () => {
    expect(RateLimitSpec.safeParse({ ...rate, scope: { kind: "llm", serverSlug: "github" } }).success).toBe(false);
    expect(RateLimitSpec.safeParse({ ...rate, scope: { kind: "all", tool: "x" } }).success).toBe(false);
    expect(BudgetSpec.safeParse({ ...budget, subject: { type: "everyone" } }).success).toBe(false);
  });

  it("refuse out-of-range or fractional numbers", () => {
    for (const bad of [{ limit: 0 }, { limit: 1.5 }, { windowSeconds: 0 }, { windowSeconds: 86_401 }, { limit: 10_000_001 }]) expect(RateLimitSpec.safeParse({ ...rate, ...bad }).success).toBe(false);
    for (const bad of [{ limit: 0 }, { limit: 0.5 }, { period: "year" }, { onExceed: "warn" }, { metric: "eur" }]) expect(BudgetSpec.safeParse({ ...budget, ...bad }).success).toBe(false);
    expect(RateLimitSpec.safeParse({ ...rate, windowSeconds: 86_400 }).success).toBe(true);
  });

  it("refuse duplicate ids in a list", () => {
    expect(LimitsConfig.safeParse({ rateLimits: [rate, rate], budgets: [] }).success).toBe(false);
  });
});
