import { createHmac } from "node:crypto";
import { isLlmEvent, type AnyEvent } from "@core/events/schema";

/**
 * The wire formats of the sinks: what one outbox row becomes on the wire. Pure but for the HMAC.
 * - webhook: `{"type":"events","events":[…]}` (or `{"type":"alert","alert":{…}}`), signed.
 * - Splunk HEC: one `{"time","host","source","sourcetype","event"}` object per event, concatenated
 *   (HEC's batch form), to `<url>/services/collector/event` with `Authorization: Splunk <token>`.
 * - OTLP/HTTP logs, JSON encoding of `ExportLogsServiceRequest`, to `<url>/v1/logs`: 64-bit integers
 *   as decimal strings (`timeUnixNano`, `intValue`), trace and span ids as lowercase hex.
 */

/** One alert, as every sink receives it (lib/forwarding/alerts.ts raises them). */
export interface ForwardingAlert {
  /** Stable per firing: a receiver can drop a repeat. */
  id: string;
  type: "spike" | "shadow_finding" | "budget";
  severity: "warning" | "critical";
  title: string;
  at: string;
  details: Record<string, unknown>;
}

export type OutboxPayload = { kind: "events"; events: AnyEvent[] } | { kind: "alert"; alert: ForwardingAlert };

export interface SinkTarget {
  kind: "webhook" | "splunk_hec" | "otlp";
  url: string;
  /** webhook: `{ secret }`; splunk_hec: `{ token }`; otlp: `{ headers }`. */
  credential: SinkCredential;
}
export interface SinkCredential {
  secret?: string;
  token?: string;
  headers?: Record<string, string>;
}

export interface SinkRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

export const WEBHOOK_SIGNATURE_HEADER = "x-portcullis-signature";
const JSON_TYPE = { "content-type": "application/json" };

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the sink's secret>`: the timestamp lets a receiver refuse replays. */
export function signWebhookBody(secret: string, body: string, nowSeconds: number): string {
  return `t=${nowSeconds},v1=${createHmac("sha256", secret).update(`${nowSeconds}.${body}`).digest("hex")}`;
}

const base = (url: string) => url.replace(/\/+$/, "");

export function sinkRequest(target: SinkTarget, payload: OutboxPayload, now: Date): SinkRequest {
  switch (target.kind) {
    case "webhook": {
      const body = JSON.stringify(payload.kind === "events" ? { type: "events", events: payload.events } : { type: "alert", alert: payload.alert });
      const signature = signWebhookBody(target.credential.secret ?? "", body, Math.floor(now.getTime() / 1000));
      return { url: target.url, body, headers: { ...JSON_TYPE, [WEBHOOK_SIGNATURE_HEADER]: signature } };
    }
    case "splunk_hec":
      return { url: `${base(target.url)}/services/collector/event`, body: hecBody(payload), headers: { ...JSON_TYPE, authorization: `Splunk ${target.credential.token ?? ""}` } };
    case "otlp":
      return { url: `${base(target.url)}/v1/logs`, body: JSON.stringify(otlpLogsRequest(payload, now)), headers: { ...(target.credential.headers ?? {}), ...JSON_TYPE } };
  }
}

function hecBody(payload: OutboxPayload): string {
  const items =
    payload.kind === "events"
      ? payload.events.map((event) => ({ time: Date.parse(event.time) / 1000, sourcetype: isLlmEvent(event) ? "portcullis:llm" : "portcullis:mcp", event }))
      : [{ time: Date.parse(payload.alert.at) / 1000, sourcetype: "portcullis:alert", event: payload.alert }];
  return items.map((item) => JSON.stringify({ time: item.time, host: "portcullis", source: "portcullis", sourcetype: item.sourcetype, event: item.event })).join("\n");
}

// OTLP/JSON shapes (opentelemetry-proto: collector/logs/v1 ExportLogsServiceRequest, common/v1 AnyValue).
export type AnyValue = { stringValue: string } | { boolValue: boolean } | { intValue: string } | { doubleValue: number };
export interface KeyValue {
  key: string;
  value: AnyValue;
}
export interface OtlpLogRecord {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  body: AnyValue;
  attributes: KeyValue[];
  traceId?: string;
  spanId?: string;
}
export interface ExportLogsServiceRequest {
  resourceLogs: { resource: { attributes: KeyValue[] }; scopeLogs: { scope: { name: string }; logRecords: OtlpLogRecord[] }[] }[];
}

// SeverityNumber: INFO 9, WARN 13, ERROR 17 (logs data model).
const SEVERITY = { info: [9, "INFO"], warn: [13, "WARN"], error: [17, "ERROR"] } as const;

function anyValue(value: string | number | boolean | object): AnyValue {
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  if (typeof value === "number") return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  return { stringValue: JSON.stringify(value) };
}

/** Every field set on `record` as an attribute `<prefix>.<field>` (nulls left out). */
function attributes(prefix: string, record: object, skip: readonly string[] = []): KeyValue[] {
  return Object.entries(record)
    .filter(([key, value]) => value !== null && value !== undefined && !skip.includes(key))
    .map(([key, value]) => ({ key: `${prefix}.${key}`, value: anyValue(value as string | number | boolean | object) }));
}

const nanos = (iso: string) => (BigInt(Date.parse(iso)) * 1_000_000n).toString();
const HEX_TRACE = /^[0-9a-f]{32}$/;
const HEX_SPAN = /^[0-9a-f]{16}$/;

function eventRecord(event: AnyEvent, observed: string): OtlpLogRecord {
  const llm = isLlmEvent(event);
  const [severityNumber, severityText] = event.decision === "denied" ? SEVERITY.warn : event.success ? SEVERITY.info : SEVERITY.error;
  const what = llm ? `${event.providerSlug} ${event.operation}${event.model ? ` ${event.model}` : ""}` : `${event.method}${event.serverSlug ? ` ${event.serverSlug}` : ""}${event.tool ? `.${event.tool}` : ""}`;
  // The caller's trace and the portal's span (MCP events only): the record joins the trace in the customer's tracing tool.
  const trace: { traceId?: string | null; spanId?: string | null } = llm ? {} : event;
  return {
    timeUnixNano: nanos(event.time),
    observedTimeUnixNano: observed,
    severityNumber,
    severityText,
    body: { stringValue: `${llm ? "llm" : "mcp"} ${what} ${event.decision}${event.success ? "" : " (error)"}` },
    attributes: [{ key: "event.name", value: { stringValue: llm ? "portcullis.llm_call" : "portcullis.mcp_request" } }, ...attributes("portcullis", event, ["kind", "traceId", "spanId", "requestLog", "responseLog"])],
    ...(trace.traceId && HEX_TRACE.test(trace.traceId) ? { traceId: trace.traceId } : {}),
    ...(trace.spanId && HEX_SPAN.test(trace.spanId) ? { spanId: trace.spanId } : {}),
  };
}

function alertRecord(alert: ForwardingAlert, observed: string): OtlpLogRecord {
  const [severityNumber, severityText] = alert.severity === "critical" ? SEVERITY.error : SEVERITY.warn;
  return {
    timeUnixNano: nanos(alert.at),
    observedTimeUnixNano: observed,
    severityNumber,
    severityText,
    body: { stringValue: alert.title },
    attributes: [
      { key: "event.name", value: { stringValue: "portcullis.alert" } },
      { key: "portcullis.alert.id", value: { stringValue: alert.id } },
      { key: "portcullis.alert.type", value: { stringValue: alert.type } },
      ...attributes("portcullis.alert", alert.details),
    ],
  };
}

export function otlpLogsRequest(payload: OutboxPayload, now: Date): ExportLogsServiceRequest {
  const observed = nanos(now.toISOString());
  const logRecords = payload.kind === "events" ? payload.events.map((e) => eventRecord(e, observed)) : [alertRecord(payload.alert, observed)];
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: "portcullis" } }] },
        scopeLogs: [{ scope: { name: "portcullis.forwarding" }, logRecords }],
      },
    ],
  };
}

/** Whether an event passes a sink's filters (empty lists let everything through). */
export function passesFilters(event: AnyEvent, filters: { kinds: string[]; decisions: string[]; servers: string[] }): boolean {
  const llm = isLlmEvent(event);
  if (filters.kinds.length > 0 && !filters.kinds.includes(llm ? "llm" : "mcp")) return false;
  if (filters.decisions.length > 0 && !filters.decisions.includes(event.decision)) return false;
  if (filters.servers.length > 0) {
    const server = llm ? event.providerSlug : event.serverSlug;
    if (!server || !filters.servers.includes(server)) return false;
  }
  return true;
}
