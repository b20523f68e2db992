import { z } from "zod";
import { Uuid } from "@core/zod/helpers";
import { IsoDateTime } from "@core/zod/helpers";
import { EVENT_TEXT_LIMIT, PortalEvent } from "@core/events/schema";

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 200;

const Filter = (max: number) => z.string().trim().min(1).max(max).optional();

/** `GET /api/v1/audit` query (and the Audit page's search params). */
export const ListEventsQuery = z
  .object({
    user: Filter(320).describe("Part of the caller's email (case-insensitive), or a user id"),
    server: Filter(100).describe("Server slug"),
    tool: Filter(2_000).describe("Tool name (the upstream's, not the portal's `{slug}_{tool}`), prompt name or resource URI"),
    team: Uuid.optional().describe("The caller's team id (as the portal recorded it on the call)"),
    decision: z.enum(["allowed", "denied"]).optional(),
    code: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]+$/, "must be a denial code such as POLICY_DENIED")
      .max(64)
      .optional()
      .describe("Denials with this code: the reason's leading UPPER_CASE word (POLICY_DENIED, RATE_LIMITED, TOOL_NOT_APPROVED…)"),
    status: z.enum(["ok", "error"]).optional().describe("ok: the call succeeded; error: it failed (a JSON-RPC error, isError, or a denial)"),
    wouldBlock: z.enum(["true"]).optional().describe("true: only calls a block-list entry in log mode would have blocked"),
    method: Filter(EVENT_TEXT_LIMIT).describe("JSON-RPC method, e.g. tools/call"),
    via: z.enum(["codemode"]).optional().describe("codemode: only Code Mode (its search/execute/code calls, and the tool calls its code made)"),
    parent: Uuid.optional().describe("The tool calls one Code Mode execute made: its event id"),
    from: IsoDateTime.optional().describe("Events at or after this time"),
    to: IsoDateTime.optional().describe("Events before this time"),
    limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_MAX).default(AUDIT_PAGE_DEFAULT),
    cursor: z
      .string()
      .max(200)
      .regex(/^[A-Za-z0-9_-]+$/, "must be a nextCursor from a previous page")
      .optional()
      .describe("The nextCursor of the previous page"),
  })
  .strict();
export type ListEventsQuery = z.input<typeof ListEventsQuery>;

/** The filters of an Audit view, in the order its links write them (lib/audit/view-params.ts parses them). */
export const VIEW_FILTERS = ["user", "team", "server", "tool", "decision", "code", "status", "wouldBlock", "method", "via", "parent", "from", "to"] as const;
export type ViewFilter = (typeof VIEW_FILTERS)[number];
/** A view's filters as URL text, by name. */
export type ViewFilters = Partial<Record<ViewFilter, string>>;

/** The search parameters of a view (its filters in a fixed order, then `extra`), without `?`. */
export function viewSearch(filters: ViewFilters, extra: Record<string, string> = {}): string {
  const search = new URLSearchParams();
  for (const key of VIEW_FILTERS) if (filters[key] !== undefined) search.set(key, filters[key]!);
  for (const [key, value] of Object.entries(extra)) search.set(key, value);
  return search.toString();
}

/** The Audit page of a view: `/audit` or `/audit?…`. */
export const auditHref = (filters: ViewFilters, extra: Record<string, string> = {}): string => {
  const search = viewSearch(filters, extra);
  return search ? `/audit?${search}` : "/audit";
};

export const McpEventOutput = PortalEvent.extend({
  receivedAt: IsoDateTime.describe("When the console stored the event"),
});
export type McpEventOutput = z.infer<typeof McpEventOutput>;

export const ListEventsOutput = z.object({
  events: z.array(McpEventOutput).describe("Newest first"),
  nextCursor: z.string().nullable().describe("Pass as `cursor` for the next (older) page; null on the last page"),
  scope: z
    .enum(["all", "own-and-teams", "own"])
    .describe("Whose events the caller may see: everyone's (audit.read: security, admin), their own and the teams' they lead, or their own"),
});
export type ListEventsOutput = z.infer<typeof ListEventsOutput>;
