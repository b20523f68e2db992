import { sql } from "drizzle-orm";
import { bigserial, boolean, check, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/** webhook: a signed JSON batch; splunk_hec: Splunk's HTTP Event Collector; otlp: OpenTelemetry logs over HTTP (JSON). */
export const forwardingSinkKindEnum = pgEnum("forwarding_sink_kind", ["webhook", "splunk_hec", "otlp"]);

/** Which events a sink receives; an empty list lets everything through on that axis. */
export interface ForwardingFilters {
  /** `mcp`, `llm`. */
  kinds: ("mcp" | "llm")[];
  /** `allowed`, `denied`. */
  decisions: ("allowed" | "denied")[];
  /** MCP server slugs (LLM events match by provider slug). */
  servers: string[];
}

/** Which alerts a sink receives (lib/forwarding/alerts.ts). */
export interface ForwardingAlertRules {
  /** A spike: more than `threshold` denials (or errors) in the last `windowMinutes`, from the rollups. */
  spikes: { metric: "denials" | "errors"; windowMinutes: number; threshold: number }[];
  /** A new shadow MCP finding of high severity. */
  shadowHigh: boolean;
  /** A budget crossing one of its alert thresholds (50, 80, 100 %). */
  budgets: boolean;
}

/**
 * A destination events (and alerts) are forwarded to. Its credential — the webhook's signing secret,
 * the Splunk HEC token, the OTLP collector's headers — is sealed with the console's key ring
 * (lib/secret-box.ts, the sink id as AAD) and never leaves the console after creation.
 */
export const forwardingSinks = pgTable(
  "forwarding_sinks",
  {
    id: uuid("id").primaryKey(),
    name: text("name").notNull(),
    kind: forwardingSinkKindEnum("kind").notNull(),
    /** The webhook URL; the HEC or OTLP base URL (the path is added: /services/collector/event, /v1/logs). */
    url: text("url").notNull(),
    credentialCiphertext: text("credential_ciphertext"),
    credentialKeyId: text("credential_key_id"),
    filters: jsonb("filters").$type<ForwardingFilters>().notNull(),
    /** Forward events (false: alerts only). */
    forwardEvents: boolean("forward_events").notNull().default(true),
    alertRules: jsonb("alert_rules").$type<ForwardingAlertRules>().notNull(),
    enabled: boolean("enabled").notNull().default(true),
    lastSuccessAt: timestamp("last_success_at", { withTimezone: true }),
    lastErrorAt: timestamp("last_error_at", { withTimezone: true }),
    lastError: text("last_error"),
    /** Deliveries that reached the sink (batches, not events). */
    delivered: integer("delivered").notNull().default(0),
    createdBy: uuid("created_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("forwarding_sinks_name_idx").on(sql`lower(${t.name})`)],
);
export type ForwardingSink = typeof forwardingSinks.$inferSelect;

/**
 * The durable outbox: one row per ingest batch (or alert) per sink, written in the ingest's
 * transaction and deleted once the sink has taken it, so a console restart loses nothing. A row that
 * failed `MAX_ATTEMPTS` times is dead-lettered (`dead_at`) until someone retries it.
 */
export const forwardingOutbox = pgTable(
  "forwarding_outbox",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    sinkId: uuid("sink_id")
      .notNull()
      .references(() => forwardingSinks.id, { onDelete: "cascade" }),
    /** events: `payload` is the list of events that passed the sink's filters; alert: one alert. */
    kind: text("kind").$type<"events" | "alert">().notNull(),
    payload: jsonb("payload").notNull(),
    items: integer("items").notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    lastError: text("last_error"),
    deadAt: timestamp("dead_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Due deliveries in order; dead letters apart.
    index("forwarding_outbox_due_idx").on(t.nextAttemptAt, t.id).where(sql`${t.deadAt} is null`),
    index("forwarding_outbox_sink_idx").on(t.sinkId, t.deadAt),
    check("forwarding_outbox_kind_check", sql`${t.kind} in ('events', 'alert')`),
  ],
);
export type ForwardingOutboxRow = typeof forwardingOutbox.$inferSelect;

/** An alert rule's firing, once per sink, rule and window (the unique index decides), so a spike alerts once. */
export const forwardingAlertsFired = pgTable(
  "forwarding_alerts_fired",
  {
    sinkId: uuid("sink_id")
      .notNull()
      .references(() => forwardingSinks.id, { onDelete: "cascade" }),
    /** e.g. `spike:denials:15:100@2026-12-07T01:15`, `shadow:<finding id>`, `budget:<alert id>`. */
    key: text("key").notNull(),
    firedAt: timestamp("fired_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("forwarding_alerts_fired_idx").on(t.sinkId, t.key)],
);
