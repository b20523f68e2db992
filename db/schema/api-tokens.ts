import { index, pgTable, text, timestamp, uniqueIndex, uuid, type AnyPgColumn } from "drizzle-orm/pg-core";
import { users } from "./users";

export const apiTokens = pgTable(
  "api_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** First characters of the secret, shown in lists so people can tell their tokens apart. */
    prefix: text("prefix").notNull(),
    /** SHA-256 of the whole secret (hex). The secret itself is never stored. */
    hash: text("hash").notNull(),
    scopes: text("scopes").array().notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    /** The token that created this one (an admin's automation): revoking it revokes this one too, and this one never outlives it. */
    parentTokenId: uuid("parent_token_id").references((): AnyPgColumn => apiTokens.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("api_tokens_hash_idx").on(t.hash), index("api_tokens_user_idx").on(t.userId), index("api_tokens_parent_idx").on(t.parentTokenId)],
);

export type ApiToken = typeof apiTokens.$inferSelect;
