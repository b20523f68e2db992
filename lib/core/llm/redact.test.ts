import { describe, expect, it } from "vitest";
import { generateTokenSecret } from "@core/tokens/secret";
import { clipForLog, containsCredential, redactHeaders, redactText, utf8Length } from "./redact";

describe("redactHeaders", () => {
  it("masks credential carriers and anything named like one, keeping the rest", () => {
    const out = redactHeaders({
      Authorization: "Bearer sk-abc",
      "x-api-key": "sk-ant-api03-xyz",
      Cookie: "session=1",
      "set-cookie": ["a=1", "b=2"],
      "proxy-authorization": "Basic Zm9v",
      "x-amz-security-token": "t",
      "x-goog-api-key": "k",
      "openai-organization": "org-1",
      "anthropic-version": "2023-06-01",
      "content-type": "application/json",
      "x-client-secret": "s",
      absent: undefined,
    });
    expect(out).toEqual({
      authorization: "[redacted]",
      "x-api-key": "[redacted]",
      cookie: "[redacted]",
      "set-cookie": "[redacted]",
      "proxy-authorization": "[redacted]",
      "x-amz-security-token": "[redacted]",
      "x-goog-api-key": "[redacted]",
      "openai-organization": "org-1",
      "anthropic-version": "2023-06-01",
      "content-type": "application/json",
      "x-client-secret": "[redacted]",
    });
  });

  it("takes a Headers object or entries, and scrubs secrets from other values", () => {
    const headers = new Headers({ Authorization: "Bearer x", "X-Note": "key sk-proj-0123456789abcdefghij for alice@example.com" });
    expect(redactHeaders(headers)).toEqual({ authorization: "[redacted]", "x-note": "key [redacted] for [email]" });
    expect(redactHeaders([["X-API-KEY", "k"], ["accept", "*/*"]])).toEqual({ "x-api-key": "[redacted]", accept: "*/*" });
  });
});

describe("redactText", () => {
  const pcs = generateTokenSecret();
  it.each([
    ["openai", "key=sk-proj-AbCdEf0123456789_-xyzXYZ end", "key=[redacted] end"],
    ["openai legacy", "sk-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH", "[redacted]"],
    ["anthropic", "x sk-ant-api03-AbC_dEf-0123456789 y", "x [redacted] y"],
    ["bearer", "Authorization: Bearer eyJhbGciOi.abc-def_ghi", "Authorization: Bearer [redacted]"],
    ["bearer lowercase", "bearer abc123", "bearer [redacted]"],
    ["aws", "AKIAIOSFODNN7EXAMPLE and ASIAIOSFODNN7EXAMPLE", "[redacted] and [redacted]"],
    ["github classic", "ghp_0123456789abcdefghijABCDEFGHIJ012345", "[redacted]"],
    ["github fine-grained", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "[redacted]"],
    ["portcullis", `token ${pcs}.`, "token [redacted]."],
    ["jwt", "id eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl", "id [redacted]"],
    ["email", "write to Jane.Doe+llm@mail.example.co.uk today", "write to [email] today"],
    ["plain", "nothing to see: sk- is short, ask-me-anything, AKIA", "nothing to see: sk- is short, ask-me-anything, AKIA"],
  ])("%s", (_kind, input, expected) => {
    expect(redactText(input)).toBe(expected);
  });

  it("stays fast on megabytes of adversarial text", () => {
    const nasty = "a".repeat(1 << 20) + "@" + "b.".repeat(1 << 18) + " sk-" + "x".repeat(1 << 16);
    const started = performance.now();
    const out = redactText(nasty);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(out.endsWith("[redacted]")).toBe(true);
  });

  it("tells whether a value is a credential", () => {
    expect(containsCredential(pcs)).toBe(true);
    expect(containsCredential("sk-ant-api03-0123456789")).toBe(true);
    expect(containsCredential("user_01HZX")).toBe(false);
    expect(containsCredential("alice@example.com")).toBe(false);
  });
});

describe("clipForLog", () => {
  it("returns short text unchanged", () => {
    expect(clipForLog("héllo", 6)).toBe("héllo");
    expect(clipForLog("", 0)).toBe("");
  });

  it("never exceeds the limit nor splits a character, and says how much it left out", () => {
    const text = "añ€😀".repeat(50);
    for (let max = 0; max <= utf8Length(text) + 1; max++) {
      const clipped = clipForLog(text, max);
      expect(utf8Length(clipped)).toBeLessThanOrEqual(Math.max(max, 0));
      expect(clipped).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
      expect(new TextDecoder().decode(new TextEncoder().encode(clipped))).toBe(clipped);
      if (max >= utf8Length(text)) expect(clipped).toBe(text);
    }
    const clipped = clipForLog(text, 40);
    const match = /…\[\+(\d+) bytes\]$/.exec(clipped);
    expect(match).not.toBeNull();
    const kept = clipped.slice(0, clipped.length - match![0].length);
    expect(text.startsWith(kept)).toBe(true);
    expect(utf8Length(kept) + Number(match![1])).toBe(utf8Length(text));
  });

  it("counts UTF-8 bytes like TextEncoder", () => {
    for (const s of ["", "a", "é", "€", "😀", "a😀b", "\ud800", "\udc00x"]) expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
  });
});
