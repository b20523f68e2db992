import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeLlmProvider, type FakeLlmProvider } from "@/testing/fake-llm";
import { SseUsageTracker, usageFromJson, type LlmUsage } from "./usage";

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text);

function track(chunks: Iterable<Uint8Array>, options?: ConstructorParameters<typeof SseUsageTracker>[0]): LlmUsage | null {
  const tracker = new SseUsageTracker(options);
  for (const chunk of chunks) tracker.push(chunk);
  return tracker.finish();
}

function* splitAt(data: Uint8Array, cuts: number[]): Generator<Uint8Array> {
  let from = 0;
  for (const cut of [...cuts, data.length]) {
    yield data.subarray(from, cut);
    from = cut;
  }
}

/** Deterministic PRNG (mulberry32), so a failing split can be reproduced. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("usageFromJson", () => {
  it("reads Chat Completions usage, cached tokens included in the input", () => {
    const json = { model: "gpt-4o-2024-08-06", usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150, prompt_tokens_details: { cached_tokens: 100 } } };
    expect(usageFromJson("openai", "chat.completions", json)).toEqual({ model: "gpt-4o-2024-08-06", inputTokens: 120, outputTokens: 30, cachedInputTokens: 100, cacheWriteTokens: 0 });
  });

  it("reads Responses API usage", () => {
    const json = { object: "response", model: "gpt-5", usage: { input_tokens: 40, input_tokens_details: { cached_tokens: 8 }, output_tokens: 12, total_tokens: 52 } };
    expect(usageFromJson("openai", "responses", json)).toEqual({ model: "gpt-5", inputTokens: 40, outputTokens: 12, cachedInputTokens: 8, cacheWriteTokens: 0 });
  });

  it("reads Embeddings usage", () => {
    const json = { object: "list", model: "text-embedding-3-small", data: [], usage: { prompt_tokens: 9, total_tokens: 9 } };
    expect(usageFromJson("openai", "embeddings", json)).toEqual({ model: "text-embedding-3-small", inputTokens: 9, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0 });
  });

  it("reads Anthropic usage with cache reads and writes", () => {
    const json = { type: "message", model: "claude-sonnet-4-5", usage: { input_tokens: 5, output_tokens: 7, cache_read_input_tokens: 1000, cache_creation_input_tokens: 200 } };
    expect(usageFromJson("anthropic", "messages", json)).toEqual({ model: "claude-sonnet-4-5", inputTokens: 5, outputTokens: 7, cachedInputTokens: 1000, cacheWriteTokens: 200 });
  });

  it("is null when there is no usage, and reads nonsense counts as 0", () => {
    expect(usageFromJson("openai", "chat.completions", { error: { message: "rate limited" } })).toBeNull();
    expect(usageFromJson("openai", "models", { object: "list", data: [] })).toBeNull();
    expect(usageFromJson("anthropic", "chat.completions", { usage: { input_tokens: 1 } })).toBeNull();
    expect(usageFromJson("openai", "chat.completions", null)).toBeNull();
    expect(usageFromJson("openai", "chat.completions", { usage: { prompt_tokens: -3, completion_tokens: "9" } })).toEqual({
      model: null,
      inputTokens: 0,
      outputTokens: 0,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
    });
  });
});

describe("SseUsageTracker on hand-written streams", () => {
  it("takes the last Chat Completions usage and ignores [DONE]", () => {
    const stream = [
      'data: {"object":"chat.completion.chunk","model":"m","choices":[{"delta":{"content":"hi"}}],"usage":null}',
      'data: {"object":"chat.completion.chunk","model":"m-2024","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":2}}}',
      "data: [DONE]",
      "",
    ].join("\n\n");
    expect(track([bytes(stream)])).toEqual({ model: "m-2024", inputTokens: 3, outputTokens: 1, cachedInputTokens: 2, cacheWriteTokens: 0 });
  });

  it("is null when the stream reports no usage", () => {
    expect(track([bytes('data: {"object":"chat.completion.chunk","choices":[]}\n\ndata: [DONE]\n\n')])).toBeNull();
    expect(track([])).toBeNull();
  });

  it("combines Anthropic's message_start with the last message_delta (cumulative counts)", () => {
    const stream = [
      'event: message_start\ndata: {"type":"message_start","message":{"model":"claude-x","usage":{"input_tokens":10,"cache_read_input_tokens":50,"cache_creation_input_tokens":5,"output_tokens":1}}}',
      ": keep-alive comment",
      'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":4}}',
      'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":9}}',
      'event: message_stop\ndata: {"type":"message_stop"}',
      "",
    ].join("\n\n");
    expect(track([bytes(stream)])).toEqual({ model: "claude-x", inputTokens: 10, outputTokens: 9, cachedInputTokens: 50, cacheWriteTokens: 5 });
  });

  it("takes input and cache counts from message_delta when the API repeats them there", () => {
    const stream =
      'data: {"type":"message_start","message":{"model":"c","usage":{"input_tokens":10,"output_tokens":1}}}\n\n' +
      'data: {"type":"message_delta","usage":{"input_tokens":12,"cache_read_input_tokens":3,"output_tokens":5}}\n\n';
    expect(track([bytes(stream)])).toEqual({ model: "c", inputTokens: 12, outputTokens: 5, cachedInputTokens: 3, cacheWriteTokens: 0 });
  });

  it("reads the Responses API's final event, however it ended", () => {
    for (const type of ["response.completed", "response.incomplete", "response.failed"]) {
      const stream = `event: ${type}\ndata: {"type":"${type}","response":{"model":"gpt-5","usage":{"input_tokens":4,"output_tokens":2,"input_tokens_details":{"cached_tokens":1}}}}\n\n`;
      expect(track([bytes(stream)])).toEqual({ model: "gpt-5", inputTokens: 4, outputTokens: 2, cachedInputTokens: 1, cacheWriteTokens: 0 });
    }
  });

  it("follows the SSE rules: multi-line data, no space after the colon, a final event without its blank line", () => {
    const multiLine = 'data: {"object":"chat.completion.chunk",\ndata: "usage":{"prompt_tokens":1,"completion_tokens":2}}\n\n';
    expect(track([bytes(multiLine)])?.outputTokens).toBe(2);
    // A \r\n cut between its \r and its \n is one line end, not two (which would end the event early).
    const crlf = bytes(multiLine.replaceAll("\n", "\r\n"));
    const crs = crlf.reduce<number[]>((acc, b, i) => (b === 13 ? [...acc, i + 1] : acc), []);
    expect(track(splitAt(crlf, crs))?.outputTokens).toBe(2);
    const noSpace = 'data:{"type":"message_start","message":{"usage":{"input_tokens":7}}}\n\n';
    expect(track([bytes(noSpace)])?.inputTokens).toBe(7);
    const unterminated = 'data: {"object":"chat.completion.chunk","usage":{"prompt_tokens":1,"completion_tokens":3}}';
    expect(track([bytes(unterminated)])?.outputTokens).toBe(3);
  });

  it("survives garbage: broken JSON, unknown events, a byte-order mark", () => {
    const stream = '\ufeffdata: {"usage": nope\n\nevent: weird\ndata: {"usage":{"prompt_tokens":99}}\n\ndata: {"type":"message_start","message":{"usage":{"input_tokens":2}}}\n\n';
    expect(track([bytes(stream)])).toMatchObject({ inputTokens: 2 });
  });

  it("keeps memory bounded: an oversized line is dropped except for a trailing usage", () => {
    const huge = "x".repeat(300_000);
    const completed = `event: response.completed\ndata: {"type":"response.completed","response":{"model":"gpt-5","instructions":"${huge}","output":[{"text":"${huge} {\\"usage\\":{} }"}],"usage":{"input_tokens":77,"output_tokens":5,"input_tokens_details":{"cached_tokens":0}},"user":null,"metadata":{"k":",\\"usage\\":{\\"input_tokens\\":1}"}}}\n\n`;
    const chunks = [...splitAt(bytes(completed), Array.from({ length: 60 }, (_, i) => (i + 1) * 10_000))];
    expect(track(chunks, { maxLineLength: 200_000 })).toEqual({ model: null, inputTokens: 77, outputTokens: 5, cachedInputTokens: 0, cacheWriteTokens: 0 });
    // A huge line that is not an event's data is skipped; the next event still parses.
    const comment = `: ${huge}\n\ndata: {"type":"message_start","message":{"usage":{"input_tokens":3}}}\n\n`;
    expect(track([bytes(comment)], { maxLineLength: 200_000 })?.inputTokens).toBe(3);
  });
});

describe("SseUsageTracker on the fake provider's real streams", () => {
  let provider: FakeLlmProvider;
  // Multi-byte text (2-, 3- and 4-byte UTF-8) in the echoed reply and in the model name the usage carries.
  const text = "héllo wörld 世界 🎉";
  const model = "gpt-4o-mini-ü✓🎉";
  const streams: Record<string, { data: Uint8Array; expected: LlmUsage }> = {};

  async function capture(path: string, body: object, headers: Record<string, string> = {}): Promise<Uint8Array> {
    const res = await fetch(`${provider.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    return new Uint8Array(await res.arrayBuffer());
  }

  beforeAll(async () => {
    provider = await startFakeLlmProvider({});
    const messages = [{ role: "user", content: text }];
    streams.chat = {
      data: await capture("/v1/chat/completions", { model, stream: true, stream_options: { include_usage: true }, messages }, { "x-fake-cached-tokens": "1" }),
      expected: { model, inputTokens: 4, outputTokens: 5, cachedInputTokens: 1, cacheWriteTokens: 0 },
    };
    streams.responses = {
      data: await capture("/v1/responses", { model, stream: true, input: text, instructions: "be brief" }),
      expected: { model, inputTokens: 6, outputTokens: 5, cachedInputTokens: 0, cacheWriteTokens: 0 },
    };
    streams.anthropic = {
      data: await capture("/v1/messages", { model, stream: true, max_tokens: 3, messages }, { "anthropic-version": "2023-06-01", "x-fake-cached-tokens": "1", "x-fake-cache-write-tokens": "2" }),
      expected: { model, inputTokens: 1, outputTokens: 3, cachedInputTokens: 1, cacheWriteTokens: 2 },
    };
  });
  afterAll(() => provider.close());

  for (const name of ["chat", "responses", "anthropic"]) {
    it(`${name}: whole, byte by byte, and split at every single boundary`, () => {
      const { data, expected } = streams[name]!;
      expect(data.some((b) => b >= 0xf0)).toBe(true);
      expect(track([data])).toEqual(expected);
      expect(track(Array.from(data, (_, i) => data.subarray(i, i + 1)))).toEqual(expected);
      for (let cut = 0; cut <= data.length; cut++) {
        const usage = track(splitAt(data, [cut]));
        if (JSON.stringify(usage) !== JSON.stringify(expected)) expect({ cut, usage }).toEqual({ cut, usage: expected });
      }
    });

    it(`${name}: split at random boundaries, with \\n, \\r\\n and \\r line ends`, () => {
      const { data, expected } = streams[name]!;
      const text = new TextDecoder().decode(data);
      const variants = [data, bytes(text.replaceAll("\n", "\r\n")), bytes(text.replaceAll("\n", "\r"))];
      const next = random(name.length * 7919);
      for (const variant of variants) {
        for (let trial = 0; trial < 150; trial++) {
          const cuts: number[] = [];
          for (let at = 0; ; ) {
            at += 1 + Math.floor(next() * 24);
            if (at >= variant.length) break;
            cuts.push(at);
          }
          const usage = track(splitAt(variant, cuts));
          if (JSON.stringify(usage) !== JSON.stringify(expected)) expect({ trial, cuts, usage }).toEqual({ trial, cuts, usage: expected });
        }
        // The nastiest split for \r\n: between the \r and the \n, everywhere at once.
        const crs = variant.reduce<number[]>((acc, b, i) => (b === 13 ? [...acc, i + 1] : acc), []);
        expect(track(splitAt(variant, crs))).toEqual(expected);
      }
    });
  }
});

describe("totalTokens", () => {
  it("counts OpenAI's cached tokens once (they are inside input) and Anthropic's cache reads and writes on top", async () => {
    const { totalTokens } = await import("./usage");
    const usage = { model: "m", inputTokens: 100, outputTokens: 20, cachedInputTokens: 40, cacheWriteTokens: 5 };
    expect(totalTokens("openai", usage)).toBe(125);
    expect(totalTokens("anthropic", usage)).toBe(165);
  });
});
