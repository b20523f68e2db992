/** What scripts/backup.mjs and scripts/restore.mjs load (scripts/lib/load-ts.mjs bundles it). */
export { BACKUP_FORMAT_VERSION } from "./archive";
export { createBackup, defaultBackupName } from "./create-backup";
export { BackupError } from "./data-dir";
export { checkBackup, restoreBackup } from "./restore-backup";
