import type { LlmProvider } from "@core/llm/providers";

export type ErrorKind = "auth" | "permission" | "not_found" | "invalid" | "too_large" | "rate_limit" | "budget" | "unavailable" | "upstream";

const OPENAI_TYPES: Record<ErrorKind, [string, string]> = {
  auth: ["invalid_request_error", "invalid_api_key"],
  permission: ["permission_error", "access_denied"],
  not_found: ["invalid_request_error", "not_found"],
  invalid: ["invalid_request_error", "invalid_request"],
  too_large: ["invalid_request_error", "request_too_large"],
  rate_limit: ["rate_limit_error", "rate_limit_exceeded"],
  budget: ["insufficient_quota", "budget_exceeded"],
  unavailable: ["server_error", "service_unavailable"],
  upstream: ["server_error", "upstream_unreachable"],
};
const ANTHROPIC_TYPES: Record<ErrorKind, string> = {
  auth: "authentication_error",
  permission: "permission_error",
  not_found: "not_found_error",
  invalid: "invalid_request_error",
  too_large: "request_too_large",
  rate_limit: "rate_limit_error",
  budget: "rate_limit_error",
  unavailable: "api_error",
  upstream: "api_error",
};

/** An error the way the provider's SDKs read it. */
export function llmError(format: LlmProvider, status: number, kind: ErrorKind, message: string, headers: Record<string, string> = {}): Response {
  const body =
    format === "anthropic"
      ? { type: "error", error: { type: ANTHROPIC_TYPES[kind], message } }
      : { error: { message, type: OPENAI_TYPES[kind][0], code: OPENAI_TYPES[kind][1], param: null } };
  return Response.json(body, { status, headers: { "cache-control": "no-store", ...headers } });
}
