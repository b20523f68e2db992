/**
 * Rate limits and budgets at the edge: which counters a call counts against (lib/core/limits/keys.ts, on
 * the bundle's specs) and their admission, one Durable Object per counter asked in parallel
 * (counter-shards.ts). Shared by the MCP session (every request that reaches an upstream) and the LLM
 * gateway.
 *
 * A call with no applicable rate limit and no applicable budget never reaches a Durable Object.
 * Refusals name the limit or budget and when to retry; the caller's answer (JSON-RPC error, HTTP 429)
 * is the route's business.
 */
import type { BundleIndex } from "@core/bundle/bundle-index";
import type { BundleUser } from "@core/bundle/schema";
import { applicableBudgets, applicableRateLimits, type ApplicableBudget, type LimitRequest } from "@core/limits/keys";
import type { Amount, BudgetStatus, Refusal } from "@core/limits/ledger";
import { describeRefusal } from "@core/limits/refusal-text";
import { admitShards, recordShards, settleShards } from "./counter-shards";
import type { Env } from "./env";

export type Admission =
  | { admitted: true; reservationId: string | null; budgets: ApplicableBudget[]; flagged: BudgetStatus[] }
  | { admitted: false; retryAfterSeconds: number; refusal: Refusal; message: string; reason: string };

const NO_LIMITS: Admission = { admitted: true, reservationId: null, budgets: [], flagged: [] };

export interface LimitCaller {
  user: BundleUser;
  tokenId: string | null;
}

/**
 * Counts the call against every applicable rate limit and reserves `estimate` in every applicable
 * budget — all or nothing, each counter at its own shard, in parallel (a refused call is rolled back
 * where it was admitted). `estimate` 0 still refuses once a blocking budget is used up; `expected`
 * is what such a call holds instead of nothing (see the ledger's AdmitInput).
 *
 * A call that reaches several upstreams (an MCP list at `/mcp`) passes one request per server and
 * counts once against each counter any of them matches. `counted` carries the counters a call
 * already counted against in an earlier step: they are skipped, and those counted now are added.
 */
export async function admitCall(
  env: Env,
  index: BundleIndex,
  caller: LimitCaller,
  request: LimitRequest | readonly LimitRequest[],
  estimate: Amount,
  at = new Date(),
  expected?: Amount,
  counted?: Set<string>,
): Promise<Admission> {
  const { rateLimits, budgets } = index.bundle.limits;
  if (rateLimits.length === 0 && budgets.length === 0) return NO_LIMITS;
  const principal = { userId: caller.user.id, teamIds: caller.user.teamIds, tokenId: caller.tokenId };
  const requests: readonly LimitRequest[] = "kind" in request ? [request] : request;
  const limits = [...new Map(requests.flatMap((r) => applicableRateLimits(rateLimits, principal, r)).map((l) => [l.counterKey, l])).values()].filter((l) => !counted?.has(l.counterKey));
  const spend = applicableBudgets(budgets, principal, at, index.bundle.limits.baselines);
  if (limits.length === 0 && spend.length === 0) return NO_LIMITS;
  const result = await admitShards(env, { rateLimits: limits, budgets: spend, estimate, ...(expected ? { expected } : {}) });
  if (result.admitted) {
    for (const l of limits) counted?.add(l.counterKey);
    return { admitted: true, reservationId: result.reservationId, budgets: spend, flagged: result.flagged };
  }
  const refusal = result.refusals[0]!;
  return { admitted: false, retryAfterSeconds: result.retryAfterSeconds, refusal, ...describeRefusal(refusal, at) };
}

/**
 * Replaces the reservation by what the call really cost in each budget's shard, in parallel (or
 * records it, when nothing was reserved).
 */
export async function settleCall(env: Env, admission: Extract<Admission, { admitted: true }>, actual: Amount): Promise<void> {
  if (admission.reservationId) await settleShards(env, admission.budgets, { reservationId: admission.reservationId, actual });
  else if (admission.budgets.length > 0 && (actual.tokens > 0 || actual.microUsd > 0)) await recordShards(env, { budgets: admission.budgets, amount: actual });
}
