/**
 * What a tool says it does to the world, from its MCP annotations (2025-03-26 and later): a hint,
 * untrusted unless the server is, but the best a reviewer has before approving.
 * - `destructive`: `destructiveHint: true` (whatever else it says: the cautious reading);
 * - `read-only`: `readOnlyHint: true`;
 * - `writes`: `readOnlyHint: false` with `destructiveHint: false` (additive updates only);
 * - `undeclared`: no usable hint. The spec's defaults then are "not read-only, may be destructive".
 */
export type ToolEffect = "read-only" | "writes" | "destructive" | "undeclared";

export function toolEffect(annotations: unknown): ToolEffect {
  const a = (typeof annotations === "object" && annotations !== null ? annotations : {}) as { readOnlyHint?: unknown; destructiveHint?: unknown };
  if (a.destructiveHint === true) return "destructive";
  if (a.readOnlyHint === true) return "read-only";
  if (a.readOnlyHint === false && a.destructiveHint === false) return "writes";
  return "undeclared";
}
