import { getDb } from "@/db/client";
import { systemActor } from "@/lib/auth/actor";
import { intervalSetting, startPeriodicJob } from "@/lib/periodic-job";
import { syncIdentities } from "./sync-identities";

export const IDENTITY_SYNC_ACTOR = systemActor("portcullis (identity sync)");

/** PORTCULLIS_IDENTITY_SYNC_SECONDS (default 5; 0 turns it off). */
export function identitySyncIntervalMs(env: Record<string, string | undefined> = process.env): number {
  return intervalSetting(env, "PORTCULLIS_IDENTITY_SYNC_SECONDS", { name: "seconds", ms: 1000 }, 5);
}

/**
 * Every few seconds, brings the edge's users, teams and API tokens up to date with the console
 * (lib/config/sync-identities.ts): a new token works at the portal, and a revoked token, a disabled
 * user or a removed membership stops working, within seconds and without a full publish. A check
 * that finds nothing changed writes nothing. Once per process; several consoles are serialised by
 * the publishing lock and the content hash.
 */
export function startIdentitySync(): void {
  startPeriodicJob("identity sync", identitySyncIntervalMs(), async () => {
    const result = await syncIdentities({ db: await getDb(), actor: IDENTITY_SYNC_ACTOR });
    if (result) {
      const acks = result.pushed.map((a) => `${a.portalUrl} ${a.status}`).join(", ") || "no portal configured";
      console.log(`[portcullis] users and tokens changed: published version ${result.version} (${acks})`);
    }
  });
}
