import { sql } from "drizzle-orm";
import { boolean, check, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { teams } from "./teams";
import { users } from "./users";

export const policyEffectEnum = pgEnum("policy_effect", ["allow", "deny"]);
export const policySubjectEnum = pgEnum("policy_subject", ["everyone", "user", "team", "group", "email_domain", "token"]);

/** The evaluator's conditions, as compiled into the bundle (lib/core/bundle/schema.ts `PolicyConditions`). */
export interface StoredPolicyConditions {
  timeWindow?: { days?: number[]; start: string; end: string };
  clientCidrs?: string[];
}

/**
 * Access policies written in the console (lib/policies). Compiled, when enabled, into the bundle's
 * rules next to the allow rules of server access grants. A user or team subject is a foreign key
 * (deleting the team deletes its rules: they could match nobody); group and e-mail domain are
 * text; a token subject keeps the token's id (a revoked token matches nobody).
 */
export const policies = pgTable(
  "policies",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Unique, human-chosen: how export/import recognises a rule. */
    name: text("name").notNull(),
    description: text("description"),
    effect: policyEffectEnum("effect").notNull(),
    subjectType: policySubjectEnum("subject_type").notNull(),
    subjectUserId: uuid("subject_user_id").references(() => users.id, { onDelete: "cascade" }),
    subjectTeamId: uuid("subject_team_id").references(() => teams.id, { onDelete: "cascade" }),
    /** IdP group name, e-mail domain, or token id. */
    subjectValue: text("subject_value"),
    /** A server slug or `*`. */
    serverSlug: text("server_slug").notNull(),
    /** Glob over upstream tool names (`*`, `?`). */
    tool: text("tool").notNull(),
    priority: integer("priority").notNull(),
    conditions: jsonb("conditions").$type<StoredPolicyConditions>(),
    enabled: boolean("enabled").notNull().default(true),
    createdBy: uuid("created_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("policies_name_idx").on(sql`lower(${t.name})`),
    index("policies_server_idx").on(t.serverSlug),
    check(
      "policies_subject_check",
      sql`(${t.subjectType} = 'user') = (${t.subjectUserId} is not null) and (${t.subjectType} = 'team') = (${t.subjectTeamId} is not null) and (${t.subjectType} in ('group', 'email_domain', 'token')) = (${t.subjectValue} is not null)`,
    ),
  ],
);

export type Policy = typeof policies.$inferSelect;
