/**
 * A budget's burn-down for a chart: cumulative spend over its current period against the limit, the
 * alert thresholds as amounts, and a straight projection of the spend rate so far to the period's end.
 * Pure: the amounts per UTC day come from the rollups (lib/budgets/spend.ts `spendByDay`).
 *
 * Amounts are in the budget's display unit (tokens, or dollars for "usd"), as the Budgets page shows them.
 */

const DAY_MS = 86_400_000;

export interface BurnDownPoint {
  /** Epoch milliseconds. */
  t: number;
  /** Spent from the period's start up to `t`. */
  spent: number;
}

export interface BurnDown {
  start: number;
  end: number;
  now: number;
  limit: number;
  /** Cumulative spend: the period's start (0), the end of each whole day gone by, and now. */
  actual: BurnDownPoint[];
  /** From now to the period's end at the average rate so far; empty when no time of the period has passed. */
  projection: BurnDownPoint[];
  /** Each alert threshold (percent of the limit) as an amount. */
  thresholds: { percent: number; amount: number }[];
  spent: number;
  /** What the period ends at if spending goes on at the rate so far; null when no time has passed. */
  projected: number | null;
  /** When the projection crosses the limit (epoch ms), if it does before the period ends; null otherwise. */
  limitReachedAt: number | null;
}

/**
 * @param byDay amounts spent per UTC day (`YYYY-MM-DD`), any order; days outside [start, now) are ignored.
 * @param thresholds percent of the limit at which alerts fire (e.g. 50, 80, 100).
 */
export function burnDown(input: {
  start: Date;
  end: Date;
  now: Date;
  limit: number;
  thresholds: readonly number[];
  byDay: readonly { day: string; amount: number }[];
}): BurnDown {
  const start = input.start.getTime();
  const end = input.end.getTime();
  // A page rendered after the period ended (or a clock before it) still draws inside the period.
  const now = Math.min(Math.max(input.now.getTime(), start), end);
  const amounts = new Map<number, number>();
  for (const { day, amount } of input.byDay) {
    const t = Date.parse(`${day}T00:00:00.000Z`);
    if (Number.isNaN(t) || t < start || t >= now) continue;
    amounts.set(t, (amounts.get(t) ?? 0) + amount);
  }
  const actual: BurnDownPoint[] = [{ t: start, spent: 0 }];
  let spent = 0;
  for (let day = start; day < now; day += DAY_MS) {
    spent += amounts.get(day) ?? 0;
    actual.push({ t: Math.min(day + DAY_MS, now), spent });
  }
  const elapsed = now - start;
  const projected = elapsed > 0 ? (spent * (end - start)) / elapsed : null;
  const projection = projected === null || now >= end ? [] : [{ t: now, spent }, { t: end, spent: projected }];
  const limitReachedAt =
    projected !== null && spent < input.limit && projected >= input.limit ? Math.round(now + ((input.limit - spent) / (projected - spent)) * (end - now)) : null;
  return {
    start,
    end,
    now,
    limit: input.limit,
    actual,
    projection,
    thresholds: input.thresholds.map((percent) => ({ percent, amount: (input.limit * percent) / 100 })),
    spent,
    projected,
    limitReachedAt,
  };
}
