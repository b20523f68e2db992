/**
 * Reading a time range of events from their rollups (db/schema/event-rollups.ts): one SQL row set,
 * the union of whole buckets of each rollup and, where the range does not start or end on a bucket
 * boundary, raw events aggregated into the same columns (lib/events/rollup-ranges.ts). Queries
 * aggregate that set as they would the events themselves, exactly.
 *
 * An edge that is not on a boundary is read from the whole bucket instead when no matching event
 * lies in the part of the bucket outside the range: the default range ends "now", and nothing was
 * stored after now, so a page of the last 30 days reads no raw event at all. At the end, the
 * coarsest such bucket: with no event at all after the range's end within it, the current week's
 * rows stand for its days and today's hours (at ten million events a day's hourly rows are ~8 times
 * its daily rows: late in the day, today's hours were as many rows as the month's weeks). Indexed probes on the
 * events' time decide it: one statement per edge, and a second at the end only when events follow
 * the range (a range ending in the past).
 */
import { and, sql, type SQL } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type { Queryable } from "@/db/client";
import { ceilTo, floorTo, planSegments, type Grain } from "./rollup-ranges";

export interface RollupSource {
  /** The rollups to read, coarsest grain first (none: only events); each has a `bucket` column and the `columns` below. */
  rollups: readonly { grain: Grain; table: PgTable }[];
  /** The events they roll up (with a `time` column), as a FROM item where the filters' columns exist. */
  events: SQL | PgTable;
  /** What to read from a rollup: plain column names, the same as `raw` makes. */
  columns: SQL;
  /** The same columns from raw events matching `where` (a time range and the filters), grouped as the rollup is. */
  raw: (where: SQL) => SQL;
}

const at = (t: Date) => sql`${t.toISOString()}::timestamptz`;

async function anyEvent(db: Queryable, events: SQL | PgTable, from: Date, to: Date, filter: SQL | undefined): Promise<boolean> {
  const result = (await db.execute(sql`select exists (select 1 from ${events} where ${and(sql`time >= ${at(from)}`, sql`time < ${at(to)}`, filter)}) as found`)) as unknown as {
    rows: { found: boolean }[];
  };
  return result.rows[0]?.found === true;
}

/**
 * Where to stop reading: the end of the coarsest bucket holding `to` in which no event at all lies
 * after `to` (unfiltered: the probe stops at the first event whatever the filter, and finds none
 * after now); else the end of the finest bucket when no event matching `filter` lies after `to`
 * within it; else `to`.
 */
async function widenedEnd(db: Queryable, source: RollupSource, to: Date, filter: SQL | undefined): Promise<Date> {
  const ends = [...new Set(source.rollups.map((r) => ceilTo(r.grain, to).getTime()))].filter((t) => t > to.getTime()).map((t) => new Date(t));
  if (ends.length === 0) return to;
  const result = (await db.execute(
    sql`select ${sql.join(
      ends.map((end, i) => sql`exists (select 1 from ${source.events} where time >= ${at(to)} and time < ${at(end)}) as ${sql.raw(`found_${i}`)}`),
      sql`, `,
    )}`,
  )) as unknown as { rows: Record<string, boolean>[] };
  const widest = ends.find((_, i) => result.rows[0]?.[`found_${i}`] === false);
  if (widest) return widest;
  const end = ceilTo(source.rollups.at(-1)!.grain, to);
  return end.getTime() !== to.getTime() && !(await anyEvent(db, source.events, to, end, filter)) ? end : to;
}

/**
 * The rows of `source` for [from, to) and `filter` (a condition on columns that rollups and events
 * share, such as `user_id` or `team_id`), as a subquery to select from.
 */
export async function rollupRange(db: Queryable, source: RollupSource, range: { from: Date; to: Date }, filter?: SQL): Promise<SQL> {
  const finest = source.rollups.at(-1)?.grain;
  let { from, to } = range;
  if (finest) {
    to = await widenedEnd(db, source, to, filter);
    const start = floorTo(finest, from);
    if (start.getTime() !== from.getTime() && !(await anyEvent(db, source.events, start, from, filter))) from = start;
  }
  const tables = new Map(source.rollups.map((r) => [r.grain, r.table]));
  const parts = planSegments(from, to, source.rollups.map((r) => r.grain)).map((segment) =>
    segment.source === "raw"
      ? source.raw(and(sql`time >= ${at(segment.from)}`, sql`time < ${at(segment.to)}`, filter)!)
      : sql`select ${source.columns} from ${tables.get(segment.source)!} where ${and(sql`bucket >= ${at(segment.from)}`, sql`bucket < ${at(segment.to)}`, filter)}`,
  );
  // An empty range still needs the columns.
  if (parts.length === 0) return sql`select * from (${source.raw(sql`false`)}) as nothing`;
  return sql.join(
    parts.map((p) => sql`(${p})`),
    sql` union all `,
  );
}
