import { sql } from "drizzle-orm";
import { bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { servers } from "./servers";
import { teams } from "./teams";

/**
 * Who may use an approved server at the edge. A row with `teamId = null` grants everyone; otherwise
 * each row grants one team. No rows: nobody (the edge denies by default). Compiled into allow rules
 * of the config bundle.
 */
export const serverAccessGrants = pgTable(
  "server_access_grants",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    serverId: uuid("server_id")
      .notNull()
      .references(() => servers.id, { onDelete: "cascade" }),
    teamId: uuid("team_id").references(() => teams.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("server_access_grants_team_idx").on(t.serverId, t.teamId),
    uniqueIndex("server_access_grants_everyone_idx").on(t.serverId).where(sql`${t.teamId} is null`),
  ],
);

/**
 * Every published config bundle, whole and signed, so any two can be compared and an earlier one
 * re-published (rollback = its content as a new version). `version` is the bundle's version.
 */
export const bundleDeployments = pgTable(
  "bundle_deployments",
  {
    version: integer("version").primaryKey(),
    /** The signed bundle exactly as pushed: `{ bundle, signature, keyId }`. */
    signed: jsonb("signed").$type<Record<string, unknown>>().notNull(),
    keyId: text("key_id").notNull(),
    /** SHA-256 of the bundle's canonical JSON without version/issuedAt: equal = same content. */
    contentHash: text("content_hash").notNull(),
    summary: jsonb("summary").$type<Record<string, unknown>>().notNull().default({}),
    /**
     * `publish`; `rollback` (then `rolledBackFrom` names the version whose content it re-publishes);
     * `identity` (the last content with the current users, teams and tokens: lib/config/sync-identities.ts).
     */
    kind: text("kind").$type<"publish" | "rollback" | "identity">().notNull().default("publish"),
    rolledBackFrom: integer("rolled_back_from"),
    publishedBy: uuid("published_by"),
    publishedByLabel: text("published_by_label").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("bundle_deployments_created_idx").on(t.createdAt)],
);

/** What each portal (by URL) answered to a push: the version it runs, or why it refused. */
export const bundleAcks = pgTable(
  "bundle_acks",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    portalUrl: text("portal_url").notNull(),
    version: integer("version").notNull(),
    /** accepted | refused | unreachable */
    status: text("status").$type<"accepted" | "refused" | "unreachable">().notNull(),
    /** The version the portal reports running after the push (null when unreachable). */
    activeVersion: integer("active_version"),
    message: text("message"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("bundle_acks_portal_idx").on(t.portalUrl, t.id)],
);

/**
 * What the reconcile loop (lib/config/reconcile.ts) last learnt of each portal: the version it runs
 * against the latest, since when it lags, when its configuration expires, the last error. Shown on
 * the Portal page; a lag past the alert threshold is audited once per episode.
 */
export const portalStates = pgTable("portal_states", {
  portalUrl: text("portal_url").primaryKey(),
  runningVersion: integer("running_version"),
  latestVersion: integer("latest_version"),
  /** The portal's configuration stops being used then (bundle expiry or lease), as it reported. */
  expiresAt: timestamp("expires_at", { withTimezone: true }),
  lastSeenAt: timestamp("last_seen_at", { withTimezone: true }),
  /** Since when the portal has not run the latest version (null: in step). */
  behindSince: timestamp("behind_since", { withTimezone: true }),
  /** When this lag episode was alerted (null: not yet, or in step). */
  alertedAt: timestamp("alerted_at", { withTimezone: true }),
  lastError: text("last_error"),
  failures: integer("failures").notNull().default(0),
  nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * One row per MCP request seen by the portal (lib/core/events/schema.ts). The id comes from the edge and
 * is the idempotency key, with the time (the table is partitioned by day on `time`, and a key must hold
 * the partition key): the edge builds an event once, id and time together, and redelivers the same
 * JSON, so a redelivered batch inserts nothing twice. No foreign keys: events must outlive the users,
 * tokens and servers they name. Rollups for charts: db/schema/event-rollups.ts, kept by a trigger.
 */
export const mcpEvents = pgTable(
  "mcp_events",
  {
    id: uuid("id").notNull(),
    time: timestamp("time", { withTimezone: true, mode: "string" }).notNull(),
    userId: uuid("user_id"),
    email: text("email"),
    teamId: uuid("team_id"),
    tokenId: uuid("token_id"),
    authMethod: text("auth_method"),
    clientName: text("client_name"),
    clientVersion: text("client_version"),
    clientIp: text("client_ip"),
    clientCountry: text("client_country"),
    sessionId: text("session_id"),
    method: text("method").notNull(),
    endpoint: text("endpoint").notNull(),
    serverId: uuid("server_id"),
    serverSlug: text("server_slug"),
    serverUrl: text("server_url"),
    tool: text("tool"),
    prompt: text("prompt"),
    resourceUri: text("resource_uri"),
    decision: text("decision").$type<"allowed" | "denied">().notNull(),
    reason: text("reason"),
    ruleId: text("rule_id"),
    success: boolean("success").notNull(),
    error: text("error"),
    durationMs: integer("duration_ms"),
    bytesIn: integer("bytes_in"),
    bytesOut: integer("bytes_out"),
    resultTokens: integer("result_tokens"),
    /** tools/list at /mcp: tokens each server's tools add to the list, by slug (lib/core/events/schema.ts). */
    serverTokens: jsonb("server_tokens").$type<Record<string, number>>(),
    bundleVersion: integer("bundle_version"),
    /** `codemode` for a call Code Mode code made; its `execute` call's event is `parentId`. */
    via: text("via").$type<"codemode">(),
    parentId: uuid("parent_id"),
    /** tools/list in Code Mode: tokens of the list sent (lib/core/events/schema.ts). */
    codemodeTokens: integer("codemode_tokens"),
    /** A block-list entry covered the upstream: `blockId` names it; `wouldBlock` when it was in log mode and the call went through. */
    blockId: uuid("block_id"),
    wouldBlock: boolean("would_block").notNull().default(false),
    /** tools/call: arguments (JSON) and an excerpt of the result, redacted per `portal_settings.event_detail` at the edge. */
    arguments: text("arguments"),
    resultExcerpt: text("result_excerpt"),
    /** W3C trace context the caller sent: its trace, and the portal's span for the request (lib/core/trace/traceparent.ts). */
    traceId: text("trace_id"),
    spanId: text("span_id"),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Partitioned by day on `time` (db/migrations/0019_events-partitioned.sql): the key must hold it.
    // (time, id): also the order of keyset pages, newest first; by each indexed filter below.
    primaryKey({ name: "mcp_events_pkey", columns: [t.time, t.id] }),
    index("mcp_events_parent_idx").on(t.parentId).where(sql`${t.parentId} is not null`),
    // Covering: INCLUDEs what one person's own figures read (migration 0024), so their pages scan the index alone.
    index("mcp_events_user_idx").on(t.userId, t.time, t.id),
    index("mcp_events_server_idx").on(t.serverSlug, t.time, t.id),
    index("mcp_events_denied_idx").on(t.time, t.id).where(sql`${t.decision} = 'denied'`),
    index("mcp_events_block_idx").on(t.blockId, t.time).where(sql`${t.blockId} is not null`),
    // One user's tool lists (Usage filtered by a user): a small share of their events.
    index("mcp_events_user_lists_idx").on(t.userId, t.time).where(sql`${t.method} = 'tools/list'`),
    // The events of one trace (a call followed from the agent to the upstream).
    index("mcp_events_trace_idx").on(t.traceId).where(sql`${t.traceId} is not null`),
  ],
);

export type ServerAccessGrant = typeof serverAccessGrants.$inferSelect;
export type BundleDeployment = typeof bundleDeployments.$inferSelect;
export type BundleAck = typeof bundleAcks.$inferSelect;
export type McpEventRow = typeof mcpEvents.$inferSelect;

/**
 * The portal's own settings: one row (`id = "portal"`), absent until an admin first saves them.
 * Compiled into the bundle (lib/config/compile-bundle.ts). Code Mode: `codemodeMode` off, opt-in,
 * default or enforced, `codemodeShape` the shape it takes when on by default (lib/core/bundle/schema.ts).
 */
export const portalSettings = pgTable("portal_settings", {
  id: text("id").primaryKey(),
  codemodeMode: text("codemode_mode").$type<"off" | "opt-in" | "default" | "enforced">().notNull().default("off"),
  codemodeShape: text("codemode_shape").$type<"search_and_execute" | "code">().notNull().default("search_and_execute"),
  /** Which tools ask for approval when their own flag says nothing: "flagged" (none), "writes" (every tool not read-only, and every destructive one). */
  codemodeApproval: text("codemode_approval").$type<"flagged" | "writes">().notNull().default("flagged"),
  /** What audit events keep of tool calls' content (lib/core/events/detail.ts): masked (default), secrets, off. */
  eventDetail: text("event_detail").$type<"masked" | "secrets" | "off">().notNull().default("masked"),
  updatedBy: uuid("updated_by"),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
