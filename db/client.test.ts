import path from "node:path";
import { sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import { openDatabase, resolveDatabaseTarget } from "./client";
import { users } from "./schema";
import { testDatabases } from "@/testing/db";

describe("choosing the database driver", () => {
  it("uses embedded PGlite under the data folder when DATABASE_URL is unset", () => {
    expect(resolveDatabaseTarget({})).toEqual({ driver: "pglite", dataDir: path.resolve(".data", "pglite") });
    expect(resolveDatabaseTarget({ PORTCULLIS_DATA_DIR: "/var/lib/pc" })).toEqual({ driver: "pglite", dataDir: "/var/lib/pc/pglite" });
  });

  it("uses node-postgres for a postgres:// URL", () => {
    expect(resolveDatabaseTarget({ DATABASE_URL: "postgres://u:p@db:5432/pc" })).toEqual({ driver: "pg", url: "postgres://u:p@db:5432/pc" });
  });

  it("uses the Neon driver for Neon hosts or when asked", () => {
    expect(resolveDatabaseTarget({ DATABASE_URL: "postgresql://u:p@ep-cool-1.eu-central-1.aws.neon.tech/pc" }).driver).toBe("neon");
    expect(resolveDatabaseTarget({ DATABASE_URL: "postgres://u:p@db/pc", DATABASE_DRIVER: "neon" }).driver).toBe("neon");
    expect(resolveDatabaseTarget({ DATABASE_URL: "postgresql://u:p@x.neon.tech/pc", DATABASE_DRIVER: "pg" }).driver).toBe("pg");
  });

  it("explains a bad DATABASE_URL or driver", () => {
    expect(() => resolveDatabaseTarget({ DATABASE_URL: "mysql://x/y" })).toThrow(/postgres:\/\//);
    expect(() => resolveDatabaseTarget({ DATABASE_URL: "not a url" })).toThrow(/not a valid URL/);
    expect(() => resolveDatabaseTarget({ DATABASE_URL: "postgres://x/y", DATABASE_DRIVER: "mysql" })).toThrow(/DATABASE_DRIVER/);
  });
});

describe.each(testDatabases())("migrations on $name", ({ open }) => {
  it("create every table", async () => {
    const opened = await open();
    try {
      // Both drivers answer raw queries with { rows }.
      const result = (await opened.db.execute(
        sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
      )) as unknown as { rows: { table_name: string }[] };
      const names = result.rows.map((r) => r.table_name);
      expect(names).toEqual(expect.arrayContaining(["api_tokens", "audit_log", "memberships", "teams", "users"]));
    } finally {
      await opened.close();
    }
  });
});

describe.each(testDatabases().filter((d) => d.name === "postgres"))("connections on $name", ({ open }) => {
  it("survive the server ending an idle connection: logged, not a crash, and the next query works", async () => {
    const opened = await open();
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      // Two at once, so the pool keeps a second connection idle while the first asks for its end.
      await Promise.all([opened.db.execute(sql`select pg_sleep(0.05)`), opened.db.execute(sql`select pg_sleep(0.05)`)]);
      const ended = (await opened.db.execute(
        sql`select pg_terminate_backend(pid) as ended from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
      )) as unknown as { rows: { ended: boolean }[] };
      expect(ended.rows.length).toBeGreaterThan(0);
      // The pool had idle connections; the server ended them. Without a listener that "error" event
      // would be an uncaught exception (and fail this run).
      await expect.poll(() => logged.mock.calls.length).toBeGreaterThan(0);
      expect(String(logged.mock.calls[0]![0])).toMatch(/idle database connection was lost: terminating connection/);
      const after = (await opened.db.execute(sql`select 41 + 1 as answer`)) as unknown as { rows: { answer: number }[] };
      expect(after.rows[0]!.answer).toBe(42);
    } finally {
      logged.mockRestore();
      await opened.close();
    }
  });
});

describe("the embedded default", () => {
  it("keeps data on disk across restarts, and re-running migrations changes nothing", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "pc-pglite-"));
    try {
      const first = await openDatabase({ driver: "pglite", dataDir: dir });
      await first.db.insert(users).values({ email: "persist@example.test" });
      await first.close();
      const second = await openDatabase({ driver: "pglite", dataDir: dir });
      const rows = await second.db.select().from(users);
      await second.close();
      expect(rows.map((r) => r.email)).toEqual(["persist@example.test"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
