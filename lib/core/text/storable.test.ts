import { describe, expect, it } from "vitest";
import { storableText, surrogateProblem, textProblem, unstorableText } from "./storable";

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

  it("makes any text storable by replacing NUL and unpaired surrogates, leaving good text as it is", () => {
    expect(storableText("plain, émigré, 🚀")).toBe("plain, émigré, 🚀");
    expect(storableText("a\u0000b\u0000")).toBe("a\ufffdb\ufffd");
    expect(storableText("x\ud800y\udc00z\ud83d\ude80")).toBe("x\ufffdy\ufffdz\ud83d\ude80");
    // A pair cut in half by clipping.
    expect(storableText("🚀".slice(0, 1))).toBe("\ufffd");
    expect(textProblem(storableText("\u0000\ud800\udfff\udc00"))).toBeNull();
  });

  it("takes another check per string: unpaired surrogates only, NUL allowed", () => {
    expect(unstorableText({ prompt: "a\u0000b" }, 128, surrogateProblem)).toBeNull();
    expect(unstorableText({ messages: [{ content: "a\ud800" }] }, 128, surrogateProblem)).toEqual({ path: "messages.0.content", reason: "contains invalid Unicode (an unpaired surrogate)" });
    expect(unstorableText(JSON.parse("[".repeat(129) + "]".repeat(129)), 128, surrogateProblem)).toEqual({ path: expect.any(String), reason: "is nested more than 128 levels deep" });
  });
});
