/**
 * Databases for integration tests: always an in-memory PGlite, and a real PostgreSQL server too
 * when TEST_DATABASE_URL is set (a fresh database per call, dropped on close).
 */
import { randomBytes } from "node:crypto";
import { openDatabase, type OpenDatabase } from "@/db/client";

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
