import { describe, expect, it } from "vitest";
import type { Refusal } from "./ledger";
import { describeRefusal, waitText } from "./refusal-text";

const at = new Date("2026-12-06T18:00:00Z");
const daily = { kind: "budget", specId: "b1", name: "research daily", counterKey: "k", metric: "tokens", periodKey: "2026-12-06", limit: 60, retryAfterSeconds: 6 * 3600 } as const;

describe("refusal wording", () => {
  it("says a request's reservation would pass the budget when usage is still below it, with what to ask for instead", () => {
    const r: Refusal = { ...daily, spent: 54, reserved: 0, requested: 10 };
    expect(describeRefusal(r, at).message).toBe(
      'This request reserves up to 10 tokens (its max_tokens), which would pass budget "research daily" (60 tokens for 2026-12-06; 54 tokens used). Ask for at most 6 tokens (a lower max_tokens), or wait: it renews at 2026-12-07 00:00 UTC (in 6 h)',
    );
  });

  it("says used up, with the renewal time, only when it is", () => {
    const r: Refusal = { ...daily, spent: 63, reserved: 0, requested: 0 };
    expect(describeRefusal(r, at).message).toBe('Budget "research daily" is used up for 2026-12-06 (63 tokens used of 60 tokens); it renews at 2026-12-07 00:00 UTC (in 6 h)');
  });

  it("says what is left is held by requests in progress", () => {
    const r: Refusal = { ...daily, spent: 40, reserved: 20, requested: 0 };
    expect(describeRefusal(r, at).message).toBe(
      'The rest of budget "research daily" (60 tokens for 2026-12-06; 40 tokens used and 20 tokens held by requests in progress) is held by requests in progress; retry when they finish, or wait: it renews at 2026-12-07 00:00 UTC (in 6 h)',
    );
  });

  it("prices a dollar budget's reservation, and keeps the audit reason as it was", () => {
    const r: Refusal = { ...daily, metric: "usd", limit: 5_000_000, spent: 4_990_000, reserved: 0, requested: 30_000 };
    const { message, reason } = describeRefusal(r, at);
    expect(message).toBe(
      'This request reserves up to $0.03 (the price of its max_tokens), which would pass budget "research daily" ($5.00 for 2026-12-06; $4.99 used). Ask for fewer output tokens (a lower max_tokens), or wait: it renews at 2026-12-07 00:00 UTC (in 6 h)',
    );
    expect(reason).toBe("BUDGET_EXCEEDED: research daily (2026-12-06: spent 4990000, reserved 0, limit 5000000 usd)");
  });

  it("words a rate limit with a readable wait and a singular for one request", () => {
    const r: Refusal = { kind: "rateLimit", specId: "r", name: "one a minute", counterKey: "c", limit: 1, windowMs: 60_000, retryAfterSeconds: 42 };
    expect(describeRefusal(r, at)).toEqual({ message: 'Rate limit "one a minute" reached (1 request per minute); retry in 42 s', reason: "RATE_LIMITED: one a minute (1/minute, counter c)" });
    expect([waitText(42), waitText(600), waitText(7200), waitText(200_000)]).toEqual(["42 s", "10 min", "2 h", "2 days"]);
  });
});
