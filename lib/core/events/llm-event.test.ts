import { describe, expect, it } from "vitest";
import { llmEvent, type LlmEventCall } from "./llm-event";
import { LlmEvent } from "./schema";

const user = { id: crypto.randomUUID(), email: "ada@example.test", teamIds: [crypto.randomUUID(), crypto.randomUUID()] };
const call = (over: Partial<LlmEventCall> = {}): LlmEventCall => ({
  started: Date.parse("2026-12-06T10:00:00.000Z"),
  user,
  tokenId: crypto.randomUUID(),
  clientIp: "203.0.113.9",
  provider: { slug: "openai", logBodies: true },
  kind: "openai",
  op: "chat.completions",
  model: "gpt-4.1-mini",
  stream: false,
  requestText: '{"model":"gpt-4.1-mini","messages":[{"role":"user","content":"my key is sk-abcdefghijklmnopqrstuvwxyz0123"}]}',
  ruleId: null,
  reason: null,
  overBudget: false,
  bundleVersion: 9,
  ...over,
});

describe("llmEvent", () => {
  it("records who called which provider, what it answered and cost, the time the call arrived and how long it took", () => {
    const id = crypto.randomUUID();
    const event = llmEvent(call(), { status: 200, decision: "allowed", cache: "miss", usage: { model: "gpt-4.1-mini-2025-04-14", inputTokens: 120, outputTokens: 30, cachedInputTokens: 5, cacheWriteTokens: 0 }, cost: 66, responseText: '{"choices":[]}' }, id, Date.parse("2026-12-06T10:00:00.250Z"));
    expect(event).toEqual({
      kind: "llm",
      id,
      time: "2026-12-06T10:00:00.000Z",
      userId: user.id,
      email: "ada@example.test",
      teamIds: user.teamIds,
      tokenId: expect.any(String),
      clientIp: "203.0.113.9",
      providerSlug: "openai",
      providerKind: "openai",
      operation: "chat.completions",
      // The model the provider says answered, over the one asked for.
      model: "gpt-4.1-mini-2025-04-14",
      stream: false,
      status: 200,
      success: true,
      error: null,
      decision: "allowed",
      reason: null,
      ruleId: null,
      cache: "miss",
      inputTokens: 120,
      outputTokens: 30,
      cachedInputTokens: 5,
      cacheWriteTokens: 0,
      costMicroUsd: 66,
      overBudget: false,
      durationMs: 250,
      requestLog: expect.stringContaining("[redacted]"),
      responseLog: '{"choices":[]}',
      bundleVersion: 9,
    });
    expect(event.requestLog).not.toContain("sk-abcdefghijklmnopqrstuvwxyz0123");
    expect(LlmEvent.safeParse(event).success).toBe(true);
  });

  it("logs bodies only when the provider's administrator asked for it, and names a refusal before routing", () => {
    const quiet = llmEvent(call({ provider: { slug: "openai", logBodies: false } }), { status: 200, decision: "allowed", responseText: "{}" }, crypto.randomUUID(), Date.now());
    expect([quiet.requestLog, quiet.responseLog]).toEqual([null, null]);
    const refused = llmEvent(call({ provider: null, op: null, user: null, tokenId: null, model: null }), { status: 403, decision: "denied", error: "read-only token" }, crypto.randomUUID(), Date.now());
    expect(refused).toMatchObject({ providerSlug: "unknown", operation: "http", userId: null, email: null, teamIds: [], success: false, error: "read-only token", cache: null, inputTokens: null, costMicroUsd: null, requestLog: null });
  });
});
