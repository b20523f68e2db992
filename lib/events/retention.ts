/**
 * Retention of audit and usage events: whole day partitions older than the setting are dropped
 * (never row by row), with the hourly rollups of the same days, in one transaction. The daily
 * rollups stay: they are the long-term record of usage and spend (charts and budgets of any past
 * range still add up), at a few rows per day instead of every event. Forwarding's dead letters of
 * the same days go too (they carry those events: addresses, e-mails, arguments), and so do records
 * of spike alerts whose window is long past. The same pass makes the partitions of today and
 * tomorrow ahead of ingest.
 */
import { and, isNotNull, like, lt, sql } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { forwardingAlertsFired, forwardingOutbox, llmLatencyHourly, llmRollupHourly, mcpLatencyHourly, mcpRollupHourly } from "@/db/schema";
import { intervalSetting } from "@/lib/periodic-job";
import { dropEventPartitionsBefore, ensureEventPartitions, EVENT_TABLES, forgetEventPartitionsBefore, type EventTable } from "./partitions";

const DAY_MS = 86_400_000;

/** PORTCULLIS_EVENT_RETENTION_DAYS (default 90; 0 keeps events forever): how many days of raw events are kept. */
export function eventRetentionDays(env: Record<string, string | undefined> = process.env): number {
  return intervalSetting(env, "PORTCULLIS_EVENT_RETENTION_DAYS", { name: "days", ms: DAY_MS }, 90) / DAY_MS;
}

const utcDay = (t: number) => new Date(Math.floor(t / DAY_MS) * DAY_MS).toISOString().slice(0, 10);

export interface RetentionResult {
  /** The first UTC day kept (YYYY-MM-DD); null when retention is off. */
  keepFrom: string | null;
  droppedPartitions: Record<EventTable, number>;
  /** Forwarding's dead letters written before `keepFrom`. */
  deadLetters: number;
  /** Records of spike alerts fired more than two days ago (a window is at most a day; only its own window's record stops a second alert). */
  spikeRecords: number;
}

/**
 * Drops the events of every UTC day that ended more than `days` days before `now`, the hourly
 * rollups and dead letters of those days; forgets spike alerts fired over two days ago; then makes the
 * partitions of today and tomorrow. `days` 0 drops no event nor dead letter.
 */
export async function applyEventRetention(db: Queryable, now: Date, days: number): Promise<RetentionResult> {
  const droppedPartitions: Record<EventTable, number> = { mcp_events: 0, llm_events: 0 };
  let keepFrom: string | null = null;
  let deadLetters = 0;
  if (days > 0) {
    const cutoff = utcDay(now.getTime() - days * DAY_MS);
    keepFrom = cutoff;
    const before = sql`${`${cutoff}T00:00:00.000Z`}::timestamptz`;
    await db.transaction(async (tx) => {
      for (const table of EVENT_TABLES) droppedPartitions[table] = await dropEventPartitionsBefore(tx, table, cutoff);
      for (const hourly of [mcpRollupHourly, mcpLatencyHourly, llmRollupHourly, llmLatencyHourly]) await tx.delete(hourly).where(lt(hourly.bucket, before));
      const dead = await tx.delete(forwardingOutbox).where(and(isNotNull(forwardingOutbox.deadAt), lt(forwardingOutbox.createdAt, before))).returning({ id: forwardingOutbox.id });
      deadLetters = dead.length;
    });
    forgetEventPartitionsBefore(db, cutoff);
  }
  const spikes = await db
    .delete(forwardingAlertsFired)
    .where(and(like(forwardingAlertsFired.key, "spike:%"), lt(forwardingAlertsFired.firedAt, new Date(now.getTime() - 2 * DAY_MS))))
    .returning({ key: forwardingAlertsFired.key });
  const ahead = [utcDay(now.getTime()), utcDay(now.getTime() + DAY_MS)];
  for (const table of EVENT_TABLES) await ensureEventPartitions(db, table, ahead);
  return { keepFrom, droppedPartitions, deadLetters, spikeRecords: spikes.length };
}
