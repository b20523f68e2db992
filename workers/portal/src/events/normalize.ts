/** The event contract at the edge: what the console accepts, checked before an event leaves the request. */
import { isBuiltEvent } from "@core/events/built";
import { EVENT_ARGUMENTS_LIMIT, EVENT_RESULT_EXCERPT_LIMIT } from "@core/events/detail";
import { EVENT_ERROR_LIMIT, eventCount, eventText, LLM_LOG_LIMIT, LlmEvent, PortalEvent, type AnyEvent } from "@core/events/schema";

const TEXT_FIELDS = ["email", "clientName", "clientVersion", "clientIp", "clientCountry", "sessionId", "method", "endpoint", "serverSlug", "tool", "prompt", "reason", "ruleId", "model", "providerSlug", "operation"] as const;
const LONG_FIELDS = ["serverUrl", "resourceUri", "error"] as const;
const LOG_FIELDS = ["requestLog", "responseLog"] as const;
const COUNT_FIELDS = ["durationMs", "bytesIn", "bytesOut", "resultTokens", "inputTokens", "outputTokens", "cachedInputTokens", "cacheWriteTokens"] as const;

/**
 * Brings an event within the contract's limits (long strings clipped, counts rounded and clamped)
 * and validates it, so nothing the console would refuse is sent. Text a caller chose (a client
 * name, a tool name, a prompt) may hold NUL or unpaired surrogates, which the console's database
 * refuses: replaced here, or the console would refuse the event — a caller could keep its own calls
 * out of the audit log. Throws a TypeError naming the broken fields when it cannot be made valid.
 *
 * An event the portal's builders made (`mcpEvent`, `llmEvent`: lib/core/events, frozen and marked
 * by built.ts) already is all that, as lib/core/events/builders.test.ts proves over hostile input:
 * it is returned as it is, without the schema's parse on every call. Anything else — an event that
 * arrived as JSON — is checked in full.
 */
export function normalizeEvent(input: AnyEvent): AnyEvent {
  if (isBuiltEvent(input)) return input;
  const event: Record<string, unknown> = { ...input };
  const text = (f: string, limit?: number) => {
    if (typeof event[f] === "string") event[f] = eventText(event[f] as string, limit);
  };
  for (const f of TEXT_FIELDS) text(f);
  for (const f of LONG_FIELDS) text(f, EVENT_ERROR_LIMIT);
  for (const f of LOG_FIELDS) text(f, LLM_LOG_LIMIT);
  text("arguments", EVENT_ARGUMENTS_LIMIT);
  text("resultExcerpt", EVENT_RESULT_EXCERPT_LIMIT);
  for (const f of COUNT_FIELDS) {
    const n = event[f];
    if (typeof n === "number" && Number.isFinite(n)) event[f] = eventCount(n);
  }
  const parsed = (event.kind === "llm" ? LlmEvent : PortalEvent).safeParse(event);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new TypeError(`event ${String(input.id)} breaks the event contract (${where})`);
  }
  return parsed.data;
}

/**
 * The UTF-8 size of a text, as `TextEncoder` would encode it (a lone surrogate as U+FFFD, 3 bytes),
 * counted without encoding: every event is measured on its way out, and the copy an encoder makes
 * cost more than the count.
 */
export function byteLength(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a surrogate pair: two code units, four bytes
      i++;
    } else bytes += 2;
  }
  return bytes;
}
