import { z } from "zod";
import { BundleSlug, Uuid } from "@core/zod/helpers";
import { MAX_RATE_LIMIT } from "./sliding-window";
import { PERIODS } from "./windows";

/**
 * Rate-limit and budget specs as signed in the config bundle: strict and without transforms, like the
 * rest of the bundle, so the edge enforces exactly what the console signed. Semantics: docs/limits.md, "Specs".
 */

export const LIMITS_BOUNDS = {
  rateLimits: 10_000,
  budgets: 10_000,
  nameLength: 100,
  toolGlobLength: 200,
} as const;

const Name = z.string().min(1).max(LIMITS_BOUNDS.nameLength);

const Everyone = z.object({ type: z.literal("everyone") }).strict();
const TeamSubject = z.object({ type: z.literal("team"), teamId: Uuid }).strict();
const UserSubject = z.object({ type: z.literal("user"), userId: Uuid }).strict();
const TokenSubject = z.object({ type: z.literal("token"), tokenId: Uuid }).strict();

export const RateLimitSubject = z.discriminatedUnion("type", [Everyone, TeamSubject, UserSubject, TokenSubject]);
export type RateLimitSubject = z.infer<typeof RateLimitSubject>;

export const BudgetSubject = z.discriminatedUnion("type", [TeamSubject, UserSubject, TokenSubject]);
export type BudgetSubject = z.infer<typeof BudgetSubject>;

export const RateLimitScope = z
  .object({
    kind: z.enum(["mcp", "llm", "all"]),
    serverSlug: BundleSlug.optional(),
    tool: z.string().min(1).max(LIMITS_BOUNDS.toolGlobLength).optional(),
  })
  .strict()
  .refine((scope) => scope.kind === "mcp" || (scope.serverSlug === undefined && scope.tool === undefined), {
    message: "serverSlug and tool narrow MCP calls only: use kind \"mcp\"",
  });
export type RateLimitScope = z.infer<typeof RateLimitScope>;

export const RateLimitSpec = z
  .object({
    id: Uuid,
    name: Name,
    subject: RateLimitSubject,
    per: z.enum(["user", "team", "token"]),
    scope: RateLimitScope,
    limit: z.int().min(1).max(MAX_RATE_LIMIT),
    windowSeconds: z.int().min(1).max(86_400),
  })
  .strict();
export type RateLimitSpec = z.infer<typeof RateLimitSpec>;

export const BudgetMetric = z.enum(["tokens", "usd"]);
export type BudgetMetric = z.infer<typeof BudgetMetric>;

export const BudgetSpec = z
  .object({
    id: Uuid,
    name: Name,
    subject: BudgetSubject,
    metric: BudgetMetric,
    /** Tokens, or micro-dollars for "usd". */
    limit: z.int().min(1),
    period: z.enum(PERIODS),
    onExceed: z.enum(["block", "flag"]),
  })
  .strict();
export type BudgetSpec = z.infer<typeof BudgetSpec>;

const uniqueIds = (specs: readonly { id: string }[]) => new Set(specs.map((s) => s.id)).size === specs.length;

/**
 * Reconciliation: what the console's usage data says a budget had spent in a period when the bundle
 * was compiled. The edge never counts less than this (a counter lost with Durable Object storage, or
 * spend the edge did not see, comes back from the console's side); edge spend above it stays.
 */
export const BudgetBaseline = z
  .object({
    budgetId: Uuid,
    /** lib/core/limits/windows.ts `periodOf(...).key`. */
    periodKey: z.string().min(1).max(20),
    /** Tokens, or micro-dollars for "usd". */
    spent: z.int().min(0),
  })
  .strict();
export type BudgetBaseline = z.infer<typeof BudgetBaseline>;

/** Both lists, as a bundle section would carry them. Ids are unique within each list. */
export const LimitsConfig = z
  .object({
    rateLimits: z.array(RateLimitSpec).max(LIMITS_BOUNDS.rateLimits).refine(uniqueIds, { message: "rate limit ids must be unique" }),
    budgets: z.array(BudgetSpec).max(LIMITS_BOUNDS.budgets).refine(uniqueIds, { message: "budget ids must be unique" }),
    baselines: z.array(BudgetBaseline).max(LIMITS_BOUNDS.budgets).optional(),
  })
  .strict();
export type LimitsConfig = z.infer<typeof LimitsConfig>;
