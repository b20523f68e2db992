import { eq, inArray, sql } from "drizzle-orm";
import { forwardingOutbox, forwardingSinks, type ForwardingOutboxRow, type ForwardingSink } from "@/db/schema";
import type { Queryable } from "@/db/client";
import type { AnyEvent } from "@core/events/schema";
import { postBody } from "@/lib/net/webhook";
import { sinkRequest, type ForwardingAlert, type OutboxPayload } from "./formats";
import { sinkTarget } from "./store";

/** Attempts before a delivery is dead-lettered; the waits between them double from 2 s up to 15 min (about 50 min in all). */
export const MAX_ATTEMPTS = 12;
const FIRST_RETRY_MS = 2_000;
const MAX_RETRY_MS = 15 * 60_000;
/** A claimed row is not claimed again for this long (a pass that died mid-send is retried after it). */
const LEASE_MS = 60_000;
const BATCH = 100;

export interface DeliverOptions {
  now?: Date;
  fetch?: typeof fetch;
  maxAttempts?: number;
}

export interface DeliverResult {
  sent: number;
  failed: number;
  deadLettered: number;
}

/** The wait before attempt `attempts + 1`, after `attempts` failures. */
export function retryDelayMs(attempts: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.max(attempts - 1, 0), MAX_RETRY_MS);
}

/**
 * One pass over the outbox: claims the due rows of enabled sinks (leased, `SKIP LOCKED`, so two
 * passes or two console processes never send a row twice at once), sends each sink's rows in order
 * — a sink's first failure ends its pass, so a receiver sees batches in order — and deletes what was
 * taken. A failure is retried with exponential backoff and dead-lettered after `maxAttempts`. Sends
 * happen outside any transaction; never throws for a sink's failure.
 */
export async function deliverDue(db: Queryable, options: DeliverOptions = {}): Promise<DeliverResult> {
  const now = options.now ?? new Date();
  const maxAttempts = options.maxAttempts ?? MAX_ATTEMPTS;
  const result: DeliverResult = { sent: 0, failed: 0, deadLettered: 0 };
  const claimed = (await db.execute(sql`
    update ${forwardingOutbox} set next_attempt_at = ${new Date(now.getTime() + LEASE_MS)}
    where id in (
      select o.id from ${forwardingOutbox} o join ${forwardingSinks} s on s.id = o.sink_id and s.enabled
      where o.dead_at is null and o.next_attempt_at <= ${now}
      order by o.id limit ${BATCH} for update of o skip locked)
    returning id, sink_id as "sinkId", kind, payload, attempts`)) as unknown as { rows: Pick<ForwardingOutboxRow, "id" | "sinkId" | "kind" | "payload" | "attempts">[] };
  if (claimed.rows.length === 0) return result;
  const bySink = new Map<string, typeof claimed.rows>();
  for (const row of claimed.rows.sort((a, b) => Number(a.id) - Number(b.id))) bySink.set(row.sinkId, [...(bySink.get(row.sinkId) ?? []), row]);
  const sinks = await db.select().from(forwardingSinks).where(inArray(forwardingSinks.id, [...bySink.keys()]));
  await Promise.all(
    sinks.map(async (sink) => {
      const rows = bySink.get(sink.id) ?? [];
      for (const [index, row] of rows.entries()) {
        const outcome = await send(sink, row, now, options.fetch);
        if (outcome === "sent") {
          result.sent++;
          await db.delete(forwardingOutbox).where(eq(forwardingOutbox.id, row.id));
          await db.update(forwardingSinks).set({ lastSuccessAt: now, delivered: sql`${forwardingSinks.delivered} + 1` }).where(eq(forwardingSinks.id, sink.id));
          continue;
        }
        const attempts = row.attempts + 1;
        const dead = attempts >= maxAttempts;
        const retryAt = new Date(now.getTime() + retryDelayMs(attempts));
        const error = outcome.replace(/^failed: /, "");
        result.failed++;
        if (dead) result.deadLettered++;
        await db.update(forwardingOutbox).set({ attempts, lastError: error, nextAttemptAt: retryAt, deadAt: dead ? now : null }).where(eq(forwardingOutbox.id, row.id));
        await db.update(forwardingSinks).set({ lastErrorAt: now, lastError: error }).where(eq(forwardingSinks.id, sink.id));
        // The rest wait with it (not counted as attempts), so the sink receives them in order.
        const rest = rows.slice(index + 1).map((r) => r.id);
        if (rest.length > 0) await db.update(forwardingOutbox).set({ nextAttemptAt: retryAt }).where(inArray(forwardingOutbox.id, rest));
        break;
      }
    }),
  );
  return result;
}

async function send(sink: ForwardingSink, row: Pick<ForwardingOutboxRow, "kind" | "payload">, now: Date, fetchFn?: typeof fetch): Promise<string> {
  let request;
  try {
    const stored = row.payload as { events?: AnyEvent[]; alert?: ForwardingAlert };
    const payload: OutboxPayload = row.kind === "alert" ? { kind: "alert", alert: stored.alert! } : { kind: "events", events: stored.events ?? [] };
    request = sinkRequest(sinkTarget(sink), payload, now);
  } catch (error) {
    // The sealed credential no longer opens (the key ring changed): retried, then dead-lettered, and shown.
    return `failed: ${error instanceof Error ? error.message : String(error)}`;
  }
  return postBody(request.url, request.body, { userAgent: "portcullis-forwarding", headers: request.headers, ...(fetchFn ? { fetch: fetchFn } : {}) });
}

/** Runs passes until the outbox has nothing due (after an ingest: deliveries follow within moments). */
export async function drainOutbox(db: Queryable, options: DeliverOptions = {}): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const { sent, failed } = await deliverDue(db, options);
    if (sent === 0 || failed > 0) return;
  }
}
