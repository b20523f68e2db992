/**
 * One call's admission, settlement and recording across the counter shards it touches: every
 * rate-limit and budget counter is its own Durable Object (counters.ts, `counterShard`), asked in
 * parallel. Admission is all-or-nothing by rollback: each shard admits or refuses on its own; when
 * any refuses (or fails), the shards that admitted are cancelled before the answer, so a refused
 * call leaves no rate-limit hit and no hold behind. Why this keeps the accuracy of one instance, and
 * what it costs: docs/limits.md, "Counter shards".
 */
import type { ApplicableBudget } from "@core/limits/keys";
import type { AdmitInput, AdmitResult, BudgetStatus, CancelInput, Crossing, LedgerSnapshot, RecordInput, Refusal, SettleInput, SettleResult } from "@core/limits/ledger";
import { counterShard } from "./counters";
import type { Env } from "./env";

const byKey = <T extends { counterKey: string }>(items: readonly T[]) => [...new Map(items.map((i) => [i.counterKey, i])).values()];

/**
 * Admits a call at every shard of `input` in parallel: each rate limit and each budget at the shard
 * named by its counter key, every budget under one reservation id (`input.reservationId`, or a new
 * one), which `settleShards` then settles in each. The result reads as the ledger's `admit` over all
 * of them: refusals in input order (rate limits, then budgets), `at` the earliest shard time.
 * A shard that throws fails the admission, after the others are rolled back.
 */
export async function admitShards(env: Env, input: AdmitInput): Promise<AdmitResult> {
  const rateLimits = byKey(input.rateLimits);
  const budgets = byKey(input.budgets);
  const reservationId = budgets.length > 0 ? (input.reservationId ?? crypto.randomUUID()) : null;
  const common = { estimate: input.estimate, ...(input.expected ? { expected: input.expected } : {}), ...(input.ttlMs !== undefined ? { ttlMs: input.ttlMs } : {}) };
  const parts = [
    ...rateLimits.map((rl) => ({ key: rl.counterKey, windowMs: rl.windowMs as number | null, input: { ...common, rateLimits: [rl], budgets: [] } satisfies AdmitInput })),
    ...budgets.map((b) => ({ key: b.counterKey, windowMs: null, input: { ...common, rateLimits: [], budgets: [b], reservationId: reservationId! } satisfies AdmitInput })),
  ];
  const outcomes = await Promise.allSettled(parts.map((p) => counterShard(env, p.key).admit(p.input)));

  const refusals: Refusal[] = [];
  const flagged: BudgetStatus[] = [];
  const admitted: { key: string; windowMs: number | null; at: number; expiresAt: number | null }[] = [];
  let failure: { error: unknown } | null = null;
  outcomes.forEach((outcome, i) => {
    const part = parts[i]!;
    if (outcome.status === "rejected") failure ??= { error: outcome.reason };
    else if (!outcome.value.admitted) refusals.push(...outcome.value.refusals);
    else {
      admitted.push({ key: part.key, windowMs: part.windowMs, at: outcome.value.at, expiresAt: outcome.value.expiresAt });
      flagged.push(...outcome.value.flagged);
    }
  });
  if (failure === null && refusals.length === 0) {
    const expiries = admitted.flatMap((a) => (a.expiresAt === null ? [] : [a.expiresAt]));
    return { admitted: true, reservationId, expiresAt: expiries.length > 0 ? Math.min(...expiries) : null, flagged, at: Math.min(...admitted.map((a) => a.at), Date.now()) };
  }

  await Promise.all(
    admitted.map(async (a) => {
      const cancel: CancelInput = a.windowMs === null ? { reservationId, hits: [] } : { reservationId: null, hits: [{ counterKey: a.key, windowMs: a.windowMs, at: a.at }] };
      try {
        await counterShard(env, a.key).cancel(cancel);
      } catch (error) {
        // Errs towards refusing: the hit stays counted in its window, the hold until its reservation expires.
        console.error(`[counters] rollback at ${a.key} failed:`, error instanceof Error ? error.message : error);
      }
    }),
  );
  if (failure !== null) throw (failure as { error: unknown }).error;
  return { admitted: false, retryAfterSeconds: Math.max(...refusals.map((r) => r.retryAfterSeconds)), refusals };
}

/**
 * Settles one reservation in each of its budgets' shards, in parallel: settled when any shard knew
 * it (late when any settled late), with every shard's threshold crossings.
 */
export async function settleShards(env: Env, budgets: readonly Pick<ApplicableBudget, "counterKey">[], input: SettleInput): Promise<SettleResult> {
  const results = await Promise.all(byKey(budgets).map((b) => counterShard(env, b.counterKey).settle(input)));
  const settled = results.filter((r) => r.settled);
  if (settled.length === 0) return { settled: false, reason: "UNKNOWN_RESERVATION" };
  return { settled: true, late: settled.some((r) => r.late), crossings: settled.flatMap((r) => r.crossings) };
}

/** Records unadmitted spend in each budget's shard, in parallel. */
export async function recordShards(env: Env, input: RecordInput): Promise<{ crossings: Crossing[] }> {
  const results = await Promise.all(byKey(input.budgets).map((b) => counterShard(env, b.counterKey).record({ budgets: [b], amount: input.amount })));
  return { crossings: results.flatMap((r) => r.crossings) };
}

/** The budget counters and reservations of the given shards, as one snapshot (reconciliation, tests). */
export async function snapshotShards(env: Env, counterKeys: readonly string[]): Promise<LedgerSnapshot> {
  const snapshots = await Promise.all([...new Set(counterKeys)].map((key) => counterShard(env, key).snapshot()));
  return {
    at: Math.max(0, ...snapshots.map((s) => s.at)),
    budgets: snapshots.flatMap((s) => s.budgets).sort((x, y) => (x.specId === y.specId ? x.periodStart - y.periodStart : x.specId < y.specId ? -1 : 1)),
    reservations: snapshots.reduce((sum, s) => ({ live: sum.live + s.reservations.live, released: sum.released + s.reservations.released }), { live: 0, released: 0 }),
  };
}
