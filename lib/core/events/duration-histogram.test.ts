import { describe, expect, it } from "vitest";
import { addHistograms, DURATION_BOUNDS, DURATION_BUCKETS, durationBucket, durationQuantile } from "./duration-histogram";

const histogramOf = (durations: number[]) => {
  const h = new Array<number>(DURATION_BUCKETS).fill(0);
  for (const ms of durations) h[durationBucket(ms)]! += 1;
  return h;
};

describe("duration histogram", () => {
  it("has 41 buckets with strictly increasing bounds, two per octave", () => {
    expect(DURATION_BUCKETS).toBe(41);
    expect(DURATION_BOUNDS.slice(0, 8)).toEqual([1, 2, 3, 4, 6, 8, 11, 16]);
    expect(DURATION_BOUNDS.at(-1)).toBe(1_048_576);
    for (let i = 1; i < DURATION_BOUNDS.length; i++) expect(DURATION_BOUNDS[i]!).toBeGreaterThan(DURATION_BOUNDS[i - 1]!);
  });

  it("puts each duration in the bucket whose bounds hold it", () => {
    expect(durationBucket(0)).toBe(0);
    expect(durationBucket(0.5)).toBe(0);
    expect(durationBucket(1)).toBe(1);
    expect(durationBucket(2)).toBe(2);
    expect(durationBucket(10)).toBe(6);
    expect(durationBucket(11)).toBe(7);
    expect(durationBucket(1_048_575)).toBe(39);
    expect(durationBucket(1_048_576)).toBe(40);
    expect(durationBucket(1e12)).toBe(40);
  });

  it("estimates quantiles within a bucket's width of the exact value", () => {
    const durations = Array.from({ length: 1_000 }, (_, i) => 5 + ((i * 7919) % 400));
    const sorted = [...durations].sort((a, b) => a - b);
    const h = histogramOf(durations);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
      const estimate = durationQuantile(h, q)!;
      expect(Math.abs(estimate - exact) / exact).toBeLessThan(0.42);
    }
    expect(durationQuantile(histogramOf([3, 3, 3]), 0.5)).toBeGreaterThanOrEqual(3);
    expect(durationQuantile(histogramOf([3, 3, 3]), 0.5)).toBeLessThan(4);
  });

  it("answers null for an empty histogram, the lower bound in the open last bucket, and refuses a bad q", () => {
    expect(durationQuantile(new Array(DURATION_BUCKETS).fill(0), 0.5)).toBeNull();
    expect(durationQuantile(histogramOf([5_000_000]), 0.95)).toBe(1_048_576);
    expect(() => durationQuantile(histogramOf([1]), 1.5)).toThrow(RangeError);
  });

  it("adds histograms element-wise", () => {
    expect(addHistograms([histogramOf([1, 10]), histogramOf([10, 5_000_000])])).toEqual(histogramOf([1, 10, 10, 5_000_000]));
    expect(addHistograms([])).toEqual(new Array(DURATION_BUCKETS).fill(0));
  });
});
