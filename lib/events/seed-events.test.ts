/**
 * `npm run seed:events`: N events land, every rollup sums to the raw events (the same triggers as
 * ingest), the days get their partitions, a second run adds as many again, and bad arguments are
 * refused with the usage line.
 */
import { count, countDistinct, sql, sum } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import {
  llmEvents,
  llmRollupDaily,
  llmRollupHourly,
  llmUserTotalsDaily,
  mcpEvents,
  mcpRollupDaily,
  mcpRollupHourly,
  mcpTeamRollupDaily,
  teams,
  users,
} from "@/db/schema";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { makeUser } from "@/testing/users";
import { ValidationError } from "@/lib/errors";
import { listEventPartitions } from "./partitions";
import { MIN_SEED_USERS, parseSeedEventsArgs, seedEvents, type SeedEventsResult } from "./seed-events";
import { eventsPerDay } from "./synthetic";

const NOW = new Date("2034-06-14T15:30:00.000Z");
const N = 4_000;

describe("seed:events arguments", () => {
  it("reads --count and --days, in both spellings", () => {
    expect(parseSeedEventsArgs(["--count", "500"])).toMatchObject({ count: 500, days: 30 });
    expect(parseSeedEventsArgs(["--count=7", "--days=3"])).toMatchObject({ count: 7, days: 3 });
  });

  it.each([
    [[], /--count is required/],
    [["--count"], /--count needs a value/],
    [["--count", "ten"], /whole number/],
    [["--count", "1.5"], /whole number/],
    [["--count", "0"], /at least 1/],
    [["--count", "5", "--days", "0"], /--days must be at least 1/],
    [["--count", "5", "--dayz", "3"], /unknown argument "--dayz"/],
    [["--count", "5", "extra"], /unknown argument "extra"/],
  ])("refuses %j with a clear message and the usage", (argv, message) => {
    let error: unknown;
    try {
      parseSeedEventsArgs(argv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/usage: npm run seed:events -- --count/);
  });

  it("splits events over days: weekends quieter, today only the part that has passed, the total exact", () => {
    const plan = eventsPerDay(10_000, 14, NOW);
    expect(plan.reduce((s, d) => s + d.events, 0)).toBe(10_000);
    const byDay = new Map(plan.map((d) => [d.day, d.events]));
    // 2034-06-10 is a Saturday, 2034-06-12 a Monday.
    expect(byDay.get("2034-06-10")!).toBeLessThan(byDay.get("2034-06-12")! / 2);
    expect(plan.at(-1)).toMatchObject({ day: "2034-06-14", end: "2034-06-14T15:29:00.000Z" });
  });
});

describe.each(testDatabases())("seed:events on $name", (database) => {
  const { db } = useTestDatabase(database);
  let first: SeedEventsResult;

  beforeAll(async () => {
    await makeUser(db, "admin", "admin@seed.test");
    first = await seedEvents(db, { count: N, days: 10 }, NOW);
  });

  const totals = async () => {
    const [mcp] = await db.select({ n: count(), errors: sql<number>`count(*) filter (where ${mcpEvents.decision} = 'allowed' and not ${mcpEvents.success})::int`, denied: sql<number>`count(*) filter (where ${mcpEvents.decision} = 'denied')::int` }).from(mcpEvents);
    const [llm] = await db.select({ n: count(), cost: sql<number>`coalesce(sum(${llmEvents.costMicroUsd}), 0)::bigint`, tokens: sql<number>`coalesce(sum(${llmEvents.inputTokens}), 0)::bigint` }).from(llmEvents);
    return { mcp: mcp!, llm: llm! };
  };
  const rollupSum = async (table: typeof mcpRollupDaily | typeof mcpRollupHourly | typeof mcpTeamRollupDaily) => {
    const [row] = await db.select({ calls: sum(table.calls).mapWith(Number), errors: sum(table.errors).mapWith(Number) }).from(table);
    return row!;
  };

  it("stores N events by a synthetic company joining the lone admin, over the days asked, each in its day's partition", async () => {
    expect(first).toMatchObject({ addedCompany: true, catalogueServers: true, servers: 12 });
    expect(first.users).toBeGreaterThanOrEqual(MIN_SEED_USERS);
    expect(first.mcp + first.llm).toBe(N);
    const { mcp, llm } = await totals();
    expect(mcp.n + llm.n).toBe(N);
    expect(llm.n).toBe(first.llm);
    // Realistic: denials, errors and several teams, users and servers.
    expect(mcp.denied).toBeGreaterThan(0);
    expect(mcp.errors).toBeGreaterThan(0);
    const [spread] = await db.select({ users: countDistinct(mcpEvents.userId), teams: countDistinct(mcpEvents.teamId), servers: countDistinct(mcpEvents.serverSlug) }).from(mcpEvents);
    expect(spread!.users).toBeGreaterThan(20);
    expect(spread!.teams).toBe(6);
    expect(spread!.servers).toBeGreaterThan(3);
    const [teamCount] = await db.select({ n: count() }).from(teams);
    expect(teamCount!.n).toBe(6);
    expect(await listEventPartitions(db, "mcp_events")).toEqual(first.days);
    expect(await listEventPartitions(db, "llm_events")).toEqual(first.days);
    const { rows: [outside] } = (await db.execute(sql`select count(*)::int as n from mcp_events_default`)) as unknown as { rows: { n: number }[] };
    expect(outside!.n).toBe(0);
    // Times spread over each day, most in working hours (a whole weekday: 2034-06-13, a Tuesday).
    const [shape] = await db
      .select({
        distinct: sql<number>`count(distinct ${mcpEvents.time})::int`,
        hours: sql<number>`count(distinct extract(hour from ${mcpEvents.time} at time zone 'UTC'))::int`,
        working: sql<number>`avg(case when extract(hour from ${mcpEvents.time} at time zone 'UTC') between 7 and 17 then 1 else 0 end)::float`,
      })
      .from(mcpEvents)
      .where(sql`${mcpEvents.time} >= '2034-06-13T00:00:00Z' and ${mcpEvents.time} < '2034-06-14T00:00:00Z'`);
    expect(shape!.distinct).toBeGreaterThan(100);
    expect(shape!.hours).toBeGreaterThanOrEqual(20);
    expect(shape!.working).toBeGreaterThan(0.6);
    expect(shape!.working).toBeLessThan(0.95);
    const [latest] = await db.select({ t: sql<string>`max(${mcpEvents.time})` }).from(mcpEvents);
    expect(new Date(latest!.t).getTime()).toBeLessThan(NOW.getTime());
  });

  it("keeps every rollup equal to the raw events (the ingest triggers ran on the fill)", async () => {
    const { mcp, llm } = await totals();
    for (const table of [mcpRollupHourly, mcpRollupDaily, mcpTeamRollupDaily]) {
      expect(await rollupSum(table)).toEqual({ calls: mcp.n, errors: mcp.errors });
    }
    for (const table of [llmRollupHourly, llmRollupDaily]) {
      const [row] = await db.select({ calls: sum(table.calls).mapWith(Number), cost: sum(table.costMicroUsd).mapWith(Number), input: sum(table.inputTokens).mapWith(Number) }).from(table);
      expect(row).toEqual({ calls: llm.n, cost: Number(llm.cost), input: Number(llm.tokens) });
    }
    const [totalsRow] = await db.select({ calls: sum(llmUserTotalsDaily.calls).mapWith(Number) }).from(llmUserTotalsDaily);
    expect(totalsRow!.calls).toBe(llm.n);
  });

  it("adds as many events again on a second run, with no new company and the rollups still exact", async () => {
    const [before] = await db.select({ n: count() }).from(users);
    const second = await seedEvents(db, { count: 500, days: 2 }, NOW);
    expect(second.addedCompany).toBe(false);
    const [after] = await db.select({ n: count() }).from(users);
    expect(after!.n).toBe(before!.n);
    const { mcp, llm } = await totals();
    expect(mcp.n + llm.n).toBe(N + 500);
    expect(await rollupSum(mcpRollupDaily)).toEqual({ calls: mcp.n, errors: mcp.errors });
  });
});
