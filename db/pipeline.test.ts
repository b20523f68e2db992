import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { copyValue, openPipeline } from "./pipeline";

interface PoolLike {
  totalCount: number;
  connect(): Promise<{ pipeline?: unknown; query(text: string): Promise<{ rows: { pid: number }[] }>; release(): void }>;
}

/** Holds the event loop, as reading a large delivery does. */
const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe.each(testDatabases())("a pipeline on $name", (database) => {
  const handle = useTestDatabase(database);
  const pool = () => (handle.opened.db as unknown as { $client: PoolLike }).$client;

  it("is there on node-postgres only (PGlite runs one statement at a time anyway)", async () => {
    const pipe = await openPipeline(handle.opened.db);
    expect(pipe === null).toBe(database.name === "pglite");
    pipe?.release();
  });

  it("writes a statement while the one before it runs, on one connection, so the server starts it without waiting for us", async () => {
    const pipe = await openPipeline(handle.opened.db);
    if (!pipe) return expect(database.name).toBe("pglite");
    try {
      const first = pipe.query<{ pid: number; ended: number }>(sql`select pg_backend_pid() as pid, pg_sleep(0.1)::text as slept, extract(epoch from clock_timestamp())::float8 as ended`);
      const second = pipe.query<{ pid: number; started: number }>(sql`select pg_backend_pid() as pid, extract(epoch from statement_timestamp())::float8 as started`);
      // The first answer arrives while the event loop is held: without the pipeline the second
      // statement would leave only after it, 300 ms after the first ended.
      busy(400);
      const [[a], [b]] = await Promise.all([first, second]);
      expect(b!.pid).toBe(a!.pid);
      expect((b!.started - a!.ended) * 1000).toBeLessThan(150);
    } finally {
      pipe.release();
    }
  });

  it("fails a statement alone, and gives its connection back to the pool as it was", async () => {
    const pipe = await openPipeline(handle.opened.db);
    if (!pipe) return expect(database.name).toBe("pglite");
    const connections = pool().totalCount;
    const answers = await Promise.allSettled([
      pipe.query<{ n: number }>(sql`select 1 as n`),
      pipe.query(sql`select 1 / 0`),
      pipe.query<{ n: number }>(sql`select 3 as n`),
    ]);
    expect(answers.map((a) => a.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((answers[2] as PromiseFulfilledResult<{ n: number }[]>).value).toEqual([{ n: 3 }]);
    expect(((answers[1] as PromiseRejectedResult).reason as { code?: string }).code).toBe("22012");
    expect(pipe.lost).toBe(false);
    pipe.release();
    expect(pool().totalCount).toBe(connections);
    const client = await pool().connect();
    expect(client.pipeline).toBe(false);
    client.release();
  });

  it("gives back a connection the server ended as broken, so the pool opens a new one", async () => {
    const pipe = await openPipeline(handle.opened.db);
    if (!pipe) return expect(database.name).toBe("pglite");
    const [row] = await pipe.query<{ pid: number }>(sql`select pg_backend_pid() as pid`);
    const pid = row!.pid;
    await handle.opened.db.execute(sql`select pg_terminate_backend(${pid})`);
    await expect(pipe.query(sql`select 1`)).rejects.toThrow();
    expect(pipe.lost).toBe(true);
    pipe.release();
    const client = await pool().connect();
    try {
      expect((await client.query("select pg_backend_pid() as pid")).rows[0]!.pid).not.toBe(pid);
    } finally {
      client.release();
    }
  });

  it("copies rows into tables and answers a statement after them, as one transaction, behind the running statement", async () => {
    const pipe = await openPipeline(handle.opened.db);
    if (!pipe) return expect(database.name).toBe("pglite");
    const db = handle.opened.db;
    await db.execute(sql`create table copy_a (id integer primary key, note text, tags text[], doc jsonb, flag boolean)`);
    await db.execute(sql`create table copy_b (id integer primary key, note text)`);
    try {
      const awkward = 'tab\there, line\nbreak, return\r, back\\slash, \\N, "quoted", {braces}, é😀';
      const row = (id: number, note: string | null, tags: string, doc: string, flag: string) => [String(id), copyValue(note), copyValue(tags), copyValue(doc), flag].join("\t") + "\n";
      const running = pipe.query<{ ended: number }>(sql`select pg_sleep(0.1)::text as slept, extract(epoch from clock_timestamp())::float8 as ended`);
      const copied = pipe.copy<{ a: number; b: number; started: number }>(
        [
          { table: "copy_a", columns: ["id", "note", "tags", "doc", "flag"], data: row(1, awkward, '{"x\ty",NULL}', JSON.stringify({ q: awkward }), "t") + row(2, null, "{}", "null", "f") },
          { table: "copy_b", columns: ["id", "note"], data: `7\t${copyValue("b")}\n` },
        ],
        sql`select (select count(*) from copy_a)::int as a, (select count(*) from copy_b where note = ${"b"})::int as b, extract(epoch from statement_timestamp())::float8 as started`,
      );
      busy(300);
      const [[ran], [answer]] = await Promise.all([running, copied]);
      expect(answer).toMatchObject({ a: 2, b: 1 });
      // It was on the wire behind the running statement: no round trip after it.
      expect((answer!.started - ran!.ended) * 1000).toBeLessThan(150);
      const rows = (await db.execute(sql`select id, note, tags, doc, flag from copy_a order by id`)) as unknown as { rows: unknown[] };
      expect(rows.rows).toEqual([
        { id: 1, note: awkward, tags: ["x\ty", null], doc: { q: awkward }, flag: true },
        { id: 2, note: null, tags: [], doc: null, flag: false },
      ]);

      // A failing COPY (a repeated key) leaves nothing of the transaction, drops the data after it, and
      // the statements sent behind it run as usual.
      const answers = await Promise.allSettled([
        pipe.copy([
          { table: "copy_b", columns: ["id", "note"], data: "8\tnew\n" },
          { table: "copy_a", columns: ["id", "note", "tags", "doc", "flag"], data: row(3, "three", "{}", "{}", "t") + row(1, "again", "{}", "{}", "t") },
          { table: "copy_b", columns: ["id", "note"], data: "9\tdropped\n" },
        ], sql`select 1 as n`),
        pipe.query<{ n: number }>(sql`select count(*)::int as n from copy_a`),
        pipe.copy<{ n: number }>([{ table: "copy_b", columns: ["id", "note"], data: "10\tten\n" }], sql`select count(*)::int as n from copy_b`),
      ]);
      expect(answers.map((a) => a.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
      expect(((answers[0] as PromiseRejectedResult).reason as { code?: string }).code).toBe("23505");
      expect((answers[1] as PromiseFulfilledResult<{ n: number }[]>).value).toEqual([{ n: 2 }]);
      expect((answers[2] as PromiseFulfilledResult<{ n: number }[]>).value).toEqual([{ n: 2 }]);
      expect(pipe.lost).toBe(false);
      const b = (await db.execute(sql`select id from copy_b order by id`)) as unknown as { rows: { id: number }[] };
      expect(b.rows.map((r) => r.id)).toEqual([7, 10]);
    } finally {
      pipe.release();
      await db.execute(sql`drop table copy_a, copy_b`);
    }
  });
});
