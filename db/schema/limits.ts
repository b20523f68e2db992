import { sql } from "drizzle-orm";
import { type AnyPgColumn, bigint, boolean, check, index, integer, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { apiTokens } from "./api-tokens";
import { teams } from "./teams";
import { users } from "./users";

export const limitSubjectEnum = pgEnum("limit_subject", ["everyone", "user", "team", "token"]);
export const rateLimitPerEnum = pgEnum("rate_limit_per", ["user", "team", "token"]);
export const rateLimitKindEnum = pgEnum("rate_limit_kind", ["mcp", "llm", "all"]);
export const budgetMetricEnum = pgEnum("budget_metric", ["tokens", "usd"]);
export const budgetPeriodEnum = pgEnum("budget_period", ["day", "week", "month"]);
export const budgetActionEnum = pgEnum("budget_action", ["block", "flag"]);

/**
 * Who a rate limit or budget applies to (the same columns in both tables). A user/team/token
 * subject is a foreign key: its limits go with it.
 */
const limitSubject = {
  subjectType: limitSubjectEnum("subject_type").notNull(),
  subjectUserId: uuid("subject_user_id").references(() => users.id, { onDelete: "cascade" }),
  subjectTeamId: uuid("subject_team_id").references(() => teams.id, { onDelete: "cascade" }),
  subjectTokenId: uuid("subject_token_id").references(() => apiTokens.id, { onDelete: "cascade" }),
};

/** The subject's id column is set for its type, and only that one. */
const subjectIdMatchesType = (t: { [K in keyof typeof limitSubject]: AnyPgColumn }) =>
  sql`(${t.subjectType} = 'user') = (${t.subjectUserId} is not null) and (${t.subjectType} = 'team') = (${t.subjectTeamId} is not null) and (${t.subjectType} = 'token') = (${t.subjectTokenId} is not null)`;

/**
 * Rate limits (lib/core/limits/schema.ts `RateLimitSpec` once compiled): `limit` requests per sliding
 * window of `window_seconds` for the calls `subject` makes within the scope, counted per user, team
 * or token.
 */
export const rateLimits = pgTable(
  "rate_limits",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    ...limitSubject,
    per: rateLimitPerEnum("per").notNull(),
    scopeKind: rateLimitKindEnum("scope_kind").notNull(),
    /** MCP scopes only: a server slug, and a tool glob within it. */
    serverSlug: text("server_slug"),
    tool: text("tool"),
    limit: integer("limit").notNull(),
    windowSeconds: integer("window_seconds").notNull(),
    enabled: boolean("enabled").notNull().default(true),
    createdBy: uuid("created_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("rate_limits_name_idx").on(sql`lower(${t.name})`),
    check("rate_limits_subject_check", subjectIdMatchesType(t)),
    check("rate_limits_bounds_check", sql`${t.limit} >= 1 and ${t.windowSeconds} between 1 and 86400`),
  ],
);

/**
 * Budgets: a cap on the LLM spend (tokens, or USD in micro-dollars) of a team (all members, with any
 * key), a user (any of their keys) or one API token, per UTC calendar day / ISO week / month.
 * `block` refuses calls at the cap, `flag` lets them through and marks them. Alerts at 50/80/100 %
 * go to `budget_alerts` and, when set, to the webhook.
 */
export const budgets = pgTable(
  "budgets",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    ...limitSubject,
    metric: budgetMetricEnum("metric").notNull(),
    /** Tokens, or micro-dollars (1 USD = 1,000,000) for `usd`. */
    limit: bigint("limit", { mode: "number" }).notNull(),
    period: budgetPeriodEnum("period").notNull(),
    onExceed: budgetActionEnum("on_exceed").notNull().default("block"),
    /** Optional https URL that receives a JSON POST when a threshold is crossed. */
    alertWebhookUrl: text("alert_webhook_url"),
    enabled: boolean("enabled").notNull().default(true),
    createdBy: uuid("created_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("budgets_name_idx").on(sql`lower(${t.name})`),
    check("budgets_subject_check", sql`${t.subjectType} <> 'everyone' and ${subjectIdMatchesType(t)}`),
    check("budgets_limit_check", sql`${t.limit} >= 1`),
  ],
);

/** One row per budget, period and threshold crossed (50, 80, 100): shown in the console, sent to the webhook once. */
export const budgetAlerts = pgTable(
  "budget_alerts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    budgetId: uuid("budget_id")
      .notNull()
      .references(() => budgets.id, { onDelete: "cascade" }),
    /** lib/core/limits/windows.ts `periodOf(...).key`, e.g. "2026-11", "2026-W48", "2026-11-26". */
    periodKey: text("period_key").notNull(),
    threshold: integer("threshold").notNull(),
    spent: bigint("spent", { mode: "number" }).notNull(),
    limit: bigint("limit", { mode: "number" }).notNull(),
    crossedAt: timestamp("crossed_at", { withTimezone: true }).notNull().defaultNow(),
    /** null: no webhook; "sent"; or "failed: <reason>". */
    webhookStatus: text("webhook_status"),
  },
  (t) => [uniqueIndex("budget_alerts_once_idx").on(t.budgetId, t.periodKey, t.threshold), index("budget_alerts_time_idx").on(t.crossedAt)],
);

export type RateLimit = typeof rateLimits.$inferSelect;
export type Budget = typeof budgets.$inferSelect;
export type BudgetAlert = typeof budgetAlerts.$inferSelect;
