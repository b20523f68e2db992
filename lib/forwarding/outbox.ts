import { and, eq, inArray, sql } from "drizzle-orm";
import { forwardingOutbox, forwardingSinks } from "@/db/schema";
import type { Queryable } from "@/db/client";
import type { AnyEvent } from "@core/events/schema";
import { passesFilters, type ForwardingAlert } from "./formats";

/** The sinks that receive events (not only alerts). */
const receivesEvents = and(eq(forwardingSinks.enabled, true), eq(forwardingSinks.forwardEvents, true));

/** Whether any sink receives events, as one expression a statement can answer alongside its work. */
export const eventSinksExist = sql<boolean>`exists (select 1 from ${forwardingSinks} where ${receivesEvents})`;

/**
 * Writes the outbox rows of an ingest batch: for each enabled sink that forwards events, one row
 * holding the batch's events that pass its filters (none when none pass). Runs in the ingest's
 * transaction, so the rows commit with the events or not at all; it sends nothing — delivery reads
 * the outbox later (./deliver.ts). One row per batch per sink, not per event: at 20,000 events/s
 * that is ~40 small inserts a second per sink instead of 20,000. Answers the rows written. The events
 * can be given as a function, called only when some sink would receive them.
 */
export async function enqueueEvents(tx: Queryable, eventsToSend: AnyEvent[] | (() => AnyEvent[])): Promise<number> {
  if (Array.isArray(eventsToSend) && eventsToSend.length === 0) return 0;
  const sinks = await tx.select({ id: forwardingSinks.id, filters: forwardingSinks.filters }).from(forwardingSinks).where(receivesEvents);
  if (sinks.length === 0) return 0;
  const events = typeof eventsToSend === "function" ? eventsToSend() : eventsToSend;
  const rows = sinks.flatMap((sink) => {
    const passing = events.filter((e) => passesFilters(e, sink.filters));
    return passing.length > 0 ? [{ sinkId: sink.id, kind: "events" as const, payload: { events: passing }, items: passing.length }] : [];
  });
  if (rows.length > 0) await tx.insert(forwardingOutbox).values(rows);
  return rows.length;
}

/** Queues one alert for each of `sinkIds` (enabled sinks whose rules asked for it). */
export async function enqueueAlert(db: Queryable, alert: ForwardingAlert, sinkIds: string[]): Promise<void> {
  if (sinkIds.length === 0) return;
  const enabled = await db.select({ id: forwardingSinks.id }).from(forwardingSinks).where(and(inArray(forwardingSinks.id, sinkIds), eq(forwardingSinks.enabled, true)));
  if (enabled.length === 0) return;
  await db.insert(forwardingOutbox).values(enabled.map((s) => ({ sinkId: s.id, kind: "alert" as const, payload: { alert }, items: 1 })));
}
