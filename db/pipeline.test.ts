import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { openPipeline } from "./pipeline";

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
});
