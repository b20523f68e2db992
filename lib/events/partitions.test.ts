import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq, gte, lt, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { MIGRATIONS_FOLDER } from "@/db/client";
import * as schema from "@/db/schema";
import { llmEvents, mcpEvents, mcpRollupDaily, mcpRollupHourly, mcpTeamRollupDaily } from "@/db/schema";
import { generateEdgeSecret, parseEdgeSecrets, signEventBody } from "@core/edge/secret";
import { ingestEvents } from "@/lib/audit/ingest-events";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { makeEvent, makeLlmEvent } from "@/testing/events";
import { ensureEventPartitions, listEventPartitions } from "./partitions";

const partitionOf = async (db: ReturnType<typeof useTestDatabase>["db"], table: "mcp_events" | "llm_events", id: string) =>
  (
    (await db.execute(sql`select tableoid::regclass::text as part from ${sql.identifier(table)} where id = ${id}::uuid`)) as unknown as {
      rows: { part: string }[];
    }
  ).rows.map((r) => r.part);

describe.each(testDatabases())("event partitions on $name", (database) => {
  const { db } = useTestDatabase(database);

  it("makes the day partitions a delivered batch needs, and stores each event in its day's", async () => {
    const secrets = await parseEdgeSecrets(generateEdgeSecret());
    const events = [makeEvent({ time: "2032-01-01T23:59:59.999Z" }), makeEvent({ time: "2032-01-03T00:00:00.000Z" }), makeLlmEvent({ time: "2032-01-02T12:00:00.000Z" })];
    const body = JSON.stringify({ events });
    expect(await ingestEvents(db, { body, signature: await signEventBody(body, secrets), secrets })).toEqual({ accepted: 3, duplicates: 0 });
    expect(await listEventPartitions(db, "mcp_events")).toEqual(expect.arrayContaining(["2032-01-01", "2032-01-03"]));
    expect(await listEventPartitions(db, "mcp_events")).not.toContain("2032-01-02");
    expect(await listEventPartitions(db, "llm_events")).toContain("2032-01-02");
    expect(await partitionOf(db, "mcp_events", events[0]!.id)).toEqual(["mcp_events_p20320101"]);
    expect(await partitionOf(db, "mcp_events", events[1]!.id)).toEqual(["mcp_events_p20320103"]);
    expect(await partitionOf(db, "llm_events", events[2]!.id)).toEqual(["llm_events_p20320102"]);
  });

  it("keeps an event of a day without a partition in the default one, and moves it when the day's is made", async () => {
    const early = makeEvent({ time: "2032-02-01T10:30:00.000Z" });
    const llm = makeLlmEvent({ time: "2032-02-01T10:30:00.000Z" });
    // Written straight into the table (a seed, a test): no partition for that day yet, and it is not refused.
    await db.insert(mcpEvents).values({ ...early, time: early.time });
    const { kind: _kind, ...llmRow } = llm;
    await db.insert(llmEvents).values(llmRow);
    expect(await partitionOf(db, "mcp_events", early.id)).toEqual(["mcp_events_default"]);
    expect(await partitionOf(db, "llm_events", llm.id)).toEqual(["llm_events_default"]);
    const rollup = () => db.select({ calls: mcpRollupHourly.calls }).from(mcpRollupHourly).where(eq(mcpRollupHourly.bucket, "2032-02-01T10:00:00.000Z"));
    expect(await rollup()).toEqual([{ calls: 1 }]);

    await ensureEventPartitions(db, "mcp_events", ["2032-02-01"]);
    await ensureEventPartitions(db, "llm_events", ["2032-02-01"]);
    expect(await partitionOf(db, "mcp_events", early.id)).toEqual(["mcp_events_p20320201"]);
    expect(await partitionOf(db, "llm_events", llm.id)).toEqual(["llm_events_p20320201"]);
    // Moved, not inserted again: the rollups are untouched.
    expect(await rollup()).toEqual([{ calls: 1 }]);
    // Asking again (another process, a retry) changes nothing.
    await db.execute(sql`select portcullis_event_partition('mcp_events'::regclass, '2032-02-01'::date)`);
    expect(await partitionOf(db, "mcp_events", early.id)).toEqual(["mcp_events_p20320201"]);
    await expect(ensureEventPartitions(db, "mcp_events", ["2032-2-1"])).rejects.toThrow(/not a UTC day/);
  });
});

describe("migration 0019 (partitions and rollups) on PGlite", () => {
  it("moves the events stored before it into day partitions and rolls them up", async () => {
    const [{ PGlite }, { drizzle }, { migrate }] = await Promise.all([import("@electric-sql/pglite"), import("drizzle-orm/pglite"), import("drizzle-orm/pglite/migrator")]);
    // The migrations up to 0016 only: the database as it was before events were partitioned.
    const before = mkdtempSync(path.join(os.tmpdir(), "portcullis-migrations-"));
    const client = new PGlite();
    try {
      cpSync(MIGRATIONS_FOLDER, before, { recursive: true });
      const journalPath = path.join(before, "meta", "_journal.json");
      const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: { tag: string }[] };
      const upTo = journal.entries.findIndex((e) => e.tag.startsWith("0019_"));
      writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, upTo) }));
      const db = drizzle(client, { schema });
      await migrate(db, { migrationsFolder: before });

      const calls = [0, 1, 2].map((i) => makeEvent({ time: `2029-07-0${1 + i}T08:15:00.000Z`, userId: crypto.randomUUID(), durationMs: 40 + i }));
      const usage = makeLlmEvent({ time: "2029-07-02T09:00:00.000Z", costMicroUsd: 500 });
      // Columns of the time (the plain tables): a primary key on id alone.
      for (const e of calls) {
        await client.query(`insert into mcp_events (id, time, user_id, method, endpoint, server_slug, tool, decision, success, duration_ms, result_tokens) values ($1, $2, $3, 'tools/call', '/mcp', 'weather', 'get_weather', 'allowed', true, $4, 7)`, [
          e.id,
          e.time,
          e.userId,
          e.durationMs,
        ]);
      }
      await client.query(`insert into llm_events (id, time, provider_slug, provider_kind, operation, stream, status, success, decision, cost_micro_usd) values ($1, $2, 'openai', 'openai', 'chat.completions', false, 200, true, 'allowed', 500)`, [
        usage.id,
        usage.time,
      ]);

      await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
      const stored = await db.select({ id: mcpEvents.id, time: mcpEvents.time }).from(mcpEvents);
      expect(stored.map((r) => r.id).sort()).toEqual(calls.map((e) => e.id).sort());
      const parts = await client.query<{ part: string }>(`select distinct tableoid::regclass::text as part from mcp_events order by 1`);
      expect(parts.rows.map((r) => r.part)).toEqual(["mcp_events_p20290701", "mcp_events_p20290702", "mcp_events_p20290703"]);
      expect((await client.query<{ part: string }>(`select tableoid::regclass::text as part from llm_events`)).rows).toEqual([{ part: "llm_events_p20290702" }]);
      const daily = await db
        .select({ bucket: mcpRollupDaily.bucket, calls: mcpRollupDaily.calls, resultTokens: mcpRollupDaily.resultTokens, durationMs: mcpRollupDaily.durationMs })
        .from(mcpRollupDaily)
        .orderBy(mcpRollupDaily.bucket);
      expect(daily.map((r) => ({ ...r, bucket: new Date(r.bucket).toISOString() }))).toEqual([
        { bucket: "2029-07-01T00:00:00.000Z", calls: 1, resultTokens: 7, durationMs: 40 },
        { bucket: "2029-07-02T00:00:00.000Z", calls: 1, resultTokens: 7, durationMs: 41 },
        { bucket: "2029-07-03T00:00:00.000Z", calls: 1, resultTokens: 7, durationMs: 42 },
      ]);
      expect(await db.select({ calls: mcpTeamRollupDaily.calls }).from(mcpTeamRollupDaily).where(eq(mcpTeamRollupDaily.bucket, "2029-07-02T00:00:00.000Z"))).toEqual([{ calls: 1 }]);
      expect(
        await db
          .select({ cost: schema.llmRollupDaily.costMicroUsd })
          .from(schema.llmRollupDaily)
          .where(and(gte(schema.llmRollupDaily.bucket, "2029-07-02T00:00:00.000Z"), lt(schema.llmRollupDaily.bucket, "2029-07-03T00:00:00.000Z"))),
      ).toEqual([{ cost: 500 }]);
      // The plain tables are gone.
      expect((await client.query(`select to_regclass('mcp_events_unpartitioned') as t`)).rows).toEqual([{ t: null }]);
    } finally {
      await client.close();
      rmSync(before, { recursive: true, force: true });
    }
  }, 120_000);
});
