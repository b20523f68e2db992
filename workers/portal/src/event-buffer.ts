import { DurableObject } from "cloudflare:workers";
import { EDGE_SIGNATURE_HEADER, signEventBody, type EdgeSecret } from "@core/edge/secret";
import { edgeSecrets } from "./settings";
import { clip, EVENT_BATCH_LIMIT, EVENT_BODY_LIMIT_BYTES, EVENT_ERROR_LIMIT, LLM_LOG_LIMIT, LlmEvent, PortalEvent, type AnyEvent } from "@core/events/schema";
import { storableText } from "@core/text/storable";
import { retryDelayMs } from "./backoff";
import type { Env } from "./env";

/** Events kept while the console is unreachable (~1–2 KB each on disk). Beyond it new events are dropped and counted. */
export const EVENT_BUFFER_CAP = 1_000_000;
/** A delivery body stays at half the console's limit (2,000,000 bytes), so a batch is never refused for its size. */
const BATCH_BODY_BYTES = EVENT_BODY_LIMIT_BYTES / 2;
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
const DELIVERY_TIMEOUT_MS = 30_000;

export interface EventBufferStats {
  /** Events stored here and not yet acknowledged by the console. */
  pending: number;
  lastDeliveredAt: string | null;
  /** Why the last attempt failed; null once a delivery succeeds again. */
  lastError: string | null;
  /** When the next retry runs, while deliveries are failing. */
  nextAttemptAt: string | null;
  /** Events given up on: refused one by one by the console as malformed, or over the buffer cap. */
  dropped: number;
}

interface Row {
  seq: number;
  body: string;
  bytes: number;
}

type Outcome = { ok: true } | { ok: false; error: string };

/** Rows waiting for the next group commit, in arrival order, and how their callers learn the outcome. */
interface Group {
  rows: string[];
  committed: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** The one buffer instance every part of the Worker enqueues to. */
export function eventBuffer(env: Env): DurableObjectStub<EventBuffer> {
  return env.EVENTS.get(env.EVENTS.idFromName("events"));
}

const TEXT_FIELDS = ["email", "clientName", "clientVersion", "clientIp", "clientCountry", "sessionId", "method", "endpoint", "serverSlug", "tool", "prompt", "reason", "ruleId", "model", "providerSlug", "operation"] as const;
const LONG_FIELDS = ["serverUrl", "resourceUri", "error"] as const;
const LOG_FIELDS = ["requestLog", "responseLog"] as const;
const COUNT_FIELDS = ["durationMs", "bytesIn", "bytesOut", "resultTokens", "inputTokens", "outputTokens", "cachedInputTokens", "cacheWriteTokens"] as const;

/**
 * Brings an event within the contract's limits (long strings clipped, counts rounded and clamped)
 * and validates it, so nothing the console would refuse enters the buffer. Text a caller chose (a
 * client name, a tool name, a prompt) may hold NUL or unpaired surrogates, which the console's
 * database refuses: replaced here, or the console would refuse the event and it would be dropped —
 * a caller could keep its own calls out of the audit log.
 */
function normalize(input: AnyEvent): AnyEvent {
  const event: Record<string, unknown> = { ...input };
  const text = (f: string, limit?: number) => {
    if (typeof event[f] === "string") event[f] = storableText(clip(event[f] as string, limit)!);
  };
  for (const f of TEXT_FIELDS) text(f);
  for (const f of LONG_FIELDS) text(f, EVENT_ERROR_LIMIT);
  for (const f of LOG_FIELDS) text(f, LLM_LOG_LIMIT);
  for (const f of COUNT_FIELDS) {
    const n = event[f];
    if (typeof n === "number" && Number.isFinite(n)) event[f] = Math.min(Math.max(Math.round(n), 0), 2_147_483_647);
  }
  const parsed = (event.kind === "llm" ? LlmEvent : PortalEvent).safeParse(event);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new TypeError(`event ${String(input.id)} breaks the event contract (${where})`);
  }
  return parsed.data;
}

const byteLength = (text: string) => new TextEncoder().encode(text).byteLength;

/**
 * The portal's outgoing audit events: durable in this Durable Object's SQLite storage, delivered
 * oldest-first in signed batches to the console (`POST /api/v1/events`) and deleted only once the
 * console answered 2xx — at-least-once; the console is idempotent on event ids.
 *
 * Failures (unreachable, 5xx, 401 during a secret rotation, 408, 429, any redirect or other status)
 * are retried with exponential backoff, 1 s doubling up to `PORTCULLIS_EVENTS_MAX_BACKOFF_MS`
 * (default 60 s), reset after a success. A 400, 413 or 422 says the content itself is unacceptable:
 * the batch is bisected until the offending events are isolated, and each of those alone is logged
 * and dropped, so one bad event never blocks the rest. (Other 4xx, such as 404, usually mean a
 * misconfigured console URL; dropping on them would lose everything, so they are retried.)
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
  }

  /**
   * Stores events durably (validated and clipped to the contract's limits), then makes sure a
   * delivery is scheduled. Throws, storing none of them, when any event breaks the contract.
   * Resolves only once the events are committed: concurrent calls share one transaction (group
   * commit), each call's events stay together and in call order.
   */
  async enqueue(events: AnyEvent[]): Promise<void> {
    // Validated before joining a group, so a bad event fails only its own call.
    const rows = events.map((e) => JSON.stringify(normalize(e)));
    let group = this.group;
    if (!group) {
      const opened: Group = { rows: [], committed: Promise.resolve(), resolve: () => {}, reject: () => {} };
      opened.committed = new Promise<void>((resolve, reject) => {
        opened.resolve = resolve;
        opened.reject = reject;
      });
      group = this.group = opened;
      setTimeout(() => void this.commit(opened), GROUP_COMMIT_WINDOW_MS);
    }
    for (const row of rows) group.rows.push(row);
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

  async stats(): Promise<EventBufferStats> {
    const s = this.state();
    return { pending: s.pending, lastDeliveredAt: s.last_delivered_at, lastError: s.last_error, nextAttemptAt: s.next_attempt_at, dropped: s.dropped };
  }

  override async alarm(): Promise<void> {
    this.alarmPending = false;
    try {
      const secrets = await edgeSecrets(this.env.PORTCULLIS_EDGE_SECRET);
      const url = `${(this.env.PORTCULLIS_CONSOLE_URL ?? "").replace(/\/+$/, "")}/api/v1/events`;
      if (!/^https?:\/\//.test(url)) throw new Error("PORTCULLIS_CONSOLE_URL is not set to an http(s) URL");
      for (let run = 0; run < BATCHES_PER_RUN; run++) {
        const batch = this.nextBatch();
        if (batch.length === 0) return;
        const outcome = await this.deliver(url, batch, secrets);
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

  /** The oldest events, at most 500 and at most BATCH_BODY_BYTES of JSON (always at least one). */
  private nextBatch(): Row[] {
    const rows = this.sql.exec<{ seq: number; body: string; bytes: number }>(`SELECT seq, body, bytes FROM pending_events ORDER BY seq LIMIT ?`, EVENT_BATCH_LIMIT).toArray();
    let size = 16;
    let count = 0;
    for (const row of rows) {
      size += row.bytes + 1;
      if (count > 0 && size > BATCH_BODY_BYTES) break;
      count++;
    }
    return rows.slice(0, count);
  }

  private async deliver(url: string, rows: Row[], secrets: EdgeSecret[]): Promise<Outcome> {
    const body = `{"events":[${rows.map((r) => r.body).join(",")}]}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: "POST",
        body,
        headers: { "content-type": "application/json", [EDGE_SIGNATURE_HEADER]: await signEventBody(body, secrets) },
        // A redirect would re-send the batch somewhere else (or turn the POST into a GET): configure the final URL instead.
        redirect: "manual",
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
    } catch (error) {
      return { ok: false, error: `console unreachable at ${url}: ${error instanceof Error ? error.message : String(error)}` };
    }
    const answer = (await res.text().catch(() => "")).slice(0, 300);
    if (res.ok) {
      this.remove(rows, false);
      return { ok: true };
    }
    if (res.status === 400 || res.status === 413 || res.status === 422) {
      if (rows.length === 1) {
        console.error(`[events] the console refused event seq ${rows[0]!.seq} (${res.status}): dropping it. ${answer}`);
        this.remove(rows, true);
        return { ok: true };
      }
      const middle = Math.ceil(rows.length / 2);
      for (const half of [rows.slice(0, middle), rows.slice(middle)]) {
        const outcome = await this.deliver(url, half, secrets);
        if (!outcome.ok) return outcome;
      }
      return { ok: true };
    }
    const where = res.status >= 300 && res.status < 400 ? ` (redirect to ${res.headers.get("location") ?? "?"}; set PORTCULLIS_CONSOLE_URL to the final URL)` : "";
    return { ok: false, error: `console answered ${res.status}${where}: ${answer}` };
  }

  /** Deletes a delivered (or dropped) batch: its rows are contiguous, oldest-first, so a seq range names exactly them. */
  private remove(rows: Row[], dropped: boolean): void {
    const first = rows[0]!.seq;
    const last = rows.at(-1)!.seq;
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(`DELETE FROM pending_events WHERE seq BETWEEN ? AND ?`, first, last);
      if (dropped) this.sql.exec(`UPDATE delivery_state SET pending = pending - ?, dropped = dropped + ? WHERE id = 1`, rows.length, rows.length);
      else {
        this.sql.exec(
          `UPDATE delivery_state SET pending = pending - ?, failures = 0, last_delivered_at = ?, last_error = NULL, next_attempt_at = NULL WHERE id = 1`,
          rows.length,
          new Date().toISOString(),
        );
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
