/**
 * The tools a Code Mode client sees instead of the catalog (Cloudflare's names and shapes):
 * `search_and_execute` → `search` + `execute`; `code` → one `code` tool whose description carries
 * the typed API of every tool the caller may use. Their inputs are checked here too (pure), so the
 * Worker and the tests agree on every word a client can get back.
 */
import type { CodemodeShape } from "@core/bundle/schema";
import { declareCodemode, SEARCH_MAX_PAGE_SIZE, SEARCH_PAGE_SIZE, SEARCH_QUERY_LIMIT, type CatalogTool } from "./search";

/** The longest `code` accepted (characters): a program that calls tools, not a library. */
export const CODE_LIMIT = 100_000;

const CALLING =
  "The code is the body of an async JavaScript function: call a tool with `await codemode.<name>(input)` (input as the tool's declaration types it; the result is the tool's `structuredContent` when it has one, else its content, and a refused or failed call throws an Error whose message says why), `return` a JSON value, and use `console.log` for notes; both come back. " +
  "It runs in a sandbox with no network, no files and no timers beyond the call: fetch and imports fail. Every tool call is checked against your access and audited like a direct call.";

const SEARCH_TOOL = {
  name: "search",
  title: "Search your tools",
  description:
    "Find the tools you can use through this portal (your company's approved MCP servers): words, a server name or a tool name. " +
    `Returns the matching tools as TypeScript declarations of the \`codemode\` object, best first, ${SEARCH_PAGE_SIZE} at a time (pass \`nextCursor\` back with the same query for more), to call from \`execute\`. An empty query lists every tool.`,
  inputSchema: {
    type: "object",
    properties: {
      query: { type: "string", maxLength: SEARCH_QUERY_LIMIT, description: "What the tool should do, a server name or a tool name." },
      cursor: { type: "string", description: "`nextCursor` of the previous page of the same query." },
      limit: { type: "integer", minimum: 1, maximum: SEARCH_MAX_PAGE_SIZE, description: `Tools per page (default ${SEARCH_PAGE_SIZE}).` },
    },
    required: ["query"],
    additionalProperties: false,
  },
  annotations: { readOnlyHint: true, openWorldHint: false },
};

const CODE_INPUT = {
  type: "object",
  properties: { code: { type: "string", maxLength: CODE_LIMIT, description: "The body of an async function; `return` the result." } },
  required: ["code"],
  additionalProperties: false,
};

const EXECUTE_TOOL = {
  name: "execute",
  title: "Run code that calls your tools",
  description: `Run JavaScript that calls the tools \`search\` found. ${CALLING}\n\nExample:\nconst issues = await codemode.github_list_issues({ owner: "acme", repo: "api" });\nreturn issues.length;`,
  inputSchema: CODE_INPUT,
  annotations: { openWorldHint: true },
};

/** The tools/list of a Code Mode shape for this caller's catalog. */
export function codemodeToolList(shape: CodemodeShape, catalog: readonly CatalogTool[]): Record<string, unknown>[] {
  if (shape === "search_and_execute") return [SEARCH_TOOL, EXECUTE_TOOL];
  return [
    {
      name: "code",
      title: "Run code that calls your tools",
      description: `Run JavaScript that calls your tools. ${CALLING}\n\nThe tools you can call:\n\`\`\`ts\n${declareCodemode(catalog)}\`\`\``,
      inputSchema: CODE_INPUT,
      annotations: { openWorldHint: true },
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
