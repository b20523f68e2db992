import { z } from "zod";
import { WebhookUrl } from "@core/net/webhook-url";

export const SINK_KINDS = ["webhook", "splunk_hec", "otlp"] as const;
export const SinkKind = z.enum(SINK_KINDS);

export const SinkFilters = z
  .strictObject({
    kinds: z.array(z.enum(["mcp", "llm"])).max(2).default([]).describe("Event kinds forwarded (mcp, llm); empty: both"),
    decisions: z.array(z.enum(["allowed", "denied"])).max(2).default([]).describe("Decisions forwarded; empty: both"),
    servers: z.array(z.string().trim().min(1).max(100)).max(200).default([]).describe("MCP server slugs (LLM events: provider slugs); empty: every server"),
  })
  .describe("Which events the sink receives; an empty list lets everything through on that axis");
export type SinkFilters = z.infer<typeof SinkFilters>;

export const SpikeRule = z.strictObject({
  metric: z.enum(["denials", "errors"]),
  windowMinutes: z.number().int().min(5).max(1440).describe("The window the count covers, in minutes"),
  threshold: z.number().int().min(1).max(1_000_000_000).describe("Alert when the count in the window is above this"),
});

export const SinkAlertRules = z
  .strictObject({
    spikes: z.array(SpikeRule).max(10).default([]).describe("A spike of denials or errors (MCP and LLM calls): more than `threshold` in the last `windowMinutes`"),
    shadowHigh: z.boolean().default(false).describe("A new high-severity shadow MCP finding"),
    budgets: z.boolean().default(false).describe("A budget reaching one of its alert thresholds (50, 80, 100 %)"),
  })
  .describe("Which alerts the sink receives");
export type SinkAlertRules = z.infer<typeof SinkAlertRules>;

/** Credentials by kind; the webhook's signing secret is made by the console, never chosen. */
const HecToken = z.string().trim().min(1).max(500).describe("The HEC token (sent as `Authorization: Splunk <token>`). Stored encrypted, never returned");
const OtlpHeaders = z
  .record(z.string().regex(/^[A-Za-z0-9-]{1,100}$/, "must be an HTTP header name"), z.string().max(2000))
  .refine((h) => Object.keys(h).length <= 20, "at most 20 headers")
  .describe("Headers the collector needs (e.g. an API key). Stored encrypted, never returned");

// Without defaults: an edit sends only what changes (zod applies defaults inside .partial() too).
const sinkFields = {
  name: z.string().trim().min(1, "is required").max(100),
  url: WebhookUrl.describe(
    "webhook: the URL that receives the batches; splunk_hec: the HEC base URL (e.g. https://splunk.example.com:8088; events go to /services/collector/event); otlp: the collector's OTLP/HTTP base URL (logs go to <url>/v1/logs)",
  ),
  forwardEvents: z.boolean().describe("Forward events (false: this sink receives alerts only)"),
  enabled: z.boolean(),
};

export const CreateSinkInput = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("webhook"), ...sinkFields, forwardEvents: sinkFields.forwardEvents.default(true), enabled: sinkFields.enabled.default(true), filters: SinkFilters.default({ kinds: [], decisions: [], servers: [] }), alertRules: SinkAlertRules.default({ spikes: [], shadowHigh: false, budgets: false }) }),
  z.strictObject({ kind: z.literal("splunk_hec"), token: HecToken, ...sinkFields, forwardEvents: sinkFields.forwardEvents.default(true), enabled: sinkFields.enabled.default(true), filters: SinkFilters.default({ kinds: [], decisions: [], servers: [] }), alertRules: SinkAlertRules.default({ spikes: [], shadowHigh: false, budgets: false }) }),
  z.strictObject({ kind: z.literal("otlp"), headers: OtlpHeaders.default({}), ...sinkFields, forwardEvents: sinkFields.forwardEvents.default(true), enabled: sinkFields.enabled.default(true), filters: SinkFilters.default({ kinds: [], decisions: [], servers: [] }), alertRules: SinkAlertRules.default({ spikes: [], shadowHigh: false, budgets: false }) }),
]);
export type CreateSinkInput = z.infer<typeof CreateSinkInput>;

export const UpdateSinkInput = z.strictObject({
  ...sinkFields,
  filters: SinkFilters,
  alertRules: SinkAlertRules,
  token: HecToken,
  headers: OtlpHeaders,
}).partial();
export type UpdateSinkInput = z.infer<typeof UpdateSinkInput>;

export const SinkStatus = z.object({
  delivered: z.number().int().describe("Deliveries the sink accepted (batches and alerts)"),
  pending: z.number().int().describe("Deliveries waiting (first try or a retry)"),
  deadLetters: z.number().int().describe("Deliveries given up after the last attempt; `POST …/retry` queues them again"),
  lastSuccessAt: z.string().nullable(),
  lastErrorAt: z.string().nullable(),
  lastError: z.string().nullable(),
});

export const SinkOutput = z.object({
  id: z.string(),
  name: z.string(),
  kind: SinkKind,
  url: z.string(),
  hasCredential: z.boolean().describe("A signing secret, token or headers are stored (never shown)"),
  filters: SinkFilters,
  forwardEvents: z.boolean(),
  alertRules: SinkAlertRules,
  enabled: z.boolean(),
  status: SinkStatus,
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type SinkOutput = z.infer<typeof SinkOutput>;

export const CreatedSinkOutput = SinkOutput.extend({
  secret: z.string().optional().describe("webhook: the signing secret, shown this once (HMAC-SHA256 of `<t>.<body>`, header X-Portcullis-Signature: t=<unix seconds>,v1=<hex>)"),
});
export type CreatedSinkOutput = z.infer<typeof CreatedSinkOutput>;

export const RetryDeadLettersOutput = z.object({ requeued: z.number().int(), sink: SinkOutput });
export type RetryDeadLettersOutput = z.infer<typeof RetryDeadLettersOutput>;
