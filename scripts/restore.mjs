#!/usr/bin/env node
// `npm run restore -- <file> [--data-dir dir] [--force]`: a backup made by `npm run backup` into a
// data folder ($PORTCULLIS_DATA_DIR, default .data, unless --data-dir), which must be empty or new;
// --force replaces a non-empty one (its contents are moved aside, not deleted). `--check` verifies
// a backup, down to opening its database, and restores nothing. All or nothing: the file is checked
// whole and unpacked beside the target before one rename puts it in place. The logic and its tests
// are in lib/backup. Exit codes: 0 restored (or checked), 1 refused or failed, 2 usage.
import path from "node:path";
import { parseCommandLine } from "./lib/command-line.mjs";
import { importTypeScript } from "./lib/load-ts.mjs";

const USAGE = "usage: npm run restore -- <file> [--data-dir <folder>] [--force]\n       npm run restore -- <file> --check";

const { values, positionals } = parseCommandLine(
  USAGE,
  { "data-dir": { type: "string" }, force: { type: "boolean", default: false }, check: { type: "boolean", default: false } },
  { allowPositionals: true },
);
const usageError = (message) => {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
};
if (positionals.length !== 1) usageError(positionals.length ? `one backup file at a time (got ${positionals.length})` : "which backup file?");
if (values.check && (values.force || values["data-dir"] !== undefined)) usageError("--check restores nothing: it takes no --data-dir or --force");
if (values["data-dir"] === "") usageError("--data-dir needs a folder");

const { BackupError, checkBackup, restoreBackup } = await importTypeScript("lib/backup/index.ts");
// npm runs scripts from the package folder; paths are meant from where the command was typed.
const here = process.env.INIT_CWD ?? process.cwd();
const file = path.resolve(here, positionals[0]);
const dataDir = values["data-dir"] === undefined ? undefined : path.resolve(here, values["data-dir"]);
try {
  if (values.check) {
    const { manifest, durationMs } = await checkBackup(file);
    console.log(`[portcullis] ${file} is a sound backup made ${manifest.createdAt} (${manifest.migrations.count} migrations; checked in ${(durationMs / 1000).toFixed(1)} s); nothing was restored`);
  } else {
    const result = await restoreBackup({ file, dataDir, force: values.force });
    console.log(`[portcullis] restored the backup made ${result.manifest.createdAt} into ${result.dataDir} (${(result.durationMs / 1000).toFixed(1)} s)`);
    if (result.movedAside) console.log(`  The folder's previous contents are in ${result.movedAside}: delete them once the console runs on the restored data.`);
    for (const note of result.notes) console.log(`  - ${note}`);
    console.log(`  Next: start the console on it (PORTCULLIS_DATA_DIR=${JSON.stringify(result.dataDir)} npm start), then Portal → Publish so the portal runs the restored configuration.`);
  }
} catch (error) {
  if (!(error instanceof BackupError)) throw error;
  console.error(`[portcullis] ${error.message}`);
  process.exit(1);
}
