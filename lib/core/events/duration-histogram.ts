/**
 * The fixed log-scale histogram of call durations kept in the hourly and daily rollups (db/schema/
 * event-rollups.ts `duration_histogram`), from which charts read p50/p95 latency per server, tool or
 * model without reading events. Two buckets per octave: a bucket's width is at most ~41 % of its
 * lower bound, and interpolating within it keeps a quantile's error well under that.
 *
 * Bucket 0 counts durations under 1 ms; bucket i (1…39) counts `DURATION_BOUNDS[i-1] <= ms <
 * DURATION_BOUNDS[i]`; bucket 40 counts `ms >= DURATION_BOUNDS[39]` (about 17.5 minutes). The
 * database makes the same buckets with `width_bucket` over the same bounds (migration 0019,
 * `portcullis_duration_bucket`; a test proves they agree).
 */

/** round(2^(k/2)) for k = 1…40: 1, 2, 3, 4, 6, 8, 11, 16 … 1,048,576 ms. */
export const DURATION_BOUNDS: readonly number[] = Object.freeze(Array.from({ length: 40 }, (_, i) => Math.round(2 ** ((i + 1) / 2))));
export const DURATION_BUCKETS = DURATION_BOUNDS.length + 1;

/** The bucket of a duration in milliseconds (what the database computes for a stored event). */
export function durationBucket(ms: number): number {
  let lo = 0;
  let hi = DURATION_BOUNDS.length;
  // The first bound greater than ms: its index is the bucket.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (DURATION_BOUNDS[mid]! <= ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Element-wise sum of histograms (rows of several buckets, servers or hours). */
export function addHistograms(histograms: readonly (readonly number[])[]): number[] {
  const out = new Array<number>(DURATION_BUCKETS).fill(0);
  for (const h of histograms) for (let i = 0; i < DURATION_BUCKETS; i++) out[i]! += h[i] ?? 0;
  return out;
}

/**
 * The duration (ms) below which a share `q` (0…1) of the counted calls fall, interpolated linearly
 * within its bucket; null when nothing was counted. The last bucket has no upper bound: its lower
 * bound is returned.
 */
export function durationQuantile(histogram: readonly number[], q: number): number | null {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`q must be within 0…1, got ${q}`);
  const total = histogram.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < histogram.length; i++) {
    const n = histogram[i]!;
    if (n > 0 && below + n >= rank) {
      const lo = i === 0 ? 0 : DURATION_BOUNDS[i - 1]!;
      if (i >= DURATION_BOUNDS.length) return lo;
      const hi = DURATION_BOUNDS[i]!;
      return lo + ((hi - lo) * Math.max(0, rank - below)) / n;
    }
    below += n;
  }
  return DURATION_BOUNDS.at(-1)!;
}
