import { index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid, bigserial } from "drizzle-orm/pg-core";
import { teams } from "./teams";
import { users } from "./users";

/** requested (registered, awaiting review) → approved | rejected. */
export const serverStatusEnum = pgEnum("server_status", ["pending_review", "approved", "rejected"]);
export const serverTransportEnum = pgEnum("server_transport", ["streamable-http", "sse"]);
export const serverAuthEnum = pgEnum("server_auth", ["none", "bearer", "headers", "oauth_client_credentials", "oauth_authorization_code"]);
/**
 * enabled: offered at the edge. disabled: an approver left it off. quarantined: new or changed
 * upstream since approval — off until re-approved. removed: no longer offered upstream.
 */
export const toolStateEnum = pgEnum("tool_state", ["enabled", "disabled", "quarantined", "removed"]);

export const servers = pgTable(
  "servers",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    url: text("url").notNull(),
    description: text("description"),
    justification: text("justification"),
    ownerTeamId: uuid("owner_team_id").references(() => teams.id, { onDelete: "set null" }),
    requestedBy: uuid("requested_by").references(() => users.id, { onDelete: "set null" }),
    status: serverStatusEnum("status").notNull().default("pending_review"),
    transport: serverTransportEnum("transport").notNull(),
    /** The URL that answered MCP after transport detection (may be `{url}/mcp` or `{url}/sse`). */
    endpointUrl: text("endpoint_url").notNull(),
    authType: serverAuthEnum("auth_type").notNull().default("none"),
    /** AES-256-GCM envelope (lib/secret-box.ts); never leaves the server. */
    credentialCiphertext: text("credential_ciphertext"),
    credentialKeyId: text("credential_key_id"),
    /** What may be shown about the credential: header names, OAuth client id and token URL — never values. */
    authSummary: jsonb("auth_summary").$type<Record<string, unknown>>().notNull().default({}),
    currentSnapshotId: uuid("current_snapshot_id"),
    lastSyncedAt: timestamp("last_synced_at", { withTimezone: true }),
    lastSyncError: text("last_sync_error"),
    decidedBy: uuid("decided_by").references(() => users.id, { onDelete: "set null" }),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    decisionReason: text("decision_reason"),
    /**
     * A server scaffolded with `npx portcullis new-server` that `npm start` runs in the local workerd
     * next to the portal (PORTCULLIS_HOSTED_DIR): its project folder. Null for every other server.
     */
    hostedDir: text("hosted_dir"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("servers_slug_idx").on(t.slug), index("servers_status_idx").on(t.status)],
);

/** What discovery saw at one moment: kept whole so any two can be compared. */
export const serverSnapshots = pgTable(
  "server_snapshots",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    serverId: uuid("server_id")
      .notNull()
      .references(() => servers.id, { onDelete: "cascade" }),
    serverInfo: jsonb("server_info").$type<Record<string, unknown>>().notNull(),
    protocolVersion: text("protocol_version"),
    capabilities: jsonb("capabilities").$type<Record<string, unknown>>().notNull(),
    instructions: text("instructions"),
    tools: jsonb("tools").$type<Record<string, unknown>[]>().notNull(),
    prompts: jsonb("prompts").$type<Record<string, unknown>[]>().notNull(),
    resources: jsonb("resources").$type<Record<string, unknown>[]>().notNull(),
    resourceTemplates: jsonb("resource_templates").$type<Record<string, unknown>[]>().notNull(),
    /** Hash over every tool's canonical hash: equal hashes mean nothing a client sees changed. */
    toolsHash: text("tools_hash").notNull(),
    tokensJson: integer("tokens_json").notNull(),
    tokensTypescript: integer("tokens_typescript").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("server_snapshots_server_idx").on(t.serverId, t.createdAt)],
);

export const serverTools = pgTable(
  "server_tools",
  {
    serverId: uuid("server_id")
      .notNull()
      .references(() => servers.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    state: toolStateEnum("state").notNull(),
    definition: jsonb("definition").$type<Record<string, unknown>>().notNull(),
    /** RFC 8785 canonical SHA-256 of the current upstream definition. */
    hash: text("hash").notNull(),
    /** The hash an approver approved; the edge refuses the tool when upstream no longer matches it. */
    pinnedHash: text("pinned_hash"),
    findings: jsonb("findings").$type<Record<string, unknown>[]>().notNull().default([]),
    tokensJson: integer("tokens_json").notNull(),
    tokensTypescript: integer("tokens_typescript").notNull(),
    quarantineReason: text("quarantine_reason"),
    /**
     * Code Mode's approval pause for this tool: "ask" (a call from code waits for the user), "never",
     * or null (the portal's rule decides: lib/codemode/approval.ts).
     */
    approval: text("approval").$type<"ask" | "never">(),
    firstSeenAt: timestamp("first_seen_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.serverId, t.name] })],
);

/** The server's timeline: every transition and sync, with who and when. */
export const serverEvents = pgTable(
  "server_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    serverId: uuid("server_id")
      .notNull()
      .references(() => servers.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    actorId: uuid("actor_id"),
    actorLabel: text("actor_label").notNull(),
    reason: text("reason"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    snapshotId: uuid("snapshot_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("server_events_server_idx").on(t.serverId, t.id)],
);

export type Server = typeof servers.$inferSelect;
export type ServerSnapshot = typeof serverSnapshots.$inferSelect;
export type ServerTool = typeof serverTools.$inferSelect;
export type ServerEvent = typeof serverEvents.$inferSelect;

/**
 * An OAuth authorization-code flow with an upstream's authorization server, started by a person in
 * the console and finished at the console's callback. Client registration, PKCE verifier and the
 * tokens are sealed (lib/secret-box.ts); the tokens move into the server's credential when
 * the server is registered with this flow.
 */
export const upstreamOauthFlows = pgTable(
  "upstream_oauth_flows",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    createdBy: uuid("created_by")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    serverUrl: text("server_url").notNull(),
    /** The OAuth `state` parameter: random, single use. */
    state: text("state").notNull(),
    sealed: text("sealed").notNull(),
    status: text("status").$type<"pending" | "authorized" | "used">().notNull().default("pending"),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("upstream_oauth_flows_state_idx").on(t.state)],
);

export type UpstreamOauthFlow = typeof upstreamOauthFlows.$inferSelect;
