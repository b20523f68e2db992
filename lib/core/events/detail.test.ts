import { describe, expect, it } from "vitest";
import { callDetail, EVENT_ARGUMENTS_LIMIT, EVENT_RESULT_EXCERPT_LIMIT, isSecretName, redactValue } from "./detail";

describe("what an event keeps of a tool call", () => {
  it("tells credential names from innocent ones", () => {
    for (const name of ["password", "Password", "db_password", "apiKey", "api_key", "X-Api-Key", "APIKey", "client_secret", "clientSecret", "accessToken", "refresh_token", "Authorization", "privateKey", "session_id", "github_pat", "cookie"]) {
      expect(isSecretName(name), name).toBe(true);
    }
    for (const name of ["query", "keyword", "monkey", "issue_key", "author", "tokens_used", "title", "path", "email"]) {
      expect(isSecretName(name), name).toBe(false);
    }
  });

  it("masks credentials by name and by look, and e-mail addresses unless told to keep them", () => {
    const args = {
      query: "find mail from bob@example.com",
      password: "hunter2",
      nested: { apiKey: 12345, note: "Bearer abcdefghijklmnop", list: ["sk-ant-abcdefghijklmnopqrst", "plain"] },
      empty: { token: "" },
    };
    expect(redactValue(args, "masked")).toEqual({
      query: "find mail from [email]",
      password: "[redacted]",
      nested: { apiKey: "[redacted]", note: "Bearer [redacted]", list: ["[redacted]", "plain"] },
      empty: { token: "" },
    });
    expect((redactValue(args, "secrets") as { query: string }).query).toBe("find mail from bob@example.com");
    const detail = callDetail("masked", args, { content: [{ type: "text", text: "sent to carol@example.org with ghp_abcdefghijklmnopqrstuvwx" }] });
    expect(JSON.parse(detail.arguments!)).toEqual(redactValue(args, "masked"));
    expect(detail.resultExcerpt).toBe("sent to [email] with [redacted]");
    expect(detail.arguments).not.toContain("hunter2");
  });

  it("records nothing when off, and takes the result's text blocks, naming the others, else its structured content", () => {
    expect(callDetail("off", { a: 1 }, { content: [{ type: "text", text: "x" }] })).toEqual({ arguments: null, resultExcerpt: null });
    const blocks = callDetail("masked", undefined, {
      content: [{ type: "text", text: "one" }, { type: "image", mimeType: "image/png", data: "AAAA" }, { type: "resource_link", uri: "file:///a" }, { type: "resource", resource: { uri: "file:///b", text: "two" } }],
    });
    expect(blocks).toEqual({ arguments: null, resultExcerpt: "one\n[image image/png]\n[resource link file:///a]\ntwo" });
    expect(callDetail("masked", {}, { content: [], structuredContent: { temperature: 21 } }).resultExcerpt).toBe('{"temperature":21}');
    expect(callDetail("masked", {}, undefined)).toEqual({ arguments: "{}", resultExcerpt: null });
  });

  it("clips long arguments and results within their limits, saying how much was left out", () => {
    const detail = callDetail("masked", { text: "é".repeat(5_000) }, { content: [{ type: "text", text: "x".repeat(10_000) }] });
    expect(new TextEncoder().encode(detail.arguments!).length).toBeLessThanOrEqual(EVENT_ARGUMENTS_LIMIT);
    expect(detail.arguments).toMatch(/…\[\+\d+ bytes\]$/);
    expect(detail.resultExcerpt!.length).toBeLessThanOrEqual(EVENT_RESULT_EXCERPT_LIMIT);
    expect(detail.resultExcerpt).toMatch(/^x+…\[\+\d+ bytes\]$/);
  });
});
