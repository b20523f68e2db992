import { describe, expect, it } from "vitest";
import { countTokens } from "@core/tools/token-cost";
import { resultTokens } from "./result-tokens";

describe("resultTokens", () => {
  it("counts the text a model sees from a tool result", () => {
    const result = { content: [{ type: "text", text: "hello world" }, { type: "image", data: "AAAA", mimeType: "image/png" }, { type: "resource", resource: { uri: "x:/a", text: "more text" } }] };
    expect(resultTokens("tools/call", result)).toBe(countTokens("hello world\n\nmore text"));
  });
  it("falls back to structured content, counts tool lists as JSON, and skips other methods", () => {
    expect(resultTokens("tools/call", { content: [], structuredContent: { a: 1 } })).toBe(countTokens('{"a":1}'));
    expect(resultTokens("tools/list", { tools: [{ name: "t" }] })).toBe(countTokens('{"tools":[{"name":"t"}]}'));
    expect(resultTokens("ping", {})).toBeNull();
    expect(resultTokens("prompts/get", { messages: [{ role: "user", content: { type: "text", text: "hi there" } }] })).toBe(countTokens("hi there"));
  });
});
