import { getDb } from "@/db/client";
import { syncApprovedServers } from "./sync-approved-servers";

const key = Symbol.for("portcullis.syncScheduler");
type WithTimer = typeof globalThis & { [key]?: NodeJS.Timeout };

/** PORTCULLIS_SYNC_INTERVAL_MINUTES (default 60; 0 turns the periodic re-sync off). */
export function syncIntervalMs(env: Record<string, string | undefined> = process.env): number {
  const raw = env.PORTCULLIS_SYNC_INTERVAL_MINUTES?.trim();
  const minutes = raw === undefined || raw === "" ? 60 : Number(raw);
  if (!Number.isFinite(minutes) || minutes < 0) throw new Error("PORTCULLIS_SYNC_INTERVAL_MINUTES must be a number of minutes (0 to turn it off)");
  return Math.round(minutes * 60_000);
}

/** Starts the periodic re-sync of approved servers once per process. */
export function startSyncScheduler(): void {
  const g = globalThis as WithTimer;
  const interval = syncIntervalMs();
  if (g[key] || interval === 0) return;
  let running = false;
  g[key] = setInterval(async () => {
    if (running) return; // A slow pass is never overlapped by the next one.
    running = true;
    try {
      const report = await syncApprovedServers(await getDb());
      if (report.changed.length || report.failed.length) {
        console.log(`[portcullis] scheduled sync: ${report.synced} synced, changed: ${report.changed.join(", ") || "none"}, failed: ${report.failed.map((f) => f.slug).join(", ") || "none"}`);
      }
    } catch (error) {
      console.error("[portcullis] scheduled sync failed:", error instanceof Error ? error.message : error);
    } finally {
      running = false;
    }
  }, interval);
  g[key].unref();
}
