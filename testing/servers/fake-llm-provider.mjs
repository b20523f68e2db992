#!/usr/bin/env node
/**
 * A fake LLM provider speaking OpenAI's and Anthropic's real wire formats, deterministic, so the
 * gateway's metering, caching and streaming can be tested without a network or a bill.
 *
 *   node testing/servers/fake-llm-provider.mjs      (PORT, default 0 = a free port;
 *     FAKE_LLM_CHUNK_DELAY_MS, FAKE_LLM_EXPECTED_KEY optional)
 *   → prints "fake-llm-provider listening on http://127.0.0.1:<port>"
 *
 * OpenAI (base URL `<url>/v1`, `Authorization: Bearer <key>`):
 *   POST /v1/chat/completions   JSON, or SSE `chat.completion.chunk`s then `data: [DONE]`; with
 *                               `stream_options.include_usage` every chunk has `"usage": null` and
 *                               a last chunk has `choices: []` and the usage, as OpenAI sends it
 *   POST /v1/responses          JSON, or SSE with `event:` lines: response.created, .in_progress,
 *                               .output_item.added, .content_part.added, .output_text.delta…,
 *                               .output_text.done, .content_part.done, .output_item.done,
 *                               response.completed (response.incomplete when cut by max_output_tokens)
 *   POST /v1/embeddings         `encoding_format` float (default) or base64; `dimensions` (default 8)
 *   GET  /v1/models
 * Anthropic (`x-api-key: <key>`, `anthropic-version` required):
 *   POST /v1/messages           JSON, or SSE: message_start, content_block_start, ping,
 *                               content_block_delta…, content_block_stop, message_delta, message_stop
 *   GET  /v1/models             (with `anthropic-version`) a page: `limit` (default 20, at most
 *                               1000), `data`, `has_more`, `first_id`, `last_id`
 *
 * Determinism: the reply is "echo: <text of the last user message>", whitespace-normalised and cut
 * to `max_tokens` (`max_completion_tokens`, `max_output_tokens`) words. Tokens are words:
 *   input tokens  = whitespace-separated words in every message's text, plus the system prompt
 *                   (`system`, `instructions`); for embeddings the words of each input string (a
 *                   pre-tokenised input counts its length)
 *   output tokens = words in the reply. A stream sends one word per delta.
 * Per-request headers:
 *   x-fake-chunk-delay-ms: N    wait N ms between SSE events (default: the chunkDelayMs option)
 *   x-fake-status: 4xx|5xx      answer with that status in the provider's error format
 *   x-fake-cached-tokens: N     report N input tokens as cache reads (OpenAI: inside the input;
 *                               Anthropic: taken out of input_tokens)
 *   x-fake-cache-write-tokens: N  Anthropic: report N input tokens as cache writes
 * Auth: with `expectedKey`, a missing or wrong key → 401 in the provider's format; without, any
 * key (or none) is accepted.
 * Recording: GET /__fake/requests → { requests: [{ method, path, headers, body, startedAt,
 * finishedAt }] } (finishedAt is null while the answer is still being sent); DELETE clears them.
 */
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";

const DEFAULT_MODELS = ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small"];
const DEFAULT_ANTHROPIC_MODELS = ["claude-sonnet-4-5", "claude-haiku-4-5"];

const words = (text) => (typeof text === "string" ? text.split(/\s+/).filter(Boolean) : []);

/** Text of an OpenAI/Anthropic content value: a string, or an array of text parts. */
function contentText(content) {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => (part && typeof part === "object" && typeof part.text === "string" ? part.text : ""))
    .filter(Boolean)
    .join(" ");
}

/** `{ allText, lastUserText }` of a list of messages (chat, Anthropic, Responses input items). */
function conversation(messages, systemTexts = []) {
  const texts = [...systemTexts];
  let lastUserText = "";
  for (const message of Array.isArray(messages) ? messages : []) {
    if (!message || typeof message !== "object") continue;
    const text = contentText(message.content);
    texts.push(text);
    if (message.role === "user") lastUserText = text;
  }
  return { allText: texts.join(" "), lastUserText };
}

function reply(lastUserText, maxTokens) {
  const all = ["echo:", ...words(lastUserText)];
  const limit = Number.isInteger(maxTokens) && maxTokens > 0 ? maxTokens : Infinity;
  const kept = all.slice(0, limit);
  return { text: kept.join(" "), deltas: kept.map((w, i) => (i === 0 ? w : ` ${w}`)), outputTokens: kept.length, truncated: kept.length < all.length };
}

function headerInt(req, name) {
  const value = Number(req.headers[name]);
  return Number.isInteger(value) && value > 0 ? value : 0;
}

const OPENAI_ERRORS = {
  400: ["invalid_request_error", null],
  401: ["invalid_request_error", "invalid_api_key"],
  403: ["invalid_request_error", "unsupported_country_region_territory"],
  404: ["invalid_request_error", "model_not_found"],
  429: ["requests", "rate_limit_exceeded"],
};
const ANTHROPIC_ERRORS = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  529: "overloaded_error",
};

/**
 * @param {object} [options]
 * @param {number} [options.port=0] 0 picks a free port
 * @param {string} [options.host="127.0.0.1"]
 * @param {number} [options.chunkDelayMs=0] default wait between SSE events
 * @param {string} [options.expectedKey] the only API key accepted (any when absent)
 * @param {string[]} [options.models] ids GET /v1/models lists
 * @param {string[]} [options.anthropicModels] ids GET /v1/models lists to an Anthropic client
 */
export async function startFakeLlmProvider({ port = 0, host = "127.0.0.1", chunkDelayMs = 0, expectedKey, models = DEFAULT_MODELS, anthropicModels = DEFAULT_ANTHROPIC_MODELS } = {}) {
  const recorded = [];
  let sequence = 0;
  const nextId = (prefix, separator = "_") => `${prefix}${separator}fake${String(++sequence).padStart(6, "0")}`;
  const now = () => Math.floor(Date.now() / 1000);

  const sendJson = (res, status, body, headers = {}) => {
    res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
  };
  const openAiError = (res, status, message, type, code) => {
    const [defType, defCode] = OPENAI_ERRORS[status] ?? ["server_error", null];
    const error = { message, type: type ?? defType, param: null, code: code === undefined ? defCode : code };
    sendJson(res, status, { error }, status === 429 ? { "retry-after": "1" } : {});
  };
  const anthropicError = (res, status, message, type) => {
    sendJson(
      res,
      status,
      { type: "error", error: { type: type ?? ANTHROPIC_ERRORS[status] ?? "api_error", message }, request_id: nextId("req") },
      status === 429 ? { "retry-after": "1" } : {},
    );
  };

  /** Writes SSE events one by one, waiting `delay` ms between them; stops if the client left. */
  async function stream(req, res, events, { named }) {
    const delay = req.headers["x-fake-chunk-delay-ms"] !== undefined ? headerInt(req, "x-fake-chunk-delay-ms") : chunkDelayMs;
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive" });
    res.flushHeaders();
    for (let i = 0; i < events.length; i++) {
      if (i > 0 && delay > 0) await sleep(delay);
      if (res.destroyed) return;
      const event = events[i];
      const data = event === "[DONE]" ? "[DONE]" : JSON.stringify(event);
      res.write(named && event !== "[DONE]" ? `event: ${event.type}\ndata: ${data}\n\n` : `data: ${data}\n\n`);
    }
    res.end();
  }

  // --- OpenAI -------------------------------------------------------------------------------------

  function chatCompletions(req, res, body) {
    if (typeof body.model !== "string" || !Array.isArray(body.messages)) {
      return openAiError(res, 400, "you must provide a model parameter and a messages array");
    }
    const { allText, lastUserText } = conversation(body.messages);
    const out = reply(lastUserText, body.max_completion_tokens ?? body.max_tokens);
    const inputTokens = words(allText).length;
    const cached = Math.min(inputTokens, headerInt(req, "x-fake-cached-tokens"));
    const usage = {
      prompt_tokens: inputTokens,
      completion_tokens: out.outputTokens,
      total_tokens: inputTokens + out.outputTokens,
      prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    };
    const id = nextId("chatcmpl", "-");
    const created = now();
    const finishReason = out.truncated ? "length" : "stop";
    if (body.stream !== true) {
      return sendJson(res, 200, {
        id,
        object: "chat.completion",
        created,
        model: body.model,
        choices: [{ index: 0, message: { role: "assistant", content: out.text, refusal: null, annotations: [] }, logprobs: null, finish_reason: finishReason }],
        usage,
        service_tier: "default",
        system_fingerprint: "fp_fake",
      });
    }
    const includeUsage = body.stream_options?.include_usage === true;
    const chunk = (choices, extra = {}) => ({
      id,
      object: "chat.completion.chunk",
      created,
      model: body.model,
      service_tier: "default",
      system_fingerprint: "fp_fake",
      choices,
      ...(includeUsage ? { usage: null } : {}),
      ...extra,
    });
    const events = [
      chunk([{ index: 0, delta: { role: "assistant", content: "", refusal: null }, logprobs: null, finish_reason: null }]),
      ...out.deltas.map((content) => chunk([{ index: 0, delta: { content }, logprobs: null, finish_reason: null }])),
      chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason }]),
      ...(includeUsage ? [chunk([], { usage })] : []),
      "[DONE]",
    ];
    return stream(req, res, events, { named: false });
  }

  function responses(req, res, body) {
    if (typeof body.model !== "string" || (typeof body.input !== "string" && !Array.isArray(body.input))) {
      return openAiError(res, 400, "you must provide a model parameter and an input");
    }
    const system = typeof body.instructions === "string" ? [body.instructions] : [];
    const items = typeof body.input === "string" ? [{ role: "user", content: body.input }] : body.input;
    const { allText, lastUserText } = conversation(items, system);
    const out = reply(lastUserText, body.max_output_tokens);
    const inputTokens = words(allText).length;
    const cached = Math.min(inputTokens, headerInt(req, "x-fake-cached-tokens"));
    const usage = {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: cached },
      output_tokens: out.outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + out.outputTokens,
    };
    const id = nextId("resp");
    const itemId = nextId("msg");
    const status = out.truncated ? "incomplete" : "completed";
    const part = (text) => ({ type: "output_text", annotations: [], logprobs: [], text });
    const item = (itemStatus, content) => ({ id: itemId, type: "message", status: itemStatus, content, role: "assistant" });
    const response = (responseStatus, output, responseUsage) => ({
      id,
      object: "response",
      created_at: now(),
      status: responseStatus,
      background: false,
      error: null,
      incomplete_details: responseStatus === "incomplete" ? { reason: "max_output_tokens" } : null,
      instructions: body.instructions ?? null,
      max_output_tokens: body.max_output_tokens ?? null,
      model: body.model,
      output,
      parallel_tool_calls: true,
      previous_response_id: body.previous_response_id ?? null,
      store: body.store ?? true,
      temperature: body.temperature ?? 1,
      text: { format: { type: "text" } },
      tool_choice: "auto",
      tools: body.tools ?? [],
      top_p: body.top_p ?? 1,
      truncation: "disabled",
      usage: responseUsage,
      user: null,
      metadata: body.metadata ?? {},
    });
    const final = response(status, [item("completed", [part(out.text)])], usage);
    if (body.stream !== true) return sendJson(res, 200, final);
    let seq = 0;
    const event = (type, fields) => ({ type, sequence_number: seq++, ...fields });
    const at = { item_id: itemId, output_index: 0, content_index: 0 };
    const events = [
      event("response.created", { response: response("in_progress", [], null) }),
      event("response.in_progress", { response: response("in_progress", [], null) }),
      event("response.output_item.added", { output_index: 0, item: item("in_progress", []) }),
      event("response.content_part.added", { ...at, part: part("") }),
      ...out.deltas.map((delta) => event("response.output_text.delta", { ...at, delta, logprobs: [] })),
      event("response.output_text.done", { ...at, text: out.text, logprobs: [] }),
      event("response.content_part.done", { ...at, part: part(out.text) }),
      event("response.output_item.done", { output_index: 0, item: item("completed", [part(out.text)]) }),
      event(`response.${status}`, { response: final }),
    ];
    return stream(req, res, events, { named: true });
  }

  function embeddings(req, res, body) {
    const inputs = typeof body.input === "string" ? [body.input] : body.input;
    if (typeof body.model !== "string" || !Array.isArray(inputs) || inputs.length === 0) {
      return openAiError(res, 400, "you must provide a model parameter and an input");
    }
    // A pre-tokenised input is an array of integers (one input) or of such arrays (several).
    const list = inputs.every((x) => typeof x === "number") ? [inputs] : inputs;
    const dimensions = Number.isInteger(body.dimensions) && body.dimensions > 0 ? Math.min(body.dimensions, 3072) : 8;
    let promptTokens = 0;
    const data = list.map((input, index) => {
      const text = typeof input === "string" ? input : JSON.stringify(input);
      promptTokens += typeof input === "string" ? words(input).length : Array.isArray(input) ? input.length : 0;
      const vector = new Float32Array(dimensions);
      for (let d = 0; d < dimensions; d++) {
        const digest = createHash("sha256").update(`${d}:${text}`).digest();
        vector[d] = digest.readUInt32BE(0) / 0xffffffff - 0.5;
      }
      const embedding = body.encoding_format === "base64" ? Buffer.from(vector.buffer).toString("base64") : Array.from(vector);
      return { object: "embedding", index, embedding };
    });
    sendJson(res, 200, { object: "list", data, model: body.model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } });
  }

  // --- Anthropic ----------------------------------------------------------------------------------

  function messages(req, res, body) {
    if (typeof body.model !== "string" || !Array.isArray(body.messages) || !Number.isInteger(body.max_tokens)) {
      return anthropicError(res, 400, "model, messages and max_tokens are required");
    }
    const system = body.system === undefined ? [] : [contentText(body.system)];
    const { allText, lastUserText } = conversation(body.messages, system);
    const out = reply(lastUserText, body.max_tokens);
    const allTokens = words(allText).length;
    const cacheRead = Math.min(allTokens, headerInt(req, "x-fake-cached-tokens"));
    const cacheWrite = Math.min(allTokens - cacheRead, headerInt(req, "x-fake-cache-write-tokens"));
    const usage = (outputTokens) => ({
      input_tokens: allTokens - cacheRead - cacheWrite,
      cache_creation_input_tokens: cacheWrite,
      cache_read_input_tokens: cacheRead,
      output_tokens: outputTokens,
      service_tier: "standard",
    });
    const id = nextId("msg");
    const stopReason = out.truncated ? "max_tokens" : "end_turn";
    const message = (content, stop, outputTokens) => ({
      id,
      type: "message",
      role: "assistant",
      model: body.model,
      content,
      stop_reason: stop,
      stop_sequence: null,
      usage: usage(outputTokens),
    });
    if (body.stream !== true) return sendJson(res, 200, message([{ type: "text", text: out.text }], stopReason, out.outputTokens), { "request-id": nextId("req") });
    const events = [
      { type: "message_start", message: message([], null, 1) },
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      { type: "ping" },
      ...out.deltas.map((text) => ({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text } })),
      { type: "content_block_stop", index: 0 },
      { type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: out.outputTokens } },
      { type: "message_stop" },
    ];
    return stream(req, res, events, { named: true });
  }

  function anthropicModelList(req, res, _body, url) {
    const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get("limit")) || 20));
    const page = anthropicModels.slice(0, limit);
    sendJson(res, 200, {
      data: page.map((id) => ({ type: "model", id, display_name: id, created_at: "2025-01-01T00:00:00Z" })),
      has_more: anthropicModels.length > page.length,
      first_id: page[0] ?? null,
      last_id: page.at(-1) ?? null,
    });
  }

  // --- Routing ------------------------------------------------------------------------------------

  const OPENAI_ROUTES = {
    "/v1/chat/completions": ["POST", chatCompletions],
    "/v1/responses": ["POST", responses],
    "/v1/embeddings": ["POST", embeddings],
    "/v1/models": ["GET", (req, res) => sendJson(res, 200, { object: "list", data: models.map((id) => ({ id, object: "model", created: 1700000000, owned_by: "system" })) })],
  };

  async function handle(req, res, url, record) {
    const raw = await new Promise((resolve, reject) => {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      req.on("error", reject);
    });
    let body = null;
    let badJson = false;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
        badJson = true;
      }
    }
    record.body = body;

    // Both APIs list models at /v1/models; Anthropic's clients always send anthropic-version.
    const anthropic = url.pathname === "/v1/messages" || (url.pathname === "/v1/models" && req.headers["anthropic-version"] !== undefined);
    const fail = anthropic ? anthropicError : openAiError;
    if (anthropic) {
      if (expectedKey !== undefined && req.headers["x-api-key"] !== expectedKey) {
        return anthropicError(res, 401, req.headers["x-api-key"] ? "invalid x-api-key" : "x-api-key header is required");
      }
      if (!req.headers["anthropic-version"]) return anthropicError(res, 400, "anthropic-version: header is required");
    } else if (url.pathname.startsWith("/v1/") && expectedKey !== undefined) {
      const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
      if (!match) return openAiError(res, 401, "You didn't provide an API key.", "invalid_request_error", null);
      if (match[1] !== expectedKey) return openAiError(res, 401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key");
    }
    const forced = Number(req.headers["x-fake-status"]);
    if (Number.isInteger(forced) && forced >= 400 && forced <= 599) return fail(res, forced, `fake provider: forced status ${forced}`);

    const route = anthropic ? (url.pathname === "/v1/models" ? ["GET", anthropicModelList] : ["POST", messages]) : OPENAI_ROUTES[url.pathname];
    if (!route) return fail(res, 404, `Invalid URL (${req.method} ${url.pathname})`, anthropic ? "not_found_error" : "invalid_request_error");
    const [method, handler] = route;
    if (req.method !== method) return fail(res, 405, `Method ${req.method} not allowed for ${url.pathname}`, "invalid_request_error");
    if (method === "POST" && (badJson || !body || typeof body !== "object" || Array.isArray(body))) {
      return fail(res, 400, "The request body is not a valid JSON object.", "invalid_request_error");
    }
    return handler(req, res, body, url);
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    if (url.pathname === "/__fake/requests") {
      if (req.method === "DELETE") {
        recorded.length = 0;
        res.writeHead(204).end();
      } else sendJson(res, 200, { requests: recorded });
      return;
    }
    const record = { method: req.method, path: url.pathname + url.search, headers: { ...req.headers }, body: null, startedAt: Date.now(), finishedAt: null };
    recorded.push(record);
    res.on("close", () => {
      record.finishedAt = Date.now();
    });
    try {
      await handle(req, res, url, record);
    } catch (error) {
      if (!res.headersSent) openAiError(res, 500, String(error));
      else res.destroy();
    }
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const actualPort = server.address().port;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${actualPort}`,
    port: actualPort,
    requests: () => structuredClone(recorded),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const provider = await startFakeLlmProvider({
    port: Number(process.env.PORT ?? 0),
    chunkDelayMs: Number(process.env.FAKE_LLM_CHUNK_DELAY_MS ?? 0),
    expectedKey: process.env.FAKE_LLM_EXPECTED_KEY || undefined,
  });
  console.log(`fake-llm-provider listening on ${provider.url}`);
  const stop = () => provider.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
