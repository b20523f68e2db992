#!/usr/bin/env node
// `npm run backup -- [file] [--data-dir dir]`: the embedded database and the data folder's keys
// (--data-dir, else $PORTCULLIS_DATA_DIR, default .data) in one file, by default
// portcullis-backup-<UTC time>.pcbackup in the current folder. Taken with the console stopped (PGlite serves one process at a time; a running console's lock is
// refused). With DATABASE_URL set it explains the pg_dump recipe instead. The logic and its tests are
// in lib/backup. Exit codes: 0 written, 1 refused or failed, 2 usage.
import path from "node:path";
import { parseCommandLine } from "./lib/command-line.mjs";
import { importTypeScript } from "./lib/load-ts.mjs";

const USAGE =
  "usage: npm run backup -- [file] [--data-dir <folder>]   (file: portcullis-backup-<UTC time>.pcbackup unless named; folder: PORTCULLIS_DATA_DIR, else .data)";

const args = parseCommandLine(USAGE, { "data-dir": { type: "string" } }, { allowPositionals: true });
if (args.positionals.length > 1 || args.values["data-dir"] === "") {
  console.error(`${args.positionals.length > 1 ? `one file name at most (got ${args.positionals.length})` : "--data-dir needs a folder"}\n${USAGE}`);
  process.exit(2);
}

const { BackupError, createBackup, defaultBackupName } = await importTypeScript("lib/backup/index.ts");
try {
  // npm runs scripts from the package folder; a file name is meant from where the command was typed.
  const here = process.env.INIT_CWD ?? process.cwd();
  const now = new Date();
  const output = path.resolve(here, args.positionals[0] ?? defaultBackupName(now));
  const dataDir = args.values["data-dir"];
  const env = dataDir === undefined ? process.env : { ...process.env, PORTCULLIS_DATA_DIR: path.resolve(here, dataDir) };
  const result = await createBackup({ env, output, now });
  const { migrations, postgres, entries } = result.manifest;
  const keys = entries.filter((e) => e.name !== "pglite.tar.gz").map((e) => e.name);
  console.log(`[portcullis] backed up ${result.dataDir} to ${result.file}`);
  console.log(
    `  ${(result.bytes / 1e6).toFixed(1)} MB in ${(result.durationMs / 1000).toFixed(1)} s: the database (PostgreSQL ${postgres}, ` +
      `${migrations.count} migrations${migrations.last ? `, newest ${migrations.last}` : ""})${keys.length ? ` and ${keys.join(", ")}` : ""}`,
  );
  console.log("  File mode 0600 (owner only): it holds the keys that decrypt upstream credentials and sign the portal's configuration. Keep it like a password.");
  for (const note of result.notes) console.log(`  - ${note}`);
  console.log(`  Restore with: npm run restore -- ${JSON.stringify(result.file)} [--data-dir <folder>]`);
} catch (error) {
  if (!(error instanceof BackupError)) throw error;
  console.error(`[portcullis] ${error.message}`);
  process.exit(1);
}
