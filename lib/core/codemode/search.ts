/**
 * Code Mode's `search`: which of the caller's tools match a query, ranked, a page at a time, each
 * as a TypeScript declaration the model can call from `execute` (`await codemode.<name>(input)`).
 * Pure: the Worker gives it the caller's catalog (only tools the caller may use, already filtered
 * by policy, pins and the block list), so nothing else can ever be found.
 *
 * Ranking, for each query word (lowercased; `create_issue`, `createIssue` and `create-issue` all
 * split into words): the word is the tool's whole name (+12) or one of its name's words (+8), a
 * prefix of one of them (+5), the server's slug (+6), a word of the title (+4), of the description
 * (+2, a prefix +1), a parameter's name (+1). A query that is a tool's exact portal name or
 * upstream name ranks that tool first (+100). A tool matching no word is not a match; ties go by
 * name. An empty query lists every tool by name.
 */
import { toolIdentifier, renderToolsModule } from "./render";
import { type McpToolDefinition } from "@core/tools/tool-types";

export interface CatalogTool {
  /** The tool's name at the portal (`{slug}_{tool}`), as `tools/list` would show it. */
  name: string;
  serverSlug: string;
  /** The approved definition (its `name` is the upstream's). */
  definition: McpToolDefinition;
}

export interface SearchPage {
  tools: CatalogTool[];
  /** Matches over every page. */
  total: number;
  /** Give it back (with the same query) for the next page; absent on the last. */
  nextCursor?: string;
}

export const SEARCH_PAGE_SIZE = 5;
export const SEARCH_MAX_PAGE_SIZE = 20;
/** Longer queries are cut: ranking needs a few words, not a document. */
export const SEARCH_QUERY_LIMIT = 500;

/** Lowercase words of a name or text: `createIssue`, `create_issue`, `create-issue` → create, issue. */
export function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

interface Indexed {
  tool: CatalogTool;
  lowerName: string;
  upstreamName: string;
  nameWords: Set<string>;
  slug: string;
  titleWords: Set<string>;
  descriptionWords: string[];
  paramWords: Set<string>;
}

const indexes = new WeakMap<readonly CatalogTool[], Indexed[]>();

function indexOf(catalog: readonly CatalogTool[]): Indexed[] {
  let index = indexes.get(catalog);
  if (!index) {
    index = catalog.map((tool) => {
      const props = tool.definition.inputSchema?.properties;
      return {
        tool,
        lowerName: tool.name.toLowerCase(),
        upstreamName: tool.definition.name.toLowerCase(),
        nameWords: new Set(words(tool.definition.name)),
        slug: tool.serverSlug.toLowerCase(),
        titleWords: new Set(words(typeof tool.definition.title === "string" ? tool.definition.title : "")),
        descriptionWords: [...new Set(words(typeof tool.definition.description === "string" ? tool.definition.description.slice(0, 4_000) : ""))],
        paramWords: new Set(props && typeof props === "object" ? Object.keys(props).flatMap(words) : []),
      };
    });
    indexes.set(catalog, index);
  }
  return index;
}

function score(entry: Indexed, query: string, queryWords: string[]): number {
  let total = query === entry.lowerName || query === entry.upstreamName ? 100 : 0;
  for (const w of queryWords) {
    if (w === entry.upstreamName || w === entry.lowerName) total += 12;
    else if (entry.nameWords.has(w)) total += 8;
    else if (w.length >= 3 && [...entry.nameWords].some((n) => n.startsWith(w))) total += 5;
    if (w === entry.slug) total += 6;
    if (entry.titleWords.has(w)) total += 4;
    if (entry.descriptionWords.includes(w)) total += 2;
    else if (w.length >= 3 && entry.descriptionWords.some((d) => d.startsWith(w))) total += 1;
    if (entry.paramWords.has(w)) total += 1;
  }
  return total;
}

/** The cursor says where the next page starts and for which query, so it cannot be replayed against another. */
function encodeCursor(query: string, offset: number): string {
  return btoa(JSON.stringify({ q: query, o: offset })).replace(/=+$/, "");
}

export class SearchCursorError extends Error {}

function decodeCursor(cursor: string, query: string): number {
  try {
    const parsed = JSON.parse(atob(cursor)) as { q?: unknown; o?: unknown };
    if (parsed.q === query && typeof parsed.o === "number" && Number.isSafeInteger(parsed.o) && parsed.o >= 0) return parsed.o;
  } catch {
    // fall through
  }
  throw new SearchCursorError("cursor: not a cursor this search returned for this query (search again without it)");
}

export function searchTools(catalog: readonly CatalogTool[], rawQuery: string, options: { limit?: number; cursor?: string } = {}): SearchPage {
  const query = rawQuery.trim().slice(0, SEARCH_QUERY_LIMIT).toLowerCase();
  const limit = Math.min(Math.max(Math.floor(options.limit ?? SEARCH_PAGE_SIZE), 1), SEARCH_MAX_PAGE_SIZE);
  const offset = options.cursor === undefined ? 0 : decodeCursor(options.cursor, query);
  const queryWords = [...new Set(words(query))];
  const ranked =
    queryWords.length === 0
      ? indexOf(catalog).map((entry) => ({ entry, score: 0 }))
      : indexOf(catalog)
          .map((entry) => ({ entry, score: score(entry, query, queryWords) }))
          .filter((m) => m.score > 0);
  ranked.sort((a, b) => b.score - a.score || (a.entry.tool.name < b.entry.tool.name ? -1 : a.entry.tool.name > b.entry.tool.name ? 1 : 0));
  const page = ranked.slice(offset, offset + limit).map((m) => m.entry.tool);
  const next = offset + limit < ranked.length ? encodeCursor(query, offset + limit) : undefined;
  return { tools: page, total: ranked.length, ...(next ? { nextCursor: next } : {}) };
}

/** The identifier `execute` code calls a tool by: `codemode.<identifier>(input)`. */
export const codemodeIdentifier = (tool: CatalogTool): string => toolIdentifier(tool.name);

/**
 * Tools as the declarations of the `codemode` object, named as code calls them (the portal name,
 * made a JS-safe identifier), each with its description, input and output types as JSDoc and types.
 */
export function declareCodemode(tools: readonly CatalogTool[]): string {
  if (tools.length === 0) return "declare namespace codemode {}\n";
  return renderToolsModule(
    tools.map((t) => ({ ...t.definition, name: t.name })),
    { namespace: "codemode" },
  );
}

/**
 * What code may call, by identifier: the identifiers `declareCodemode` gives (colliding names told
 * apart with `_2`… in name order, as the declarations do).
 */
export function codemodeNames(tools: readonly CatalogTool[]): Map<string, CatalogTool> {
  const sorted = [...tools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const names = new Map<string, CatalogTool>();
  for (const tool of sorted) {
    const base = codemodeIdentifier(tool);
    let id = base;
    for (let n = 2; names.has(id); n++) id = `${base}_${n}`;
    names.set(id, tool);
  }
  return names;
}
