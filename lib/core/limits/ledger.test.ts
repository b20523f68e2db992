import { describe, expect, it } from "vitest";
import { applicableBudgets, applicableRateLimits, type ApplicableBudget, type LimitPrincipal } from "./keys";
import { admit, cancel, DEFAULT_LEDGER_OPTIONS, emptyLedger, expire, overshootBound, record, settle, snapshot, type AdmitInput, type AdmitResult, type LedgerState } from "./ledger";
import type { BudgetSpec, RateLimitSpec } from "./schema";
import { seededRandom } from "@/testing/seeded-random.mjs";

const id = () => crypto.randomUUID();
const NOV = Date.parse("2026-11-10T12:00:00Z");
const tokens = (n: number) => ({ tokens: n, microUsd: 0 });

function budgetSpec(parts: Partial<BudgetSpec> & Pick<BudgetSpec, "subject">): BudgetSpec {
  return { id: id(), name: "budget", metric: "tokens", limit: 1000, period: "month", onExceed: "block", ...parts };
}

function rateSpec(parts: Partial<RateLimitSpec> = {}): RateLimitSpec {
  return { id: id(), name: "rate", subject: { type: "everyone" }, per: "user", scope: { kind: "all" }, limit: 100, windowSeconds: 60, ...parts };
}

function admitted(result: AdmitResult): string {
  if (!result.admitted) throw new Error(`refused: ${JSON.stringify(result.refusals)}`);
  if (!result.reservationId) throw new Error("no reservation");
  return result.reservationId;
}

function budgetOf(state: LedgerState, b: ApplicableBudget) {
  const c = state.budgets[b.counterKey];
  return { spent: c?.spent ?? 0, reserved: c?.reserved ?? 0 };
}


const T = id();
const alice: LimitPrincipal = { userId: id(), teamIds: [T], tokenId: id() };
const bob: LimitPrincipal = { userId: id(), teamIds: [T], tokenId: null };

describe("budget hierarchy", () => {
  it("refuses any key of a user whose budget is exhausted: their other tokens, OAuth, a team token", () => {
    const state = emptyLedger();
    const specs = [budgetSpec({ subject: { type: "user", userId: alice.userId }, limit: 100 }), budgetSpec({ subject: { type: "team", teamId: T }, limit: 10_000 })];
    const at = new Date(NOV);
    const r = admitted(admit(state, { rateLimits: [], budgets: applicableBudgets(specs, alice, at), estimate: tokens(100) }, NOV));
    settle(state, { reservationId: r, actual: tokens(100) }, NOV);
    for (const tokenId of [alice.tokenId, id(), null]) {
      const result = admit(state, { rateLimits: [], budgets: applicableBudgets(specs, { ...alice, tokenId }, at), estimate: tokens(0) }, NOV);
      expect(result.admitted).toBe(false);
      if (!result.admitted) expect(result.refusals.map((x) => x.specId)).toEqual([specs[0]!.id]);
    }
    // Bob, in the same team, is not affected by Alice's own budget.
    expect(admit(state, { rateLimits: [], budgets: applicableBudgets(specs, bob, at), estimate: tokens(1) }, NOV).admitted).toBe(true);
  });

  it("holds what an uncapped call is expected to cost, at most what is left, so calls admitted together near the cap do not all hold nothing", () => {
    const at = new Date(NOV);
    const spec = budgetSpec({ subject: { type: "user", userId: alice.userId }, limit: 25 });
    const budgets = applicableBudgets([spec], alice, at);
    const state = emptyLedger();
    const held: number[] = [];
    const outcomes: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const result = admit(state, { rateLimits: [], budgets, estimate: tokens(0), expected: tokens(10) }, NOV);
      outcomes.push(result.admitted);
      held.push(budgetOf(state, budgets[0]!).reserved);
    }
    expect(outcomes).toEqual([true, true, true, false]);
    expect(held).toEqual([10, 20, 25, 25]);
    // Without an expectation the same four calls would all have been admitted, holding nothing.
    const bare = emptyLedger();
    expect([0, 1, 2, 3].map(() => admit(bare, { rateLimits: [], budgets, estimate: tokens(0) }, NOV).admitted)).toEqual([true, true, true, true]);
    // A declared cap is what is held (and must fit), whatever is expected.
    const capped = emptyLedger();
    admitted(admit(capped, { rateLimits: [], budgets, estimate: tokens(3), expected: tokens(10) }, NOV));
    expect(budgetOf(capped, budgets[0]!).reserved).toBe(3);
  });

  it("counts every member's spend against the team budget", () => {
    const state = emptyLedger();
    const team = budgetSpec({ subject: { type: "team", teamId: T }, limit: 300 });
    const at = new Date(NOV);
    for (const who of [alice, bob, alice]) {
      const r = admitted(admit(state, { rateLimits: [], budgets: applicableBudgets([team], who, at), estimate: tokens(100) }, NOV));
      settle(state, { reservationId: r, actual: tokens(100) }, NOV);
    }
    const teamBudget = applicableBudgets([team], bob, at)[0]!;
    expect(budgetOf(state, teamBudget)).toEqual({ spent: 300, reserved: 0 });
    const refused = admit(state, { rateLimits: [], budgets: applicableBudgets([team], bob, at), estimate: tokens(1) }, NOV);
    expect(refused.admitted).toBe(false);
  });
});

describe("admission", () => {
  it("is all-or-nothing: one exhausted rate limit refuses the call and no counter or budget changes", () => {
    const state = emptyLedger();
    const loose = rateSpec({ limit: 100 });
    const tight = rateSpec({ limit: 2, per: "token" });
    const team = budgetSpec({ subject: { type: "team", teamId: T } });
    const rateLimits = applicableRateLimits([loose, tight], alice, { kind: "llm" });
    const budgets = applicableBudgets([team], alice, new Date(NOV));
    for (let i = 0; i < 2; i++) admitted(admit(state, { rateLimits, budgets, estimate: tokens(10) }, NOV + i));
    const before = structuredClone(state);
    const result = admit(state, { rateLimits, budgets, estimate: tokens(10) }, NOV + 2);
    expect(result.admitted).toBe(false);
    if (result.admitted) return;
    expect(result.refusals).toEqual([
      { kind: "rateLimit", specId: tight.id, name: "rate", counterKey: rateLimits[1]!.counterKey, limit: 2, windowMs: 60_000, retryAfterSeconds: result.retryAfterSeconds },
    ]);
    expect(result.retryAfterSeconds).toBeGreaterThan(0);
    expect(state).toEqual(before);
  });

  it("is all-or-nothing the other way: an exhausted budget refuses and no rate-limit counter moves; every obstacle is named", () => {
    const state = emptyLedger();
    const rate = rateSpec({ limit: 1 });
    const userBudget = budgetSpec({ subject: { type: "user", userId: alice.userId }, limit: 50 });
    const tokenBudget = budgetSpec({ subject: { type: "token", tokenId: alice.tokenId! }, limit: 40 });
    const rateLimits = applicableRateLimits([rate], alice, { kind: "llm" });
    const budgets = applicableBudgets([userBudget, tokenBudget], alice, new Date(NOV));
    const result = admit(state, { rateLimits, budgets, estimate: tokens(45) }, NOV);
    expect(result.admitted).toBe(false);
    if (!result.admitted) {
      expect(result.refusals.map((r) => [r.kind, r.specId])).toEqual([["budget", tokenBudget.id]]);
      // Budgets free up when the period ends (Dec 1).
      expect(result.retryAfterSeconds).toBe((Date.parse("2026-12-01T00:00:00Z") - NOV) / 1000);
    }
    expect(state).toEqual(emptyLedger());
    // The rate limit still has its one request available.
    expect(admit(state, { rateLimits, budgets, estimate: tokens(40) }, NOV).admitted).toBe(true);
    const both = admit(state, { rateLimits, budgets, estimate: tokens(10) }, NOV + 1);
    expect(!both.admitted && both.refusals.map((r) => r.kind).sort()).toEqual(["budget", "rateLimit"]);
  });

  it("reserves the estimate so concurrent calls cannot all pass, and an exhausted budget refuses even an estimate of 0", () => {
    const state = emptyLedger();
    const budgets = applicableBudgets([budgetSpec({ subject: { type: "user", userId: alice.userId }, limit: 100 })], alice, new Date(NOV));
    admitted(admit(state, { rateLimits: [], budgets, estimate: tokens(60) }, NOV));
    expect(admit(state, { rateLimits: [], budgets, estimate: tokens(50) }, NOV).admitted).toBe(false);
    const r = admitted(admit(state, { rateLimits: [], budgets, estimate: tokens(40) }, NOV));
    expect(budgetOf(state, budgets[0]!)).toEqual({ spent: 0, reserved: 100 });
    expect(admit(state, { rateLimits: [], budgets, estimate: tokens(0) }, NOV).admitted).toBe(false);
    settle(state, { reservationId: r, actual: tokens(10) }, NOV);
    expect(budgetOf(state, budgets[0]!)).toEqual({ spent: 10, reserved: 60 });
    expect(admit(state, { rateLimits: [], budgets, estimate: tokens(0) }, NOV).admitted).toBe(true);
  });

  it("flag budgets admit over the cap and mark the call; block budgets refuse", () => {
    const state = emptyLedger();
    const flag = budgetSpec({ subject: { type: "user", userId: alice.userId }, limit: 10, onExceed: "flag", metric: "usd" });
    const budgets = applicableBudgets([flag], alice, new Date(NOV));
    const first = admit(state, { rateLimits: [], budgets, estimate: { tokens: 0, microUsd: 5 } }, NOV);
    expect(first.admitted && first.flagged).toEqual([]);
    const second = admit(state, { rateLimits: [], budgets, estimate: { tokens: 0, microUsd: 6 } }, NOV);
    expect(second.admitted && second.flagged.map((f) => [f.specId, f.reserved, f.limit])).toEqual([[flag.id, 5, 10]]);
    const block = applicableBudgets([{ ...flag, onExceed: "block" }], alice, new Date(NOV));
    expect(admit(state, { rateLimits: [], budgets: block, estimate: { tokens: 0, microUsd: 1 } }, NOV).admitted).toBe(false);
  });

  it("needs no reservation when no budget applies, and still counts the rate limits", () => {
    const state = emptyLedger();
    const rateLimits = applicableRateLimits([rateSpec({ limit: 1 })], bob, { kind: "mcp", serverSlug: "github", tool: "search" });
    expect(admit(state, { rateLimits, budgets: [], estimate: tokens(0) }, NOV)).toEqual({ admitted: true, reservationId: null, expiresAt: null, flagged: [], at: NOV });
    expect(admit(state, { rateLimits, budgets: [], estimate: tokens(0) }, NOV).admitted).toBe(false);
  });

  it("refuses nonsense amounts before touching anything", () => {
    const state = emptyLedger();
    expect(() => admit(state, { rateLimits: [], budgets: [], estimate: { tokens: -1, microUsd: 0 } }, NOV)).toThrow(RangeError);
    expect(() => admit(state, { rateLimits: [], budgets: [], estimate: { tokens: 1.5, microUsd: 0 } }, NOV)).toThrow(RangeError);
    expect(() => record(state, { budgets: [], amount: { tokens: 0, microUsd: Number.NaN } }, NOV)).toThrow(RangeError);
  });
});

describe("settlement, expiry and periods", () => {
  const budgets = () => applicableBudgets([budgetSpec({ subject: { type: "user", userId: alice.userId }, limit: 1000 })], alice, new Date(NOV));

  it("settles once: a second settle of the same reservation counts nothing", () => {
    const state = emptyLedger();
    const b = budgets();
    const r = admitted(admit(state, { rateLimits: [], budgets: b, estimate: tokens(100) }, NOV));
    expect(settle(state, { reservationId: r, actual: tokens(70) }, NOV)).toEqual({ settled: true, late: false, crossings: [] });
    expect(settle(state, { reservationId: r, actual: tokens(70) }, NOV)).toEqual({ settled: false, reason: "UNKNOWN_RESERVATION" });
    expect(budgetOf(state, b[0]!)).toEqual({ spent: 70, reserved: 0 });
  });

  it("releases a reservation that was never settled after its TTL; a late settle still counts the spend, until the grace ends", () => {
    const state = emptyLedger();
    const b = budgets();
    const ttl = DEFAULT_LEDGER_OPTIONS.reservationTtlMs;
    const crashed = admitted(admit(state, { rateLimits: [], budgets: b, estimate: tokens(900) }, NOV));
    const late = admitted(admit(state, { rateLimits: [], budgets: b, estimate: tokens(100) }, NOV));
    expect(admit(state, { rateLimits: [], budgets: b, estimate: tokens(1) }, NOV).admitted).toBe(false);
    expect(expire(state, NOV + ttl - 1).released).toEqual([]);
    expect(expire(state, NOV + ttl).released).toEqual([crashed, late]);
    expect(budgetOf(state, b[0]!)).toEqual({ spent: 0, reserved: 0 });
    expect(snapshot(state, NOV + ttl).reservations).toEqual({ live: 0, released: 2 });
    expect(admit(state, { rateLimits: [], budgets: b, estimate: tokens(500) }, NOV + ttl).admitted).toBe(true);
    expect(settle(state, { reservationId: late, actual: tokens(80) }, NOV + ttl + 1)).toEqual({ settled: true, late: true, crossings: [] });
    expect(budgetOf(state, b[0]!)).toEqual({ spent: 80, reserved: 500 });
    expire(state, NOV + ttl + DEFAULT_LEDGER_OPTIONS.lateSettleGraceMs);
    expect(settle(state, { reservationId: crashed, actual: tokens(900) }, NOV + ttl + DEFAULT_LEDGER_OPTIONS.lateSettleGraceMs)).toEqual({ settled: false, reason: "UNKNOWN_RESERVATION" });
  });

  it("honours a per-call TTL", () => {
    const state = emptyLedger();
    const result = admit(state, { rateLimits: [], budgets: budgets(), estimate: tokens(1), ttlMs: 5_000 }, NOV);
    expect(result.admitted && result.expiresAt).toBe(NOV + 5_000);
    expect(expire(state, NOV + 5_000).released).toHaveLength(1);
  });

  it("rolls over at the UTC calendar boundary: November's exhausted counter does not block December, and is pruned later", () => {
    const state = emptyLedger();
    const spec = budgetSpec({ subject: { type: "team", teamId: T }, limit: 100 });
    const lastMs = Date.parse("2026-11-30T23:59:59.999Z");
    record(state, { budgets: applicableBudgets([spec], alice, new Date(lastMs)), amount: tokens(100) }, lastMs);
    expect(admit(state, { rateLimits: [], budgets: applicableBudgets([spec], alice, new Date(lastMs)), estimate: tokens(1) }, lastMs).admitted).toBe(false);
    const dec = lastMs + 1;
    const decBudgets = applicableBudgets([spec], alice, new Date(dec));
    const r = admitted(admit(state, { rateLimits: [], budgets: decBudgets, estimate: tokens(10) }, dec));
    settle(state, { reservationId: r, actual: tokens(10) }, dec);
    const snap = snapshot(state, dec);
    expect(snap.budgets.map((b) => [b.periodKey, b.spent, b.reserved, b.limit, b.percent, b.current])).toEqual([
      ["2026-11", 100, 0, 100, 100, false],
      ["2026-12", 10, 0, 100, 10, true],
    ]);
    expire(state, dec + DEFAULT_LEDGER_OPTIONS.budgetRetentionMs);
    expect(snapshot(state, dec + DEFAULT_LEDGER_OPTIONS.budgetRetentionMs).budgets.map((b) => b.periodKey)).toEqual(["2026-12"]);
  });

  it("settles into the period the call was admitted in, even after the period ended", () => {
    const state = emptyLedger();
    const spec = budgetSpec({ subject: { type: "user", userId: alice.userId }, period: "day" });
    const t = Date.parse("2026-11-26T23:59:59Z");
    const r = admitted(admit(state, { rateLimits: [], budgets: applicableBudgets([spec], alice, new Date(t)), estimate: tokens(5) }, t));
    settle(state, { reservationId: r, actual: tokens(7) }, t + 10_000);
    expect(snapshot(state, t + 10_000).budgets.map((b) => [b.periodKey, b.spent])).toEqual([["2026-11-26", 7]]);
  });

  it("reports each alert threshold once per period, including several crossed at once", () => {
    const state = emptyLedger();
    const spec = budgetSpec({ subject: { type: "user", userId: alice.userId }, limit: 1000, onExceed: "flag" });
    const b = applicableBudgets([spec], alice, new Date(NOV));
    const spend = (n: number, at = NOV, budgets = b) => record(state, { budgets, amount: tokens(n) }, at).crossings.map((c) => c.threshold);
    expect(spend(499)).toEqual([]);
    expect(spend(1)).toEqual([50]);
    expect(spend(100)).toEqual([]);
    const r = admitted(admit(state, { rateLimits: [], budgets: b, estimate: tokens(10) }, NOV));
    const settled = settle(state, { reservationId: r, actual: tokens(500) }, NOV);
    expect(settled.settled && settled.crossings.map((c) => [c.threshold, c.spent, c.limit])).toEqual([
      [80, 1100, 1000],
      [100, 1100, 1000],
    ]);
    expect(spend(1000)).toEqual([]);
    const dec = Date.parse("2026-12-02T00:00:00Z");
    expect(spend(1000, dec, applicableBudgets([spec], alice, new Date(dec)))).toEqual([50, 80, 100]);
  });
});

describe("cancel (rolling back one shard's part of a refused call)", () => {
  const userBudget = () => applicableBudgets([budgetSpec({ subject: { type: "user", userId: alice.userId }, limit: 1000 })], alice, new Date(NOV));

  it("gives back the reservation and un-counts the rate-limit hit: the state is as before the admission", () => {
    const state = emptyLedger();
    const rateLimits = applicableRateLimits([rateSpec({ limit: 3 })], alice, { kind: "llm" });
    const budgets = userBudget();
    const input: AdmitInput = { rateLimits, budgets, estimate: tokens(100) };
    admitted(admit(state, input, NOV));
    const before = structuredClone(state);
    const result = admit(state, input, NOV + 5);
    const id = admitted(result);
    expect(budgetOf(state, budgets[0]!)).toEqual({ spent: 0, reserved: 200 });
    expect(cancel(state, { reservationId: id, hits: rateLimits.map((r) => ({ counterKey: r.counterKey, windowMs: r.windowMs, at: result.admitted ? result.at : 0 })) }, NOV + 6)).toEqual({ released: true, uncounted: 1 });
    expect(state).toEqual(before);
    // The cancelled reservation is gone: settling it counts nothing.
    expect(settle(state, { reservationId: id, actual: tokens(50) }, NOV + 7)).toEqual({ settled: false, reason: "UNKNOWN_RESERVATION" });
    expect(budgetOf(state, budgets[0]!)).toEqual({ spent: 0, reserved: 100 });
  });

  it("un-counts a hit from the previous window once the window has moved on, and ignores one that no longer counts", () => {
    const state = emptyLedger();
    const [rl] = applicableRateLimits([rateSpec({ limit: 10, windowSeconds: 60 })], alice, { kind: "llm" });
    const hitAt = NOV + 59_000;
    admit(state, { rateLimits: [rl!], budgets: [], estimate: tokens(0) }, hitAt);
    admit(state, { rateLimits: [rl!], budgets: [], estimate: tokens(0) }, hitAt);
    admit(state, { rateLimits: [rl!], budgets: [], estimate: tokens(0) }, NOV + 61_000);
    expect(state.windows[rl!.counterKey]).toMatchObject({ start: NOV + 60_000, previous: 2, current: 1 });
    const hit = { counterKey: rl!.counterKey, windowMs: 60_000, at: hitAt };
    expect(cancel(state, { reservationId: null, hits: [hit] }, NOV + 62_000)).toEqual({ released: false, uncounted: 1 });
    expect(state.windows[rl!.counterKey]).toMatchObject({ previous: 1, current: 1 });
    // A hit two windows back has left the sliding window: nothing to take back.
    expect(cancel(state, { reservationId: null, hits: [{ ...hit, at: NOV - 60_000 }] }, NOV + 62_000)).toEqual({ released: false, uncounted: 0 });
    // Never below zero, and never in a counter kept with another window length.
    expect(cancel(state, { reservationId: null, hits: [hit, { ...hit, counterKey: "rl:none" }] }, NOV + 62_000).uncounted).toBe(1);
    expect(cancel(state, { reservationId: null, hits: [hit] }, NOV + 62_000).uncounted).toBe(0);
    expect(cancel(state, { reservationId: null, hits: [{ ...hit, windowMs: 30_000, at: NOV + 61_000 }] }, NOV + 62_000).uncounted).toBe(0);
    expect(state.windows[rl!.counterKey]).toMatchObject({ previous: 0, current: 1 });
  });

  it("forgets an expired reservation without giving its holds back twice; an unknown one changes nothing", () => {
    const state = emptyLedger();
    const budgets = userBudget();
    const crashed = admitted(admit(state, { rateLimits: [], budgets, estimate: tokens(400), ttlMs: 10 }, NOV));
    admitted(admit(state, { rateLimits: [], budgets, estimate: tokens(300) }, NOV));
    expire(state, NOV + 10);
    expect(budgetOf(state, budgets[0]!)).toEqual({ spent: 0, reserved: 300 });
    expect(cancel(state, { reservationId: crashed, hits: [] }, NOV + 11)).toEqual({ released: true, uncounted: 0 });
    expect(budgetOf(state, budgets[0]!)).toEqual({ spent: 0, reserved: 300 });
    const before = structuredClone(state);
    expect(cancel(state, { reservationId: crashed, hits: [] }, NOV + 12)).toEqual({ released: false, uncounted: 0 });
    expect(state).toEqual(before);
  });

  it("takes the reservation id from the caller (one id in every shard of a call), and refuses an id already held", () => {
    const one = emptyLedger();
    const two = emptyLedger();
    const [user] = userBudget();
    const [team] = applicableBudgets([budgetSpec({ subject: { type: "team", teamId: T } })], alice, new Date(NOV));
    const id = "call-1";
    expect(admit(one, { rateLimits: [], budgets: [user!], estimate: tokens(5), reservationId: id }, NOV)).toMatchObject({ admitted: true, reservationId: id });
    expect(admit(two, { rateLimits: [], budgets: [team!], estimate: tokens(5), reservationId: id }, NOV)).toMatchObject({ admitted: true, reservationId: id });
    expect(() => admit(one, { rateLimits: [], budgets: [user!], estimate: tokens(5), reservationId: id }, NOV)).toThrow(RangeError);
    expect(() => admit(one, { rateLimits: [], budgets: [user!], estimate: tokens(5), reservationId: "" }, NOV)).toThrow(RangeError);
    expect(settle(two, { reservationId: id, actual: tokens(4) }, NOV)).toMatchObject({ settled: true });
    expect(budgetOf(two, team!)).toEqual({ spent: 4, reserved: 0 });
  });
});

describe("sharded admission: one ledger per counter key, all-or-nothing by cancel", () => {
  /**
   * 200 calls of 5 users against a team budget, a team rate limit and a per-user rate limit, each
   * counter in its own ledger (as each counter key is its own Durable Object). Every step of every
   * call — its admission at each shard, the cancels after a refusal, its settle — runs in a random
   * interleaving with the other calls' steps. Rate limits never admit more calls than their limit
   * and count exactly the calls admitted everywhere; the budget's spend stays within the
   * documented bound, computed over the reservations live at its last admission.
   */
  function shardedRace(seed: number) {
    const rand = seededRandom(seed);
    const MAX = 400;
    const LIMIT = 20_000;
    const spec = budgetSpec({ subject: { type: "team", teamId: T }, limit: LIMIT });
    const teamRate = rateSpec({ subject: { type: "team", teamId: T }, per: "team", limit: 150, windowSeconds: 3600 });
    const userRate = rateSpec({ per: "user", limit: 35, windowSeconds: 3600 });
    const users = Array.from({ length: 5 }, (): LimitPrincipal => ({ userId: id(), teamIds: [T], tokenId: null }));
    const shards = new Map<string, LedgerState>();
    const shard = (key: string) => shards.get(key) ?? shards.set(key, emptyLedger()).get(key)!;
    type Call = { who: LimitPrincipal; estimate: number; actual: number; fate: "pending" | "admitted" | "refused"; answers: number; ok: { key: string; at: number; windowMs?: number }[]; refused: boolean; reservationId: string };
    const calls: Call[] = Array.from({ length: 200 }, (_, i) => ({ who: users[i % users.length]!, estimate: Math.floor(rand() * MAX), actual: Math.floor(rand() * (MAX + 1)), fate: "pending", answers: 0, ok: [], refused: false, reservationId: `r${i}` }));
    const steps: (() => void)[] = [];
    const holders = new Set<Call>();
    let lastAdmission: Call[] = [];
    let now = NOV;
    for (const call of calls) {
      const rateLimits = applicableRateLimits([teamRate, userRate], call.who, { kind: "llm" });
      const budgets = applicableBudgets([spec], call.who, new Date(NOV));
      const parts = [...rateLimits.map((rl) => ({ key: rl.counterKey, input: { rateLimits: [rl], budgets: [], estimate: tokens(call.estimate) }, windowMs: rl.windowMs })), ...budgets.map((b) => ({ key: b.counterKey, input: { rateLimits: [], budgets: [b], estimate: tokens(call.estimate), reservationId: call.reservationId }, windowMs: undefined }))];
      const answered = () => {
        if (++call.answers < parts.length) return;
        if (!call.refused) {
          call.fate = "admitted";
          steps.push(() => {
            settle(shard(budgets[0]!.counterKey), { reservationId: call.reservationId, actual: tokens(call.actual) }, now);
            holders.delete(call);
          });
          return;
        }
        call.fate = "refused";
        for (const ok of call.ok) {
          steps.push(() => {
            cancel(shard(ok.key), { reservationId: ok.windowMs === undefined ? call.reservationId : null, hits: ok.windowMs === undefined ? [] : [{ counterKey: ok.key, windowMs: ok.windowMs, at: ok.at }] }, now);
            if (ok.windowMs === undefined) holders.delete(call);
          });
        }
      };
      for (const part of parts) {
        steps.push(() => {
          const result = admit(shard(part.key), part.input, now);
          if (result.admitted) {
            call.ok.push({ key: part.key, at: result.at, windowMs: part.windowMs });
            if (part.windowMs === undefined) {
              holders.add(call);
              lastAdmission = [...holders];
            }
          } else call.refused = true;
          answered();
        });
      }
    }
    while (steps.length > 0) {
      now += 1;
      steps.splice(Math.floor(rand() * steps.length), 1)[0]!();
    }
    const admittedCalls = calls.filter((c) => c.fate === "admitted");
    for (const rl of [teamRate, userRate]) {
      for (const [key, state] of shards) {
        if (!key.startsWith(`rl:${rl.id}:`)) continue;
        const counted = admittedCalls.filter((c) => applicableRateLimits([rl], c.who, { kind: "llm" })[0]!.counterKey === key).length;
        expect(counted).toBeLessThanOrEqual(rl.limit);
        expect(state.windows[key]).toMatchObject({ current: counted, previous: 0 });
      }
    }
    const budget = snapshot(shard(applicableBudgets([spec], users[0]!, new Date(NOV))[0]!.counterKey), now).budgets[0]!;
    expect(budget.reserved).toBe(0);
    expect(budget.spent).toBe(admittedCalls.reduce((s, c) => s + c.actual, 0));
    // A call cancelled after the last admission held its estimate then and spent nothing.
    const bound = overshootBound(lastAdmission.map((c) => ({ estimate: c.estimate, actual: c.fate === "admitted" ? c.actual : 0 })));
    expect(budget.spent).toBeLessThanOrEqual(LIMIT + bound);
    return { admitted: admittedCalls.length, spent: budget.spent, bound };
  }

  it("keeps every rate limit exact and the budget within its bound, whatever the interleaving", () => {
    let refusedSomewhere = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const r = shardedRace(seed);
      if (r.admitted < 200) refusedSomewhere++;
      expect(r.admitted).toBeLessThanOrEqual(150);
    }
    expect(refusedSomewhere).toBe(20);
  });
});

describe("overshoot under concurrency", () => {
  it("computes the documented bound", () => {
    expect(overshootBound([])).toBe(0);
    expect(overshootBound([{ estimate: 100, actual: 80 }, { estimate: 0, actual: 50 }, { estimate: 10, actual: 30 }])).toBe(70);
    expect(overshootBound(Array.from({ length: 7 }, () => ({ estimate: 0, actual: 400 })), 25)).toBe(7 * 400 + 25);
  });

  /**
   * 200 calls against one team budget (and a per-team rate limit) from several users, in a random
   * interleaving of admissions and settlements: the budget's final spend never exceeds
   * limit + overshootBound(calls unsettled at the last admission), and the rate limit counted
   * exactly the admitted calls.
   */
  function race(seed: number, estimateOf: (max: number, rand: () => number) => number, allAdmitsFirst: boolean) {
    const rand = seededRandom(seed);
    const MAX = 400;
    const LIMIT = 20_000;
    const state = emptyLedger();
    const spec = budgetSpec({ subject: { type: "team", teamId: T }, limit: LIMIT });
    const rate = rateSpec({ subject: { type: "team", teamId: T }, per: "team", limit: 150, windowSeconds: 3600 });
    const users = Array.from({ length: 5 }, (): LimitPrincipal => ({ userId: id(), teamIds: [T], tokenId: rand() < 0.5 ? id() : null }));
    const pending = Array.from({ length: 200 }, (_, i) => ({ who: users[i % users.length]!, estimate: estimateOf(MAX, rand), actual: Math.floor(rand() * (MAX + 1)) }));
    const inFlight = new Map<string, { estimate: number; actual: number }>();
    let lastAdmissionInFlight: { estimate: number; actual: number }[] = [];
    const admittedCalls: { estimate: number; actual: number }[] = [];
    let refused = 0;
    let now = NOV;
    while (pending.length > 0 || inFlight.size > 0) {
      now += 1;
      const doAdmit = pending.length > 0 && (allAdmitsFirst || inFlight.size === 0 || rand() < 0.5);
      if (doAdmit) {
        const call = pending.shift()!;
        const result = admit(state, { rateLimits: applicableRateLimits([rate], call.who, { kind: "llm" }), budgets: applicableBudgets([spec], call.who, new Date(now)), estimate: tokens(call.estimate) }, now);
        if (result.admitted) {
          inFlight.set(result.reservationId!, call);
          admittedCalls.push(call);
          lastAdmissionInFlight = [...inFlight.values()];
        } else refused++;
      } else {
        const keys = [...inFlight.keys()];
        const key = keys[Math.floor(rand() * keys.length)]!;
        settle(state, { reservationId: key, actual: tokens(inFlight.get(key)!.actual) }, now);
        inFlight.delete(key);
      }
    }
    const [counter] = snapshot(state, now).budgets;
    const spent = counter!.spent;
    expect(spent).toBe(admittedCalls.reduce((s, c) => s + c.actual, 0));
    expect(counter!.reserved).toBe(0);
    const bound = overshootBound(lastAdmissionInFlight);
    expect(spent).toBeLessThanOrEqual(LIMIT + bound);
    expect(bound).toBeLessThanOrEqual(overshootBound(admittedCalls));
    const window = Object.values(state.windows)[0]!;
    expect(window.current + window.previous).toBe(admittedCalls.length);
    expect(admittedCalls.length + refused).toBe(200);
    return { spent, bound, admitted: admittedCalls.length, refused };
  }

  it("with estimate 0: spend ≤ limit + (calls in flight at the crossing) × max cost", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = race(seed, () => 0, seed % 2 === 0);
      expect(r.refused).toBeGreaterThan(0);
    }
    // 200 concurrent admissions before any settle: all count at once (rate limit refuses past 150).
    const burst = race(99, () => 0, true);
    expect(burst.admitted).toBe(150);
    expect(burst.bound).toBe(burst.spent);
  });

  it("with random under-estimates: spend ≤ limit + Σ max(0, actual − estimate) over calls in flight", () => {
    for (let seed = 1; seed <= 20; seed++) race(seed, (max, rand) => Math.floor(rand() * max), seed % 3 === 0);
  });

  it("with estimates that bound the cost (max_tokens): spend never exceeds the limit", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = race(seed, (max) => max, seed % 2 === 0);
      expect(r.bound).toBe(0);
      expect(r.spent).toBeLessThanOrEqual(20_000);
    }
  });
});

describe("reconciliation with the console (budget floor)", () => {
  it("never counts less than the console's baseline, and keeps edge spend above it", () => {
    const state = emptyLedger();
    const spec = { id: "00000000-0000-4000-8000-00000000b001", name: "b", subject: { type: "user" as const, userId: "00000000-0000-4000-8000-0000000000a1" }, metric: "tokens" as const, limit: 100, period: "month" as const, onExceed: "block" as const };
    const who = { userId: "00000000-0000-4000-8000-0000000000a1", teamIds: [], tokenId: null };
    const at = new Date("2026-11-26T12:00:00Z");
    const [budget] = applicableBudgets([spec], who, at, [{ budgetId: spec.id, periodKey: "2026-11", spent: 95 }]);
    expect(budget!.floor).toBe(95);
    // 95 seen by the console + 10 reserved > 100: refused although the edge has counted nothing.
    const refused = admit(state, { rateLimits: [], budgets: [budget!], estimate: { tokens: 10, microUsd: 0 } }, at.getTime());
    expect(refused).toMatchObject({ admitted: false, refusals: [{ kind: "budget", spent: 95 }] });
    const ok = admit(state, { rateLimits: [], budgets: [budget!], estimate: { tokens: 4, microUsd: 0 } }, at.getTime());
    expect(ok.admitted).toBe(true);
    settle(state, { reservationId: (ok as { reservationId: string }).reservationId, actual: { tokens: 4, microUsd: 0 } }, at.getTime());
    expect(state.budgets[budget!.counterKey]!.spent).toBe(99);
    // A later, lower baseline (older data) does not lower the counter; another period has none.
    const [again] = applicableBudgets([spec], who, at, [{ budgetId: spec.id, periodKey: "2026-11", spent: 50 }]);
    expect(admit(state, { rateLimits: [], budgets: [again!], estimate: { tokens: 2, microUsd: 0 } }, at.getTime()).admitted).toBe(false);
    const [december] = applicableBudgets([spec], who, new Date("2026-12-01T00:00:00Z"), [{ budgetId: spec.id, periodKey: "2026-11", spent: 95 }]);
    expect(december!.floor).toBeUndefined();
  });
});
