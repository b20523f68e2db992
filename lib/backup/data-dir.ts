/** What backup and restore share: their error, the embedded database's folder and journal, and the PostgreSQL advice. */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { PGlite, PGliteOptions } from "@electric-sql/pglite";
import { MIGRATIONS_FOLDER, pgliteDirOf } from "@/db/client";
import { KEY_FILES } from "./archive";

export type Env = Record<string, string | undefined>;
export { pgliteDirOf };

/** A refusal with a message for the operator; nothing was written. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackupError";
  }
}

export async function openPglite(dir: string, options: PGliteOptions = {}): Promise<PGlite> {
  const { PGlite } = await import("@electric-sql/pglite");
  const pg = new PGlite(dir, options);
  await pg.waitReady;
  return pg;
}

/** The migrations drizzle recorded in a database: how many, and the newest one's `when`. */
export async function appliedMigrations(pg: PGlite): Promise<{ count: number; lastAt: number | null }> {
  const exists = await pg.query<{ found: boolean }>("select to_regclass('drizzle.__drizzle_migrations') is not null as found");
  if (!exists.rows[0]?.found) return { count: 0, lastAt: null };
  const { rows } = await pg.query<{ count: number; last_at: string | null }>("select count(*)::int as count, max(created_at)::text as last_at from drizzle.__drizzle_migrations");
  return { count: rows[0]?.count ?? 0, lastAt: rows[0]?.last_at ? Number(rows[0].last_at) : null };
}

/** This checkout's migrations (drizzle's journal): a backup records its newest by tag, a restore refuses newer ones. */
export async function migrationJournal(): Promise<{ tag: string; when: number }[]> {
  const journal = JSON.parse(await readFile(path.join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as { entries: { tag: string; when: number }[] };
  return journal.entries.map(({ tag, when }) => ({ tag, when }));
}

/** What `npm run backup` says with DATABASE_URL set: the data is in PostgreSQL, whose own tools back it up. */
export function postgresBackupAdvice(databaseUrl: string): string {
  if (databaseUrl.trim() === "memory://") return "DATABASE_URL is memory://: the database lives only in the console's memory, so there is nothing to back up.";
  const width = Math.max(...KEY_FILES.map((k) => k.env.length));
  return [
    "DATABASE_URL is set: this console keeps its data in PostgreSQL, and npm run backup copies only the embedded database.",
    "Back PostgreSQL up with its own tools (a pg_dump at least as new as the server):",
    "",
    '  pg_dump --format=custom --no-owner --file="portcullis-$(date -u +%Y%m%dT%H%M%SZ).dump" "$DATABASE_URL"',
    '  pg_restore --no-owner --exit-on-error --dbname="$DATABASE_URL" portcullis-<stamp>.dump   # into an empty database',
    "",
    "and keep these with the dump: they live in the console's environment, not in the database.",
    ...KEY_FILES.map((k) => `  ${k.env.padEnd(width)}  ${k.what}`),
    "Without PORTCULLIS_ENCRYPTION_KEYS the stored upstream credentials cannot be read. See README, \"Backup and restore\".",
  ].join("\n");
}
