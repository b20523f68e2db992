/**
 * The Counters Durable Object in workerd (wrangler's local runtime): the real Worker, driven over
 * HTTP through the test entry's counters hooks (src/testing/test-entry.ts, on only with
 * PORTCULLIS_TEST_HOOKS=1). What the pure ledger's tests prove in Node must hold with real storage
 * and real concurrency: 200 simultaneous admissions around a budget's cap, all-or-nothing
 * admission, and rate-limit refusals with a retry-after.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applicableBudgets, applicableRateLimits, type LimitPrincipal } from "@core/limits/keys";
import { overshootBound, type AdmitInput, type AdmitResult, type Crossing, type LedgerSnapshot, type RecordInput, type SettleInput, type SettleResult } from "@core/limits/ledger";
import type { BudgetSpec, RateLimitSpec } from "@core/limits/schema";
import { startPortal, type PortalUnderTest } from "@/testing/portal";

const id = () => crypto.randomUUID();
const tokens = (n: number) => ({ tokens: n, microUsd: 0 });

function budgetSpec(parts: Partial<BudgetSpec> & Pick<BudgetSpec, "subject">): BudgetSpec {
  return { id: id(), name: "budget", metric: "tokens", limit: 1000, period: "month", onExceed: "block", ...parts };
}

function rateSpec(parts: Partial<RateLimitSpec> = {}): RateLimitSpec {
  return { id: id(), name: "rate", subject: { type: "everyone" }, per: "user", scope: { kind: "all" }, limit: 100, windowSeconds: 86_400, ...parts };
}

describe("Counters Durable Object in workerd", () => {
  let portal: PortalUnderTest;

  beforeAll(async () => {
    // Nothing here delivers events: the console URL is an address that refuses connections.
    portal = await startPortal({ consoleUrl: "http://127.0.0.1:9", testHooks: true });
    // Start the Durable Object now, so the first test does not time its cold start.
    expect((await call<LedgerSnapshot>("snapshot")).status).toBe(200);
  }, 90_000);

  afterAll(async () => {
    await portal?.stop();
  });

  const origin = () => portal.origin;

  async function call<T>(op: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${origin()}/_portcullis/test/counters/${op}`, { method: "POST", body: JSON.stringify(body ?? {}), headers: { "content-type": "application/json" } });
    return { status: res.status, body: (await res.json()) as T };
  }
  const admit = async (input: AdmitInput) => (await call<AdmitResult>("admit", input)).body;
  const settle = async (input: SettleInput) => (await call<SettleResult>("settle", input)).body;
  const record = async (input: RecordInput) => (await call<{ crossings: Crossing[] }>("record", input)).body;
  const budgetIn = async (specId: string) => (await call<LedgerSnapshot>("snapshot")).body.budgets.find((b) => b.specId === specId);

  it("admits 200 concurrent calls around a team budget's cap: spend ≤ limit + the documented bound, and only admitted calls count", async () => {
    const team = id();
    const users: LimitPrincipal[] = Array.from({ length: 8 }, (_, i) => ({ userId: id(), teamIds: [team], tokenId: i % 2 ? id() : null }));
    const LIMIT = 10_000;
    const MAX = 300;
    const spec = budgetSpec({ subject: { type: "team", teamId: team }, limit: LIMIT });
    const rate = rateSpec({ subject: { type: "team", teamId: team }, per: "team", limit: 250 });
    const calls = Array.from({ length: 200 }, (_, i) => ({ who: users[i % users.length]!, estimate: 50 + Math.floor(Math.random() * 101), actual: Math.floor(Math.random() * (MAX + 1)) }));
    const at = new Date();

    const results = await Promise.all(
      calls.map((c) => admit({ rateLimits: applicableRateLimits([rate], c.who, { kind: "llm" }), budgets: applicableBudgets([spec], c.who, at), estimate: tokens(c.estimate) })),
    );
    const admitted = calls.flatMap((c, i) => {
      const r = results[i]!;
      return r.admitted ? [{ ...c, reservationId: r.reservationId! }] : [];
    });
    const refused = results.filter((r) => !r.admitted);
    expect(admitted.length).toBeGreaterThan(50);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(!r.admitted && r.refusals.map((x) => [x.kind, x.specId])).toEqual([["budget", spec.id]]);
    // Exactly the admitted calls hold a reservation: their estimates, within the cap.
    const reserved = admitted.reduce((s, c) => s + c.estimate, 0);
    expect(await budgetIn(spec.id)).toMatchObject({ spent: 0, reserved, limit: LIMIT });
    expect(reserved).toBeLessThanOrEqual(LIMIT);

    const liveBefore = (await call<LedgerSnapshot>("snapshot")).body.reservations.live;
    const settled = await Promise.all(admitted.map((c) => settle({ reservationId: c.reservationId, actual: tokens(c.actual) })));
    expect(settled.every((s) => s.settled && !s.late)).toBe(true);
    const spent = admitted.reduce((s, c) => s + c.actual, 0);
    const snap = await budgetIn(spec.id);
    expect(snap).toMatchObject({ spent, reserved: 0, limit: LIMIT, current: true });
    expect((await call<LedgerSnapshot>("snapshot")).body.reservations.live).toBe(liveBefore - admitted.length);
    // Every admission happened before any settle, so all admitted calls were in flight at the last one.
    expect(spent).toBeLessThanOrEqual(LIMIT + overshootBound(admitted));
    // Settling again counts nothing.
    expect(await settle({ reservationId: admitted[0]!.reservationId, actual: tokens(MAX) })).toEqual({ settled: false, reason: "UNKNOWN_RESERVATION" });
    expect((await budgetIn(spec.id))?.spent).toBe(spent);

    // The shared team rate limit counted the admitted calls only: exactly 250 − admitted more fit.
    const probes = await Promise.all(Array.from({ length: 250 }, (_, i) => admit({ rateLimits: applicableRateLimits([rate], users[i % users.length]!, { kind: "llm" }), budgets: [], estimate: tokens(0) })));
    expect(probes.filter((p) => p.admitted).length).toBe(250 - admitted.length);
  });

  it("refuses a call over a rate limit with a retry-after", async () => {
    const who: LimitPrincipal = { userId: id(), teamIds: [], tokenId: id() };
    const rate = rateSpec({ per: "token", limit: 3, windowSeconds: 60 });
    const input: AdmitInput = { rateLimits: applicableRateLimits([rate], who, { kind: "mcp", serverSlug: "github", tool: "search" }), budgets: [], estimate: tokens(0) };
    for (let i = 0; i < 3; i++) expect((await admit(input)).admitted).toBe(true);
    const refused = await admit(input);
    expect(refused.admitted).toBe(false);
    if (refused.admitted) return;
    expect(refused.refusals).toEqual([{ kind: "rateLimit", specId: rate.id, name: "rate", counterKey: `rl:${rate.id}:k:${who.tokenId}`, limit: 3, windowMs: 60_000, retryAfterSeconds: refused.retryAfterSeconds }]);
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(120);
  });

  it("is all-or-nothing: a refusal by one limit leaves every other counter and budget untouched", async () => {
    const who: LimitPrincipal = { userId: id(), teamIds: [id()], tokenId: null };
    const loose = rateSpec({ limit: 10 });
    const tight = rateSpec({ limit: 1 });
    const spec = budgetSpec({ subject: { type: "user", userId: who.userId }, limit: 1000 });
    const budgets = applicableBudgets([spec], who, new Date());
    const both = applicableRateLimits([loose, tight], who, { kind: "llm" });
    const first = await admit({ rateLimits: both, budgets, estimate: tokens(100) });
    expect(first.admitted).toBe(true);
    const second = await admit({ rateLimits: both, budgets, estimate: tokens(100) });
    expect(!second.admitted && second.refusals.map((r) => r.specId)).toEqual([tight.id]);
    expect(await budgetIn(spec.id)).toMatchObject({ spent: 0, reserved: 100 });
    // The loose limit counted only the first call: 9 more fit, not 8.
    const onlyLoose = applicableRateLimits([loose], who, { kind: "llm" });
    const more = await Promise.all(Array.from({ length: 10 }, () => admit({ rateLimits: onlyLoose, budgets: [], estimate: tokens(0) })));
    expect(more.filter((r) => r.admitted).length).toBe(9);
  });

  it("releases an expired reservation on the next call; a late settle still counts the actual spend", async () => {
    const who: LimitPrincipal = { userId: id(), teamIds: [], tokenId: null };
    const spec = budgetSpec({ subject: { type: "user", userId: who.userId }, limit: 100 });
    const budgets = applicableBudgets([spec], who, new Date());
    const crashed = await admit({ rateLimits: [], budgets, estimate: tokens(100), ttlMs: 1 });
    expect(crashed.admitted).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    // The expired reservation no longer holds the budget: a new call fits.
    const next = await admit({ rateLimits: [], budgets, estimate: tokens(60) });
    expect(next.admitted).toBe(true);
    expect(await budgetIn(spec.id)).toMatchObject({ spent: 0, reserved: 60 });
    expect(await settle({ reservationId: crashed.admitted ? crashed.reservationId! : "", actual: tokens(30) })).toEqual({ settled: true, late: true, crossings: [] });
    expect(await budgetIn(spec.id)).toMatchObject({ spent: 30, reserved: 60 });
  });

  it("records unadmitted spend with threshold alerts, and refuses bad amounts", async () => {
    const who: LimitPrincipal = { userId: id(), teamIds: [], tokenId: id() };
    const spec = budgetSpec({ subject: { type: "token", tokenId: who.tokenId! }, limit: 100, onExceed: "flag" });
    const budgets = applicableBudgets([spec], who, new Date());
    expect((await record({ budgets, amount: tokens(85) })).crossings.map((c) => c.threshold)).toEqual([50, 80]);
    expect((await record({ budgets, amount: tokens(10) })).crossings).toEqual([]);
    const flagged = await admit({ rateLimits: [], budgets, estimate: tokens(10) });
    expect(flagged.admitted && flagged.flagged.map((f) => f.specId)).toEqual([spec.id]);
    expect(await budgetIn(spec.id)).toMatchObject({ spent: 95, reserved: 10, percent: 95 });
    const bad = await call<{ error: string }>("record", { budgets, amount: { tokens: -5, microUsd: 0 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/non-negative integer/);
  });
});
