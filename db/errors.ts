/**
 * Whether a database error carries one of `codes` (SQLSTATE), as node-postgres and PGlite raise it:
 * on the error itself or, when drizzle wrapped it, on a `cause` a few levels down.
 */
export function hasDatabaseCode(error: unknown, codes: ReadonlySet<string>): boolean {
  for (let e: unknown = error, depth = 0; e && typeof e === "object" && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && codes.has(code)) return true;
  }
  return false;
}

/** unique_violation */
export const UNIQUE_VIOLATION: ReadonlySet<string> = new Set(["23505"]);
