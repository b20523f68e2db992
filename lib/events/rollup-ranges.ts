/**
 * How a time range is read from rollups: whole days from a daily rollup, whole hours from an hourly
 * one, and only what no whole bucket covers from raw events. Pure; lib/events/rollup-source.ts runs it.
 */

export type Grain = "week" | "day" | "hour";
export type Segment = { source: Grain | "raw"; from: Date; to: Date };

const DAY_MS = 86_400_000;
const MS: Record<Grain, number> = { week: 7 * DAY_MS, day: DAY_MS, hour: 3_600_000 };
/** Weeks are ISO weeks, from Monday 00:00 UTC (as `date_trunc('week', …)`); 1970-01-05 was a Monday. */
const OFFSET: Record<Grain, number> = { week: 4 * DAY_MS, day: 0, hour: 0 };

/** The start of the UTC bucket of `grain` holding `t`. */
export function floorTo(grain: Grain, t: Date): Date {
  const ms = MS[grain];
  return new Date(Math.floor((t.getTime() - OFFSET[grain]) / ms) * ms + OFFSET[grain]);
}

/** The first bucket start of `grain` at or after `t`. */
export function ceilTo(grain: Grain, t: Date): Date {
  const ms = MS[grain];
  return new Date(Math.ceil((t.getTime() - OFFSET[grain]) / ms) * ms + OFFSET[grain]);
}

/**
 * [from, to) as segments, oldest first, that do not overlap and together cover it exactly: the
 * coarsest grain first (`grains` coarsest first), finer grains at the edges, raw events for what
 * is left (less than one bucket of the finest grain at each end).
 */
export function planSegments(from: Date, to: Date, grains: readonly Grain[]): Segment[] {
  if (from.getTime() >= to.getTime()) return [];
  const [grain, ...finer] = grains;
  if (!grain) return [{ source: "raw", from, to }];
  const start = ceilTo(grain, from);
  const end = floorTo(grain, to);
  if (start.getTime() >= end.getTime()) return planSegments(from, to, finer);
  return [...planSegments(from, start, finer), { source: grain, from: start, to: end }, ...planSegments(end, to, finer)];
}
