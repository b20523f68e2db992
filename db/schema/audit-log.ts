import { bigserial, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** Console audit trail: one row per change, written in the transaction that made the change. */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    /** `entity.verb`, e.g. `token.create`. */
    action: text("action").notNull(),
    /** No foreign key: the trail must outlive the users it names. */
    actorId: uuid("actor_id"),
    /** Human-readable actor at the time: an e-mail address, `token:pcs_ab12…`, or `bootstrap-token`. */
    actorLabel: text("actor_label").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("audit_log_created_idx").on(t.createdAt),
    index("audit_log_target_idx").on(t.targetType, t.targetId),
  ],
);

export type AuditEntry = typeof auditLog.$inferSelect;
