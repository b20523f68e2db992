import type { z } from "zod";
import { ListEventsQuery, VIEW_FILTERS, type ViewFilter, type ViewFilters } from "./schemas";

// An Audit view as a URL: every filter of the explorer is a search parameter, so a view is a link
// one can share, bookmark, save (lib/audit/saved-views.ts) or export. The page, saved views and the
// export parse the same parameters with the same zod schemas as `GET /api/v1/audit`.

export type SearchParams = Record<string, string | string[] | undefined>;
export type ViewQuery = z.output<typeof ListEventsQuery>;

export interface ParsedView {
  /** The valid filters (and cursor), ready for `listEvents`. */
  query: ViewQuery;
  /** The valid filters alone, parsed (times as ISO instants): for the export. */
  where: Partial<Pick<ViewQuery, ViewFilter>>;
  /** The valid filters as they were in the URL (for links, forms and saved views); no cursor. */
  filters: ViewFilters;
  cursor?: string;
  /** What was wrong with the URL (each invalid parameter, which is then ignored); null when nothing. */
  problem: string | null;
}

const firstValue = (value: string | string[] | undefined): string | undefined => {
  const text = Array.isArray(value) ? value[0] : value;
  return text !== undefined && text.trim() !== "" ? text.trim() : undefined;
};

/** `<input type="datetime-local">` sends `2030-01-01T12:00` (no zone): the page labels it UTC. */
export const asUtc = (value: string): string =>
  /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(value) ? `${value.length === 16 ? `${value}:00` : value}Z` : /^\d{4}-\d\d-\d\d$/.test(value) ? `${value}T00:00:00Z` : value;

const shape = ListEventsQuery.shape;

/**
 * Parses an Audit URL's search parameters. An invalid parameter never breaks the page: it is left
 * out, and `problem` says which one and why (the page shows it).
 */
export function parseViewParams(params: SearchParams | URLSearchParams): ParsedView {
  const get = (key: string) => firstValue(params instanceof URLSearchParams ? (params.get(key) ?? undefined) : params[key]);
  const problems: string[] = [];
  const filters: ViewFilters = {};
  const query: Record<string, unknown> = {};
  for (const key of VIEW_FILTERS) {
    const raw = get(key);
    if (raw === undefined) continue;
    const value = key === "from" || key === "to" ? asUtc(raw) : raw;
    const parsed = shape[key].safeParse(value);
    if (!parsed.success) {
      problems.push(`${key}: ${parsed.error.issues[0]?.message ?? "invalid"}`);
      continue;
    }
    filters[key] = raw;
    query[key] = parsed.data;
  }
  if (typeof query.from === "string" && typeof query.to === "string" && Date.parse(query.from) >= Date.parse(query.to)) {
    problems.push("to: must be after from");
    delete query.to;
    delete filters.to;
  }
  const rawCursor = get("cursor");
  let cursor: string | undefined;
  if (rawCursor !== undefined) {
    if (shape.cursor.safeParse(rawCursor).success) cursor = rawCursor;
    else problems.push("cursor: must be a nextCursor from a previous page");
  }
  return { query: ListEventsQuery.parse({ ...query, cursor }), where: query as ParsedView["where"], filters, cursor, problem: problems.length ? problems.join("; ") : null };
}
