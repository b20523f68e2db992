import { describe, expect, it } from "vitest";
import { cacheKey, isCacheable, parseCacheTtl } from "./cache-key";

const base = { provider: "openai", op: "chat.completions", scope: "user_01", body: { model: "gpt-4o", temperature: 0, messages: [{ role: "user", content: "hi" }] } } as const;

describe("cacheKey", () => {
  it("is a hex SHA-256", async () => {
    expect(await cacheKey(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("does not depend on key order, at any depth", async () => {
    const reordered = { messages: [{ content: "hi", role: "user" }], temperature: 0, model: "gpt-4o" };
    expect(await cacheKey({ ...base, body: reordered })).toBe(await cacheKey(base));
  });

  it("changes with the scope, provider, operation and any part of the body", async () => {
    const key = await cacheKey(base);
    const variants = [
      { ...base, scope: "user_02" },
      { ...base, provider: "anthropic" as const, op: "messages" as const },
      { ...base, op: "responses" as const },
      { ...base, body: { ...base.body, temperature: 1 } },
      { ...base, body: { ...base.body, stream: true } },
      { ...base, body: { ...base.body, messages: [{ role: "user", content: "hi!" }] } },
      { ...base, body: { ...base.body, messages: [{ role: "system", content: "hi" }] } },
    ];
    const keys = await Promise.all(variants.map((v) => cacheKey(v)));
    expect(new Set([key, ...keys]).size).toBe(variants.length + 1);
  });

  it("cannot be given a credential: the scope refuses secrets, and the key reveals nothing", async () => {
    const credential = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789";
    await expect(cacheKey({ ...base, scope: credential })).rejects.toThrow(/credential/);
    await expect(cacheKey({ ...base, scope: "pcs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" })).rejects.toThrow(/credential/);
    await expect(cacheKey({ ...base, scope: "Bearer abc.def" })).rejects.toThrow(/credential/);
    await expect(cacheKey({ ...base, scope: "" })).rejects.toThrow(/tenant/);
    const key = await cacheKey({ ...base, scope: "3f1c2a9e-0d5b-4c7e-9a1f-7b2d8e6c4a10" });
    expect(key).not.toContain(credential);
    expect(key).not.toContain("3f1c2a9e");
  });
});

describe("isCacheable", () => {
  it("caches completions and embeddings, not model lists", () => {
    for (const op of ["chat.completions", "responses", "embeddings", "messages"] as const) expect(isCacheable(op, { model: "m" })).toBe(true);
    expect(isCacheable("models", {})).toBe(false);
  });

  it("needs a JSON object body", () => {
    expect(isCacheable("chat.completions", null)).toBe(false);
    expect(isCacheable("chat.completions", [])).toBe(false);
    expect(isCacheable("chat.completions", "text")).toBe(false);
  });
});

describe("parseCacheTtl", () => {
  it.each([
    [null, 300],
    [undefined, 300],
    ["", 300],
    ["60", 60],
    [" 60 ", 60],
    ["0", 0],
    ["86400", 3600],
    ["-5", 300],
    ["1.5", 300],
    ["1e3", 300],
    ["soon", 300],
    ["99999999999999999", 300],
  ])("%j → %d", (header, expected) => {
    expect(parseCacheTtl(header, 300, 3600)).toBe(expected);
  });

  it("caps the default too", () => {
    expect(parseCacheTtl(null, 7200, 3600)).toBe(3600);
    expect(parseCacheTtl(null, -1, 3600)).toBe(0);
  });
});
