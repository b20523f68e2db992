/**
 * Databases for integration tests: always an in-memory PGlite, and a real PostgreSQL server too
 * when TEST_DATABASE_URL is set (a fresh database per call, dropped on close).
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll } from "vitest";
import { openDatabase, useDatabaseForTesting, type Database, type OpenDatabase } from "@/db/client";

export interface TestDatabase {
  name: "pglite" | "postgres";
  open: () => Promise<OpenDatabase>;
}

async function openFreshPostgres(adminUrl: string): Promise<OpenDatabase> {
  const { default: pg } = await import("pg");
  const dbName = `portcullis_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const open = await openDatabase({ driver: "pg", url: url.toString() });
  return {
    ...open,
    close: async () => {
      await open.close();
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      // The pool's connections close asynchronously after end(); forcing the drop while one is
      // still open makes the server end it (57P01). Give them a moment to go on their own.
      for (let i = 0; i < 50; i++) {
        const { rows } = await cleanup.query("select count(*)::int as n from pg_stat_activity where datname = $1", [dbName]);
        if (rows[0].n === 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await cleanup.query(`drop database if exists ${dbName} with (force)`);
      await cleanup.end();
    },
  };
}

export function testDatabases(): TestDatabase[] {
  const list: TestDatabase[] = [{ name: "pglite", open: () => openDatabase({ driver: "pglite", dataDir: undefined }) }];
  const url = process.env.TEST_DATABASE_URL;
  if (url) list.push({ name: "postgres", open: () => openFreshPostgres(url) });
  return list;
}

export interface TestDatabaseHandle {
  /** The open database: a stand-in made at once, so closures and helpers can capture it; use it in tests and hooks. */
  readonly db: Database;
  /** The open database with its target and close(); read it in tests and hooks, never while collecting them. */
  readonly opened: OpenDatabase;
}

/**
 * Opens `database` before the enclosing describe's tests and closes it after them, and with
 * `getDb: true` hands it to code that calls getDb() (route handlers, server actions) for as long.
 * Hooks run in the order they are registered (and after-hooks in reverse), so a describe's own
 * beforeAll written below this call already finds the database open, and its afterAll runs first.
 *
 * @example
 * describe.each(testDatabases())("budgets on $name", (database) => {
 *   const { db } = useTestDatabase(database);
 *   it("…", async () => expect(await db.select().from(budgets)).toEqual([]));
 * });
 */
export function useTestDatabase(database: TestDatabase, options: { getDb?: boolean } = {}): TestDatabaseHandle {
  let opened: OpenDatabase | undefined;
  const current = (): OpenDatabase => {
    if (opened) return opened;
    throw new Error(`The ${database.name} test database is open only between useTestDatabase()'s beforeAll and afterAll: use it inside tests and hooks.`);
  };

  beforeAll(async () => {
    opened = await database.open();
    if (options.getDb) useDatabaseForTesting(opened);
  });
  afterAll(async () => {
    if (options.getDb) useDatabaseForTesting(undefined);
    await opened?.close();
    opened = undefined;
  });

  // Methods are bound to the real database, so inside drizzle `this` is never the stand-in.
  const db = new Proxy({} as Database, {
    get(_, key) {
      const real = current().db;
      const value: unknown = Reflect.get(real, key, real);
      return typeof value === "function" ? value.bind(real) : value;
    },
    has: (_, key) => Reflect.has(current().db, key),
    getPrototypeOf: () => Reflect.getPrototypeOf(current().db),
  });
  return {
    db,
    get opened() {
      return current();
    },
  };
}
