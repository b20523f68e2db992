import { describe, expect, it } from "vitest";
import { ceilTo, floorTo, planSegments, type Segment } from "./rollup-ranges";

const d = (iso: string) => new Date(iso);
const show = (segments: Segment[]) => segments.map((s) => `${s.source} ${s.from.toISOString()} ${s.to.toISOString()}`);

describe("rollup ranges", () => {
  it("rounds to UTC hours and days", () => {
    expect(floorTo("hour", d("2030-03-10T10:59:59.999Z")).toISOString()).toBe("2030-03-10T10:00:00.000Z");
    expect(ceilTo("hour", d("2030-03-10T10:00:00.001Z")).toISOString()).toBe("2030-03-10T11:00:00.000Z");
    expect(ceilTo("day", d("2030-03-10T00:00:00.000Z")).toISOString()).toBe("2030-03-10T00:00:00.000Z");
    expect(floorTo("day", d("2030-03-10T23:00:00.000Z")).toISOString()).toBe("2030-03-10T00:00:00.000Z");
    // ISO weeks start on Monday: 2030-03-11 is one.
    expect(floorTo("week", d("2030-03-17T23:59:59.999Z")).toISOString()).toBe("2030-03-11T00:00:00.000Z");
    expect(floorTo("week", d("2030-03-11T00:00:00.000Z")).toISOString()).toBe("2030-03-11T00:00:00.000Z");
    expect(ceilTo("week", d("2030-03-11T00:00:00.001Z")).toISOString()).toBe("2030-03-18T00:00:00.000Z");
  });

  it("reads whole weeks, then days at the ends", () => {
    expect(show(planSegments(d("2030-03-08T00:00:00Z"), d("2030-03-27T15:00:00Z"), ["week", "day"]))).toEqual([
      "day 2030-03-08T00:00:00.000Z 2030-03-11T00:00:00.000Z",
      "week 2030-03-11T00:00:00.000Z 2030-03-25T00:00:00.000Z",
      "day 2030-03-25T00:00:00.000Z 2030-03-27T00:00:00.000Z",
      "raw 2030-03-27T00:00:00.000Z 2030-03-27T15:00:00.000Z",
    ]);
  });

  it("reads whole days from days, the edges from hours, and the rest from raw events", () => {
    expect(show(planSegments(d("2030-03-10T06:30:00Z"), d("2030-03-13T12:15:00Z"), ["day", "hour"]))).toEqual([
      "raw 2030-03-10T06:30:00.000Z 2030-03-10T07:00:00.000Z",
      "hour 2030-03-10T07:00:00.000Z 2030-03-11T00:00:00.000Z",
      "day 2030-03-11T00:00:00.000Z 2030-03-13T00:00:00.000Z",
      "hour 2030-03-13T00:00:00.000Z 2030-03-13T12:00:00.000Z",
      "raw 2030-03-13T12:00:00.000Z 2030-03-13T12:15:00.000Z",
    ]);
    expect(show(planSegments(d("2030-03-10T00:00:00Z"), d("2030-03-15T00:00:00Z"), ["day", "hour"]))).toEqual(["day 2030-03-10T00:00:00.000Z 2030-03-15T00:00:00.000Z"]);
  });

  it("falls back to finer grains when no whole bucket fits, and to raw events without any", () => {
    expect(show(planSegments(d("2030-03-10T06:30:00Z"), d("2030-03-10T08:10:00Z"), ["day", "hour"]))).toEqual([
      "raw 2030-03-10T06:30:00.000Z 2030-03-10T07:00:00.000Z",
      "hour 2030-03-10T07:00:00.000Z 2030-03-10T08:00:00.000Z",
      "raw 2030-03-10T08:00:00.000Z 2030-03-10T08:10:00.000Z",
    ]);
    expect(show(planSegments(d("2030-03-10T06:30:00Z"), d("2030-03-12T08:10:00Z"), ["day"]))).toEqual([
      "raw 2030-03-10T06:30:00.000Z 2030-03-11T00:00:00.000Z",
      "day 2030-03-11T00:00:00.000Z 2030-03-12T00:00:00.000Z",
      "raw 2030-03-12T00:00:00.000Z 2030-03-12T08:10:00.000Z",
    ]);
    expect(show(planSegments(d("2030-03-10T06:30:00Z"), d("2030-03-10T06:40:00Z"), ["day", "hour"]))).toEqual(["raw 2030-03-10T06:30:00.000Z 2030-03-10T06:40:00.000Z"]);
    expect(planSegments(d("2030-03-10T06:30:00Z"), d("2030-03-10T06:30:00Z"), ["day"])).toEqual([]);
  });

  it("covers any range exactly once, without gaps or overlaps", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    for (let i = 0; i < 500; i++) {
      const from = Date.UTC(2030, 0, 1) + Math.floor(random() * 10 * 86_400_000);
      const to = from + 1 + Math.floor(random() * 5 * 86_400_000);
      const segments = planSegments(new Date(from), new Date(to), i % 2 ? ["day", "hour"] : ["week", "day"]);
      expect(segments[0]!.from.getTime()).toBe(from);
      expect(segments.at(-1)!.to.getTime()).toBe(to);
      for (let k = 1; k < segments.length; k++) expect(segments[k]!.from.getTime()).toBe(segments[k - 1]!.to.getTime());
      for (const s of segments) if (s.source !== "raw") expect(floorTo(s.source, s.from)).toEqual(s.from);
    }
  });
});
