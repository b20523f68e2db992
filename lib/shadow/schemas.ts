import { z } from "zod";
import { IsoDateTime, Uuid } from "@core/zod/helpers";
import { WebhookUrl } from "@core/net/webhook-url";
import type { BlockMode } from "@core/shadow/blocklist";

/** The rollout of a block-list entry (lib/shadow/rollout.ts). */
export const BLOCK_MODES = ["log", "block"] as const satisfies readonly BlockMode[];
/** The rollout the forms offer, and the API's default for `mode: "log"` without `enforceAt`. */
export const DEFAULT_ROLLOUT_DAYS = 14;

export const BlockModeField = z
  .enum(BLOCK_MODES, { message: 'must be "block" (refuse calls now) or "log" (let them through, marked would-block, until enforceAt)' })
  .describe("block: the edge refuses calls to the entry's URLs; log: it lets them through and marks their events wouldBlock, until enforceAt");
export const EnforceAtField = IsoDateTime.nullable()
  .optional()
  .describe(`Only with mode "log": when the edge starts refusing by itself (no publish needed); in the future. Left out: ${DEFAULT_ROLLOUT_DAYS} days from now (or, when changing an entry already logging, its date as it is); null: log until someone changes the entry`);

/** zod refinement: a date to block from belongs to an entry that logs until then. */
export const enforceAtOnlyWhenLogging: [(v: { mode?: BlockMode; enforceAt?: string | null }) => boolean, { message: string; path: string[] }] = [
  (v) => !(v.enforceAt && v.mode !== "log"),
  { message: 'enforceAt goes with mode "log" (an entry in mode "block" blocks now)', path: ["enforceAt"] },
];

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

export const BlockEntryOutput = z.object({
  id: Uuid,
  origin: z.string(),
  pathPrefix: z.string(),
  reason: z.string(),
  findingId: Uuid.nullable(),
  mode: z.enum(["log", "block"]).describe("As set: block refuses calls; log lets them through, marked would-block, until enforceAt"),
  enforceAt: IsoDateTime.nullable().describe("A log entry's date to start blocking (the edge switches by itself); null: logs until changed, or a block entry"),
  effectiveMode: z.enum(["log", "block"]).describe("What the edge does now (a log entry whose enforceAt has passed blocks)"),
  lastNotifiedAt: IsoDateTime.nullable().describe("When security last notified the people it covers (null: never)"),
  createdBy: z.string(),
  createdAt: IsoDateTime,
});
export type BlockEntryOutput = z.infer<typeof BlockEntryOutput>;

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
  /** Its own block-list entry (when it was resolved as blocked), with the entry's rollout. */
  block: BlockEntryOutput.nullable().describe("The block-list entry blocking the finding added (null: none)"),
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
    blockMode: BlockModeField.optional().describe('When blocking: "block" (default) refuses calls once published; "log" lets them through marked would-block until enforceAt ("log first, then block")'),
    enforceAt: EnforceAtField,
    assigneeId: Uuid.nullable().optional(),
    note: z.string().trim().min(1).max(5000).optional(),
  })
  .refine((v) => Object.keys(v).length > 0, "Send at least one of state, resolution, assigneeId, note")
  .refine((v) => (v.state === "resolved") === (v.resolution !== undefined), { message: "resolution goes with state \"resolved\" (and only with it)", path: ["resolution"] })
  .refine((v) => !(v.enforceAt && v.blockMode !== "log"), { message: 'enforceAt goes with blockMode "log"', path: ["enforceAt"] });
export type UpdateFindingInput = z.infer<typeof UpdateFindingInput>;

export const CreateBlockInput = z.strictObject({
  url: z.url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" }).max(2000),
  /** "url": the origin and this URL's path (and everything under it); "origin": every path of the origin. */
  scope: z.enum(["url", "origin"]).default("url"),
  reason: z.string().trim().min(1).max(500),
  blockApproved: z.boolean().optional().describe("Block even when the entry covers an approved server's URL (otherwise 409 BLOCKS_APPROVED_SERVER naming it)"),
  mode: BlockModeField.default("block"),
  enforceAt: EnforceAtField,
}).refine(...enforceAtOnlyWhenLogging);

/** Changing an entry's rollout: block now, log until another date (or until changed), or back to log. */
export const UpdateBlockInput = z
  .strictObject({ mode: BlockModeField, enforceAt: EnforceAtField })
  .refine(...enforceAtOnlyWhenLogging);

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

export const IMPACT_DEFAULT_DAYS = 14;
export const IMPACT_MAX_DAYS = 90;

export const AffectedQuery = z.strictObject({
  days: z.coerce
    .number({ message: "must be a number of days" })
    .int()
    .min(1)
    .max(IMPACT_MAX_DAYS)
    .default(IMPACT_DEFAULT_DAYS)
    .describe(`Whole UTC days up to now (today included); ${IMPACT_DEFAULT_DAYS} by default, at most ${IMPACT_MAX_DAYS}`),
});

const Int = z.number().int();
const PortalCounts = {
  calls: Int,
  wouldBlock: Int.describe("Calls the edge let through because the entry was logging"),
  blocked: Int.describe("Calls the edge refused under the entry"),
};

export const BlockNoticeOutput = z.object({
  id: Uuid,
  message: z.string(),
  recipients: Int.describe("People it was shown to in the console"),
  webhookOrigin: z.string().nullable().describe("The chat webhook's origin (its path, a secret, is not kept); null: no webhook"),
  webhookStatus: z.string().nullable().describe('"sent", or "failed: <reason>"; null: no webhook'),
  createdBy: z.string(),
  createdAt: IsoDateTime,
});
export type BlockNoticeOutput = z.infer<typeof BlockNoticeOutput>;

export const BlockImpactOutput = z.object({
  entry: BlockEntryOutput,
  window: z.object({ from: IsoDateTime, to: IsoDateTime, days: Int }),
  portal: z
    .object({
      ...PortalCounts,
      users: z.array(z.object({ user: z.string().describe("E-mail, else user id"), email: z.string().nullable(), userId: Uuid.nullable(), ...PortalCounts, lastSeen: IsoDateTime })),
      teams: z.array(z.object({ teamId: Uuid, team: z.string(), ...PortalCounts })),
      clients: z.array(z.object({ client: z.string().describe('MCP client name, or "LLM gateway: <provider>" for LLM calls'), ...PortalCounts })),
      perDay: z.array(z.object({ day: z.string(), wouldBlock: Int, blocked: Int })),
    })
    .describe("Calls through the portal that the entry covered (events with its blockId)"),
  traffic: z
    .object({
      findings: z.array(z.object({ id: Uuid, url: z.string(), state: z.enum(FINDING_STATES), resolution: z.enum(FINDING_RESOLUTIONS).nullable(), candidate: z.boolean() })),
      requests: Int,
      users: z.array(z.object({ user: z.string(), requests: Int, lastDay: z.string() })),
      teams: z.array(z.object({ teamId: Uuid, team: z.string(), requests: Int })),
      clients: z.array(z.object({ client: z.string(), configs: Int.describe("Client configuration files naming the server (laptop scans)") })),
      perDay: z.array(z.object({ day: z.string(), requests: Int })),
    })
    .describe("Shadow traffic the console saw to servers the entry covers (uploaded logs and laptop scans), outside the portal"),
  people: z
    .array(z.object({ email: z.string(), userId: Uuid.nullable(), portalCalls: Int, trafficRequests: Int }))
    .describe("Everyone with an e-mail address in either source: who a notice goes to"),
  notices: z.array(BlockNoticeOutput).describe("Notices sent about the entry, newest first"),
  approvedServers: z
    .array(z.object({ slug: z.string(), name: z.string() }))
    .describe("Approved servers whose URL the entry covers (one requested while it logged, say): the edge refuses them too once it blocks"),
});
export type BlockImpactOutput = z.infer<typeof BlockImpactOutput>;

export const NOTICE_MESSAGE_MAX = 4000;

export const NotifyBlockInput = z.strictObject({
  message: z.string().trim().min(1, "write the message").max(NOTICE_MESSAGE_MAX).optional().describe("Left out: the console's standard message (what is blocked, when, and the link to request the server)"),
  webhookUrl: WebhookUrl.optional().describe("A Slack-compatible incoming webhook: receives {\"text\": message} as a JSON POST. Not stored (its path is a secret)"),
  days: AffectedQuery.shape.days,
});

/** One way a laptop ran a stdio server, and the commands that move it behind the portal (lib/core/laptop-scan/adopt.ts). */
export const StdioAdoptionOutput = z.object({
  seenOn: z.object({ device: z.string(), client: z.string(), configPath: z.string(), scannedAt: IsoDateTime }).describe("The laptop scan this configuration comes from"),
  name: z.string(),
  slug: z.string(),
  url: z.string().describe("The URL the bridge prints and the registration names"),
  env: z.array(z.string()).describe("Environment variables its configuration sets (their values are never reported): set them where the bridge runs, it passes its environment on"),
  setup: z.array(z.string()).describe("`export NAME='<NAME>'` for each of env"),
  bridge: z.string().describe("The `npx portcullis bridge` command line; secrets are placeholders such as <GITHUB_TOKEN>"),
  newServer: z.string().describe("The alternative: scaffold a Workers MCP server to move its tools into"),
  placeholders: z.array(z.string()).describe("Every placeholder in setup and bridge, to fill in from the laptop's own configuration"),
  commandLine: z.string(),
  requestUrl: z.string().describe("Console path of the Request a server form, prefilled; registering from it resolves the finding as approved"),
});
export const FindingAdoptionOutput = z.object({
  findingId: Uuid,
  configurations: z.array(StdioAdoptionOutput).describe("Distinct configurations from the newest scans first (at most 5)"),
});
export type FindingAdoptionOutput = z.infer<typeof FindingAdoptionOutput>;
