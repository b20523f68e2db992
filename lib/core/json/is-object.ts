/** A parsed JSON value that is an object (not null, not an array): what a JSON-RPC message, its params and `_meta` must be. */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
