import { getOpenDatabase } from "@/db/client";
import { readAuthSettings } from "./auth/settings";
import { MIN_BOOTSTRAP_TOKEN_LENGTH } from "./tokens/authenticate-token";
import { ensureAuthSecret } from "./auth/local-secret";
import { keyRingFromEnv } from "./secret-box";
import { identitySyncIntervalMs, startIdentitySync } from "./config/identity-sync-job";
import { reconcileIntervalMs, startReconcile } from "./config/reconcile-job";
import { startSyncScheduler, syncIntervalMs } from "./servers/sync-job";
import { eventRetentionDays } from "./events/retention";
import { startEventRetention } from "./events/retention-job";
import { startHostedRegistration } from "./servers/hosted-registration-job";
import { startForwarding } from "./forwarding/delivery-job";

export async function boot(): Promise<void> {
  ensureAuthSecret();
  const settings = readAuthSettings();
  const started = Date.now();
  const { target } = await getOpenDatabase();
  const where = target.driver === "pglite" ? `embedded PGlite in ${target.dataDir ?? "memory"}` : `${target.driver} (DATABASE_URL)`;
  console.log(`[portcullis] database ready: ${where}, migrations applied in ${Date.now() - started} ms`);
  console.log(
    settings.mode === "local"
      ? "[portcullis] sign-in: LOCAL MODE (no identity provider configured; loopback only; the first user becomes admin with the sign-in code printed above)"
      : `[portcullis] sign-in: OIDC via ${settings.oidc?.issuer}`,
  );
  // Fail at start, not at the first saved credential, when the key ring is misconfigured.
  keyRingFromEnv();
  startSyncScheduler();
  const interval = syncIntervalMs();
  console.log(interval ? `[portcullis] approved servers re-sync every ${interval / 60_000} min` : "[portcullis] periodic re-sync is off");
  startIdentitySync();
  const identityInterval = identitySyncIntervalMs();
  console.log(identityInterval ? `[portcullis] users and API tokens reach the portal within ${identityInterval / 1000} s of a change (after a first publish)` : "[portcullis] users and API tokens reach the portal only with a publish");
  startReconcile();
  startHostedRegistration();
  const reconcileInterval = reconcileIntervalMs();
  console.log(
    reconcileInterval
      ? `[portcullis] portals are checked every ${reconcileInterval / 1000} s: a missed version is pushed again, and their configuration renewed before it expires`
      : "[portcullis] portal reconcile is off: a portal that misses a push stays behind, and its configuration expires (PORTCULLIS_BUNDLE_TTL_HOURS)",
  );
  const retentionDays = eventRetentionDays();
  startEventRetention();
  console.log(
    retentionDays
      ? `[portcullis] audit and usage events are kept ${retentionDays} days (daily usage rollups for good): PORTCULLIS_EVENT_RETENTION_DAYS`
      : "[portcullis] audit and usage events are kept forever (PORTCULLIS_EVENT_RETENTION_DAYS=0)",
  );
  // Deliveries a previous process left in the outbox go out now.
  startForwarding();
  const bootstrap = process.env.PORTCULLIS_ADMIN_TOKEN;
  if (bootstrap && bootstrap.length < MIN_BOOTSTRAP_TOKEN_LENGTH) {
    console.warn(`[portcullis] PORTCULLIS_ADMIN_TOKEN is ignored: it must be at least ${MIN_BOOTSTRAP_TOKEN_LENGTH} characters`);
  }
}
