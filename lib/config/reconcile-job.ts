import { getDb } from "@/db/client";
import { intervalSetting, startPeriodicJob } from "@/lib/periodic-job";
import { reconcilePortals } from "./reconcile";

/** PORTCULLIS_RECONCILE_SECONDS (default 15; 0 turns it off). */
export function reconcileIntervalMs(env: Record<string, string | undefined> = process.env): number {
  return intervalSetting(env, "PORTCULLIS_RECONCILE_SECONDS", { name: "seconds", ms: 1000 }, 15);
}

/**
 * Every few seconds, checks that every portal runs the latest configuration and renews its lease
 * (lib/config/reconcile.ts): a push a portal missed is made up within one pass, and a portal that
 * cannot be reached is alerted instead of silently running an old version.
 */
export function startReconcile(): void {
  startPeriodicJob("portal reconcile", reconcileIntervalMs(), async () => {
    for (const r of await reconcilePortals(await getDb())) {
      if (r.action === "pushed") console.log(`[portcullis] ${r.portalUrl} was behind: pushed v${r.latestVersion}`);
    }
  });
}
