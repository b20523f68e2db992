import { getDb } from "@/db/client";
import { intervalSetting, startPeriodicJob } from "@/lib/periodic-job";
import { syncApprovedServers } from "./sync-approved-servers";

/** PORTCULLIS_SYNC_INTERVAL_MINUTES (default 60; 0 turns the periodic re-sync off). */
export function syncIntervalMs(env: Record<string, string | undefined> = process.env): number {
  return intervalSetting(env, "PORTCULLIS_SYNC_INTERVAL_MINUTES", { name: "minutes", ms: 60_000 }, 60);
}

/** Starts the periodic re-sync of approved servers once per process. */
export function startSyncScheduler(): void {
  startPeriodicJob("scheduled sync", syncIntervalMs(), async () => {
    const report = await syncApprovedServers(await getDb());
    if (report.changed.length || report.failed.length) {
      console.log(`[portcullis] scheduled sync: ${report.synced} synced, changed: ${report.changed.join(", ") || "none"}, failed: ${report.failed.map((f) => f.slug).join(", ") || "none"}`);
    }
  });
}
