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
  return { status: 500, body: { error: { code: "INTERNAL_ERROR", message: "Something went wrong on our side; the error was logged" } } };
}
