import { z } from "zod";
import { IsoDateTime, Uuid } from "@core/zod/helpers";

export const TRAFFIC_FORMATS = ["cloudflare", "generic"] as const;

export const TrafficQuery = z.strictObject({
  format: z.enum(TRAFFIC_FORMATS, { message: 'format must be "cloudflare" or "generic" (leave it out to detect each line)' }).optional(),
  filename: z.string().max(300).optional(),
});

export const FINDING_STATES = ["new", "investigating", "resolved"] as const;
export const FINDING_RESOLUTIONS = ["approved", "blocked", "false_positive"] as const;
export const FINDING_SEVERITIES = ["low", "medium", "high"] as const;
export const FINDING_SORTS = ["lastSeen", "firstSeen", "severity", "users", "requests"] as const;
export type FindingSort = (typeof FINDING_SORTS)[number];

export const UploadOutput = z.object({
  id: Uuid,
  filename: z.string().nullable(),
  format: z.string().nullable(),
  status: z.enum(["processing", "done", "failed"]),
  bytes: z.number().int(),
  lines: z.number().int(),
  badLines: z.number().int(),
  badLineSamples: z.array(z.object({ line: z.number().int(), error: z.string() })),
  formats: z.record(z.string(), z.number().int()),
  mcpRecords: z.number().int(),
  servers: z.number().int(),
  shadowServers: z.number().int(),
  newFindings: z.number().int(),
  duplicateOf: Uuid.nullable(),
  error: z.string().nullable(),
  committedLines: z.number().int().describe("Lines whose findings are committed: a big upload commits every 50,000 lines while it streams; after a failure, what was kept"),
  chunks: z.number().int().describe("Chunks of lines committed so far"),
  createdBy: z.string(),
  createdAt: IsoDateTime,
  finishedAt: IsoDateTime.nullable(),
});
export type UploadOutput = z.infer<typeof UploadOutput>;

export const TrafficIngestOutput = z.object({
  upload: UploadOutput,
  findings: z.array(z.object({ id: Uuid, url: z.string(), created: z.boolean() })),
  /** Servers with MCP evidence below the finding threshold: stored with their evidence, listed by `GET /api/v1/shadow/findings?candidates=1`. */
  candidates: z.array(z.object({ id: Uuid, url: z.string(), created: z.boolean() })),
  /** MCP servers in the log that are approved or the portal itself (not findings). */
  approved: z.array(z.string()),
});
export type TrafficIngestOutput = z.infer<typeof TrafficIngestOutput>;

const Evidence = z.object({ kind: z.string(), sentence: z.string(), weight: z.number(), count: z.number().int(), sample: z.record(z.string(), z.unknown()) });

export const FindingSummaryOutput = z.object({
  id: Uuid,
  kind: z.enum(["remote", "stdio"]),
  /** Canonical server URL (remote) or null (stdio). */
  url: z.string().nullable(),
  origin: z.string().nullable(),
  host: z.string().nullable(),
  command: z.string().nullable(),
  names: z.array(z.string()),
  vendor: z.string().nullable(),
  firstSeen: IsoDateTime,
  lastSeen: IsoDateTime,
  requests: z.number().int(),
  methods: z.record(z.string(), z.number().int()),
  users: z.array(z.string()),
  userCount: z.number().int(),
  devices: z.array(z.string()),
  severity: z.enum(FINDING_SEVERITIES),
  severityReasons: z.array(z.string()),
  sources: z.object({ traffic: z.number().int(), scans: z.number().int() }),
  state: z.enum(FINDING_STATES),
  resolution: z.enum(FINDING_RESOLUTIONS).nullable(),
  assignee: z.object({ id: Uuid, email: z.string() }).nullable(),
  blocked: z.boolean(),
  serverId: Uuid.nullable(),
  /** The detector's confidence 0…1 over all uploads (null: reported by laptop scans only). */
  confidence: z.number().nullable(),
  /** Below the finding threshold: listed only with `candidates=1`. */
  candidate: z.boolean(),
  updatedAt: IsoDateTime,
});
export type FindingSummaryOutput = z.infer<typeof FindingSummaryOutput>;

export const FindingEventOutput = z.object({
  id: z.number().int(),
  kind: z.string(),
  actor: z.string(),
  note: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  at: IsoDateTime,
});

export const FindingDetailOutput = FindingSummaryOutput.extend({
  tools: z.record(z.string(), z.number().int()),
  clients: z.record(z.string(), z.array(z.string())),
  evidence: z.array(Evidence),
  timeline: z.array(FindingEventOutput),
});
export type FindingDetailOutput = z.infer<typeof FindingDetailOutput>;

export const ListFindingsQuery = z.strictObject({
  state: z.enum([...FINDING_STATES, "open"]).optional(),
  severity: z.enum(FINDING_SEVERITIES).optional(),
  kind: z.enum(["remote", "stdio"]).optional(),
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  candidates: z.union([z.boolean(), z.stringbool()]).optional().describe("1: list candidates (MCP evidence below the detector's threshold) instead of findings"),
  sort: z.enum(FINDING_SORTS).default("lastSeen").describe("lastSeen (default), firstSeen, severity, users (how many people) or requests; ties by id"),
  order: z.enum(["asc", "desc"]).default("desc"),
  cursor: z
    .string()
    .max(500)
    .regex(/^[A-Za-z0-9_-]+$/, "must be a nextCursor from a previous page")
    .optional()
    .describe("The nextCursor of the previous page, with the same sort and order"),
});

export const FindingsPageOutput = z.object({
  findings: z.array(FindingSummaryOutput),
  nextCursor: z.string().nullable().describe("Pass as `cursor` (with the same sort and order) for the next page; null on the last page"),
});
export type FindingsPageOutput = z.infer<typeof FindingsPageOutput>;

/**
 * One triage step. `state` moves the finding (resolved needs a resolution; blocked adds the block-list
 * entry, `blockScope` "origin" blocks the whole origin instead of the server's path). Assignee null unassigns.
 */
export const UpdateFindingInput = z
  .strictObject({
    state: z.enum(FINDING_STATES).optional(),
    resolution: z.enum(FINDING_RESOLUTIONS).optional(),
    blockScope: z.enum(["url", "origin"]).optional(),
    blockApproved: z.boolean().optional().describe("Block even when the entry covers an approved server's URL (otherwise 409 BLOCKS_APPROVED_SERVER naming it)"),
    assigneeId: Uuid.nullable().optional(),
    note: z.string().trim().min(1).max(5000).optional(),
  })
  .refine((v) => Object.keys(v).length > 0, "Send at least one of state, resolution, assigneeId, note")
  .refine((v) => (v.state === "resolved") === (v.resolution !== undefined), { message: "resolution goes with state \"resolved\" (and only with it)", path: ["resolution"] });
export type UpdateFindingInput = z.infer<typeof UpdateFindingInput>;

export const BlockEntryOutput = z.object({
  id: Uuid,
  origin: z.string(),
  pathPrefix: z.string(),
  reason: z.string(),
  findingId: Uuid.nullable(),
  createdBy: z.string(),
  createdAt: IsoDateTime,
});
export type BlockEntryOutput = z.infer<typeof BlockEntryOutput>;

export const CreateBlockInput = z.strictObject({
  url: z.url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" }).max(2000),
  /** "url": the origin and this URL's path (and everything under it); "origin": every path of the origin. */
  scope: z.enum(["url", "origin"]).default("url"),
  reason: z.string().trim().min(1).max(500),
  blockApproved: z.boolean().optional().describe("Block even when the entry covers an approved server's URL (otherwise 409 BLOCKS_APPROVED_SERVER naming it)"),
});

export const ScanIngestOutput = z.object({
  id: Uuid,
  servers: z.number().int(),
  shadowServers: z.number().int(),
  findings: z.array(z.object({ id: Uuid, key: z.string(), created: z.boolean() })),
});

export const ShadowStatsOutput = z.object({
  newPerDay: z.array(z.object({ day: z.string(), remote: z.number().int(), stdio: z.number().int() })),
  byState: z.array(z.object({ state: z.string(), count: z.number().int() })),
  topUsers: z.array(z.object({ user: z.string(), requests: z.number().int(), findings: z.number().int() })),
  topTeams: z.array(z.object({ team: z.string(), requests: z.number().int(), findings: z.number().int() })),
  topHosts: z.array(z.object({ host: z.string(), requests: z.number().int(), findings: z.number().int() })),
});
export type ShadowStatsOutput = z.infer<typeof ShadowStatsOutput>;

export const CreateLogpushJobInput = z.strictObject({
  name: z.string().trim().min(1, "is required").max(100, "must be at most 100 characters"),
  format: z.enum(TRAFFIC_FORMATS, { message: 'must be "cloudflare" (Gateway HTTP requests, dataset gateway_http) or "generic"' }),
});
export type CreateLogpushJobInput = z.infer<typeof CreateLogpushJobInput>;

export const LogpushBatchOutput = z.object({
  id: Uuid,
  bytes: z.number().int().describe("As received (gzip as sent)"),
  lines: z.number().int(),
  acceptedLines: z.number().int().describe("Lines that were log records"),
  rejectedLines: z.number().int(),
  rejectedSamples: z.array(z.object({ line: z.number().int(), error: z.string() })).describe("The first rejected lines (at most 5)"),
  shadowServers: z.number().int(),
  newFindings: z.number().int(),
  receivedAt: IsoDateTime,
});
export type LogpushBatchOutput = z.infer<typeof LogpushBatchOutput>;

export const LogpushJobOutput = z.object({
  id: Uuid,
  name: z.string(),
  format: z.enum(TRAFFIC_FORMATS),
  secretPrefix: z.string().describe("The secret's first characters, safe to show"),
  batches: z.number().int(),
  lines: z.number().int(),
  badLines: z.number().int(),
  lastBatchAt: IsoDateTime.nullable(),
  lastBatch: LogpushBatchOutput.nullable(),
  revokedAt: IsoDateTime.nullable(),
  createdBy: z.string(),
  createdAt: IsoDateTime,
});
export type LogpushJobOutput = z.infer<typeof LogpushJobOutput>;

export const CreatedLogpushJobOutput = LogpushJobOutput.extend({
  secret: z.string().describe("The job's secret. Shown exactly once: it is stored only as a hash."),
  destinationConf: z.string().describe("The Logpush job's destination_conf: this console's endpoint with the secret as a header_ parameter"),
});
export type CreatedLogpushJobOutput = z.infer<typeof CreatedLogpushJobOutput>;

export const LogpushIngestOutput = z.object({
  /** Logpush's destination check when a job is created (a gzip `{"content":"tests"}`): answered, nothing stored. */
  test: z.boolean(),
  /** The batch was received before (Logpush retries): nothing new was stored. */
  duplicate: z.boolean(),
  batch: LogpushBatchOutput.nullable(),
  message: z.string(),
});
export type LogpushIngestOutput = z.infer<typeof LogpushIngestOutput>;
