/**
 * What an LLM gateway request is, decided from its path and method alone. Pure, runtime-neutral.
 *
 * Contract:
 * - `subpath` is the part after the provider's `/v1/` (`chat/completions`, `messages`), without the
 *   query string. It is matched exactly (one leading `/` tolerated): no decoding, no trailing `/`,
 *   no prefix matching, so `models/gpt-4o`, `messages/count_tokens` or `chat%2Fcompletions` are
 *   `null`. `null` means the gateway refuses the request: it forwards only operations it meters.
 * - The body helpers take the parsed JSON as `unknown` and never throw.
 */

export const LLM_PROVIDERS = ["openai", "anthropic"] as const;
export type LlmProvider = (typeof LLM_PROVIDERS)[number];

export type LlmOperation = "chat.completions" | "responses" | "embeddings" | "models" | "messages";

const ROUTES: Record<LlmProvider, Record<string, { method: string; op: LlmOperation }>> = {
  openai: {
    "chat/completions": { method: "POST", op: "chat.completions" },
    responses: { method: "POST", op: "responses" },
    embeddings: { method: "POST", op: "embeddings" },
    models: { method: "GET", op: "models" },
  },
  anthropic: {
    messages: { method: "POST", op: "messages" },
  },
};

export function isLlmProvider(value: unknown): value is LlmProvider {
  return value === "openai" || value === "anthropic";
}

/** The operation a request performs, or null when the gateway must refuse it. */
export function classifyLlmPath(provider: LlmProvider, subpath: string, method: string): LlmOperation | null {
  const path = subpath.startsWith("/") ? subpath.slice(1) : subpath;
  const routes = ROUTES[provider];
  if (!routes || !Object.hasOwn(routes, path)) return null;
  const route = routes[path];
  return route && route.method === method.toUpperCase() ? route.op : null;
}

function asObject(body: unknown): Record<string, unknown> | null {
  return body !== null && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
}

/** The model the client asked for (`body.model`), or null. */
export function requestModel(body: unknown): string | null {
  const model = asObject(body)?.model;
  return typeof model === "string" && model !== "" ? model : null;
}

const STREAMABLE: ReadonlySet<LlmOperation> = new Set(["chat.completions", "responses", "messages"]);

/** True when the provider will answer with `text/event-stream` (both providers: `"stream": true`). */
export function isStreamingRequest(_provider: LlmProvider, op: LlmOperation, body: unknown): boolean {
  return STREAMABLE.has(op) && asObject(body)?.stream === true;
}

/**
 * A streaming Chat Completions body with `stream_options.include_usage = true`, so OpenAI ends the
 * stream with a usage chunk and the gateway can meter it (without it a stream reports no usage).
 * Other `stream_options` are kept. Side effect the client sees: every chunk carries `"usage": null`
 * and one extra last chunk has `choices: []`, which OpenAI's SDKs expect. Any other request is
 * returned as is (the same object).
 */
export function withStreamUsage(op: LlmOperation, body: unknown): unknown {
  const obj = asObject(body);
  if (op !== "chat.completions" || !obj || obj.stream !== true) return body;
  const options = asObject(obj.stream_options) ?? {};
  return { ...obj, stream_options: { ...options, include_usage: true } };
}

/**
 * The most output tokens the request allows (`max_completion_tokens` or `max_tokens` for chat,
 * `max_output_tokens` for responses, `max_tokens` for Anthropic messages), or 0 when it sets none:
 * what budget admission reserves before the real usage is known.
 */
export function declaredMaxOutput(op: LlmOperation, body: unknown): number {
  const obj = asObject(body);
  if (!obj) return 0;
  const fields = op === "chat.completions" ? ["max_completion_tokens", "max_tokens"] : op === "responses" ? ["max_output_tokens"] : op === "messages" ? ["max_tokens"] : [];
  for (const f of fields) {
    const v = obj[f];
    if (typeof v === "number" && Number.isSafeInteger(v) && v > 0) return v;
  }
  return 0;
}
