/**
 * `npm run backup`: the embedded database and the key files of the data folder, in one file.
 *
 * Consistency: the copy is PGlite's own (`dumpDataDir`), taken by this process with the database
 * open, so it is what a clean shutdown leaves (PGlite replays its WAL on open). PGlite serves one
 * process at a time, so this needs the console stopped: with the console running the database lock
 * (db/pglite-lock.ts) is held and the backup is refused, rather than copying files a live process is
 * writing. The whole copy is held in memory (PGlite dumps to a Blob): fine for the embedded
 * database's size; large deployments belong on PostgreSQL and pg_dump.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, link, open, readdir, readFile, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { dataDir as resolveDataDir } from "@/db/client";
import { acquireDatabaseLock, DatabaseInUseError, lockFileOf } from "@/db/pglite-lock";
import { DATABASE_ENTRY, encodeBackup, KEY_FILES, type BackupManifest } from "./archive";
import { appliedMigrations, BackupError, migrationJournal, openPglite, pgliteDirOf, postgresBackupAdvice, type Env } from "./data-dir";

export interface BackupResult {
  dataDir: string;
  file: string;
  bytes: number;
  manifest: BackupManifest;
  /** What to know about this backup: key files replaced by environment variables, what was left out and why. */
  notes: string[];
  durationMs: number;
}

/** Left out on purpose, with the reason the output gives. */
const NOT_BACKED_UP: Record<string, string> = {
  portal:
    "the local portal Worker's storage: after a restore, Publish sends it the configuration again, and AI clients sign in to the portal again",
  wrangler:
    "the local portal Worker's storage: after a restore, Publish sends it the configuration again, and AI clients sign in to the portal again",
};

/** `portcullis-backup-20260506T093015Z.pcbackup`: UTC, sortable, no characters a file system refuses. */
export function defaultBackupName(now = new Date()): string {
  return `portcullis-backup-${now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}.pcbackup`;
}

export async function createBackup(options: { env?: Env; output?: string; now?: Date } = {}): Promise<BackupResult> {
  const started = Date.now();
  const env = options.env ?? process.env;
  if (env.DATABASE_URL?.trim()) throw new BackupError(postgresBackupAdvice(env.DATABASE_URL));
  const dir = resolveDataDir(env);
  const pgliteDir = pgliteDirOf(dir);
  if (!existsSync(path.join(pgliteDir, "PG_VERSION"))) {
    throw new BackupError(`no embedded database in ${pgliteDir}: nothing to back up (is PORTCULLIS_DATA_DIR the folder the console uses? it starts the database on its first run)`);
  }
  const file = path.resolve(options.output ?? defaultBackupName(options.now));
  if (existsSync(file)) throw new BackupError(`${file} exists: a backup never overwrites a file; name another one`);
  if (!(await stat(path.dirname(file)).catch(() => null))?.isDirectory()) throw new BackupError(`cannot write ${file}: ${path.dirname(file)} is not a folder`);

  const { dump, postgres, migrations } = await dumpDatabase(pgliteDir);
  const entries = [{ name: DATABASE_ENTRY, data: dump }];
  const notes: string[] = [];
  for (const key of KEY_FILES) {
    const data = await readFile(path.join(dir, key.name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return null;
      throw error;
    });
    if (data) entries.push({ name: key.name, data });
    if (env[key.env]?.trim()) notes.push(`${key.env} is set here: the console uses it, not ${key.name} (${key.what}). Keep it with this backup: it is not in it.`);
    else if (!data) notes.push(`${key.name} (${key.what}) does not exist yet: the console makes it on first use.`);
  }
  for (const name of (await readdir(dir)).sort()) {
    if (name === "pglite" || name === path.basename(lockFileOf(pgliteDir)) || KEY_FILES.some((k) => k.name === name)) continue;
    notes.push(`left out ${name}: ${NOT_BACKED_UP[name] ?? "not read by the console"}`);
  }

  const manifest = { format: "portcullis-backup", version: 1, createdAt: (options.now ?? new Date()).toISOString(), postgres, migrations } as const;
  const archive = encodeBackup(manifest, entries);
  await writeNewPrivateFile(file, archive);
  return { dataDir: dir, file, bytes: archive.length, manifest: { ...manifest, entries: entries.map((e) => ({ name: e.name, size: e.data.byteLength })) }, notes, durationMs: Date.now() - started };
}

async function dumpDatabase(pgliteDir: string): Promise<{ dump: Uint8Array; postgres: string; migrations: BackupManifest["migrations"] }> {
  let release: () => void;
  try {
    release = acquireDatabaseLock(pgliteDir, "npm run backup");
  } catch (error) {
    if (!(error instanceof DatabaseInUseError)) throw error;
    throw new BackupError(
      `backup refused: ${error.message}\nThe backup copies the database with the console stopped, so that the copy is consistent: stop it (Ctrl-C where npm start runs), run npm run backup, then start it again.`,
    );
  }
  try {
    const pg = await openPglite(pgliteDir);
    try {
      const [{ rows: version }, applied, journal] = await Promise.all([
        pg.query<{ server_version: string }>("show server_version"),
        appliedMigrations(pg),
        migrationJournal(),
      ]);
      const lastAt = applied.lastAt;
      const dump = await pg.dumpDataDir("gzip");
      return {
        dump: new Uint8Array(await dump.arrayBuffer()),
        postgres: version[0]?.server_version ?? "unknown",
        migrations: { count: applied.count, lastAt, last: lastAt === null ? null : (journal.find((m) => m.when === lastAt)?.tag ?? null) },
      };
    } finally {
      await pg.close();
    }
  } finally {
    release();
  }
}

/** Written beside, flushed, then linked into place: the file appears complete, owner-only, and never replaces another. */
async function writeNewPrivateFile(file: string, data: Uint8Array): Promise<void> {
  const tmp = `${file}.${randomBytes(4).toString("hex")}.partial`;
  const handle = await open(tmp, "wx", 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await chmod(tmp, 0o600);
    await link(tmp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") throw new BackupError(`${file} exists: a backup never overwrites a file; name another one`);
    throw error;
  } finally {
    await unlink(tmp);
  }
}
