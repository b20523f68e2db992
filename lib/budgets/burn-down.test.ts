import { describe, expect, it } from "vitest";
import { burnDown } from "./burn-down";

const at = (iso: string) => new Date(iso);
const H = 3_600_000;
const D = 24 * H;

describe("budget burn-down", () => {
  // An ISO week: Monday 2030-03-11 to Monday 2030-03-18; now is Wednesday noon (2.5 days in).
  const week = { start: at("2030-03-11T00:00:00Z"), end: at("2030-03-18T00:00:00Z"), now: at("2030-03-13T12:00:00Z"), limit: 100, thresholds: [50, 80, 100] };

  it("sums spend day by day from zero at the period's start, up to now", () => {
    const b = burnDown({ ...week, byDay: [{ day: "2030-03-12", amount: 20 }, { day: "2030-03-11", amount: 5 }, { day: "2030-03-13", amount: 5 }] });
    expect(b.actual).toEqual([
      { t: week.start.getTime(), spent: 0 },
      { t: week.start.getTime() + D, spent: 5 },
      { t: week.start.getTime() + 2 * D, spent: 25 },
      { t: week.now.getTime(), spent: 30 },
    ]);
    expect(b.spent).toBe(30);
  });

  it("ignores days outside the period and adds up repeated days", () => {
    const b = burnDown({ ...week, byDay: [{ day: "2030-03-10", amount: 99 }, { day: "2030-03-14", amount: 99 }, { day: "2030-03-12", amount: 1 }, { day: "2030-03-12", amount: 2 }] });
    expect(b.spent).toBe(3);
    expect(b.actual.at(-1)).toEqual({ t: week.now.getTime(), spent: 3 });
  });

  it("projects the rate so far in a straight line to the period's end, and says when it would reach the limit", () => {
    const b = burnDown({ ...week, byDay: [{ day: "2030-03-11", amount: 25 }, { day: "2030-03-12", amount: 25 }] });
    // 50 in 2.5 days of 7: 140 by the end; the limit (100) is reached 2.5 days after now.
    expect(b.projected).toBeCloseTo(140);
    expect(b.projection).toEqual([
      { t: week.now.getTime(), spent: 50 },
      { t: week.end.getTime(), spent: 140 },
    ]);
    expect(b.limitReachedAt).toBe(week.now.getTime() + 2.5 * D);
    // Below the limit at the rate so far: no crossing.
    expect(burnDown({ ...week, byDay: [{ day: "2030-03-11", amount: 10 }] }).limitReachedAt).toBeNull();
    // Over it already: no future crossing either.
    expect(burnDown({ ...week, byDay: [{ day: "2030-03-11", amount: 120 }] }).limitReachedAt).toBeNull();
  });

  it("gives each alert threshold as an amount of the limit", () => {
    expect(burnDown({ ...week, limit: 2.5, byDay: [] }).thresholds).toEqual([
      { percent: 50, amount: 1.25 },
      { percent: 80, amount: 2 },
      { percent: 100, amount: 2.5 },
    ]);
  });

  it("draws an empty period as a flat line at zero, and a period just started with no projection", () => {
    const empty = burnDown({ ...week, byDay: [] });
    expect(empty.actual.every((p) => p.spent === 0)).toBe(true);
    expect(empty.actual).toHaveLength(4);
    expect(empty.projected).toBe(0);
    const justStarted = burnDown({ ...week, now: week.start, byDay: [{ day: "2030-03-11", amount: 7 }] });
    expect(justStarted.actual).toEqual([{ t: week.start.getTime(), spent: 0 }]);
    expect(justStarted.projection).toEqual([]);
    expect(justStarted.projected).toBeNull();
  });

  it("keeps a day budget's single day within its period, and stops at the period's end", () => {
    const day = { start: at("2030-03-13T00:00:00Z"), end: at("2030-03-14T00:00:00Z"), limit: 1000, thresholds: [50, 80, 100] };
    const b = burnDown({ ...day, now: at("2030-03-13T06:00:00Z"), byDay: [{ day: "2030-03-13", amount: 100 }] });
    expect(b.actual).toEqual([{ t: day.start.getTime(), spent: 0 }, { t: day.start.getTime() + 6 * H, spent: 100 }]);
    expect(b.projected).toBe(400);
    const after = burnDown({ ...day, now: at("2030-03-15T00:00:00Z"), byDay: [{ day: "2030-03-13", amount: 100 }] });
    expect(after.now).toBe(day.end.getTime());
    expect(after.projection).toEqual([]);
    expect(after.projected).toBe(100);
  });
});
