import { DurableObject } from "cloudflare:workers";
import {
  admit,
  budgetPruneAfter,
  cancel,
  DEFAULT_LEDGER_OPTIONS,
  emptyLedger,
  expire,
  record,
  reservationPruneAfter,
  reservationReleaseAt,
  settle,
  snapshot,
  windowPruneAfter,
  type AdmitInput,
  type AdmitResult,
  type BudgetCounter,
  type CancelInput,
  type CancelResult,
  type Crossing,
  type LedgerSnapshot,
  type LedgerState,
  type RecordInput,
  type Reservation,
  type SettleInput,
  type SettleResult,
} from "@core/limits/ledger";
import type { WindowState } from "@core/limits/sliding-window";
import type { Env } from "./env";

/**
 * One shard of the portal's rate-limit and budget counters: lib/core/limits/ledger.ts run against
 * this Durable Object's SQLite storage, each method in one synchronous transaction so calls never
 * interleave. The Worker addresses one instance per counter key (`counterShard`), never a global
 * one, and admits a call at all its shards in parallel (counter-shards.ts). The code itself does
 * not assume one key per instance. Housekeeping runs before every call and on an alarm set at the
 * next expiry or prune time; an instance left with nothing deletes its storage. How it fits
 * together: docs/limits.md, "Counter shards".
 */
export class CounterShard extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** The alarm as last set (null: none), so a call sets it only when something falls due earlier. */
  private alarmAt: number | null = null;
  /** The earliest due time among rows written since the alarm was last checked. */
  private writtenDue: number | null = null;
  private tablesReady = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  private tables(): void {
    if (this.tablesReady) return;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS rate_windows (key TEXT PRIMARY KEY, value TEXT NOT NULL, prune_after INTEGER NOT NULL)`);
    this.sql.exec(`CREATE INDEX IF NOT EXISTS rate_windows_prune ON rate_windows (prune_after)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS budget_counters (key TEXT PRIMARY KEY, value TEXT NOT NULL, prune_after INTEGER NOT NULL)`);
    this.sql.exec(`CREATE INDEX IF NOT EXISTS budget_counters_prune ON budget_counters (prune_after)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS reservations (id TEXT PRIMARY KEY, value TEXT NOT NULL, release_at INTEGER, prune_after INTEGER NOT NULL)`);
    this.sql.exec(`CREATE INDEX IF NOT EXISTS reservations_release ON reservations (release_at)`);
    this.sql.exec(`CREATE INDEX IF NOT EXISTS reservations_prune ON reservations (prune_after)`);
    this.tablesReady = true;
  }

  /** Checks every given rate limit and budget; either refuses (changing nothing) or counts the request and reserves the estimate in all. */
  admit(input: AdmitInput): Promise<AdmitResult> {
    return this.run((now) => {
      // A caller-chosen id already held here is loaded, so the ledger refuses it rather than overwriting it.
      const held = input.reservationId === undefined ? undefined : this.reservation(input.reservationId);
      const state = this.load(
        input.rateLimits.map((r) => r.counterKey),
        input.budgets.map((b) => b.counterKey),
        held ? [held] : [],
      );
      const result = admit(state, input, now);
      if (result.admitted) this.save(state);
      return result;
    });
  }

  /** Undoes an admission the call will not use (another shard refused it): see the ledger's `cancel`. */
  cancel(input: CancelInput): Promise<CancelResult> {
    return this.run((now) => {
      const reservation = input.reservationId === null ? undefined : this.reservation(input.reservationId);
      const state = this.load(
        input.hits.map((h) => h.counterKey),
        reservation?.holds.map((h) => h.budget.counterKey) ?? [],
        reservation ? [reservation] : [],
      );
      const result = cancel(state, input, now);
      this.save(state, { reservations: reservation ? [reservation.id] : [] });
      return result;
    });
  }

  /** Replaces a reservation by the actual spend (once; again → UNKNOWN_RESERVATION). */
  settle(input: SettleInput): Promise<SettleResult> {
    return this.run((now) => {
      const reservation = this.reservation(input.reservationId);
      if (!reservation) return { settled: false, reason: "UNKNOWN_RESERVATION" } as const;
      const state = this.load(
        [],
        reservation.holds.map((h) => h.budget.counterKey),
        [reservation],
      );
      const result = settle(state, input, now);
      this.save(state, { reservations: [input.reservationId] });
      return result;
    });
  }

  /** Adds spend that was not admitted beforehand (e.g. MCP context tokens) to the given budgets. */
  record(input: RecordInput): Promise<{ crossings: Crossing[] }> {
    return this.run((now) => {
      const state = this.load(
        [],
        input.budgets.map((b) => b.counterKey),
        [],
      );
      const result = record(state, input, now);
      this.save(state);
      return result;
    });
  }

  /** Every budget counter kept (current and recent periods): spent, reserved, limit, percent. */
  snapshot(): Promise<LedgerSnapshot> {
    return this.run((now) => {
      const state = emptyLedger();
      for (const row of this.sql.exec<{ key: string; value: string }>(`SELECT key, value FROM budget_counters`)) state.budgets[row.key] = JSON.parse(row.value) as BudgetCounter;
      // Reservations are only counted: no need to read every one.
      const counts = this.sql.exec<{ live: number; total: number }>(`SELECT COUNT(release_at) AS live, COUNT(*) AS total FROM reservations`).one();
      return { ...snapshot(state, now), reservations: { live: counts.live, released: counts.total - counts.live } };
    });
  }

  /**
   * The rows as stored, without housekeeping and without creating anything (tests read a shard's
   * exact state with it), the alarm, and whether the shard holds any storage at all.
   */
  inspect(): { state: LedgerState; alarmAt: number | null; stored: boolean } {
    const state = emptyLedger();
    const stored = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('rate_windows', 'budget_counters', 'reservations')`).one().n === 3;
    if (!stored) return { state, alarmAt: this.alarmAt, stored };
    for (const row of this.sql.exec<{ key: string; value: string }>(`SELECT key, value FROM rate_windows`)) state.windows[row.key] = JSON.parse(row.value) as WindowState;
    for (const row of this.sql.exec<{ key: string; value: string }>(`SELECT key, value FROM budget_counters`)) state.budgets[row.key] = JSON.parse(row.value) as BudgetCounter;
    for (const row of this.sql.exec<{ value: string }>(`SELECT value FROM reservations`)) {
      const r = JSON.parse(row.value) as Reservation;
      state.reservations[r.id] = r;
    }
    return { state, alarmAt: this.alarmAt, stored };
  }


  /** Housekeeping at the time set (expiries, prunes); an instance left with nothing deletes its storage. */
  async alarm(): Promise<void> {
    this.alarmAt = null;
    this.tables();
    const next = this.ctx.storage.transactionSync(() => {
      this.housekeeping(Date.now());
      return this.earliestDue();
    });
    this.writtenDue = next;
    if (next === null) {
      // The instance stops existing (one per counter key: keys of past windows and periods must not pile up).
      await this.ctx.storage.deleteAll();
      this.tablesReady = false;
      return;
    }
    await this.schedule();
  }

  /** Housekeeping, then `op`, in one synchronous transaction; then the alarm for what falls due next. */
  private async run<T>(op: (now: number) => T): Promise<T> {
    this.tables();
    const result = this.ctx.storage.transactionSync(() => {
      const now = Date.now();
      this.housekeeping(now);
      return op(now);
    });
    await this.schedule();
    return result;
  }

  /**
   * Keeps the alarm at or before every row's due time (a live reservation's expiry, any row's prune
   * time) without reading them back: only rows written since the last check can fall due earlier.
   * An alarm earlier than needed is harmless (it reschedules from the rows themselves).
   */
  private async schedule(): Promise<void> {
    const next = this.writtenDue;
    this.writtenDue = null;
    if (next === null || (this.alarmAt !== null && this.alarmAt <= next)) return;
    await this.ctx.storage.setAlarm(next);
    this.alarmAt = next;
  }

  /** The earliest due time of any row stored, or null when none is. */
  private earliestDue(): number | null {
    return this.sql
      .exec<{ at: number | null }>(
        `SELECT MIN(at) AS at FROM (SELECT MIN(release_at) AS at FROM reservations UNION ALL SELECT MIN(prune_after) FROM reservations UNION ALL SELECT MIN(prune_after) FROM rate_windows UNION ALL SELECT MIN(prune_after) FROM budget_counters)`,
      )
      .one().at;
  }

  private housekeeping(now: number): void {
    const due = this.sql
      .exec<{ value: string }>(`SELECT value FROM reservations WHERE release_at IS NOT NULL AND release_at <= ? LIMIT 1000`, now)
      .toArray()
      .map((r) => JSON.parse(r.value) as Reservation);
    if (due.length > 0) {
      const state = this.load(
        [],
        due.flatMap((r) => r.holds.map((h) => h.budget.counterKey)),
        due,
      );
      expire(state, now);
      this.save(state, { reservations: due.map((r) => r.id) });
    }
    this.sql.exec(`DELETE FROM rate_windows WHERE prune_after <= ?`, now);
    this.sql.exec(`DELETE FROM budget_counters WHERE prune_after <= ?`, now);
    this.sql.exec(`DELETE FROM reservations WHERE prune_after <= ?`, now);
  }

  private reservation(id: string): Reservation | undefined {
    const row = this.sql.exec<{ value: string }>(`SELECT value FROM reservations WHERE id = ?`, id).toArray()[0];
    return row ? (JSON.parse(row.value) as Reservation) : undefined;
  }

  /** The part of the ledger a call touches: the rows for these keys (absent rows stay absent: empty). */
  private load(windowKeys: readonly string[], budgetKeys: readonly string[], reservations: readonly Reservation[]): LedgerState {
    const state = emptyLedger();
    for (const key of new Set(windowKeys)) {
      const row = this.sql.exec<{ value: string }>(`SELECT value FROM rate_windows WHERE key = ?`, key).toArray()[0];
      if (row) state.windows[key] = JSON.parse(row.value) as WindowState;
    }
    for (const key of new Set(budgetKeys)) {
      const row = this.sql.exec<{ value: string }>(`SELECT value FROM budget_counters WHERE key = ?`, key).toArray()[0];
      if (row) state.budgets[key] = JSON.parse(row.value) as BudgetCounter;
    }
    for (const r of reservations) state.reservations[r.id] = r;
    return state;
  }

  /**
   * Writes back every entry of a loaded state (they are exactly the rows the call touched), and
   * deletes the given reservations when the ledger removed them (settled or forgotten).
   */
  private save(state: LedgerState, removed: { reservations?: readonly string[] } = {}): void {
    const due = (at: number | null) => {
      if (at !== null && (this.writtenDue === null || at < this.writtenDue)) this.writtenDue = at;
    };
    for (const [key, w] of Object.entries(state.windows)) {
      this.sql.exec(`INSERT OR REPLACE INTO rate_windows (key, value, prune_after) VALUES (?, ?, ?)`, key, JSON.stringify(w), windowPruneAfter(w));
      due(windowPruneAfter(w));
    }
    for (const [key, c] of Object.entries(state.budgets)) {
      this.sql.exec(`INSERT OR REPLACE INTO budget_counters (key, value, prune_after) VALUES (?, ?, ?)`, key, JSON.stringify(c), budgetPruneAfter(c, DEFAULT_LEDGER_OPTIONS));
      due(budgetPruneAfter(c, DEFAULT_LEDGER_OPTIONS));
    }
    for (const id of removed.reservations ?? []) if (!state.reservations[id]) this.sql.exec(`DELETE FROM reservations WHERE id = ?`, id);
    for (const r of Object.values(state.reservations)) {
      this.sql.exec(
        `INSERT OR REPLACE INTO reservations (id, value, release_at, prune_after) VALUES (?, ?, ?, ?)`,
        r.id,
        JSON.stringify(r),
        reservationReleaseAt(r),
        reservationPruneAfter(r, DEFAULT_LEDGER_OPTIONS),
      );
      due(reservationReleaseAt(r));
      due(reservationPruneAfter(r, DEFAULT_LEDGER_OPTIONS));
    }
  }
}

/** The shard that holds one counter: the instance named by the counter's key (keys.ts). */
export function counterShard(env: Env, counterKey: string): DurableObjectStub<CounterShard> {
  return env.COUNTERS.get(env.COUNTERS.idFromName(counterKey));
}
