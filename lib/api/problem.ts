import { z } from "zod";
import { DomainError } from "../errors";

export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), fields: z.record(z.string(), z.string()).optional() }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** `body.name: is required; body.scopes.0: invalid option` */
export function describeZodError(error: z.ZodError, where?: string): { message: string; fields: Record<string, string> } {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.map(String).join(".") || "(root)";
    fields[key] ??= issue.message;
  }
  const message = Object.entries(fields)
    .map(([k, v]) => `${where ? `${where}.` : ""}${k}: ${v}`)
    .join("; ");
  return { message: message || "invalid input", fields };
}

/** Maps any thrown value to status + error body; unknown errors become a 500 that reveals nothing. */
export function toProblem(error: unknown, where?: string): { status: number; body: ErrorBody } {
  if (error instanceof z.ZodError) {
    const { message, fields } = describeZodError(error, where);
    return { status: 400, body: { error: { code: "VALIDATION_ERROR", message, fields } } };
  }
  if (error instanceof DomainError) {
    const fields = "fieldErrors" in error && Object.keys(error.fieldErrors as object).length ? (error.fieldErrors as Record<string, string>) : undefined;
    return { status: error.status, body: { error: { code: error.code, message: error.message, ...(fields ? { fields } : {}) } } };
  }
  // Two writers racing for the same unique name: the loser's insert hits the unique index (23505),
  // after its own "already exists?" check passed. That is a conflict, not our failure.
  if (isUniqueViolation(error)) {
    return { status: 409, body: { error: { code: "CONFLICT", message: "It already exists (another change took the same name at the same time); reload and try again" } } };
  }
  return { status: 500, body: { error: { code: "INTERNAL_ERROR", message: "Something went wrong on our side; the error was logged" } } };
}

/** PostgreSQL's unique_violation, as node-postgres and PGlite raise it (drizzle may wrap it as `cause`). */
function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && typeof e === "object" && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === "23505") return true;
  }
  return false;
}
