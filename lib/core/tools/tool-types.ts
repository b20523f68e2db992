/**
 * One tool as an MCP server returns it from `tools/list` (the spec's `Tool`, protocol 2025-11-25).
 * A plain interface rather than the SDK's zod type so pure modules, the console and the Worker can
 * share it without pulling in the SDK.
 */
export interface McpToolDefinition {
  name: string;
  title?: string;
  description?: string;
  /** JSON Schema (2020-12 by default) for the arguments; the spec requires `type: "object"` at the root. */
  inputSchema: Record<string, unknown>;
  /** JSON Schema for `structuredContent` of the result, when the tool declares one. */
  outputSchema?: Record<string, unknown>;
  /** Hints such as `readOnlyHint`, `destructiveHint`; untrusted unless the server is. */
  annotations?: Record<string, unknown>;
  /** Added in 2025-11-25: icons a client may display next to the tool. */
  icons?: Record<string, unknown>[];
  /** Added in 2025-11-25: execution properties such as `taskSupport`. */
  execution?: Record<string, unknown>;
  _meta?: Record<string, unknown>;
}
