/**
 * `npm run restore`: a backup into a data folder, all or nothing. The file is checked whole first
 * (format, version, checksum, manifest); then everything is written into a new folder beside the
 * target and the database is opened there through PGlite (`loadDataDir`) and checked against the
 * manifest; only then does one rename put the folder in place. A failure at any step leaves the
 * target as it was. A non-empty target is replaced only with `force`, and then moved aside, not
 * deleted.
 */
import { constants } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, realpath, rename, rm, rmdir, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { dataDir as resolveDataDir } from "@/db/client";
import { databaseLockOwner, DatabaseInUseError, lockFileOf } from "@/db/pglite-lock";
import { BackupFormatError, DATABASE_ENTRY, decodeBackup, KEY_FILES, type BackupManifest } from "./archive";
import { appliedMigrations, BackupError, migrationJournal, openPglite, pgliteDirOf, type Env } from "./data-dir";

export interface RestoreResult {
  dataDir: string;
  manifest: BackupManifest;
  /** With `force`: where the folder's previous contents went. */
  movedAside: string | null;
  /** Settings of this environment that will make a console here ignore part of what was restored. */
  notes: string[];
  durationMs: number;
}

export async function restoreBackup(options: { file: string; dataDir?: string; force?: boolean; env?: Env }): Promise<RestoreResult> {
  const started = Date.now();
  const { manifest, entries } = await readBackup(options.file);
  let target = path.resolve(options.dataDir ?? resolveDataDir(options.env ?? process.env));
  const existing = await stat(target).catch(() => null);
  if (existing && !existing.isDirectory()) throw new BackupError(`${target} is not a folder`);
  // A data folder that is a link to a volume: restore into the volume, keep the link.
  if (existing) target = await realpath(target);
  const contents = existing ? await readdir(target) : [];
  if (contents.length && !options.force) {
    const shown = contents.sort().slice(0, 5).join(", ") + (contents.length > 5 ? ", …" : "");
    throw new BackupError(
      `${target} is not empty (${shown}): restore into an empty or new folder (--data-dir), or pass --force to replace it (its contents are moved aside, not deleted)`,
    );
  }
  assertNotInUse(target);

  const parent = path.dirname(target);
  await mkdir(parent, { recursive: true });
  // Beside the target, so the final rename stays on one file system; mkdtemp makes it 0700.
  const staging = await mkdtemp(path.join(parent, `.${path.basename(target)}.restoring-`));
  let movedAside: string | null = null;
  try {
    await unpack(staging, manifest, entries);
    assertNotInUse(target);
    if (contents.length) {
      movedAside = `${target}.before-restore-${new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}`;
      await rename(target, movedAside);
    } else if (existing) {
      await rmdir(target);
    }
    try {
      await rename(staging, target);
    } catch (error) {
      if (movedAside) await rename(movedAside, target).catch(() => undefined);
      movedAside = null;
      throw error;
    }
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  const env = options.env ?? process.env;
  const notes = [
    ...(env.DATABASE_URL?.trim() ? ["DATABASE_URL is set here: a console started with it uses that database, not the restored embedded one."] : []),
    ...KEY_FILES.filter((k) => env[k.env]?.trim()).map((k) => `${k.env} is set here: a console started with it uses that, not the restored ${k.name} (${k.what}).`),
  ];
  return { dataDir: target, manifest, movedAside, notes, durationMs: Date.now() - started };
}

/** Checks a backup as a restore would, down to opening its database, and writes nothing that stays. */
export async function checkBackup(file: string): Promise<{ manifest: BackupManifest; durationMs: number }> {
  const started = Date.now();
  const { manifest, entries } = await readBackup(file);
  const staging = await mkdtemp(path.join(os.tmpdir(), "portcullis-backup-check-"));
  try {
    await unpack(staging, manifest, entries);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { manifest, durationMs: Date.now() - started };
}

async function readBackup(file: string): Promise<ReturnType<typeof decodeBackup>> {
  const label = path.resolve(file);
  let archive: Buffer;
  try {
    archive = await readFile(label);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BackupError(code === "ENOENT" ? `${label} does not exist` : code === "EISDIR" ? `${label} is a folder, not a backup file` : `cannot read ${label}: ${(error as Error).message}`);
  }
  const decoded = (() => {
    try {
      return decodeBackup(archive, label);
    } catch (error) {
      if (error instanceof BackupFormatError) throw new BackupError(error.message);
      throw error;
    }
  })();
  const { lastAt, last } = decoded.manifest.migrations;
  const known = await migrationJournal();
  if (lastAt !== null && lastAt > Math.max(0, ...known.map((m) => m.when))) {
    throw new BackupError(`${label} comes from a newer Portcullis (its database has migration ${last ?? lastAt}, which this one does not know): restore it with that version or a later one`);
  }
  return decoded;
}

function assertNotInUse(target: string): void {
  const pgliteDir = pgliteDirOf(target);
  const owner = databaseLockOwner(pgliteDir);
  if (owner) throw new BackupError(`restore refused: ${new DatabaseInUseError(lockFileOf(pgliteDir), owner).message}`);
}

/** The key files (0600) and the database, loaded and opened by PGlite, into `dir`; checked against the manifest. */
async function unpack(dir: string, manifest: BackupManifest, entries: Map<string, Buffer>): Promise<void> {
  for (const [name, data] of entries) {
    if (name !== DATABASE_ENTRY) await writeFile(path.join(dir, name), data, { mode: 0o600, flag: constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY });
  }
  let applied: Awaited<ReturnType<typeof appliedMigrations>>;
  try {
    const pg = await openPglite(pgliteDirOf(dir), { loadDataDir: new Blob([new Uint8Array(entries.get(DATABASE_ENTRY)!)]) });
    try {
      applied = await appliedMigrations(pg);
    } finally {
      await pg.close();
    }
  } catch (error) {
    throw new BackupError(`the database in the backup could not be opened (${error instanceof Error ? error.message : String(error)}); nothing was restored`);
  }
  if (applied.count !== manifest.migrations.count || applied.lastAt !== manifest.migrations.lastAt) {
    throw new BackupError(`the database in the backup does not match its manifest (${applied.count} migrations, expected ${manifest.migrations.count}); nothing was restored`);
  }
}
