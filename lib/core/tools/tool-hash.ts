import canonicalize from "canonicalize";
import { type McpToolDefinition } from "./tool-types";
import { sha256Hex } from "@core/crypto/sha256";

/**
 * The top-level fields of a tool that the hash covers: every field the MCP spec (2025-11-25)
 * defines for `Tool`. Fields outside the spec are left out on purpose: the SDK's client parses
 * `tools/list` with a schema that strips them, so they never reach an AI client, and leaving them
 * out makes the console (which may hold the raw JSON) and the portal (which holds the parsed tool)
 * compute the same hash for the same tool.
 *
 * `_meta` is included. It is delivered to clients, and hosts act on it (MCP Apps render the UI
 * resource named in `_meta.ui.resourceUri`), so swapping it after approval is a change of
 * behaviour the pin must catch. The cost is that a server which puts volatile values in `_meta`
 * shows up as changed on every snapshot; for an approval pin, failing closed is the right side.
 */
export const HASHED_TOOL_FIELDS = ["name", "title", "description", "inputSchema", "outputSchema", "annotations", "icons", "execution", "_meta"] as const;

/** The part of a tool that {@link toolHash} covers (absent fields stay absent). */
export function hashedToolView(tool: McpToolDefinition): Partial<McpToolDefinition> {
  const view: Record<string, unknown> = {};
  for (const field of HASHED_TOOL_FIELDS) {
    if (tool[field] !== undefined) view[field] = tool[field];
  }
  return view as Partial<McpToolDefinition>;
}

/**
 * RFC 8785 (JCS) canonical JSON: object keys sorted by UTF-16 code units, no whitespace,
 * numbers in ECMAScript shortest form (`1.0` → `1`, `1e21` → `1e+21`), strings escaped minimally.
 * Throws on values JSON cannot carry (NaN, Infinity, lone surrogates, cycles, a bare `undefined`).
 */
export function canonicalJson(value: unknown): string {
  const json = canonicalize(value);
  if (json === undefined) throw new TypeError("Value has no JSON representation");
  return json;
}

/**
 * Lowercase hex SHA-256 of the canonical JSON of the tool's spec-defined fields
 * ({@link HASHED_TOOL_FIELDS}). Key order and whitespace do not change it; any change to a value a
 * client sees does, including array order (JSON arrays are ordered, and `enum` order is shown to
 * the model).
 */
export async function toolHash(tool: McpToolDefinition): Promise<string> {
  return sha256Hex(canonicalJson(hashedToolView(tool)));
}
