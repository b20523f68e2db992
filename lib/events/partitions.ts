/**
 * Day partitions of the event tables. `mcp_events` and `llm_events` are partitioned by range on
 * `time`, one partition per UTC day (`mcp_events_p20300115`), plus a default partition that takes
 * the rows of any day without one, so an insert never fails for want of a partition (migration 0019).
 *
 * Partitions are made on demand: ingest asks for the days a batch touches before it writes
 * (`ensureEventPartitions`), and the retention job makes today's and tomorrow's ahead of time.
 * Making one briefly locks the table, so it happens outside the ingest transaction, and each
 * database remembers which days it made (per process) to ask once per day. A day whose rows already
 * went to the default partition (written before its partition existed, by a seed or a test) gets its
 * partition all the same: `portcullis_event_partition` moves those rows into it.
 */
import { sql } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { hasDatabaseCode } from "@/db/errors";

export const EVENT_TABLES = ["mcp_events", "llm_events"] as const;
export type EventTable = (typeof EVENT_TABLES)[number];

const DAY = /^\d{4}-\d\d-\d\d$/;
const made = new WeakMap<object, Set<string>>();

function madeBy(db: Queryable): Set<string> {
  let set = made.get(db);
  if (!set) made.set(db, (set = new Set()));
  return set;
}

/** The UTC days (YYYY-MM-DD) of ISO times in UTC (`…Z`, as ingest stores them). */
export function utcDays(times: Iterable<string>): string[] {
  const days = new Set<string>();
  for (const time of times) days.add(time.slice(0, 10));
  return [...days].sort();
}

/** Makes the partitions of `table` for these UTC days (YYYY-MM-DD) where missing. */
export async function ensureEventPartitions(db: Queryable, table: EventTable, days: readonly string[]): Promise<void> {
  const known = madeBy(db);
  for (const day of days) {
    if (!DAY.test(day)) throw new Error(`not a UTC day: ${day}`);
    const key = `${table}:${day}`;
    if (known.has(key)) continue;
    try {
      await db.execute(sql`select portcullis_event_partition(${table}::regclass, ${day}::date)`);
    } catch (error) {
      // Another delivery made it at the same moment (the function's own check can see a stale catalog
      // after waiting for that delivery's lock): the partition exists, which is all this asks.
      if (!hasDatabaseCode(error, DUPLICATE_TABLE)) throw error;
    }
    known.add(key);
  }
}

/** The day partitions of `table` (their UTC days, oldest first). */
export async function listEventPartitions(db: Queryable, table: EventTable): Promise<string[]> {
  const result = (await db.execute(sql`
    select right(c.relname, 8) as day from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = ${table}::regclass and c.relname ~ ${`^${table}_p[0-9]{8}$`}
    order by 1`)) as unknown as { rows: { day: string }[] };
  return result.rows.map((r) => `${r.day.slice(0, 4)}-${r.day.slice(4, 6)}-${r.day.slice(6, 8)}`);
}

/**
 * Drops the day partitions of `table` before `keepFrom` (YYYY-MM-DD) and the default partition's rows
 * before it; returns how many partitions went. Then call `forgetEventPartitionsBefore` on the database
 * the partitions were made through, so a late event of such a day makes its partition again.
 */
export async function dropEventPartitionsBefore(db: Queryable, table: EventTable, keepFrom: string): Promise<number> {
  if (!DAY.test(keepFrom)) throw new Error(`not a UTC day: ${keepFrom}`);
  const result = (await db.execute(sql`select portcullis_drop_event_partitions(${table}::regclass, ${keepFrom}::date) as dropped`)) as unknown as { rows: { dropped: number }[] };
  return Number(result.rows[0]?.dropped ?? 0);
}

/** Forgets the partitions `db` made for days before `keepFrom` (they were dropped). */
export function forgetEventPartitionsBefore(db: Queryable, keepFrom: string): void {
  const known = madeBy(db);
  for (const key of known) if (key.slice(key.indexOf(":") + 1) < keepFrom) known.delete(key);
}

/** duplicate_table */
const DUPLICATE_TABLE: ReadonlySet<string> = new Set(["42P07"]);
