/**
 * How a time range is read from rollups: whole days from a daily rollup, whole hours from an hourly
 * one, and only what no whole bucket covers from raw events. Pure; lib/events/rollup-source.ts runs it.
 */

export type Grain = "day" | "hour";
export type Segment = { source: Grain | "raw"; from: Date; to: Date };

const MS: Record<Grain, number> = { day: 86_400_000, hour: 3_600_000 };

/** The start of the UTC bucket of `grain` holding `t`. */
export function floorTo(grain: Grain, t: Date): Date {
  const ms = MS[grain];
  return new Date(Math.floor(t.getTime() / ms) * ms);
}

/** The first bucket start of `grain` at or after `t`. */
export function ceilTo(grain: Grain, t: Date): Date {
  const ms = MS[grain];
  return new Date(Math.ceil(t.getTime() / ms) * ms);
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
