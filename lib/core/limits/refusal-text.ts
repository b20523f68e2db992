/**
 * The words of a rate-limit or budget refusal, for the caller (the MCP error, the LLM gateway's
 * OpenAI/Anthropic error body) and for the audit reason. Pure: the edge builds them, tests read them.
 *
 * A budget refuses in three situations that must not read alike: it is used up; what is left is held
 * by requests still in progress; or it has room, but less than this request reserves (an LLM call
 * reserves its max_tokens up front). "Used up (54 of 60 tokens)" for the last one reads as a bug.
 */
import type { Refusal } from "./ledger";
import { formatUtc } from "@core/text/format";

function per(seconds: number): string {
  if (seconds % 86_400 === 0) return seconds === 86_400 ? "day" : `${seconds / 86_400} days`;
  if (seconds % 3_600 === 0) return seconds === 3_600 ? "hour" : `${seconds / 3_600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? "minute" : `${seconds / 60} minutes`;
  return seconds === 1 ? "second" : `${seconds} seconds`;
}

/** 45 → "45 s", 600 → "10 min", 7200 → "2 h", 200000 → "2 days": how long until a retry helps. */
export function waitText(seconds: number): string {
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3_600) return `${Math.round(seconds / 3_600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

const amount = (metric: "tokens" | "usd", n: number) =>
  metric === "usd" ? `$${(n / 1_000_000).toFixed(n > 0 && n < 10_000 ? 4 : 2)}` : `${n.toLocaleString("en-US")} ${n === 1 ? "token" : "tokens"}`;

/** The caller's words and the audit reason for a refusal; `at` is when it was decided (for the renewal time). */
export function describeRefusal(r: Refusal, at: Date): { message: string; reason: string } {
  if (r.kind === "rateLimit") {
    const window = per(Math.round(r.windowMs / 1000));
    return {
      message: `Rate limit "${r.name}" reached (${r.limit.toLocaleString("en-US")} ${r.limit === 1 ? "request" : "requests"} per ${window}); retry in ${waitText(r.retryAfterSeconds)}`,
      reason: `RATE_LIMITED: ${r.name} (${r.limit}/${window}, counter ${r.counterKey})`,
    };
  }
  const renews = `it renews at ${formatUtc(new Date(at.getTime() + r.retryAfterSeconds * 1000).toISOString())} (in ${waitText(r.retryAfterSeconds)})`;
  // Unchanged wording: audit readers and reports parse it.
  const used = `${amount(r.metric, r.spent)} used${r.reserved > 0 ? ` and ${amount(r.metric, r.reserved)} held by requests in progress` : ""}`;
  const budget = `budget "${r.name}" (${amount(r.metric, r.limit)} for ${r.periodKey}; ${used})`;
  const reason = `BUDGET_EXCEEDED: ${r.name} (${r.periodKey}: spent ${r.spent}, reserved ${r.reserved}, limit ${r.limit} ${r.metric})`;
  if (r.spent >= r.limit) {
    return { message: `Budget "${r.name}" is used up for ${r.periodKey} (${amount(r.metric, r.spent)} used of ${amount(r.metric, r.limit)}); ${renews}`, reason };
  }
  const room = r.limit - r.spent - r.reserved;
  if (room <= 0) {
    return { message: `The rest of ${budget} is held by requests in progress; retry when they finish, or wait: ${renews}`, reason };
  }
  const reserves = r.metric === "tokens" ? `${amount("tokens", r.requested)} (its max_tokens)` : `${amount("usd", r.requested)} (the price of its max_tokens)`;
  const lower = r.metric === "tokens" ? `Ask for at most ${amount("tokens", room)} (a lower max_tokens)` : "Ask for fewer output tokens (a lower max_tokens)";
  return { message: `This request reserves up to ${reserves}, which would pass ${budget}. ${lower}, or wait: ${renews}`, reason };
}
