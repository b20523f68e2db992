import { index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { users } from "./users";

/**
 * A person's saved Audit views: a name and the view's search parameters (its filters, as in the
 * Audit page's URL, without a cursor: lib/audit/view-params.ts). Private to their owner.
 */
export const savedViews = pgTable(
  "saved_views",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** `user=alice&decision=denied&from=…`: the filters only, re-validated whenever the view is saved. */
    query: text("query").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("saved_views_user_name_idx").on(t.userId, t.name), index("saved_views_user_idx").on(t.userId, t.updatedAt)],
);

export type SavedView = typeof savedViews.$inferSelect;
