import { z } from "zod";
import { describeZodError } from "@core/zod/helpers";
import { DomainError } from "../errors";
import { hasDatabaseCode, UNIQUE_VIOLATION } from "@/db/errors";
import { redactUrlsInText } from "@core/net/redact-url";

export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), fields: z.record(z.string(), z.string()).optional() }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** Maps any thrown value to status + error body; unknown errors become a 500 that reveals nothing. */
export function toProblem(error: unknown, where?: string): { status: number; body: ErrorBody } {
  if (error instanceof z.ZodError) {
    const { message, fields } = describeZodError(error, where);
    return { status: 400, body: { error: { code: "VALIDATION_ERROR", message, fields } } };
  }
  if (error instanceof DomainError) {
    const fields = "fieldErrors" in error && Object.keys(error.fieldErrors as object).length ? (error.fieldErrors as Record<string, string>) : undefined;
    // A message may quote a URL the caller may not see whole (a server's, with a key in it).
    return { status: error.status, body: { error: { code: error.code, message: redactUrlsInText(error.message), ...(fields ? { fields } : {}) } } };
  }
  // Two writers racing for the same unique name: the loser's insert hits the unique index (23505),
  // after its own "already exists?" check passed. That is a conflict, not our failure.
  if (hasDatabaseCode(error, UNIQUE_VIOLATION)) {
    return { status: 409, body: { error: { code: "CONFLICT", message: "It already exists (another change took the same name at the same time); reload and try again" } } };
  }
  // Text the boundaries should have refused (NUL, invalid Unicode) but a path they do not guard
  // let through: the caller's input, so a 400 that says what, not a 500.
  if (hasDatabaseCode(error, INVALID_TEXT_CODES)) {
    return { status: 400, body: { error: { code: "INVALID_TEXT", message: "Some text contains a NUL character or invalid Unicode, which cannot be stored" } } };
  }
  return { status: 500, body: { error: { code: "INTERNAL_ERROR", message: "Something went wrong on our side; the error was logged" } } };
}

/** character_not_in_repertoire (NUL in text), untranslatable_character (a lone surrogate in jsonb). */
const INVALID_TEXT_CODES = new Set(["22021", "22P05"]);

/**
 * An unexpected failure as a log line, without what the caller sent: a failed query's message
 * carries its parameters (user input, possibly secrets), so that part is cut, here and in causes.
 */
export function describeFailure(error: unknown): string {
  const strip = (text: string) => text.replace(/\nparams: [^\n]*/g, "\nparams: [not logged]");
  if (!(error instanceof Error)) return strip(String(error));
  let out = strip(error.stack ?? `${error.name}: ${error.message}`);
  let cause: unknown = error.cause;
  for (let depth = 0; cause && depth < 3; depth++, cause = cause instanceof Error ? cause.cause : undefined) {
    out += `\ncaused by: ${cause instanceof Error ? strip(`${cause.name}: ${cause.message}`) : strip(String(cause))}`;
  }
  return out;
}
