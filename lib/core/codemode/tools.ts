/**
 * The tools a Code Mode client sees instead of the catalog (Cloudflare's names and shapes):
 * `search_and_execute` → `search` + `execute`; `code` → one `code` tool whose description carries
 * the typed API of every tool the caller may use. Their inputs are checked here too (pure), so the
 * Worker and the tests agree on every word a client can get back.
 */
import type { CodemodeShape } from "@core/bundle/schema";
import { declareCodemode, SEARCH_MAX_PAGE_SIZE, SEARCH_PAGE_SIZE, SEARCH_QUERY_LIMIT, SearchCursorError, searchTools, type CatalogTool } from "./search";

/** The longest `code` accepted (characters): a program that calls tools, not a library. */
export const CODE_LIMIT = 100_000;

/*
 * The words are few on purpose: this list is all a client holds before the user says a word, and
 * the benchmark's target is ≤ 4 % of the plain catalog's tokens at 52 tools (bench/codemode).
 */
const CALLING =
  "Call tools as `await codemode.<name>(input)` (names and input types from search); a refused or failed call throws. `return` a JSON value; console.log output comes back too. The code runs in a sandbox without network; every call is checked and audited like a direct one.";

const SEARCH_TOOL = {
  name: "search",
  description: `Find the tools you can call from execute, by words, server or tool name (empty: all). Returns their TypeScript declarations, ${SEARCH_PAGE_SIZE} per page; pass nextCursor back for more.`,
  inputSchema: {
    type: "object",
    properties: { query: { type: "string", maxLength: SEARCH_QUERY_LIMIT }, cursor: { type: "string" }, limit: { type: "integer", minimum: 1, maximum: SEARCH_MAX_PAGE_SIZE } },
    required: ["query"],
  },
  annotations: { readOnlyHint: true },
};

const CODE_INPUT = { type: "object", properties: { code: { type: "string", maxLength: CODE_LIMIT } }, required: ["code"] };

const EXECUTE_TOOL = {
  name: "execute",
  description: `Run JavaScript, the body of an async function. ${CALLING}`,
  inputSchema: CODE_INPUT,
};

/** The tools/list of a Code Mode shape for this caller's catalog. */
export function codemodeToolList(shape: CodemodeShape, catalog: readonly CatalogTool[]): Record<string, unknown>[] {
  if (shape === "search_and_execute") return [SEARCH_TOOL, EXECUTE_TOOL];
  return [
    {
      name: "code",
      description: `Run JavaScript, the body of an async function. ${CALLING} The tools you can call:\n\`\`\`ts\n${declareCodemode(catalog)}\`\`\``,
      inputSchema: CODE_INPUT,
    },
  ];
}

export type CodemodeCall = { kind: "search"; query: string; cursor?: string; limit?: number } | { kind: "execute"; code: string };

/** The Code Mode tool a call names, with its arguments checked; an error message (for `isError`) when they are wrong. */
export function readCodemodeCall(shape: CodemodeShape, name: string, args: unknown): { ok: true; call: CodemodeCall } | { ok: false; unknown: boolean; message: string } {
  const known = shape === "search_and_execute" ? ["search", "execute"] : ["code"];
  if (!known.includes(name)) return { ok: false, unknown: true, message: `Unknown tool: ${name.slice(0, 100)} (in Code Mode this portal offers ${known.join(" and ")})` };
  const input = typeof args === "object" && args !== null && !Array.isArray(args) ? (args as Record<string, unknown>) : args === undefined ? {} : null;
  if (input === null) return { ok: false, unknown: false, message: "arguments: expected an object" };
  if (name === "search") {
    if (typeof input.query !== "string") return { ok: false, unknown: false, message: "query: expected a string (words, a server name or a tool name; empty lists every tool)" };
    if (input.cursor !== undefined && typeof input.cursor !== "string") return { ok: false, unknown: false, message: "cursor: expected the nextCursor string of the previous page" };
    if (input.limit !== undefined && !(Number.isInteger(input.limit) && (input.limit as number) >= 1 && (input.limit as number) <= SEARCH_MAX_PAGE_SIZE)) {
      return { ok: false, unknown: false, message: `limit: expected a whole number from 1 to ${SEARCH_MAX_PAGE_SIZE}` };
    }
    return { ok: true, call: { kind: "search", query: input.query, ...(input.cursor !== undefined ? { cursor: input.cursor as string } : {}), ...(input.limit !== undefined ? { limit: input.limit as number } : {}) } };
  }
  if (typeof input.code !== "string") return { ok: false, unknown: false, message: "code: expected a string, the body of an async function" };
  if (input.code.length > CODE_LIMIT) return { ok: false, unknown: false, message: `code: ${input.code.length} characters; at most ${CODE_LIMIT}` };
  return { ok: true, call: { kind: "execute", code: input.code } };
}

/** A tool result (MCP `CallToolResult`) carrying a JSON value as text and as structured content. */
export function jsonToolResult(value: Record<string, unknown>, text: string, isError = false): Record<string, unknown> {
  return { content: [{ type: "text", text }], structuredContent: value, ...(isError ? { isError: true } : {}) };
}

export function errorToolResult(message: string): Record<string, unknown> {
  return { content: [{ type: "text", text: message }], isError: true };
}

/**
 * The answer to `search`: the page's tools as declarations of the `codemode` object (the text the
 * model reads), and the same as structured content (names, servers, short descriptions, the
 * cursor). A cursor of another query is a tool error that says so.
 */
export function searchResult(catalog: readonly CatalogTool[], query: string, options: { limit?: number; cursor?: string } = {}): Record<string, unknown> {
  let page;
  try {
    page = searchTools(catalog, query, options);
  } catch (error) {
    if (error instanceof SearchCursorError) return errorToolResult(error.message);
    throw error;
  }
  // The declarations (in the text) carry the descriptions; the structured part only names the tools.
  const listing = page.tools.map((t) => ({ name: t.name, server: t.serverSlug }));
  const text =
    page.total === 0
      ? `No tool you can use matches "${query.slice(0, 100)}". Search with other words, or an empty query for every tool.`
      : `${page.tools.length} of ${page.total} matching tools${page.nextCursor ? ` (nextCursor "${page.nextCursor}")` : ""}:\n${declareCodemode(page.tools)}`;
  return jsonToolResult({ tools: listing, total: page.total, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) }, text);
}
