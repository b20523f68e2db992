import { getDb } from "@/db/client";
import { systemActor } from "@/lib/auth/actor";
import { syncIdentities } from "./sync-identities";

const key = Symbol.for("portcullis.identitySync");
type WithTimer = typeof globalThis & { [key]?: NodeJS.Timeout };

export const IDENTITY_SYNC_ACTOR = systemActor("portcullis (identity sync)");

/** PORTCULLIS_IDENTITY_SYNC_SECONDS (default 5; 0 turns it off). */
export function identitySyncIntervalMs(env: Record<string, string | undefined> = process.env): number {
  const raw = env.PORTCULLIS_IDENTITY_SYNC_SECONDS?.trim();
  const seconds = raw === undefined || raw === "" ? 5 : Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error("PORTCULLIS_IDENTITY_SYNC_SECONDS must be a number of seconds (0 to turn it off)");
  return Math.round(seconds * 1000);
}

/**
 * Every few seconds, brings the edge's users, teams and API tokens up to date with the console
 * (lib/config/sync-identities.ts): a new token works at the portal, and a revoked token, a disabled
 * user or a removed membership stops working, within seconds and without a full publish. A check
 * that finds nothing changed writes nothing. Once per process; several consoles are serialised by
 * the publishing lock and the content hash.
 */
export function startIdentitySync(): void {
  const g = globalThis as WithTimer;
  const interval = identitySyncIntervalMs();
  if (g[key] || interval === 0) return;
  let running = false;
  g[key] = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      const result = await syncIdentities({ db: await getDb(), actor: IDENTITY_SYNC_ACTOR });
      if (result) {
        const acks = result.pushed.map((a) => `${a.portalUrl} ${a.status}`).join(", ") || "no portal configured";
        console.log(`[portcullis] users and tokens changed: published version ${result.version} (${acks})`);
      }
    } catch (error) {
      console.error("[portcullis] identity sync failed:", error instanceof Error ? error.message : error);
    } finally {
      running = false;
    }
  }, interval);
  g[key].unref();
}
