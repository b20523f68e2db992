import { DurableObject } from "cloudflare:workers";
import { EVENT_BATCH_LIMIT, type AnyEvent } from "@core/events/schema";
import { edgeSecrets } from "./settings";
import { retryDelayMs } from "./backoff";
import { batchLength, deliverEvents, ingestUrl } from "./events/deliver";
import { byteLength, normalizeEvent } from "./events/normalize";
import type { Env } from "./env";

/** Events kept per shard while the console is unreachable (~1–2 KB each on disk). Beyond it new events are dropped and counted. */
export const EVENT_BUFFER_CAP = 1_000_000;
/** Events enqueued within this delay go out together. */
const FLUSH_DELAY_MS = 250;
/**
 * Group commit: enqueues arriving within this window share one SQLite transaction and one commit,
 * where a commit each cost more than the rest of an enqueue (bench/llm/README.md, "Event buffer
 * group commit"). The hot path never waits on it (callers hand the RPC to `waitUntil`): the window
 * only delays the acknowledgement, which still comes after the commit.
 */
const GROUP_COMMIT_WINDOW_MS = 10;
/** A group this large commits at once, so one transaction never holds the thread for long. */
const GROUP_COMMIT_ROWS = 100;
/** Batches per alarm run; the alarm re-arms immediately when more remain, so one run stays short. */
const BATCHES_PER_RUN = 20;
/** Dead letters the status lists (newest first); all of them stay stored. */
const DEAD_LETTERS_LISTED = 20;

/** One shard's state; the status route adds the shards up (src/events/status.ts). */
export interface EventShardStats {
  /** Events stored in this shard's buffer and not yet acknowledged by the console. */
  buffered: number;
  /** Events this shard counted into the queue (producers) … */
  sent: number;
  /** … and out of it (the consumer: delivered, dead-lettered, or moved here from the dead-letter queue). */
  settled: number;
  /** Events the dead-letter queue handed to this shard's buffer (the queue gave up retrying them). */
  fromDeadLetterQueue: number;
  /** Events kept here with the reason no console will take them (refused one by one, or breaking the contract). */
  deadLettered: number;
  /** Events given up on because the buffer was full. */
  dropped: number;
  lastDeliveredAt: string | null;
  /** The buffer's last delivery failure; null once a delivery succeeds again. */
  bufferError: string | null;
  bufferNextAttemptAt: string | null;
  /** The queue consumer's last failure here, and when. */
  queueError: string | null;
  queueErrorAt: string | null;
  queueNextAttemptAt: string | null;
}

export interface DeadLetter {
  eventId: string | null;
  reason: string;
  at: string;
  /** The event's JSON as it was when refused (clipped to 4,000 characters here; the stored copy is whole). */
  event: string;
}

interface Row {
  seq: number;
  body: string;
  bytes: number;
}

/** Rows waiting for the next group commit, in arrival order, and how their callers learn the outcome. */
interface Group {
  rows: string[];
  /** How many of the rows came from the dead-letter queue. */
  fromQueue: number;
  committed: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const eventIdOf = (body: string): string | null => {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === "string" ? id : null;
  } catch {
    return null;
  }
};

/**
 * One shard of the portal's durable event store (src/events/shards.ts names them). It serves both
 * delivery paths (src/events/enqueue.ts chooses):
 *
 * - **Buffer** (no Queues binding: self-hosted workerd, or `PORTCULLIS_EVENTS=buffer`): events are
 *   durable in this object's SQLite storage, delivered oldest-first in signed batches to the console
 *   (`POST /api/v1/events`) and deleted only once the console answered 2xx — at-least-once; the
 *   console is idempotent on event ids. Failures are retried with exponential backoff, 1 s doubling
 *   up to `PORTCULLIS_EVENTS_MAX_BACKOFF_MS` (default 60 s), reset after a success. An event the
 *   console refuses on its own (400, 413, 422, isolated by bisection: src/events/deliver.ts) is
 *   kept as a dead letter with the console's answer, so one bad event never blocks the rest.
 *   The same buffer takes what the dead-letter queue hands over (the queue gave up retrying).
 * - **Queue**: producers count what they send (`countSent`) and the consumer what it settled
 *   (`settle`), so the status can say how many events are still in the queue; dead letters and the
 *   consumer's last failure are kept here too.
 */
export class EventBuffer extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS pending_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, bytes INTEGER NOT NULL)`);
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS delivery_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        pending INTEGER NOT NULL DEFAULT 0,
        failures INTEGER NOT NULL DEFAULT 0,
        dropped INTEGER NOT NULL DEFAULT 0,
        last_delivered_at TEXT,
        last_error TEXT,
        next_attempt_at TEXT
      )`,
    );
    this.sql.exec(`INSERT OR IGNORE INTO delivery_state (id) VALUES (1)`);
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS queue_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        sent INTEGER NOT NULL DEFAULT 0,
        settled INTEGER NOT NULL DEFAULT 0,
        from_dlq INTEGER NOT NULL DEFAULT 0,
        last_delivered_at TEXT,
        last_error TEXT,
        error_at TEXT,
        next_attempt_at TEXT
      )`,
    );
    this.sql.exec(`INSERT OR IGNORE INTO queue_state (id) VALUES (1)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS dead_letters (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT, body TEXT NOT NULL, reason TEXT NOT NULL, at TEXT NOT NULL)`);
  }

  /**
   * Stores events durably (validated and clipped to the contract's limits), then makes sure a
   * delivery is scheduled. Throws, storing none of them, when any event breaks the contract.
   * Resolves only once the events are committed: concurrent calls share one transaction (group
   * commit), each call's events stay together and in call order.
   */
  async enqueue(events: AnyEvent[]): Promise<void> {
    // Validated before joining a group, so a bad event fails only its own call.
    return this.join(events.map((e) => JSON.stringify(normalizeEvent(e))));
  }

  /**
   * Stores events already normalized (src/events/enqueue.ts did it: their JSON text), as `enqueue`
   * does. The producer's path when there is no queue, and for what the queue cannot take.
   */
  async store(bodies: string[]): Promise<void> {
    if (bodies.length === 0) return;
    await this.join(bodies);
  }

  /**
   * What the dead-letter queue hands over: events (their JSON text, normalized before they were
   * queued) the queue gave up retrying. They leave the queue's count and join this buffer, which
   * retries them until the console takes them.
   */
  async park(bodies: string[]): Promise<void> {
    if (bodies.length === 0) return;
    await this.join(bodies, bodies.length);
  }

  private join(rows: string[], fromQueue = 0): Promise<void> {
    let group = this.group;
    if (!group) {
      const opened: Group = { rows: [], fromQueue: 0, committed: Promise.resolve(), resolve: () => {}, reject: () => {} };
      opened.committed = new Promise<void>((resolve, reject) => {
        opened.resolve = resolve;
        opened.reject = reject;
      });
      group = this.group = opened;
      setTimeout(() => void this.commit(opened), GROUP_COMMIT_WINDOW_MS);
    }
    for (const row of rows) group.rows.push(row);
    group.fromQueue += fromQueue;
    if (group.rows.length >= GROUP_COMMIT_ROWS) void this.commit(group);
    return group.committed;
  }

  /** The group enqueues are joining; none while nothing waits to be committed. */
  private group: Group | undefined;

  /**
   * Commits a group once (by its timer or as soon as it is full): all its rows in one transaction,
   * then the alarm; then its callers resume. A storage failure fails every call in the group, and
   * none of its rows is stored.
   */
  private async commit(group: Group): Promise<void> {
    if (this.group !== group) return;
    this.group = undefined;
    try {
      const { rows } = group;
      let overflow = 0;
      this.ctx.storage.transactionSync(() => {
        const room = Math.max(0, EVENT_BUFFER_CAP - this.state().pending);
        const kept = rows.slice(0, room);
        overflow = rows.length - kept.length;
        for (const body of kept) this.sql.exec(`INSERT INTO pending_events (body, bytes) VALUES (?, ?)`, body, byteLength(body));
        this.sql.exec(`UPDATE delivery_state SET pending = pending + ?, dropped = dropped + ? WHERE id = 1`, kept.length, overflow);
        if (group.fromQueue > 0) this.sql.exec(`UPDATE queue_state SET settled = settled + ?, from_dlq = from_dlq + ? WHERE id = 1`, group.fromQueue, group.fromQueue);
      });
      // Beyond the cap the newest events are dropped: the ones already stored keep their order and nothing gets silently overwritten.
      if (overflow > 0) console.error(`[events] buffer full (${EVENT_BUFFER_CAP} events): dropped ${overflow} new event(s); is the console reachable?`);
      // One storage read per alarm cycle, not per commit: once an alarm is known to be set, a commit only inserts.
      if (!this.alarmPending) {
        if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + FLUSH_DELAY_MS);
        this.alarmPending = true;
      }
      group.resolve();
    } catch (error) {
      group.reject(error);
    }
  }

  /** An alarm is scheduled (known in memory; reset when it runs, since it may not set another). */
  private alarmPending = false;

  /** Producers: `n` events are on their way into the queue (negative: a send that failed, taken back). */
  async countSent(n: number): Promise<void> {
    this.sql.exec(`UPDATE queue_state SET sent = sent + ? WHERE id = 1`, n);
  }

  /**
   * The queue consumer: `delivered` events reached the console, `deadLetters` were refused by it
   * (kept here with the reason); both leave the queue's count.
   */
  async settle(delivered: number, deadLetters: { body: string; reason: string }[]): Promise<void> {
    const now = new Date().toISOString();
    this.ctx.storage.transactionSync(() => {
      this.insertDeadLetters(deadLetters, now);
      this.sql.exec(`UPDATE queue_state SET settled = settled + ? WHERE id = 1`, delivered + deadLetters.length);
      if (delivered > 0) this.sql.exec(`UPDATE queue_state SET last_delivered_at = ?, last_error = NULL, error_at = NULL, next_attempt_at = NULL WHERE id = 1`, now);
    });
  }

  /** The queue consumer could not deliver a batch; the queue retries it at `nextAttemptAt`. */
  async queueFailure(error: string, nextAttemptAt: string): Promise<void> {
    this.sql.exec(`UPDATE queue_state SET last_error = ?, error_at = ?, next_attempt_at = ? WHERE id = 1`, error.slice(0, 2_000), new Date().toISOString(), nextAttemptAt);
  }

  /** Events no console will take as they are (they break the contract): kept with the reason, never sent. */
  async deadLetter(entries: { body: string; reason: string }[]): Promise<void> {
    this.insertDeadLetters(entries, new Date().toISOString());
  }

  private insertDeadLetters(entries: { body: string; reason: string }[], at: string): void {
    for (const e of entries) {
      console.error(`[events] dead letter ${eventIdOf(e.body) ?? "(no id)"}: ${e.reason}`);
      this.sql.exec(`INSERT INTO dead_letters (event_id, body, reason, at) VALUES (?, ?, ?, ?)`, eventIdOf(e.body), e.body, e.reason.slice(0, 2_000), at);
    }
  }

  async stats(): Promise<EventShardStats> {
    const s = this.state();
    const q = this.sql
      .exec<{ sent: number; settled: number; from_dlq: number; last_delivered_at: string | null; last_error: string | null; error_at: string | null; next_attempt_at: string | null }>(
        `SELECT sent, settled, from_dlq, last_delivered_at, last_error, error_at, next_attempt_at FROM queue_state WHERE id = 1`,
      )
      .one();
    const deadLettered = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM dead_letters`).one().n;
    const lastDeliveredAt = [s.last_delivered_at, q.last_delivered_at].filter((t): t is string => t !== null).sort().at(-1) ?? null;
    return {
      buffered: s.pending,
      sent: q.sent,
      settled: q.settled,
      fromDeadLetterQueue: q.from_dlq,
      deadLettered,
      dropped: s.dropped,
      lastDeliveredAt,
      bufferError: s.last_error,
      bufferNextAttemptAt: s.next_attempt_at,
      queueError: q.last_error,
      queueErrorAt: q.error_at,
      queueNextAttemptAt: q.next_attempt_at,
    };
  }

  /** The newest dead letters, for the status. */
  async deadLetters(limit = DEAD_LETTERS_LISTED): Promise<DeadLetter[]> {
    return this.sql
      .exec<{ event_id: string | null; body: string; reason: string; at: string }>(`SELECT event_id, body, reason, at FROM dead_letters ORDER BY seq DESC LIMIT ?`, limit)
      .toArray()
      .map((r) => ({ eventId: r.event_id, reason: r.reason, at: r.at, event: r.body.slice(0, 4_000) }));
  }

  override async alarm(): Promise<void> {
    this.alarmPending = false;
    try {
      const secrets = await edgeSecrets(this.env.PORTCULLIS_EDGE_SECRET);
      const url = ingestUrl(this.env);
      for (let run = 0; run < BATCHES_PER_RUN; run++) {
        const batch = this.nextBatch();
        if (batch.length === 0) return;
        const outcome = await deliverEvents(url, batch, secrets, {
          delivered: (rows) => this.remove(rows),
          refused: (row, reason) => this.remove([row], reason),
        });
        if (!outcome.ok) return await this.retryLater(outcome.error);
      }
      await this.ctx.storage.setAlarm(Date.now());
      this.alarmPending = true;
    } catch (error) {
      // Our own failure (no secret, no URL, storage): keep the events and retry like any failed delivery.
      await this.retryLater(error instanceof Error ? error.message : String(error));
    }
  }

  private state() {
    return this.sql
      .exec<{ pending: number; failures: number; dropped: number; last_delivered_at: string | null; last_error: string | null; next_attempt_at: string | null }>(
        `SELECT pending, failures, dropped, last_delivered_at, last_error, next_attempt_at FROM delivery_state WHERE id = 1`,
      )
      .one();
  }

  /** The oldest events, as many as one request takes (src/events/deliver.ts batchLength). */
  private nextBatch(): Row[] {
    const rows = this.sql.exec<{ seq: number; body: string; bytes: number }>(`SELECT seq, body, bytes FROM pending_events ORDER BY seq LIMIT ?`, EVENT_BATCH_LIMIT).toArray();
    return rows.slice(0, batchLength(rows));
  }

  /**
   * Deletes a delivered batch, or one refused event (kept as a dead letter with `refusal`): the rows
   * are contiguous, oldest-first, so a seq range names exactly them.
   */
  private remove(rows: Row[], refusal?: string): void {
    const first = rows[0]!.seq;
    const last = rows.at(-1)!.seq;
    const now = new Date().toISOString();
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(`DELETE FROM pending_events WHERE seq BETWEEN ? AND ?`, first, last);
      if (refusal !== undefined) {
        this.insertDeadLetters(rows.map((r) => ({ body: r.body, reason: refusal })), now);
        this.sql.exec(`UPDATE delivery_state SET pending = pending - ? WHERE id = 1`, rows.length);
      } else {
        this.sql.exec(`UPDATE delivery_state SET pending = pending - ?, failures = 0, last_delivered_at = ?, last_error = NULL, next_attempt_at = NULL WHERE id = 1`, rows.length, now);
      }
    });
  }

  private async retryLater(error: string): Promise<void> {
    const failures = this.state().failures + 1;
    const delay = retryDelayMs(failures, this.env.PORTCULLIS_EVENTS_MAX_BACKOFF_MS);
    const next = Date.now() + delay;
    this.sql.exec(`UPDATE delivery_state SET failures = ?, last_error = ?, next_attempt_at = ? WHERE id = 1`, failures, error, new Date(next).toISOString());
    // Every failure while the console is down would flood the log: say it when it starts, then every 10th attempt.
    if (failures === 1 || failures % 10 === 0) console.warn(`[events] delivery failed (attempt ${failures}, retry in ${delay} ms): ${error}`);
    await this.ctx.storage.setAlarm(next);
    this.alarmPending = true;
  }
}
