import { describe, expect, it } from "vitest";
import { textProblem, unstorableText } from "./storable";

describe("text PostgreSQL cannot store", () => {
  it("finds NUL and unpaired surrogates, and lets every other character through", () => {
    expect(textProblem("plain, émigré, 日本, 🚀, \u200b, \ufeff")).toBeNull();
    expect(textProblem("a\u0000b")).toMatch(/NUL/);
    expect(textProblem("a\ud800b")).toMatch(/unpaired surrogate/);
    expect(textProblem("a\udc00")).toMatch(/unpaired surrogate/);
    expect(textProblem("\ud83d\ude80")).toBeNull();
  });

  it("names the path of the first bad string or key in a JSON value", () => {
    expect(unstorableText({ name: "ok", tags: ["a", "b"], n: 1, x: null })).toBeNull();
    expect(unstorableText({ name: "ok", servers: [{ url: "https://a" }, { url: "x\u0000" }] })).toEqual({ path: "servers.1.url", reason: expect.stringMatching(/NUL/) });
    expect(unstorableText({ ["bad\ud800key"]: 1 })).toEqual({ path: "bad\ud800key", reason: expect.stringMatching(/key .*unpaired surrogate/) });
    expect(unstorableText("top\u0000")).toEqual({ path: "", reason: expect.stringMatching(/NUL/) });
  });

  it("refuses nesting past the limit without exhausting the stack", () => {
    const deep = JSON.parse("[".repeat(100_000) + "]".repeat(100_000));
    expect(unstorableText(deep)).toEqual({ path: expect.any(String), reason: "is nested more than 64 levels deep" });
    expect(unstorableText(JSON.parse("[".repeat(64) + "]".repeat(64)))).toBeNull();
  });
});
