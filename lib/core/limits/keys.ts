/**
 * Which rate-limit counters and budget counters one call counts against, from the bundle's specs.
 * Pure, so every caller picks the same counters. Who shares a counter, and the key format:
 * docs/limits.md, "Which counters a call counts against".
 */
import { globToRegExp } from "@core/policy/evaluate";
import type { BudgetBaseline, BudgetMetric, BudgetSpec, RateLimitSpec } from "./schema";
import { periodOf, type Period } from "./windows";

export interface LimitPrincipal {
  userId: string;
  teamIds: readonly string[];
  /** The API token used, or null for an OAuth caller. */
  tokenId: string | null;
}

export interface LimitRequest {
  kind: "mcp" | "llm";
  serverSlug?: string;
  /** The upstream tool name; absent or null for a server-level MCP request and for LLM calls. */
  tool?: string | null;
}

export interface ApplicableRateLimit {
  specId: string;
  name: string;
  counterKey: string;
  limit: number;
  windowMs: number;
}

export interface ApplicableBudget {
  specId: string;
  name: string;
  /** `b:<specId>:<metric>:<periodKey>`. */
  counterKey: string;
  metric: BudgetMetric;
  /** Tokens, or micro-dollars for "usd". */
  limit: number;
  onExceed: "block" | "flag";
  period: Period;
  periodKey: string;
  /** The console's count of this period's spend at the last publish: the counter never reads lower (BudgetBaseline). */
  floor?: number;
  /** Period bounds, ms since the epoch (start inclusive, end exclusive). */
  periodStart: number;
  periodEnd: number;
}

const globs = new Map<string, RegExp | null>();

function toolMatches(glob: string | undefined, tool: string | null | undefined): boolean {
  if (glob === undefined) return true;
  let re = globs.get(glob);
  if (re === undefined) {
    re = globToRegExp(glob);
    // The globs come from the bundle (bounded); the clear only guards against unbounded growth across many bundles.
    if (globs.size > 10_000) globs.clear();
    globs.set(glob, re);
  }
  if (re === null) return true;
  return typeof tool === "string" && re.test(tool);
}

function subjectMatches(subject: RateLimitSpec["subject"], who: LimitPrincipal): boolean {
  switch (subject.type) {
    case "everyone":
      return true;
    case "team":
      return who.teamIds.includes(subject.teamId);
    case "user":
      return who.userId === subject.userId;
    case "token":
      return who.tokenId !== null && who.tokenId === subject.tokenId;
  }
}

function scopeMatches(scope: RateLimitSpec["scope"], request: LimitRequest): boolean {
  if (scope.kind !== "all" && scope.kind !== request.kind) return false;
  if (scope.serverSlug !== undefined && scope.serverSlug !== request.serverSlug) return false;
  return toolMatches(scope.tool, request.tool);
}

function counterIds(spec: RateLimitSpec, who: LimitPrincipal): string[] {
  switch (spec.per) {
    case "user":
      return [`u:${who.userId}`];
    case "team":
      if (spec.subject.type === "team") return [`t:${spec.subject.teamId}`];
      return who.teamIds.length > 0 ? [...new Set(who.teamIds)].map((t) => `t:${t}`) : [`u:${who.userId}`];
    case "token":
      return [who.tokenId !== null ? `k:${who.tokenId}` : `u:${who.userId}`];
  }
}

/** The rate-limit counters a request by `who` counts against (rules: docs/limits.md). */
export function applicableRateLimits(specs: readonly RateLimitSpec[], who: LimitPrincipal, request: LimitRequest): ApplicableRateLimit[] {
  const out = new Map<string, ApplicableRateLimit>();
  for (const spec of specs) {
    if (!subjectMatches(spec.subject, who) || !scopeMatches(spec.scope, request)) continue;
    for (const id of counterIds(spec, who)) {
      const counterKey = `rl:${spec.id}:${id}`;
      if (!out.has(counterKey)) out.set(counterKey, { specId: spec.id, name: spec.name, counterKey, limit: spec.limit, windowMs: spec.windowSeconds * 1000 });
    }
  }
  return [...out.values()];
}

/** The budget counters a call by `who` at `at` counts against: every budget of the user, their teams and the token used. */
export function applicableBudgets(specs: readonly BudgetSpec[], who: LimitPrincipal, at: Date, baselines: readonly BudgetBaseline[] = []): ApplicableBudget[] {
  const out = new Map<string, ApplicableBudget>();
  for (const spec of specs) {
    if (!subjectMatches(spec.subject, who)) continue;
    const period = periodOf(spec.period, at);
    const counterKey = `b:${spec.id}:${spec.metric}:${period.key}`;
    if (out.has(counterKey)) continue;
    const floor = baselines.find((b) => b.budgetId === spec.id && b.periodKey === period.key)?.spent;
    out.set(counterKey, {
      ...(floor ? { floor } : {}),
      specId: spec.id,
      name: spec.name,
      counterKey,
      metric: spec.metric,
      limit: spec.limit,
      onExceed: spec.onExceed,
      period: spec.period,
      periodKey: period.key,
      periodStart: period.start.getTime(),
      periodEnd: period.end.getTime(),
    });
  }
  return [...out.values()];
}
