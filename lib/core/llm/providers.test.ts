import { describe, expect, it } from "vitest";
import { classifyLlmPath, isLlmProvider, isStreamingRequest, requestModel, withStreamUsage } from "./providers";

describe("classifyLlmPath", () => {
  it.each([
    ["openai", "chat/completions", "POST", "chat.completions"],
    ["openai", "/chat/completions", "post", "chat.completions"],
    ["openai", "responses", "POST", "responses"],
    ["openai", "embeddings", "POST", "embeddings"],
    ["openai", "models", "GET", "models"],
    ["anthropic", "messages", "POST", "messages"],
  ] as const)("%s %s %s → %s", (provider, subpath, method, op) => {
    expect(classifyLlmPath(provider, subpath, method)).toBe(op);
  });

  it.each([
    ["openai", "chat/completions", "GET"],
    ["openai", "models", "POST"],
    ["openai", "models/gpt-4o", "GET"],
    ["openai", "chat/completions/", "POST"],
    ["openai", "chat%2Fcompletions", "POST"],
    ["openai", "files", "POST"],
    ["openai", "responses/resp_123", "GET"],
    ["openai", "messages", "POST"],
    ["openai", "constructor", "GET"],
    ["openai", "__proto__", "GET"],
    ["anthropic", "messages/count_tokens", "POST"],
    ["anthropic", "chat/completions", "POST"],
    ["anthropic", "messages", "GET"],
    ["anthropic", "", "POST"],
  ] as const)("refuses %s %s %s", (provider, subpath, method) => {
    expect(classifyLlmPath(provider, subpath, method)).toBeNull();
  });

  it("knows only its two providers", () => {
    expect(isLlmProvider("openai")).toBe(true);
    expect(isLlmProvider("anthropic")).toBe(true);
    expect(isLlmProvider("gemini")).toBe(false);
  });
});

describe("request body helpers", () => {
  it("reads the model", () => {
    expect(requestModel({ model: "gpt-4o" })).toBe("gpt-4o");
    expect(requestModel({ model: 4 })).toBeNull();
    expect(requestModel({ model: "" })).toBeNull();
    expect(requestModel(null)).toBeNull();
    expect(requestModel(["gpt-4o"])).toBeNull();
  });

  it("streams only when stream is exactly true, on a streamable operation", () => {
    expect(isStreamingRequest("openai", "chat.completions", { stream: true })).toBe(true);
    expect(isStreamingRequest("openai", "responses", { stream: true })).toBe(true);
    expect(isStreamingRequest("anthropic", "messages", { stream: true })).toBe(true);
    expect(isStreamingRequest("openai", "chat.completions", { stream: "true" })).toBe(false);
    expect(isStreamingRequest("openai", "chat.completions", {})).toBe(false);
    expect(isStreamingRequest("openai", "embeddings", { stream: true })).toBe(false);
    expect(isStreamingRequest("openai", "models", undefined)).toBe(false);
  });

  it("asks a streaming chat completion for its usage, keeping other stream options and the original intact", () => {
    const body = { model: "gpt-4o", stream: true, stream_options: { include_obfuscation: false }, messages: [] };
    const rewritten = withStreamUsage("chat.completions", body);
    expect(rewritten).toEqual({ ...body, stream_options: { include_obfuscation: false, include_usage: true } });
    expect(body.stream_options).toEqual({ include_obfuscation: false });
    expect(withStreamUsage("chat.completions", { stream: true, stream_options: { include_usage: false } })).toEqual({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("leaves every other request as it is", () => {
    const nonStream = { model: "gpt-4o", messages: [] };
    expect(withStreamUsage("chat.completions", nonStream)).toBe(nonStream);
    const responses = { model: "gpt-4o", stream: true, input: "hi" };
    expect(withStreamUsage("responses", responses)).toBe(responses);
    const messages = { model: "claude", stream: true };
    expect(withStreamUsage("messages", messages)).toBe(messages);
    expect(withStreamUsage("chat.completions", null)).toBeNull();
  });
});

describe("declaredMaxOutput", () => {
  it("reads each operation's own field, and 0 when none is set", async () => {
    const { declaredMaxOutput } = await import("./providers");
    expect(declaredMaxOutput("chat.completions", { max_completion_tokens: 50, max_tokens: 9 })).toBe(50);
    expect(declaredMaxOutput("chat.completions", { max_tokens: 9 })).toBe(9);
    expect(declaredMaxOutput("responses", { max_output_tokens: 12, max_tokens: 99 })).toBe(12);
    expect(declaredMaxOutput("messages", { max_tokens: 1024 })).toBe(1024);
    expect(declaredMaxOutput("embeddings", { max_tokens: 5 })).toBe(0);
    expect(declaredMaxOutput("messages", { max_tokens: -1 })).toBe(0);
    expect(declaredMaxOutput("messages", { max_tokens: 1.5 })).toBe(0);
    expect(declaredMaxOutput("messages", null)).toBe(0);
  });
});
