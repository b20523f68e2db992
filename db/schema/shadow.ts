import { sql } from "drizzle-orm";
import { bigint, bigserial, boolean, check, date, index, integer, jsonb, pgEnum, pgTable, primaryKey, real, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { servers } from "./servers";
import { users } from "./users";

/** remote: an MCP endpoint on the network (from traffic logs or a laptop's config); stdio: a local process (laptop scans only). */
export const findingKindEnum = pgEnum("shadow_finding_kind", ["remote", "stdio"]);
export const findingStateEnum = pgEnum("shadow_finding_state", ["new", "investigating", "resolved"]);
export const findingResolutionEnum = pgEnum("shadow_finding_resolution", ["approved", "blocked", "false_positive"]);
export const findingSeverityEnum = pgEnum("shadow_finding_severity", ["low", "medium", "high"]);
export const uploadStatusEnum = pgEnum("traffic_upload_status", ["processing", "done", "failed"]);

/**
 * One shadow MCP server: a remote endpoint keyed by its canonical URL (lib/core/shadow/servers.ts), or a
 * local stdio server keyed by the package, image or script it launches. Traffic uploads and laptop scans of the
 * same server merge into one finding. Lists (users, devices, evidence, tools) are bounded.
 */
export const shadowFindings = pgTable(
  "shadow_findings",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Canonical URL (remote) or `stdio:` + what the server launches, arguments left out (lib/core/laptop-scan/stdio-identity.ts). */
    key: text("key").notNull(),
    kind: findingKindEnum("kind").notNull(),
    url: text("url"),
    origin: text("origin"),
    host: text("host"),
    /** Redacted command line of a stdio server. */
    command: text("command"),
    /** Names the server went by in client configs (bounded). */
    names: jsonb("names").$type<string[]>().notNull().default([]),
    vendor: text("vendor"),
    firstSeen: timestamp("first_seen", { withTimezone: true }).notNull(),
    lastSeen: timestamp("last_seen", { withTimezone: true }).notNull(),
    requests: bigint("requests", { mode: "number" }).notNull().default(0),
    methods: jsonb("methods").$type<Record<string, number>>().notNull().default({}),
    tools: jsonb("tools").$type<Record<string, number>>().notNull().default({}),
    users: jsonb("users").$type<string[]>().notNull().default([]),
    userCount: integer("user_count").notNull().default(0),
    devices: jsonb("devices").$type<string[]>().notNull().default([]),
    /** MCP clients whose configuration named it (laptop scans): `client id` → config paths (bounded). */
    clients: jsonb("clients").$type<Record<string, string[]>>().notNull().default({}),
    evidence: jsonb("evidence").$type<FindingEvidence[]>().notNull().default([]),
    /** The detector's confidence (0…1, lib/core/shadow/detect.ts) over the evidence of every upload; null when only laptop scans reported it. */
    confidence: real("confidence"),
    /**
     * Protocol evidence below the finding threshold: kept with its evidence and listed on request
     * (`?candidates=1`), out of the findings list and the charts until more evidence makes it a finding.
     */
    candidate: boolean("candidate").notNull().default(false),
    score: integer("score").notNull().default(0),
    severity: findingSeverityEnum("severity").notNull(),
    severityReasons: jsonb("severity_reasons").$type<string[]>().notNull().default([]),
    /** Seen in uploaded traffic / reported by laptop scans. */
    seenInTraffic: integer("seen_in_traffic").notNull().default(0),
    seenInScans: integer("seen_in_scans").notNull().default(0),
    state: findingStateEnum("state").notNull().default("new"),
    resolution: findingResolutionEnum("resolution"),
    assigneeId: uuid("assignee_id").references(() => users.id, { onDelete: "set null" }),
    /** The registration request an approval opened. */
    serverId: uuid("server_id").references(() => servers.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("shadow_findings_key_idx").on(t.key),
    index("shadow_findings_state_idx").on(t.candidate, t.state, t.lastSeen),
    index("shadow_findings_first_seen_idx").on(t.firstSeen),
    // Keyset pagination of the findings list, one per sort (lib/shadow/queries.ts listFindings).
    index("shadow_findings_sort_last_seen_idx").on(t.candidate, t.lastSeen, t.id),
    index("shadow_findings_sort_first_seen_idx").on(t.candidate, t.firstSeen, t.id),
    index("shadow_findings_sort_severity_idx").on(t.candidate, t.severity, t.id),
    index("shadow_findings_sort_users_idx").on(t.candidate, t.userCount, t.id),
    index("shadow_findings_sort_requests_idx").on(t.candidate, t.requests, t.id),
    check("shadow_findings_resolution_check", sql`(${t.state} = 'resolved') = (${t.resolution} is not null)`),
  ],
);
export type ShadowFinding = typeof shadowFindings.$inferSelect;

export interface FindingEvidence {
  kind: string;
  sentence: string;
  weight: number;
  count: number;
  /** A sample record, clipped (body prefix at most 512 characters). */
  sample: Record<string, unknown>;
}

/** The timeline: detection, sightings, state changes, assignment, notes, approvals, blocks. */
export const shadowFindingEvents = pgTable(
  "shadow_finding_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    findingId: uuid("finding_id")
      .notNull()
      .references(() => shadowFindings.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    actorId: uuid("actor_id"),
    actorLabel: text("actor_label").notNull(),
    note: text("note"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("shadow_finding_events_finding_idx").on(t.findingId, t.id)],
);

/** Requests per finding, UTC day and user: the charts' source (top users, teams, new per day). */
export const shadowSightings = pgTable(
  "shadow_sightings",
  {
    findingId: uuid("finding_id")
      .notNull()
      .references(() => shadowFindings.id, { onDelete: "cascade" }),
    day: date("day").notNull(),
    /** "" when the log named nobody. */
    user: text("user").notNull(),
    requests: bigint("requests", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.findingId, t.day, t.user] }), index("shadow_sightings_day_idx").on(t.day)],
);

/** One traffic log upload: its counts, bad lines (first ones, with line numbers) and outcome. */
export const trafficUploads = pgTable(
  "traffic_uploads",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    filename: text("filename"),
    /** The format asked for (`?format=`), or null when detected per line. */
    format: text("format"),
    status: uploadStatusEnum("status").notNull().default("processing"),
    bytes: bigint("bytes", { mode: "number" }).notNull().default(0),
    lines: bigint("lines", { mode: "number" }).notNull().default(0),
    badLines: bigint("bad_lines", { mode: "number" }).notNull().default(0),
    badLineSamples: jsonb("bad_line_samples").$type<{ line: number; error: string }[]>().notNull().default([]),
    formats: jsonb("formats").$type<Record<string, number>>().notNull().default({}),
    mcpRecords: bigint("mcp_records", { mode: "number" }).notNull().default(0),
    servers: integer("servers").notNull().default(0),
    shadowServers: integer("shadow_servers").notNull().default(0),
    newFindings: integer("new_findings").notNull().default(0),
    /** SHA-256 of the bytes: the same file twice is recognized and not counted twice. */
    sha256: text("sha256"),
    duplicateOf: uuid("duplicate_of"),
    error: text("error"),
    /**
     * Lines whose findings are committed: a big upload commits every chunk of lines in its own
     * transaction while it streams (lib/shadow/ingest-traffic.ts), so this is its progress, and what a
     * failure mid-file kept.
     */
    committedLines: bigint("committed_lines", { mode: "number" }).notNull().default(0),
    chunks: integer("chunks").notNull().default(0),
    createdBy: uuid("created_by"),
    createdByLabel: text("created_by_label").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [index("traffic_uploads_created_idx").on(t.createdAt), index("traffic_uploads_sha_idx").on(t.sha256)],
);
export type TrafficUpload = typeof trafficUploads.$inferSelect;

/**
 * One committed chunk of an upload (a run of lines, merged in its own transaction). The SHA-256 of its
 * lines with its first line number recognizes the same chunk uploaded again (the same file, or the
 * rest of a file whose first upload broke off), so it is not counted twice.
 */
export const trafficUploadChunks = pgTable(
  "traffic_upload_chunks",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    uploadId: uuid("upload_id")
      .notNull()
      .references(() => trafficUploads.id, { onDelete: "cascade" }),
    firstLine: bigint("first_line", { mode: "number" }).notNull(),
    lines: bigint("lines", { mode: "number" }).notNull(),
    badLines: bigint("bad_lines", { mode: "number" }).notNull(),
    sha256: text("sha256").notNull(),
    /** The upload whose chunk this one repeated (then nothing of it was merged). */
    duplicateOf: uuid("duplicate_of"),
    committedAt: timestamp("committed_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("traffic_upload_chunks_sha_idx").on(t.sha256, t.firstLine), index("traffic_upload_chunks_upload_idx").on(t.uploadId)],
);

/**
 * A Cloudflare Logpush HTTP destination on the console (`POST /api/v1/traffic/logpush`): each job has
 * its own secret, sent by Logpush as a request header, stored only as its SHA-256 (like API tokens).
 */
export const logpushJobs = pgTable(
  "logpush_jobs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    /** How every line of its batches is read: "cloudflare" (gateway_http) or "generic". */
    format: text("format").notNull(),
    /** The secret's first characters (`pcl_` + 8), shown in lists and used to find the job before the hash comparison. */
    secretPrefix: text("secret_prefix").notNull(),
    /** SHA-256 of the whole secret (hex). The secret itself is never stored. */
    secretHash: text("secret_hash").notNull(),
    batches: bigint("batches", { mode: "number" }).notNull().default(0),
    /** Lines of its batches, and of those the ones that were not a log record. */
    lines: bigint("lines", { mode: "number" }).notNull().default(0),
    badLines: bigint("bad_lines", { mode: "number" }).notNull().default(0),
    lastBatchAt: timestamp("last_batch_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    createdBy: uuid("created_by"),
    createdByLabel: text("created_by_label").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("logpush_jobs_secret_hash_idx").on(t.secretHash), index("logpush_jobs_secret_prefix_idx").on(t.secretPrefix)],
);
export type LogpushJob = typeof logpushJobs.$inferSelect;

/**
 * Every batch a Logpush job delivered, once: Logpush retries a batch it is not sure arrived, and the
 * same job and the SHA-256 of the batch's lines (decompressed) is the same batch, counted once.
 */
export const logpushBatches = pgTable(
  "logpush_batches",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    jobId: uuid("job_id")
      .notNull()
      .references(() => logpushJobs.id, { onDelete: "cascade" }),
    sha256: text("sha256").notNull(),
    /** Bytes as received (gzip as sent). */
    bytes: bigint("bytes", { mode: "number" }).notNull(),
    lines: bigint("lines", { mode: "number" }).notNull(),
    acceptedLines: bigint("accepted_lines", { mode: "number" }).notNull(),
    rejectedLines: bigint("rejected_lines", { mode: "number" }).notNull(),
    /** The first rejected lines with their numbers and reasons (at most 5). */
    rejectedSamples: jsonb("rejected_samples").$type<{ line: number; error: string }[]>().notNull().default([]),
    shadowServers: integer("shadow_servers").notNull().default(0),
    newFindings: integer("new_findings").notNull().default(0),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("logpush_batches_job_sha_idx").on(t.jobId, t.sha256), index("logpush_batches_received_idx").on(t.jobId, t.receivedAt)],
);
export type LogpushBatch = typeof logpushBatches.$inferSelect;

/** Laptop scan reports (already redacted by the CLI; validated strictly on ingest). */
export const scanReports = pgTable(
  "scan_reports",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    deviceName: text("device_name").notNull(),
    deviceUser: text("device_user").notNull(),
    os: text("os").notNull(),
    scannedAt: timestamp("scanned_at", { withTimezone: true }).notNull(),
    servers: integer("servers").notNull(),
    shadowServers: integer("shadow_servers").notNull(),
    report: jsonb("report").$type<Record<string, unknown>>().notNull(),
    createdBy: uuid("created_by"),
    createdByLabel: text("created_by_label").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("scan_reports_created_idx").on(t.createdAt)],
);

/**
 * The block list the edge enforces (bundle `shadow.blocklist`): an origin, optionally narrowed to a
 * path prefix. Blocking a finding adds its entry; security may also add entries by hand.
 */
export const shadowBlocks = pgTable(
  "shadow_blocks",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    origin: text("origin").notNull(),
    /** "" = the whole origin. */
    pathPrefix: text("path_prefix").notNull().default(""),
    reason: text("reason").notNull(),
    findingId: uuid("finding_id").references(() => shadowFindings.id, { onDelete: "set null" }),
    /** `block` refuses calls; `log` lets them through marked `wouldBlock` until `enforceAt` (lib/core/shadow/blocklist.ts `blockModeAt`). */
    mode: text("mode").$type<"log" | "block">().notNull().default("block"),
    enforceAt: timestamp("enforce_at", { withTimezone: true }),
    createdBy: uuid("created_by"),
    createdByLabel: text("created_by_label").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("shadow_blocks_target_idx").on(t.origin, t.pathPrefix)],
);
export type ShadowBlock = typeof shadowBlocks.$inferSelect;

/**
 * Security told the people a block-list entry covers that it is coming (lib/shadow/notify-block.ts):
 * the message, who sent it and when, and what the chat webhook answered. The webhook's URL is not
 * stored (a chat webhook's path is its secret): only its origin. Goes with its entry.
 */
export const shadowBlockNotices = pgTable(
  "shadow_block_notices",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    blockId: uuid("block_id")
      .notNull()
      .references(() => shadowBlocks.id, { onDelete: "cascade" }),
    message: text("message").notNull(),
    recipients: integer("recipients").notNull(),
    /** The chat webhook's origin (null: none was given) and its outcome: "sent" or "failed: <reason>". */
    webhookOrigin: text("webhook_origin"),
    webhookStatus: text("webhook_status"),
    createdBy: uuid("created_by"),
    createdByLabel: text("created_by_label").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("shadow_block_notices_block_idx").on(t.blockId, t.createdAt)],
);
export type ShadowBlockNotice = typeof shadowBlockNotices.$inferSelect;

/** Each person a notice went to (lower-case e-mail): shown on their Overview until they dismiss it or the entry is gone. */
export const shadowBlockNoticeRecipients = pgTable(
  "shadow_block_notice_recipients",
  {
    noticeId: uuid("notice_id")
      .notNull()
      .references(() => shadowBlockNotices.id, { onDelete: "cascade" }),
    email: text("email").notNull(),
    dismissedAt: timestamp("dismissed_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.noticeId, t.email] }), index("shadow_block_notice_recipients_email_idx").on(t.email)],
);
