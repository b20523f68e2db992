import { describe, expect, it } from "vitest";
import { isoWeekOf, periodOf } from "./windows";

const at = (iso: string) => new Date(iso);
const week = (iso: string) => periodOf("week", at(iso));

describe("periodOf: days and months", () => {
  it("names the UTC day, week and month of an instant", () => {
    const t = at("2026-11-26T15:04:05.678Z");
    expect(periodOf("day", t)).toEqual({ key: "2026-11-26", start: at("2026-11-26T00:00:00Z"), end: at("2026-11-27T00:00:00Z") });
    expect(periodOf("week", t)).toEqual({ key: "2026-W48", start: at("2026-11-23T00:00:00Z"), end: at("2026-11-30T00:00:00Z") });
    expect(periodOf("month", t)).toEqual({ key: "2026-11", start: at("2026-11-01T00:00:00Z"), end: at("2026-12-01T00:00:00Z") });
  });

  it("uses UTC, not the local offset of the input", () => {
    expect(periodOf("day", at("2026-11-26T23:30:00-05:00")).key).toBe("2026-11-27");
  });

  it("rolls over exactly at midnight UTC at month and year ends", () => {
    expect(periodOf("month", at("2026-11-30T23:59:59.999Z")).key).toBe("2026-11");
    expect(periodOf("month", at("2026-12-01T00:00:00.000Z")).key).toBe("2026-12");
    expect(periodOf("month", at("2026-12-31T23:59:59.999Z"))).toEqual({ key: "2026-12", start: at("2026-12-01T00:00:00Z"), end: at("2027-01-01T00:00:00Z") });
    expect(periodOf("day", at("2026-12-31T23:59:59.999Z")).end).toEqual(at("2027-01-01T00:00:00Z"));
    expect(periodOf("day", at("2027-01-01T00:00:00Z")).key).toBe("2027-01-01");
  });

  it("handles leap years (divisible by 4, not by 100 unless by 400)", () => {
    expect(periodOf("day", at("2024-02-29T12:00:00Z"))).toEqual({ key: "2024-02-29", start: at("2024-02-29T00:00:00Z"), end: at("2024-03-01T00:00:00Z") });
    expect(periodOf("month", at("2024-02-10T00:00:00Z")).end).toEqual(at("2024-03-01T00:00:00Z"));
    expect(periodOf("day", at("2023-02-28T12:00:00Z")).end).toEqual(at("2023-03-01T00:00:00Z"));
    expect(periodOf("day", at("2100-02-28T12:00:00Z")).end).toEqual(at("2100-03-01T00:00:00Z"));
    expect(periodOf("day", at("2000-02-28T12:00:00Z")).end).toEqual(at("2000-02-29T00:00:00Z"));
    expect(periodOf("month", at("2026-04-30T23:59:59Z")).end).toEqual(at("2026-05-01T00:00:00Z"));
  });

  it("pads years to four digits and does not map years 0–99 to the 1900s", () => {
    const d = new Date(0);
    d.setUTCFullYear(42, 6, 4);
    expect(periodOf("month", d)).toEqual({ key: "0042-07", start: new Date(Date.parse("0042-07-01T00:00:00Z")), end: new Date(Date.parse("0042-08-01T00:00:00Z")) });
  });

  it("refuses an invalid date", () => {
    expect(() => periodOf("day", new Date("nope"))).toThrow(RangeError);
  });
});

describe("periodOf: ISO weeks", () => {
  it("starts weeks on Monday 00:00 UTC", () => {
    expect(week("2026-11-22T23:59:59.999Z").key).toBe("2026-W47"); // Sunday
    expect(week("2026-11-23T00:00:00Z").key).toBe("2026-W48"); // Monday
  });

  it("gives late-December days to the next ISO year", () => {
    expect(week("2024-12-30T00:00:00Z")).toEqual({ key: "2025-W01", start: at("2024-12-30T00:00:00Z"), end: at("2025-01-06T00:00:00Z") });
    expect(week("2024-12-31T23:59:59Z").key).toBe("2025-W01");
    expect(week("2025-01-01T00:00:00Z").key).toBe("2025-W01");
    expect(week("2008-12-29T00:00:00Z").key).toBe("2009-W01");
    expect(week("2019-12-30T00:00:00Z").key).toBe("2020-W01");
  });

  it("gives early-January days to the previous ISO year, including week 53", () => {
    expect(week("2021-01-01T00:00:00Z")).toEqual({ key: "2020-W53", start: at("2020-12-28T00:00:00Z"), end: at("2021-01-04T00:00:00Z") });
    expect(week("2021-01-03T23:59:59Z").key).toBe("2020-W53");
    expect(week("2021-01-04T00:00:00Z").key).toBe("2021-W01");
    expect(week("2010-01-03T00:00:00Z").key).toBe("2009-W53");
    expect(week("2027-01-01T00:00:00Z").key).toBe("2026-W53"); // 2026 starts on a Thursday: 53 weeks
    expect(week("2027-01-04T00:00:00Z").key).toBe("2027-W01");
    expect(week("2023-01-01T00:00:00Z").key).toBe("2022-W52");
  });

  it("numbers weeks consistently for every day of 1999–2041 (week 1 holds January 4; numbers step by one each Monday)", () => {
    const failures: string[] = [];
    let previous = isoWeekOf(at("1998-12-31T12:00:00Z"));
    for (let t = Date.parse("1999-01-01T12:00:00Z"); t < Date.parse("2042-01-01T00:00:00Z"); t += 86_400_000) {
      const d = new Date(t);
      const w = isoWeekOf(d);
      const p = periodOf("week", d);
      const day = d.toISOString().slice(0, 10);
      if (p.end.getTime() - p.start.getTime() !== 7 * 86_400_000 || p.start.getUTCDay() !== 1 || !(p.start.getTime() <= t && t < p.end.getTime())) failures.push(`${day}: bad bounds`);
      if (p.key !== `${w.year}-W${String(w.week).padStart(2, "0")}`) failures.push(`${day}: key ${p.key}`);
      if (d.getUTCDay() === 1) {
        const continues = w.year === previous.year && w.week === previous.week + 1;
        const newYear = w.year === previous.year + 1 && w.week === 1 && (previous.week === 52 || previous.week === 53);
        if (!continues && !newYear) failures.push(`${day}: ${previous.year}-W${previous.week} → ${w.year}-W${w.week}`);
      } else if (w.year !== previous.year || w.week !== previous.week) failures.push(`${day}: week changed on a day other than Monday`);
      if (d.getUTCMonth() === 0 && d.getUTCDate() === 4 && (w.year !== d.getUTCFullYear() || w.week !== 1)) failures.push(`${day}: January 4 not in week 1`);
      previous = w;
    }
    expect(failures).toEqual([]);
  });
});
