/**
 * UTC calendar periods for budgets (day, ISO week, month) and their keys. Pure: Web-standard `Date`
 * only, so the console and the portal Worker name the same period for the same instant. Key formats
 * and edge cases: docs/limits.md, "Budget periods".
 */

export const PERIODS = ["day", "week", "month"] as const;
export type Period = (typeof PERIODS)[number];

export interface PeriodWindow {
  key: string;
  start: Date;
  end: Date;
}

const DAY_MS = 86_400_000;

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** Midnight UTC of the given calendar day; `Date.UTC` would map years 0–99 to 1900–1999, so set the year explicitly. */
function utcDate(year: number, monthIndex: number, day: number): Date {
  const d = new Date(0);
  d.setUTCFullYear(year, monthIndex, day);
  d.setUTCHours(0, 0, 0, 0);
  return d;
}

/** The ISO 8601 week-numbering year and week (1–53) of the UTC day containing `at`, and that week's Monday. */
export function isoWeekOf(at: Date): { year: number; week: number; monday: Date } {
  const dayStart = Math.floor(at.getTime() / DAY_MS) * DAY_MS;
  const weekday = (new Date(dayStart).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const monday = dayStart - weekday * DAY_MS;
  // The week belongs to the year its Thursday is in; its number counts Thursdays in that year.
  const thursday = new Date(monday + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const dayOfYear = Math.floor((thursday.getTime() - utcDate(year, 0, 1).getTime()) / DAY_MS);
  return { year, week: Math.floor(dayOfYear / 7) + 1, monday: new Date(monday) };
}

/** The UTC calendar period of kind `period` that contains `at`. Throws a RangeError for an invalid date. */
export function periodOf(period: Period, at: Date): PeriodWindow {
  const t = at.getTime();
  if (!Number.isFinite(t)) throw new RangeError("periodOf needs a valid date");
  const year = at.getUTCFullYear();
  if (year < 1 || year > 9999) throw new RangeError(`periodOf supports years 0001–9999, got ${year}`);
  const month = at.getUTCMonth();
  switch (period) {
    case "day": {
      const start = utcDate(year, month, at.getUTCDate());
      return { key: `${pad(year, 4)}-${pad(month + 1)}-${pad(at.getUTCDate())}`, start, end: new Date(start.getTime() + DAY_MS) };
    }
    case "week": {
      const w = isoWeekOf(at);
      return { key: `${pad(w.year, 4)}-W${pad(w.week)}`, start: w.monday, end: new Date(w.monday.getTime() + 7 * DAY_MS) };
    }
    case "month":
      return { key: `${pad(year, 4)}-${pad(month + 1)}`, start: utcDate(year, month, 1), end: utcDate(year, month + 1, 1) };
  }
}
