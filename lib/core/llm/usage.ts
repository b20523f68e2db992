/**
 * Token usage as the provider itself reports it, never estimated: from a JSON answer, or observed on
 * the way through a server-sent event stream with bounded memory. Pure, Web APIs only, for workerd
 * and Node. What the counts mean per provider, and the stream rules: docs/llm-gateway.md, "Token usage".
 */
import { type LlmOperation, type LlmProvider } from "./providers";

export interface LlmUsage {
  /** The model the provider says answered (may be a dated snapshot of the requested one). */
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  /** Input tokens read from the provider's prompt cache. */
  cachedInputTokens: number;
  /** Input tokens written to the prompt cache (Anthropic only; OpenAI caches for free). */
  cacheWriteTokens: number;
}

type Json = Record<string, unknown>;

function obj(value: unknown): Json | null {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Json) : null;
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

function modelOf(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

/** Where a provider's usage object keeps each count; an absent or invalid one counts 0. */
interface RawCounts {
  input: unknown;
  output: unknown;
  cachedInput: unknown;
  cacheWrite?: unknown;
}

/** A reader of one provider's `usage` object (null when it is not an object). */
function usageReader(countsOf: (usage: Json) => RawCounts): (usage: unknown, model: unknown) => LlmUsage | null {
  return (usage, model) => {
    const u = obj(usage);
    if (!u) return null;
    const c = countsOf(u);
    return {
      model: modelOf(model),
      inputTokens: count(c.input),
      outputTokens: count(c.output),
      cachedInputTokens: count(c.cachedInput),
      cacheWriteTokens: count(c.cacheWrite),
    };
  };
}

/** Chat Completions (`prompt_tokens`, …) and Embeddings (`prompt_tokens` only). */
const openAiChatUsage = usageReader((u) => ({ input: u.prompt_tokens, output: u.completion_tokens, cachedInput: obj(u.prompt_tokens_details)?.cached_tokens }));
const openAiResponsesUsage = usageReader((u) => ({ input: u.input_tokens, output: u.output_tokens, cachedInput: obj(u.input_tokens_details)?.cached_tokens }));
const anthropicUsage = usageReader((u) => ({ input: u.input_tokens, output: u.output_tokens, cachedInput: u.cache_read_input_tokens, cacheWrite: u.cache_creation_input_tokens }));

/** Usage from a provider's non-streamed JSON answer, or null when it reports none. */
export function usageFromJson(provider: LlmProvider, op: LlmOperation, json: unknown): LlmUsage | null {
  const body = obj(json);
  if (!body) return null;
  if (provider === "openai") {
    if (op === "chat.completions") return openAiChatUsage(body.usage, body.model);
    if (op === "responses") return openAiResponsesUsage(body.usage, body.model);
    if (op === "embeddings") {
      const usage = openAiChatUsage(body.usage, body.model);
      return usage && { ...usage, outputTokens: 0, cachedInputTokens: 0 };
    }
    return null;
  }
  return op === "messages" ? anthropicUsage(body.usage, body.model) : null;
}

/** Responses API events whose `response` is final and carries `usage`. */
const RESPONSE_FINAL_EVENTS = new Set(["response.completed", "response.incomplete", "response.failed"]);
const DEFAULT_MAX_LINE = 1 << 20;
/** What an oversized line keeps: enough for the Responses API's trailing `usage`, `user`, `metadata`. */
const TAIL_KEEP = 64 * 1024;

/**
 * The last `"usage": {…}` object with token counts in a JSON fragment (the tail of an oversized
 * event). The key must follow `{` or `,`: inside a JSON string a quote is always escaped, so text
 * that merely contains `"usage":{` (in metadata, say) cannot pose as the real one.
 */
function lastUsageObject(fragment: string): Json | null {
  const starts: number[] = [];
  const marker = /[{,]\s*"usage"\s*:\s*\{/g;
  for (let m = marker.exec(fragment); m; m = marker.exec(fragment)) starts.push(m.index + m[0].length - 1);
  for (const start of starts.reverse().slice(0, 16)) {
    const found = objectAt(fragment, start);
    if (found && (typeof found.input_tokens === "number" || typeof found.prompt_tokens === "number")) return found;
  }
  return null;
}

/** The JSON object starting at `start` (a `{` outside any string), by string-aware brace matching. */
function objectAt(fragment: string, start: number): Json | null {
  let depth = 0;
  let inString = false;
  for (let i = start; i < fragment.length; i++) {
    const c = fragment[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) {
      try {
        return obj(JSON.parse(fragment.slice(start, i + 1)));
      } catch {
        return null;
      }
    }
  }
  return null;
}

export interface SseUsageTrackerOptions {
  /** Longest line (and event data) kept whole, in UTF-16 code units. Default 1 Mi, at least 128 Ki. */
  maxLineLength?: number;
}

/**
 * Observes an SSE response from OpenAI (Chat Completions with `include_usage`, Responses API) or
 * Anthropic (Messages) and reports its usage. The format is recognised from the events themselves.
 */
export class SseUsageTracker {
  private readonly decoder = new TextDecoder();
  private readonly maxLine: number;
  private line = "";
  /** The current line outgrew the cap: `line` holds its tail; `clippedField` the field it began with. */
  private lineClipped = false;
  private clippedField = "";
  /** A `\r` ended the last chunk: a `\n` opening the next one belongs to it. */
  private skipLf = false;
  private eventName = "";
  private data = "";
  private hasData = false;
  private dataClipped = false;
  private usage: LlmUsage | null = null;

  constructor(options: SseUsageTrackerOptions = {}) {
    this.maxLine = Math.max(TAIL_KEEP * 2, options.maxLineLength ?? DEFAULT_MAX_LINE);
  }

  /** Feeds the next bytes of the stream (any size, any boundary). */
  push(chunk: Uint8Array): void {
    this.feed(this.decoder.decode(chunk, { stream: true }));
  }

  /** Ends the stream and returns the usage it reported, or null. Lenient: a last event without its blank line still counts. */
  finish(): LlmUsage | null {
    this.feed(this.decoder.decode());
    if (this.line !== "" || this.lineClipped) this.endLine();
    this.dispatch();
    return this.usage && { ...this.usage };
  }

  private feed(text: string): void {
    let start = 0;
    if (this.skipLf && text.length > 0) {
      if (text.charCodeAt(0) === 10) start = 1;
      this.skipLf = false;
    }
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.append(text.slice(start, i));
      this.endLine();
      if (c === 13) {
        if (i + 1 === text.length) this.skipLf = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    this.append(text.slice(start));
  }

  private append(piece: string): void {
    if (piece === "") return;
    this.line += piece;
    if (this.line.length <= this.maxLine) return;
    if (!this.lineClipped) {
      this.lineClipped = true;
      const colon = this.line.indexOf(":");
      this.clippedField = colon < 0 ? "" : this.line.slice(0, colon);
    }
    this.line = this.line.slice(-TAIL_KEEP);
  }

  private endLine(): void {
    const line = this.line;
    const clipped = this.lineClipped;
    this.line = "";
    this.lineClipped = false;
    if (clipped) {
      if (this.clippedField === "data") this.appendData(line, true);
      return;
    }
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.appendData(value, false);
    else if (field === "event") this.eventName = value;
  }

  private appendData(value: string, clipped: boolean): void {
    this.data = this.hasData ? `${this.data}\n${value}` : value;
    this.hasData = true;
    if (clipped || this.data.length > this.maxLine) {
      this.dataClipped = true;
      this.data = this.data.slice(-TAIL_KEEP);
    }
  }

  private dispatch(): void {
    const { eventName, data, hasData, dataClipped } = this;
    this.eventName = "";
    this.data = "";
    this.hasData = false;
    this.dataClipped = false;
    if (!hasData || !data.includes('"usage"')) return;
    if (dataClipped) {
      // Only the Responses API's final event grows this large; its usage sits near the end.
      if (eventName === "" || RESPONSE_FINAL_EVENTS.has(eventName)) {
        const found = lastUsageObject(data);
        const usage = found && "prompt_tokens" in found ? openAiChatUsage(found, null) : openAiResponsesUsage(found, null);
        if (usage) this.usage = { ...usage, model: this.usage?.model ?? null };
      }
      return;
    }
    let json: Json | null;
    try {
      json = obj(JSON.parse(data));
    } catch {
      return;
    }
    if (json) this.observe(typeof json.type === "string" ? json.type : eventName, json);
  }

  private observe(type: string, json: Json): void {
    if (type === "message_start") {
      const message = obj(json.message);
      this.usage = anthropicUsage(message?.usage, message?.model) ?? this.usage;
      return;
    }
    if (type === "message_delta") {
      // Anthropic's counts here are cumulative: the last event has the totals. Newer API versions
      // repeat the input and cache counts too; older ones send only output_tokens.
      const u = obj(json.usage);
      if (!u) return;
      const base = this.usage ?? { model: null, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0 };
      this.usage = {
        model: base.model,
        inputTokens: "input_tokens" in u ? count(u.input_tokens) : base.inputTokens,
        outputTokens: "output_tokens" in u ? count(u.output_tokens) : base.outputTokens,
        cachedInputTokens: "cache_read_input_tokens" in u ? count(u.cache_read_input_tokens) : base.cachedInputTokens,
        cacheWriteTokens: "cache_creation_input_tokens" in u ? count(u.cache_creation_input_tokens) : base.cacheWriteTokens,
      };
      return;
    }
    if (RESPONSE_FINAL_EVENTS.has(type)) {
      const response = obj(json.response);
      this.usage = openAiResponsesUsage(response?.usage, response?.model) ?? this.usage;
      return;
    }
    if (json.object === "chat.completion.chunk") {
      this.usage = openAiChatUsage(json.usage, json.model) ?? this.usage;
    }
  }
}

/**
 * Every token the call put through the model, each once, for token budgets: input, cache writes
 * and output, plus cache reads for Anthropic (OpenAI's `inputTokens` already holds its cached
 * tokens). The console's spend query (lib/budgets/spend.ts) is its SQL twin.
 */
export function totalTokens(provider: LlmProvider, usage: LlmUsage): number {
  const base = usage.inputTokens + usage.outputTokens + usage.cacheWriteTokens;
  return provider === "anthropic" ? base + usage.cachedInputTokens : base;
}
