import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeLlmProvider, type FakeLlmProvider } from "@/testing/fake-llm";
import { SseUsageTracker, usageFromJson } from "./usage";

const KEY = "sk-test-fake-provider-key-0123456789";
let provider: FakeLlmProvider;

beforeAll(async () => {
  provider = await startFakeLlmProvider({ expectedKey: KEY });
});
afterAll(() => provider.close());
beforeEach(async () => {
  await fetch(`${provider.url}/__fake/requests`, { method: "DELETE" });
});

const openai = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${provider.url}/v1/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const anthropic = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${provider.url}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": KEY, "anthropic-version": "2023-06-01", "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

interface SseEvent {
  event: string | null;
  data: string;
}
function parseSse(text: string): SseEvent[] {
  return text
    .split("\n\n")
    .filter(Boolean)
    .map((block) => {
      const lines = block.split("\n");
      const event = lines.find((l) => l.startsWith("event: "))?.slice(7) ?? null;
      return { event, data: lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n") };
    });
}
async function sse(res: Response): Promise<{ events: SseEvent[]; raw: Uint8Array }> {
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
  const raw = new Uint8Array(await res.arrayBuffer());
  return { events: parseSse(new TextDecoder().decode(raw)), raw };
}
function trackerUsage(raw: Uint8Array) {
  const tracker = new SseUsageTracker();
  tracker.push(raw);
  return tracker.finish();
}

const chatBody = { model: "gpt-4o-mini", messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "hello there  world" }] };

describe("OpenAI chat completions", () => {
  it("answers JSON with an echo and word-count usage", async () => {
    const res = await openai("chat/completions", chatBody);
    expect(res.status).toBe(200);
    const json = await res.json();
    expect(json).toMatchObject({
      object: "chat.completion",
      model: "gpt-4o-mini",
      choices: [{ index: 0, message: { role: "assistant", content: "echo: hello there world" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9, prompt_tokens_details: { cached_tokens: 0 } },
    });
    expect(json.id).toMatch(/^chatcmpl-/);
  });

  it("cuts the reply to max_tokens words and reports cached tokens on request", async () => {
    const json = await (await openai("chat/completions", { ...chatBody, max_tokens: 2 }, { "x-fake-cached-tokens": "3" })).json();
    expect(json.choices[0]).toMatchObject({ message: { content: "echo: hello" }, finish_reason: "length" });
    expect(json.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 3 } });
  });

  it("streams chunks ending with [DONE], without usage unless asked", async () => {
    const { events, raw } = await sse(await openai("chat/completions", { ...chatBody, stream: true }));
    expect(events.at(-1)).toEqual({ event: null, data: "[DONE]" });
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
    expect(chunks.every((c) => c.object === "chat.completion.chunk" && !("usage" in c))).toBe(true);
    expect(chunks[0].choices[0].delta).toEqual({ role: "assistant", content: "", refusal: null });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("echo: hello there world");
    expect(chunks.at(-1).choices[0].finish_reason).toBe("stop");
    expect(trackerUsage(raw)).toBeNull();
  });

  it("streams a final usage chunk with choices: [] when include_usage is set, as OpenAI does", async () => {
    const { events, raw } = await sse(await openai("chat/completions", { ...chatBody, stream: true, stream_options: { include_usage: true } }));
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
    expect(chunks.slice(0, -1).every((c) => c.usage === null && c.choices.length === 1)).toBe(true);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 4 } });
    const nonStream = usageFromJson("openai", "chat.completions", await (await openai("chat/completions", chatBody)).json());
    expect(trackerUsage(raw)).toEqual(nonStream);
  });
});

describe("OpenAI responses", () => {
  const body = { model: "gpt-4o", instructions: "Answer shortly.", input: [{ role: "user", content: [{ type: "input_text", text: "what is up" }] }] };

  it("answers JSON", async () => {
    const json = await (await openai("responses", body)).json();
    expect(json).toMatchObject({
      object: "response",
      status: "completed",
      model: "gpt-4o",
      output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text: "echo: what is up" }] }],
      usage: { input_tokens: 5, output_tokens: 4, input_tokens_details: { cached_tokens: 0 } },
    });
    const plain = await (await openai("responses", { model: "gpt-4o", input: "one two" })).json();
    expect(plain.usage).toMatchObject({ input_tokens: 2, output_tokens: 3 });
  });

  it("streams named events from response.created to response.completed", async () => {
    const { events, raw } = await sse(await openai("responses", { ...body, stream: true }));
    const types = events.map((e) => e.event);
    expect(types[0]).toBe("response.created");
    expect(types.at(-1)).toBe("response.completed");
    expect(types).toContain("response.output_text.delta");
    const parsed = events.map((e) => JSON.parse(e.data));
    expect(parsed.every((p, i) => p.type === types[i] && p.sequence_number === i)).toBe(true);
    expect(parsed.filter((p) => p.type === "response.output_text.delta").map((p) => p.delta).join("")).toBe("echo: what is up");
    expect(parsed[0].response.usage).toBeNull();
    expect(trackerUsage(raw)).toEqual(usageFromJson("openai", "responses", await (await openai("responses", body)).json()));
  });

  it("ends incomplete when max_output_tokens cuts the reply", async () => {
    const { events, raw } = await sse(await openai("responses", { ...body, stream: true, max_output_tokens: 2 }));
    const last = JSON.parse(events.at(-1)!.data);
    expect(last).toMatchObject({ type: "response.incomplete", response: { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } } });
    expect(trackerUsage(raw)?.outputTokens).toBe(2);
  });
});

describe("OpenAI embeddings and models", () => {
  it("embeds deterministically, as floats or base64", async () => {
    const body = { model: "text-embedding-3-small", input: ["a b c", "d"], dimensions: 4 };
    const json = await (await openai("embeddings", body)).json();
    expect(json).toMatchObject({ object: "list", model: "text-embedding-3-small", usage: { prompt_tokens: 4, total_tokens: 4 } });
    expect(json.data).toHaveLength(2);
    expect(json.data[0].embedding).toHaveLength(4);
    expect((await (await openai("embeddings", body)).json()).data).toEqual(json.data);
    const b64 = await (await openai("embeddings", { ...body, encoding_format: "base64" })).json();
    const floats = new Float32Array(new Uint8Array(Buffer.from(b64.data[0].embedding, "base64")).buffer);
    expect(Array.from(floats)).toEqual(json.data[0].embedding);
    expect(usageFromJson("openai", "embeddings", json)?.inputTokens).toBe(4);
  });

  it("counts a pre-tokenised input by its length", async () => {
    const json = await (await openai("embeddings", { model: "text-embedding-3-small", input: [1, 2, 3] })).json();
    expect(json.usage.prompt_tokens).toBe(3);
    expect(json.data[0].embedding).toHaveLength(8);
  });

  it("lists models", async () => {
    const json = await (await openai("models")).json();
    expect(json.object).toBe("list");
    expect(json.data.map((m: { id: string }) => m.id)).toContain("gpt-4o-mini");
    expect(json.data[0]).toMatchObject({ object: "model", owned_by: "system" });
  });
});

describe("Anthropic messages", () => {
  const body = { model: "claude-sonnet-4-5", max_tokens: 100, system: [{ type: "text", text: "You echo." }], messages: [{ role: "user", content: [{ type: "text", text: "ping pong" }] }] };

  it("answers JSON with usage and cache counts", async () => {
    const res = await anthropic(body, { "x-fake-cached-tokens": "1", "x-fake-cache-write-tokens": "2" });
    const json = await res.json();
    expect(json).toMatchObject({
      type: "message",
      role: "assistant",
      content: [{ type: "text", text: "echo: ping pong" }],
      stop_reason: "end_turn",
      usage: { input_tokens: 1, cache_read_input_tokens: 1, cache_creation_input_tokens: 2, output_tokens: 3 },
    });
    expect(res.headers.get("request-id")).toMatch(/^req_/);
  });

  it("streams message_start … message_stop, and the tracker reads it like the JSON answer", async () => {
    const { events, raw } = await sse(await anthropic({ ...body, stream: true }));
    expect(events.map((e) => e.event)).toEqual([
      "message_start",
      "content_block_start",
      "ping",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    const parsed = events.map((e) => JSON.parse(e.data));
    expect(parsed.every((p, i) => p.type === events[i]!.event)).toBe(true);
    expect(parsed[0].message.usage).toMatchObject({ input_tokens: 4, output_tokens: 1 });
    expect(parsed[7]).toMatchObject({ delta: { stop_reason: "end_turn" }, usage: { output_tokens: 3 } });
    expect(trackerUsage(raw)).toEqual(usageFromJson("anthropic", "messages", await (await anthropic(body)).json()));
  });

  it("stops at max_tokens", async () => {
    const json = await (await anthropic({ ...body, max_tokens: 1 })).json();
    expect(json).toMatchObject({ stop_reason: "max_tokens", content: [{ text: "echo:" }], usage: { output_tokens: 1 } });
  });
});

describe("errors in each provider's format", () => {
  it("refuses a missing or wrong OpenAI key", async () => {
    const missing = await fetch(`${provider.url}/v1/models`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ error: { message: expect.any(String), type: "invalid_request_error", param: null, code: null } });
    const wrong = await openai("models", undefined, { authorization: "Bearer sk-wrong" });
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error.code).toBe("invalid_api_key");
  });

  it("refuses a missing or wrong Anthropic key, and a missing anthropic-version", async () => {
    const attempts: Record<string, string>[] = [{ "x-api-key": "" }, { "x-api-key": "sk-ant-wrong" }, { authorization: `Bearer ${KEY}`, "x-api-key": "" }];
    for (const headers of attempts) {
      const res = await anthropic({ model: "c", max_tokens: 1, messages: [] }, headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ type: "error", error: { type: "authentication_error", message: expect.any(String) } });
    }
    const noVersion = await anthropic({ model: "c", max_tokens: 1, messages: [] }, { "anthropic-version": "" });
    expect(noVersion.status).toBe(400);
    expect((await noVersion.json()).error.type).toBe("invalid_request_error");
  });

  it("forces 429 and 500 on request", async () => {
    const limited = await openai("chat/completions", chatBody, { "x-fake-status": "429" });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(await limited.json()).toMatchObject({ error: { type: "requests", code: "rate_limit_exceeded" } });
    const broken = await openai("chat/completions", chatBody, { "x-fake-status": "500" });
    expect(broken.status).toBe(500);
    expect((await broken.json()).error.type).toBe("server_error");
    const anthropicLimited = await anthropic({ model: "c", max_tokens: 1, messages: [] }, { "x-fake-status": "429" });
    expect(anthropicLimited.status).toBe(429);
    expect(await anthropicLimited.json()).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
    const anthropicBroken = await anthropic({ model: "c", max_tokens: 1, messages: [] }, { "x-fake-status": "500" });
    expect(await anthropicBroken.json()).toMatchObject({ type: "error", error: { type: "api_error" } });
  });

  it("answers unknown paths, wrong methods and bad bodies with errors", async () => {
    expect((await openai("files", {})).status).toBe(404);
    expect((await openai("chat/completions")).status).toBe(405);
    const bad = await fetch(`${provider.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${KEY}` }, body: "{not json" });
    expect(bad.status).toBe(400);
    expect((await openai("chat/completions", { model: "m" })).status).toBe(400);
    expect((await anthropic({ model: "c", messages: [] })).status).toBe(400);
  });
});

describe("recording and streaming behaviour", () => {
  it("records every request, serves and clears them", async () => {
    await openai("chat/completions", chatBody, { "x-trace": "1" });
    await anthropic({ model: "c", max_tokens: 1, messages: [] });
    const [first, second] = provider.requests();
    expect(first).toMatchObject({ method: "POST", path: "/v1/chat/completions", body: chatBody });
    expect(first?.headers).toMatchObject({ authorization: `Bearer ${KEY}`, "x-trace": "1" });
    expect(second).toMatchObject({ path: "/v1/messages", headers: { "x-api-key": KEY, "anthropic-version": "2023-06-01" } });
    expect(first?.finishedAt).toBeGreaterThanOrEqual(first!.startedAt);
    const served = await (await fetch(`${provider.url}/__fake/requests`)).json();
    expect(served.requests).toHaveLength(2);
    expect((await fetch(`${provider.url}/__fake/requests`, { method: "DELETE" })).status).toBe(204);
    expect(provider.requests()).toEqual([]);
  });

  it("delivers a delayed stream's first chunk before it sends the last", async () => {
    const started = Date.now();
    const res = await openai("chat/completions", { ...chatBody, stream: true, stream_options: { include_usage: true } }, { "x-fake-chunk-delay-ms": "300" });
    const reader = res.body!.getReader();
    const first = await reader.read();
    const firstAt = Date.now();
    expect(new TextDecoder().decode(first.value)).toMatch(/^data: \{"id":"chatcmpl-/);
    expect(provider.requests().at(-1)?.finishedAt).toBeNull();
    const tracker = new SseUsageTracker();
    tracker.push(first.value!);
    for (let r = await reader.read(); !r.done; r = await reader.read()) tracker.push(r.value);
    const doneAt = Date.now();
    // 8 events, 300 ms apart: the first arrives long before the stream ends.
    expect(firstAt - started).toBeLessThan(1000);
    expect(doneAt - firstAt).toBeGreaterThanOrEqual(1800);
    expect(provider.requests().at(-1)?.finishedAt).not.toBeNull();
    expect(tracker.finish()).toMatchObject({ inputTokens: 5, outputTokens: 4 });
  });

  it("runs on its own: node testing/servers/fake-llm-provider.mjs", async () => {
    const script = path.join(process.cwd(), "testing", "servers", "fake-llm-provider.mjs");
    const child = spawn(process.execPath, [script], { env: { ...process.env, PORT: "0", FAKE_LLM_EXPECTED_KEY: "k" }, stdio: ["ignore", "pipe", "pipe"] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("fake provider did not start")), 10_000);
        let out = "";
        child.stdout!.on("data", (d: Buffer) => {
          out += d.toString();
          const match = /fake-llm-provider listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        child.once("exit", (code) => reject(new Error(`exited ${code}`)));
      });
      expect((await fetch(`${url}/v1/models`, { headers: { authorization: "Bearer k" } })).status).toBe(200);
      expect((await fetch(`${url}/v1/models`, { headers: { authorization: "Bearer nope" } })).status).toBe(401);
    } finally {
      child.kill("SIGTERM");
    }
  });
});
