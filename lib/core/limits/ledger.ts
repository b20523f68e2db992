/**
 * The admission and settlement state machine for rate limits and budgets, kept pure so the counter
 * shards (workers/portal/src/counters.ts, one Durable Object per counter key) run it on their storage
 * and Node tests it. Contract, the cancel that rolls back a shard's part of a refused call, and the
 * bound on how far a budget can overshoot (with its proof): docs/limits.md, "The ledger".
 */
import { checkWindow, hitWindow, windowPruneAfter, type WindowState } from "./sliding-window";
import type { ApplicableBudget, ApplicableRateLimit } from "./keys";
import type { BudgetMetric } from "./schema";

/** What one call costs (or is estimated to cost), in both metrics. */
export interface Amount {
  tokens: number;
  /** Micro-dollars: 1 USD = 1,000,000. */
  microUsd: number;
}

export const ALERT_THRESHOLDS = [50, 80, 100] as const;
export type AlertThreshold = (typeof ALERT_THRESHOLDS)[number];

export interface LedgerOptions {
  /** How long a reservation holds budget without a settle. */
  reservationTtlMs: number;
  /** How long after expiry a late settle still finds its reservation (and counts the spend). */
  lateSettleGraceMs: number;
  /** How long a budget counter is kept after its period ended (for reconciliation), then pruned. */
  budgetRetentionMs: number;
  /** Reservation ids. */
  newId: () => string;
}

export const DEFAULT_LEDGER_OPTIONS: LedgerOptions = {
  reservationTtlMs: 10 * 60_000,
  lateSettleGraceMs: 60 * 60_000,
  budgetRetentionMs: 7 * 86_400_000,
  newId: () => crypto.randomUUID(),
};

/** Longest reservation a caller may ask for (a long streaming call). */
export const MAX_RESERVATION_TTL_MS = 24 * 3_600_000;

export interface BudgetCounter {
  /** The budget as last seen (its limit may change with a new bundle). */
  budget: ApplicableBudget;
  spent: number;
  /** Held by live reservations. */
  reserved: number;
  /** Thresholds already reported this period. */
  alerted: AlertThreshold[];
}

export interface Hold {
  budget: ApplicableBudget;
  amount: number;
}

export interface Reservation {
  id: string;
  createdAt: number;
  expiresAt: number;
  holds: Hold[];
  /** Expired: the holds were given back; a late settle still counts the actual spend. */
  released: boolean;
}

export interface LedgerState {
  windows: Record<string, WindowState>;
  budgets: Record<string, BudgetCounter>;
  reservations: Record<string, Reservation>;
}

export const emptyLedger = (): LedgerState => ({ windows: {}, budgets: {}, reservations: {} });

export interface BudgetStatus {
  specId: string;
  name: string;
  counterKey: string;
  metric: BudgetMetric;
  periodKey: string;
  limit: number;
  spent: number;
  reserved: number;
}

export type Refusal =
  | { kind: "rateLimit"; specId: string; name: string; counterKey: string; limit: number; windowMs: number; retryAfterSeconds: number }
  | (BudgetStatus & { kind: "budget"; requested: number; retryAfterSeconds: number });

export type AdmitResult =
  /** `at`: the time the rate-limit hits were counted (what `cancel` needs to un-count them). */
  | { admitted: true; reservationId: string | null; expiresAt: number | null; flagged: BudgetStatus[]; at: number }
  | { admitted: false; retryAfterSeconds: number; refusals: Refusal[] };

export interface Crossing {
  specId: string;
  name: string;
  counterKey: string;
  metric: BudgetMetric;
  periodKey: string;
  threshold: AlertThreshold;
  spent: number;
  limit: number;
  onExceed: "block" | "flag";
}

export type SettleResult = { settled: true; late: boolean; crossings: Crossing[] } | { settled: false; reason: "UNKNOWN_RESERVATION" };

export interface AdmitInput {
  rateLimits: readonly ApplicableRateLimit[];
  budgets: readonly ApplicableBudget[];
  /** What the call may cost (its declared cap); it must fit in every blocking budget, and is reserved until settled. */
  estimate: Amount;
  /**
   * What a call that declares no cap (estimate 0 in a metric) is expected to cost. It never decides
   * admission; it is reserved instead of nothing, capped at the budget's headroom, so that calls
   * admitted together near the cap do not all hold nothing (the first takes what is left).
   */
  expected?: Amount;
  /** Overrides `reservationTtlMs` for this call (1 ms … 24 h). */
  ttlMs?: number;
  /**
   * The reservation's id, when the caller chooses it (one id for the same call's reservations in
   * several counter shards); otherwise `newId()`. Must not name a reservation the state holds.
   */
  reservationId?: string;
}

export interface SettleInput {
  reservationId: string;
  actual: Amount;
}

/** What `cancel` undoes: one admission's reservation and rate-limit hits (from its AdmitResult). */
export interface CancelInput {
  /** The admission's reservation (null: it reserved nothing here). */
  reservationId: string | null;
  /** The rate-limit counters the admission counted, with the time it counted them (`AdmitResult.at`). */
  hits: readonly { counterKey: string; windowMs: number; at: number }[];
}

export interface CancelResult {
  /** The reservation was found and removed (its holds given back unless it had already expired). */
  released: boolean;
  /** Hits taken back out of their window (a hit whose window has left the sliding window is not). */
  uncounted: number;
}

export interface RecordInput {
  budgets: readonly ApplicableBudget[];
  amount: Amount;
}

export interface BudgetSnapshot extends BudgetStatus {
  period: ApplicableBudget["period"];
  onExceed: "block" | "flag";
  periodStart: number;
  periodEnd: number;
  /** The period contains the snapshot's time (false: a past period kept for reconciliation). */
  current: boolean;
  /** Actual spend as a percentage of the limit, two decimals. */
  percent: number;
}

export interface LedgerSnapshot {
  at: number;
  budgets: BudgetSnapshot[];
  reservations: { live: number; released: number };
}

function assertAmount(what: string, amount: Amount): void {
  for (const [field, n] of [
    ["tokens", amount.tokens],
    ["microUsd", amount.microUsd],
  ] as const) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what}.${field} must be a non-negative integer, got ${String(n)}`);
  }
}

const amountOf = (amount: Amount, metric: BudgetMetric) => (metric === "usd" ? amount.microUsd : amount.tokens);
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** The counter of a budget, created on first use; raised to the console's baseline (`floor`) when that is higher. */
function counterFor(state: LedgerState, budget: ApplicableBudget): BudgetCounter {
  const existing = state.budgets[budget.counterKey];
  if (existing) {
    existing.budget = budget;
    if (budget.floor !== undefined && existing.spent < budget.floor) existing.spent = budget.floor;
    return existing;
  }
  const created: BudgetCounter = { budget, spent: budget.floor ?? 0, reserved: 0, alerted: [] };
  state.budgets[budget.counterKey] = created;
  return created;
}

function statusOf(counter: BudgetCounter): BudgetStatus {
  const b = counter.budget;
  return { specId: b.specId, name: b.name, counterKey: b.counterKey, metric: b.metric, periodKey: b.periodKey, limit: b.limit, spent: counter.spent, reserved: counter.reserved };
}

/** Reports (and remembers) the thresholds the counter's spend has reached and not reported yet. */
function crossingsOf(counter: BudgetCounter): Crossing[] {
  const b = counter.budget;
  const out: Crossing[] = [];
  for (const threshold of ALERT_THRESHOLDS) {
    if (counter.spent * 100 < threshold * b.limit || counter.alerted.includes(threshold)) continue;
    counter.alerted.push(threshold);
    out.push({ specId: b.specId, name: b.name, counterKey: b.counterKey, metric: b.metric, periodKey: b.periodKey, threshold, spent: counter.spent, limit: b.limit, onExceed: b.onExceed });
  }
  return out;
}

const byKey = <T extends { counterKey: string }>(items: readonly T[]) => [...new Map(items.map((i) => [i.counterKey, i])).values()];

/** Admits a call against every applicable rate limit and budget, all-or-nothing (see the contract). */
export function admit(state: LedgerState, input: AdmitInput, now: number, options: LedgerOptions = DEFAULT_LEDGER_OPTIONS): AdmitResult {
  assertAmount("estimate", input.estimate);
  if (input.expected) assertAmount("expected", input.expected);
  const ttl = input.ttlMs ?? options.reservationTtlMs;
  if (!Number.isSafeInteger(ttl) || ttl < 1 || ttl > MAX_RESERVATION_TTL_MS) throw new RangeError(`ttlMs must be an integer in 1..${MAX_RESERVATION_TTL_MS}`);
  const given = input.reservationId;
  if (given !== undefined && (given.length === 0 || given.length > 200 || state.reservations[given])) throw new RangeError("reservationId must be a new id of 1..200 characters");
  const rateLimits = byKey(input.rateLimits);
  const budgets = byKey(input.budgets);

  const refusals: Refusal[] = [];
  for (const rl of rateLimits) {
    const check = checkWindow(state.windows[rl.counterKey], now, rl.windowMs, rl.limit);
    if (!check.allowed) refusals.push({ kind: "rateLimit", specId: rl.specId, name: rl.name, counterKey: rl.counterKey, limit: rl.limit, windowMs: rl.windowMs, retryAfterSeconds: seconds(check.retryAfterMs) });
  }
  const flagged: BudgetStatus[] = [];
  for (const budget of budgets) {
    const existing = state.budgets[budget.counterKey];
    const spent = Math.max(existing?.spent ?? 0, budget.floor ?? 0);
    const reserved = existing?.reserved ?? 0;
    const requested = amountOf(input.estimate, budget.metric);
    if (spent + reserved + Math.max(requested, 1) <= budget.limit) continue;
    const status: BudgetStatus = { specId: budget.specId, name: budget.name, counterKey: budget.counterKey, metric: budget.metric, periodKey: budget.periodKey, limit: budget.limit, spent, reserved };
    if (budget.onExceed === "flag") flagged.push(status);
    else refusals.push({ kind: "budget", ...status, requested, retryAfterSeconds: seconds(budget.periodEnd - now) });
  }
  if (refusals.length > 0) return { admitted: false, retryAfterSeconds: Math.max(...refusals.map((r) => r.retryAfterSeconds)), refusals };

  for (const rl of rateLimits) state.windows[rl.counterKey] = hitWindow(state.windows[rl.counterKey], now, rl.windowMs);
  if (budgets.length === 0) return { admitted: true, reservationId: null, expiresAt: null, flagged, at: now };
  const holds: Hold[] = budgets.map((budget) => {
    const counter = counterFor(state, budget);
    const declared = amountOf(input.estimate, budget.metric);
    const headroom = Math.max(0, budget.limit - counter.spent - counter.reserved);
    const amount = declared > 0 || !input.expected ? declared : Math.min(amountOf(input.expected, budget.metric), headroom);
    counter.reserved += amount;
    return { budget, amount };
  });
  const reservation: Reservation = { id: given ?? options.newId(), createdAt: now, expiresAt: now + ttl, holds, released: false };
  state.reservations[reservation.id] = reservation;
  return { admitted: true, reservationId: reservation.id, expiresAt: reservation.expiresAt, flagged, at: now };
}

/**
 * Undoes one admission that the call will not use (another counter shard refused it): gives back
 * its reservation's holds and forgets it, and takes each rate-limit hit back out of the window it
 * was counted in — the current one, or the previous one once the window has moved on (a hit older
 * than that no longer counts anyway). Spend is never touched. Not idempotent for hits: cancel an
 * admission once.
 */
export function cancel(state: LedgerState, input: CancelInput, _now: number): CancelResult {
  let released = false;
  const reservation = input.reservationId === null ? undefined : state.reservations[input.reservationId];
  if (reservation) {
    if (!reservation.released) {
      for (const hold of reservation.holds) {
        const counter = state.budgets[hold.budget.counterKey];
        if (counter) counter.reserved = Math.max(0, counter.reserved - hold.amount);
      }
    }
    delete state.reservations[reservation.id];
    released = true;
  }
  let uncounted = 0;
  for (const hit of byKey(input.hits)) {
    const window = state.windows[hit.counterKey];
    if (!window || window.windowMs !== hit.windowMs) continue;
    const start = Math.floor(hit.at / hit.windowMs) * hit.windowMs;
    if (window.start === start && window.current > 0) state.windows[hit.counterKey] = { ...window, current: window.current - 1 };
    else if (window.start === start + hit.windowMs && window.previous > 0) state.windows[hit.counterKey] = { ...window, previous: window.previous - 1 };
    else continue;
    uncounted++;
  }
  return { released, uncounted };
}

/** Replaces a reservation by the actual spend, once (see the contract). */
export function settle(state: LedgerState, input: SettleInput, _now: number): SettleResult {
  assertAmount("actual", input.actual);
  const reservation = state.reservations[input.reservationId];
  if (!reservation) return { settled: false, reason: "UNKNOWN_RESERVATION" };
  delete state.reservations[input.reservationId];
  const crossings: Crossing[] = [];
  for (const hold of reservation.holds) {
    const counter = counterFor(state, state.budgets[hold.budget.counterKey]?.budget ?? hold.budget);
    if (!reservation.released) counter.reserved = Math.max(0, counter.reserved - hold.amount);
    counter.spent += amountOf(input.actual, hold.budget.metric);
    crossings.push(...crossingsOf(counter));
  }
  return { settled: true, late: reservation.released, crossings };
}

/** Adds spend that was not admitted beforehand (e.g. MCP context tokens) to every given budget. */
export function record(state: LedgerState, input: RecordInput, _now: number): { crossings: Crossing[] } {
  assertAmount("amount", input.amount);
  const crossings: Crossing[] = [];
  for (const budget of byKey(input.budgets)) {
    const counter = counterFor(state, budget);
    counter.spent += amountOf(input.amount, budget.metric);
    crossings.push(...crossingsOf(counter));
  }
  return { crossings };
}

/** When a live reservation expires (null once released). */
export const reservationReleaseAt = (r: Reservation): number | null => (r.released ? null : r.expiresAt);
/** When a reservation is forgotten: a settle after this counts nothing. */
export const reservationPruneAfter = (r: Reservation, options: LedgerOptions = DEFAULT_LEDGER_OPTIONS): number => r.expiresAt + options.lateSettleGraceMs;
/** When a budget counter is deleted. */
export const budgetPruneAfter = (c: BudgetCounter, options: LedgerOptions = DEFAULT_LEDGER_OPTIONS): number => c.budget.periodEnd + options.budgetRetentionMs;
export { windowPruneAfter };

/** Releases the holds of expired reservations and prunes what can no longer matter. */
export function expire(state: LedgerState, now: number, options: LedgerOptions = DEFAULT_LEDGER_OPTIONS): { released: string[]; pruned: number } {
  const released: string[] = [];
  let pruned = 0;
  for (const reservation of Object.values(state.reservations)) {
    const releaseAt = reservationReleaseAt(reservation);
    if (releaseAt !== null && releaseAt <= now) {
      for (const hold of reservation.holds) {
        const counter = state.budgets[hold.budget.counterKey];
        if (counter) counter.reserved = Math.max(0, counter.reserved - hold.amount);
      }
      reservation.released = true;
      released.push(reservation.id);
    }
    if (reservationPruneAfter(reservation, options) <= now) {
      delete state.reservations[reservation.id];
      pruned++;
    }
  }
  for (const [key, window] of Object.entries(state.windows)) {
    if (windowPruneAfter(window) <= now) {
      delete state.windows[key];
      pruned++;
    }
  }
  for (const [key, counter] of Object.entries(state.budgets)) {
    if (budgetPruneAfter(counter, options) <= now) {
      delete state.budgets[key];
      pruned++;
    }
  }
  return { released, pruned };
}

/** Every budget counter kept (current and recent past periods), for reconciliation with the console. */
export function snapshot(state: LedgerState, now: number): LedgerSnapshot {
  const budgets = Object.values(state.budgets)
    .map((c): BudgetSnapshot => {
      const b = c.budget;
      return {
        ...statusOf(c),
        period: b.period,
        onExceed: b.onExceed,
        periodStart: b.periodStart,
        periodEnd: b.periodEnd,
        current: b.periodStart <= now && now < b.periodEnd,
        percent: Math.round((c.spent * 10_000) / b.limit) / 100,
      };
    })
    .sort((x, y) => (x.specId === y.specId ? x.periodStart - y.periodStart : x.specId < y.specId ? -1 : 1));
  const reservations = Object.values(state.reservations);
  const live = reservations.filter((r) => !r.released).length;
  return { at: now, budgets, reservations: { live, released: reservations.length - live } };
}

/**
 * The most a "block" budget's final spend can exceed its limit (see the contract): `calls` are
 * the admitted calls still unsettled at the budget's last admission, that one included, with the
 * estimate reserved (0 if the reservation expired before the settle) and the actual cost (or its
 * upper bound); `recorded` is the spend added by `record` after that moment. For n calls of at
 * most `max` each, estimated at e: n × max(0, max − e).
 */
export function overshootBound(calls: readonly { estimate: number; actual: number }[], recorded = 0): number {
  return calls.reduce((sum, c) => sum + Math.max(0, c.actual - c.estimate), 0) + recorded;
}
