import { pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid, index } from "drizzle-orm/pg-core";
import { users } from "./users";

export const teams = pgTable(
  "teams",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    /** Name of the IdP group whose members belong to this team (from the OIDC groups claim). */
    idpGroup: text("idp_group"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("teams_slug_idx").on(t.slug), uniqueIndex("teams_idp_group_idx").on(t.idpGroup)],
);

/** Role inside one team: a lead manages the team's servers and budgets (later issues). */
export const teamRoleEnum = pgEnum("team_role", ["lead", "member"]);
/** `idp` memberships are re-synced from the groups claim at every sign-in; `manual` ones are kept. */
export const membershipSourceEnum = pgEnum("membership_source", ["manual", "idp"]);

export const memberships = pgTable(
  "memberships",
  {
    teamId: uuid("team_id")
      .notNull()
      .references(() => teams.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: teamRoleEnum("role").notNull().default("member"),
    source: membershipSourceEnum("source").notNull().default("manual"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] }), index("memberships_user_idx").on(t.userId)],
);

export type Team = typeof teams.$inferSelect;
export type Membership = typeof memberships.$inferSelect;
