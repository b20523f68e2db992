import type { McpEventOutput } from "./schemas";

/**
 * Export formats and field profiles of the Audit export (lib/audit/export-events.ts): pure, so the
 * quoting rules are tested on their own.
 */
export const EXPORT_FORMATS = ["csv", "ndjson"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const EXPORT_PROFILES = ["portcullis", "cloudflare"] as const;
export type ExportProfile = (typeof EXPORT_PROFILES)[number];

type Cell = string | number | boolean | null | Record<string, number>;
type Column = readonly [name: string, value: (e: McpEventOutput) => Cell];

const own = (key: keyof McpEventOutput): Column => [key, (e) => (e[key] ?? null) as Cell];

/** Every stored field of an event, under Portcullis's own names (those of `GET /api/v1/audit`). */
const PORTCULLIS: readonly Column[] = (
  [
    "time", "id", "userId", "email", "teamId", "tokenId", "authMethod", "clientName", "clientVersion", "clientIp", "clientCountry", "sessionId",
    "method", "endpoint", "serverId", "serverSlug", "serverUrl", "tool", "prompt", "resourceUri", "decision", "reason", "ruleId", "success", "error",
    "durationMs", "bytesIn", "bytesOut", "resultTokens", "serverTokens", "bundleVersion", "via", "parentId", "codemodeTokens", "blockId", "wouldBlock", "receivedAt",
  ] as const
).map(own);

/**
 * Cloudflare's MCP portal logs (the Logpush dataset `mcp_portal_logs`), field for field, so an
 * export loads where those logs go. Cloudflare's portal fields with nothing to match here (the colo,
 * the portal's and the server's Access audience tags, the portal id) are present and empty. A
 * denial is a request that did not succeed, with its reason as the error.
 */
const CLOUDFLARE: readonly Column[] = [
  ["Datetime", (e) => e.time],
  ["ClientCountry", (e) => e.clientCountry],
  ["ClientIP", (e) => e.clientIp],
  ["ColoCode", () => null],
  ["Error", (e) => e.error ?? (e.decision === "denied" ? e.reason : null)],
  ["Method", (e) => e.method],
  ["PortalAUD", () => null],
  ["PortalID", () => null],
  ["PromptGetName", (e) => e.prompt],
  ["ResourceReadURI", (e) => e.resourceUri],
  ["ServerAUD", () => null],
  ["ServerID", (e) => e.serverId],
  ["ServerResponseDurationMs", (e) => e.durationMs],
  ["ServerURL", (e) => e.serverUrl],
  ["SessionID", (e) => e.sessionId],
  ["Success", (e) => e.success && e.decision === "allowed"],
  ["ToolCallName", (e) => (e.method === "tools/call" ? e.tool : null)],
  ["UserEmail", (e) => e.email],
  ["UserID", (e) => e.userId],
];

const PROFILES: Record<ExportProfile, readonly Column[]> = { portcullis: PORTCULLIS, cloudflare: CLOUDFLARE };

export const exportColumns = (profile: ExportProfile): string[] => PROFILES[profile].map(([name]) => name);

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, a quote, CR or LF, quotes doubled. A text
 * starting with = + - @ (or a tab or CR) gets a leading `'` first, so a spreadsheet shows it instead
 * of running it as a formula (OWASP's CSV injection guidance); numbers and booleans are written as
 * is, an object (a tools/list's tokens by server) as its JSON.
 */
export function csvCell(value: Cell): string {
  if (value === null) return "";
  if (typeof value === "object") return csvCell(JSON.stringify(value));
  if (typeof value !== "string") return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const csvLine = (cells: Cell[]): string => `${cells.map(csvCell).join(",")}\r\n`;

/** The text before the first event: the CSV header line, nothing for NDJSON. */
export function exportHead(format: ExportFormat, profile: ExportProfile): string {
  return format === "csv" ? csvLine(exportColumns(profile)) : "";
}

/** Events as lines of the format: CSV rows (CRLF), or one JSON object per line. */
export function exportLines(events: McpEventOutput[], format: ExportFormat, profile: ExportProfile): string {
  const columns = PROFILES[profile];
  let out = "";
  for (const event of events) {
    const cells = columns.map(([, value]) => value(event));
    out += format === "csv" ? csvLine(cells) : `${JSON.stringify(Object.fromEntries(columns.map(([name], i) => [name, cells[i]])))}\n`;
  }
  return out;
}
