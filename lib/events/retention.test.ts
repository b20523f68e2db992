import { and, count, eq, gte, lt, sql, sum } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { forwardingAlertsFired, forwardingOutbox, forwardingSinks, llmEvents, llmRollupDaily, llmRollupHourly, mcpEvents, mcpRollupDaily, mcpRollupHourly, mcpTeamRollupDaily } from "@/db/schema";
import { generateEdgeSecret, parseEdgeSecrets } from "@core/edge/secret";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { deliverAtLeastOnce, eventCorpus, type Corpus } from "@/testing/event-corpus";
import { makeEvent } from "@/testing/events";
import { makeUser } from "@/testing/users";
import { getUsage } from "@/lib/usage/usage";
import { listEventPartitions } from "./partitions";
import { applyEventRetention, eventRetentionDays } from "./retention";

const START = new Date("2033-03-01T00:00:00.000Z");
const DAYS = 5;
const END = new Date(START.getTime() + DAYS * 86_400_000);
const DAY = (n: number) => new Date(START.getTime() + n * 86_400_000).toISOString();

describe("retention setting", () => {
  it("defaults to 90 days, 0 keeps events forever, and refuses nonsense naming the variable", () => {
    expect(eventRetentionDays({})).toBe(90);
    expect(eventRetentionDays({ PORTCULLIS_EVENT_RETENTION_DAYS: "0" })).toBe(0);
    expect(eventRetentionDays({ PORTCULLIS_EVENT_RETENTION_DAYS: "400" })).toBe(400);
    expect(() => eventRetentionDays({ PORTCULLIS_EVENT_RETENTION_DAYS: "-3" })).toThrow(/PORTCULLIS_EVENT_RETENTION_DAYS/);
  });
});

describe.each(testDatabases())("event retention on $name", (database) => {
  const { db } = useTestDatabase(database);
  let corpus: Corpus;

  beforeAll(async () => {
    corpus = eventCorpus(33, 600, START, DAYS);
    await deliverAtLeastOnce(db, await parseEdgeSecrets(generateEdgeSecret()), corpus.all, 3);
  });

  const rawCalls = async (from: string, to: string) => {
    const [mcp] = await db.select({ n: count() }).from(mcpEvents).where(and(gte(mcpEvents.time, from), lt(mcpEvents.time, to)));
    const [llm] = await db.select({ n: count() }).from(llmEvents).where(and(gte(llmEvents.time, from), lt(llmEvents.time, to)));
    return { mcp: mcp!.n, llm: llm!.n };
  };
  const rolledUp = async (from: string, to: string) => {
    const calls = (t: typeof mcpRollupHourly | typeof mcpRollupDaily | typeof llmRollupHourly | typeof llmRollupDaily | typeof mcpTeamRollupDaily) =>
      db
        .select({ n: sql<number>`coalesce(${sum(t.calls)}, 0)::int`.mapWith(Number) })
        .from(t as typeof mcpRollupHourly)
        .where(and(gte(t.bucket, from), lt(t.bucket, to)))
        .then((r) => r[0]!.n);
    return { mcpHourly: await calls(mcpRollupHourly), mcpDaily: await calls(mcpRollupDaily), mcpTeam: await calls(mcpTeamRollupDaily), llmHourly: await calls(llmRollupHourly), llmDaily: await calls(llmRollupDaily) };
  };

  it("drops whole days past the retention with their hourly rollups, keeps the daily rollups, and makes the next partitions", async () => {
    const admin = await makeUser(db, "admin");
    // A stray event of an old day in the default partition (written straight in) goes too.
    await db.insert(mcpEvents).values({ ...makeEvent({ time: "2033-02-27T05:00:00.000Z" }) });
    const oldDays = { from: DAY(0), to: DAY(2) };
    const beforeUsage = await getUsage({ db, actor: admin }, { from: "2033-03-01", to: "2033-03-02" }, END);
    const beforeOld = await rolledUp(oldDays.from, oldDays.to);
    const beforeKept = await rolledUp(DAY(2), DAY(5));
    const expectedOld = { mcp: corpus.mcp.filter((e) => e.time < oldDays.to).length, llm: corpus.llm.filter((e) => e.time < oldDays.to).length };
    expect(await rawCalls(oldDays.from, oldDays.to)).toEqual(expectedOld);
    expect(beforeOld).toMatchObject({ mcpHourly: expectedOld.mcp, mcpDaily: expectedOld.mcp, llmHourly: expectedOld.llm, llmDaily: expectedOld.llm });

    // Three days kept back from 2033-03-05 12:00: days up to 2033-03-02 ended more than three days ago.
    const now = new Date("2033-03-05T12:00:00.000Z");
    const result = await applyEventRetention(db, now, 3);
    expect(result.keepFrom).toBe("2033-03-02");
    expect(result.droppedPartitions.mcp_events).toBeGreaterThanOrEqual(1);
    expect(await listEventPartitions(db, "mcp_events")).not.toContain("2033-03-01");
    expect(await listEventPartitions(db, "mcp_events")).toEqual(expect.arrayContaining(["2033-03-02", "2033-03-05", "2033-03-06"]));
    expect(await listEventPartitions(db, "llm_events")).toEqual(expect.arrayContaining(["2033-03-05", "2033-03-06"]));

    expect(await rawCalls("2033-01-01T00:00:00.000Z", DAY(1))).toEqual({ mcp: 0, llm: 0 });
    const keptDay1 = { mcp: corpus.mcp.filter((e) => e.time >= DAY(1) && e.time < DAY(2)).length, llm: corpus.llm.filter((e) => e.time >= DAY(1) && e.time < DAY(2)).length };
    expect(await rawCalls(DAY(1), DAY(2))).toEqual(keptDay1);
    // Raw events and hourly rollups went together; daily rollups (everyone's and per team) stayed.
    expect(await rolledUp(DAY(0), DAY(1))).toMatchObject({ mcpHourly: 0, llmHourly: 0, mcpDaily: beforeOld.mcpDaily - keptDay1.mcp, mcpTeam: beforeOld.mcpTeam - keptDay1.mcp });
    expect(await rolledUp(oldDays.from, oldDays.to)).toMatchObject({ mcpDaily: beforeOld.mcpDaily, llmDaily: beforeOld.llmDaily, mcpTeam: beforeOld.mcpTeam, mcpHourly: keptDay1.mcp, llmHourly: keptDay1.llm });
    // What is kept still adds up: rollups equal the raw events left.
    const kept = await rawCalls(DAY(1), DAY(5));
    expect(await rolledUp(DAY(1), DAY(5))).toMatchObject({ mcpHourly: kept.mcp, mcpDaily: kept.mcp, mcpTeam: kept.mcp, llmHourly: kept.llm, llmDaily: kept.llm });
    expect(await rolledUp(DAY(2), DAY(5))).toEqual(beforeKept);
    // Usage of a dropped day still answers from the daily rollups, as before.
    const afterUsage = await getUsage({ db, actor: admin }, { from: "2033-03-01", to: "2033-03-02" }, END);
    expect(afterUsage.mcp.byServer).toEqual(beforeUsage.mcp.byServer);
    expect(afterUsage.llm).toEqual(beforeUsage.llm);

    // Again: nothing more to drop. Off: nothing dropped at all.
    expect((await applyEventRetention(db, now, 3)).droppedPartitions).toEqual({ mcp_events: 0, llm_events: 0 });
    expect(await applyEventRetention(db, new Date("2040-01-01T00:00:00.000Z"), 0)).toEqual({ keepFrom: null, droppedPartitions: { mcp_events: 0, llm_events: 0 }, deadLetters: 0, spikeRecords: 0 });
    expect(await rawCalls(DAY(1), DAY(5))).toEqual(kept);
  });

  it("deletes forwarding's dead letters of dropped days and spike records over two days old, keeping the rest", async () => {
    const [sink] = await db
      .insert(forwardingSinks)
      .values({ id: crypto.randomUUID(), name: `retention ${crypto.randomUUID()}`, kind: "webhook", url: "https://siem.example/hook", filters: { kinds: [], decisions: [], servers: [] }, alertRules: { spikes: [], shadowHigh: true, budgets: true } })
      .returning();
    const letter = (createdAt: string, deadAt: string | null) => ({ sinkId: sink!.id, kind: "events" as const, payload: { events: [] }, items: 1, createdAt: new Date(createdAt), deadAt: deadAt ? new Date(deadAt) : null });
    const rows = await db
      .insert(forwardingOutbox)
      .values([letter("2034-01-01T10:00:00.000Z", "2034-01-01T11:00:00.000Z"), letter("2034-01-01T10:00:00.000Z", null), letter("2034-01-09T10:00:00.000Z", "2034-01-09T11:00:00.000Z")])
      .returning({ id: forwardingOutbox.id });
    const fired = (key: string, firedAt: string) => ({ sinkId: sink!.id, key, firedAt: new Date(firedAt) });
    await db.insert(forwardingAlertsFired).values([
      fired("spike:denials:15:100@2034-01-08T08:00", "2034-01-08T08:00:00.000Z"),
      fired("spike:denials:1440:100@2034-01-09T00:00", "2034-01-09T13:00:00.000Z"),
      fired("shadow:some-finding", "2034-01-01T08:00:00.000Z"),
    ]);

    const result = await applyEventRetention(db, new Date("2034-01-10T12:00:00.000Z"), 3);
    expect(result).toMatchObject({ keepFrom: "2034-01-07", deadLetters: 1, spikeRecords: 1 });
    // The old dead letter went; a pending delivery of the same day (still being retried) and a recent dead letter stay.
    const left = await db.select({ id: forwardingOutbox.id }).from(forwardingOutbox).where(eq(forwardingOutbox.sinkId, sink!.id));
    expect(left.map((r) => r.id).sort()).toEqual([rows[1]!.id, rows[2]!.id].sort());
    const keys = await db.select({ key: forwardingAlertsFired.key }).from(forwardingAlertsFired).where(eq(forwardingAlertsFired.sinkId, sink!.id));
    expect(keys.map((k) => k.key).sort()).toEqual(["shadow:some-finding", "spike:denials:1440:100@2034-01-09T00:00"]);
  });
});
