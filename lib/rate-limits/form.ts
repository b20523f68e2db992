/**
 * The rate-limit editor's form fields → the API's input shape. Text stays text where the verb
 * validates it (a limit that is not a whole number reaches zod as text and is refused there).
 */
import { formText, wholeNumber } from "@core/text/form-fields";
import type { RateLimitInputRaw } from "./schemas";

export function rateLimitInputFromForm(form: FormData): RateLimitInputRaw {
  const scope = formText(form, "scope") as "mcp" | "llm" | "all";
  const mcp = scope === "mcp";
  return {
    name: formText(form, "name"),
    subject: formText(form, "subject"),
    per: formText(form, "per") as "user" | "team" | "token",
    scope,
    // Server and tool fields are ignored outside an MCP scope, so switching the scope needs no clearing.
    server: mcp ? formText(form, "server") || null : null,
    tool: mcp ? formText(form, "tool") || null : null,
    limit: wholeNumber(formText(form, "limit")) as number,
    window: formText(form, "window"),
    enabled: form.get("enabled") === "on",
  };
}
