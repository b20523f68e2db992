import { getDb, type Queryable } from "@/db/client";
import { intervalSetting, startPeriodicJob } from "@/lib/periodic-job";
import { checkForwardingAlerts } from "./alerts";
import { drainOutbox } from "./deliver";

/** How often the console looks for due deliveries (retries; anything an ingest's own kick left): PORTCULLIS_FORWARDING_INTERVAL_SECONDS, default 5. */
export function forwardingIntervalMs(env: Record<string, string | undefined> = process.env): number {
  return intervalSetting(env, "PORTCULLIS_FORWARDING_INTERVAL_SECONDS", { name: "seconds", ms: 1000 }, 5);
}

const ALERT_CHECK_MS = 60_000;

/** Delivery passes, and once a minute the alert rules checked here (spikes, new high shadow findings). */
export function startForwarding(): void {
  startPeriodicJob("forwarding", forwardingIntervalMs(), async () => drainOutbox(await getDb()));
  startPeriodicJob("forwarding alerts", ALERT_CHECK_MS, async () => {
    const db = await getDb();
    if ((await checkForwardingAlerts(db, new Date())) > 0) kickForwarding(db);
  });
}

let kicked: Promise<void> | null = null;

/**
 * Starts delivering right after an ingest committed outbox rows, without the ingest waiting for it
 * (the edge's delivery must not wait on a SIEM). At most one such pass runs at a time per process;
 * the periodic job picks up whatever arrives meanwhile.
 */
export function kickForwarding(db: Queryable): void {
  if (kicked) return;
  kicked = drainOutbox(db)
    .catch((error: unknown) => console.error("[forwarding] delivery pass failed:", error instanceof Error ? error.message : error))
    .finally(() => {
      kicked = null;
    });
}
