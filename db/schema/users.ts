import { sql } from "drizzle-orm";
import { boolean, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/** Console roles, lowest to highest privilege is not a line: approver and security are lateral. */
export const roleEnum = pgEnum("role", ["viewer", "member", "approver", "security", "admin"]);

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    email: text("email").notNull(),
    /**
     * Whether the address is vouched for: by the IdP (`email_verified`), by an administrator who
     * created the user, or by the machine's owner in local mode. Unverified addresses never match
     * `user:` or `domain:` policy subjects, and never take over an existing account.
     */
    emailVerified: boolean("email_verified").notNull().default(false),
    name: text("name"),
    role: roleEnum("role").notNull().default("member"),
    /** `local` for loopback sign-in, otherwise the OIDC issuer that vouched for this user. */
    authSource: text("auth_source").notNull().default("local"),
    /** The IdP's `sub`, so a changed e-mail address does not create a second user. */
    externalId: text("external_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    lastSignInAt: timestamp("last_sign_in_at", { withTimezone: true }),
    disabledAt: timestamp("disabled_at", { withTimezone: true }),
    /** IdP group names from the last OIDC sign-in (policy subjects of type group); empty for local users. */
    idpGroups: text("idp_groups").array().notNull().default(sql`'{}'::text[]`),
  },
  (t) => [
    uniqueIndex("users_email_lower_idx").on(sql`lower(${t.email})`),
    uniqueIndex("users_external_idx").on(t.authSource, t.externalId),
  ],
);

export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
