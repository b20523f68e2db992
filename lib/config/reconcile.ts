import { eq, inArray } from "drizzle-orm";
import { portalStates, type BundleDeployment } from "@/db/schema";
import type { Database } from "@/db/client";
import { systemActor } from "@/lib/auth/actor";
import { recordAudit } from "@/lib/audit/record-audit";
import { BUNDLE_TTL_SETTING, bundleTtlMs, leaseDue } from "@core/bundle/lease";
import { loadEdgeKeys, portalUrls, type EdgeKeys } from "./edge-keys";
import { portalStatus, sendLease } from "./portal-status";
import { PUSH_TIMEOUT_MS, pushToPortals } from "./push";
import { latestDeployment } from "./record-deployment";

export const RECONCILE_ACTOR = systemActor("portcullis (portal reconcile)");
/** A portal behind the latest version this long is alerted (audit `portal.lagging`, error log). */
export const LAG_ALERT_SETTING = "PORTCULLIS_PORTAL_LAG_ALERT_MINUTES";
const DEFAULT_LAG_ALERT_MINUTES = 5;
const BACKOFF_BASE_MS = 15_000;
const BACKOFF_MAX_MS = 10 * 60_000;

export interface ReconcileOptions {
  urls?: string[];
  fetch?: typeof fetch;
  now?: Date;
  env?: Record<string, string | undefined>;
  keys?: EdgeKeys;
  timeoutMs?: number;
}

export interface PortalReconciliation {
  portalUrl: string;
  /** What this pass did. */
  action: "in-step" | "pushed" | "renewed" | "failed" | "waiting" | "ahead";
  runningVersion: number | null;
  latestVersion: number;
  message: string | null;
}

/** Retry delay after `failures` consecutive failures: 15 s, 30 s, 1 min … at most 10 min. */
export function backoffMs(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
}

function lagAlertMs(env: Record<string, string | undefined>): number {
  const minutes = Number(env[LAG_ALERT_SETTING]);
  return (Number.isFinite(minutes) && minutes > 0 ? minutes : DEFAULT_LAG_ALERT_MINUTES) * 60_000;
}

/**
 * One pass of the reconcile loop: asks every portal what it runs, pushes the latest deployment to
 * any that lag (a push it missed, a portal that was down or is new), renews the running version's
 * lease before it expires, and records what it learnt per portal (the Portal page shows it). A
 * portal that keeps failing is retried with backoff; one that lags past the alert threshold is
 * audited once per episode. Never throws for a portal's failure.
 */
export async function reconcilePortals(db: Database, options: ReconcileOptions = {}): Promise<PortalReconciliation[]> {
  const urls = options.urls ?? portalUrls();
  const latest = await latestDeployment(db);
  if (!latest || urls.length === 0) return [];
  const env = options.env ?? process.env;
  const now = options.now ?? new Date();
  const fetchFn = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? PUSH_TIMEOUT_MS;
  const ttlMs = bundleTtlMs(env[BUNDLE_TTL_SETTING]);
  const keys = options.keys ?? (await loadEdgeKeys());
  const previous = new Map((await db.select().from(portalStates).where(inArray(portalStates.portalUrl, urls))).map((r) => [r.portalUrl, r]));
  return Promise.all(urls.map((url) => reconcileOne(db, url, latest, previous.get(url), { now, fetchFn, timeoutMs, ttlMs, keys, alertMs: lagAlertMs(env) })));
}

type StateRow = typeof portalStates.$inferSelect;

async function reconcileOne(
  db: Database,
  url: string,
  latest: BundleDeployment,
  before: StateRow | undefined,
  o: { now: Date; fetchFn: typeof fetch; timeoutMs: number; ttlMs: number; keys: EdgeKeys; alertMs: number },
): Promise<PortalReconciliation> {
  const result = (action: PortalReconciliation["action"], runningVersion: number | null, message: string | null): PortalReconciliation => ({ portalUrl: url, action, runningVersion, latestVersion: latest.version, message });
  if (before?.nextAttemptAt && before.nextAttemptAt > o.now) return result("waiting", before.runningVersion, before.lastError);

  const status = await portalStatus(url, o.keys.edgeSecrets, o.fetchFn, o.timeoutMs);
  let running = status?.version ?? null;
  let expiresAt = status?.expiresAt ? new Date(status.expiresAt) : null;
  let error: string | null = status ? null : "unreachable: no answer to GET /_portcullis/status";
  let action: PortalReconciliation["action"] = status ? "in-step" : "failed";

  if (status && (running === null || running < latest.version)) {
    const [ack] = await pushToPortals(db, latest, { urls: [url], secrets: o.keys.edgeSecrets, fetch: o.fetchFn, timeoutMs: o.timeoutMs });
    if (ack?.status === "accepted") {
      running = latest.version;
      const signedExpiry = (latest.signed as { bundle?: { expiresAt?: string } }).bundle?.expiresAt;
      expiresAt = signedExpiry ? new Date(signedExpiry) : null;
      action = "pushed";
    } else {
      running = ack?.activeVersion ?? running;
      error = `push of v${latest.version} ${ack?.status ?? "failed"}${ack?.message ? `: ${ack.message}` : ""}`;
      action = "failed";
    }
  } else if (status && running !== null && running > latest.version) {
    error = `runs v${running}, newer than this console's latest v${latest.version} (its storage outlived the console's database): publish to continue above it`;
    action = "ahead";
  } else if (status && running === latest.version && leaseDue(expiresAt?.getTime() ?? null, o.now.getTime(), o.ttlMs)) {
    const lease = await sendLease(url, latest.version, o.now.getTime() + o.ttlMs, o.keys, o.fetchFn, o.timeoutMs);
    if (lease.ok) {
      expiresAt = new Date(lease.expiresAt);
      action = "renewed";
    } else {
      error = lease.message;
      action = "failed";
    }
  }

  const inStep = running === latest.version && action !== "failed";
  const failures = action === "failed" ? (before?.failures ?? 0) + 1 : 0;
  const behindSince = running === latest.version ? null : (before?.behindSince ?? o.now);
  let alertedAt = behindSince ? (before?.alertedAt ?? null) : null;
  if (behindSince && !alertedAt && o.now.getTime() - behindSince.getTime() >= o.alertMs) {
    alertedAt = o.now;
    const minutes = Math.round((o.now.getTime() - behindSince.getTime()) / 60_000);
    console.error(`[portcullis] portal ${url} has not run the latest configuration (v${latest.version}) for ${minutes} min; it runs ${running === null ? "nothing" : `v${running}`}${error ? ` — ${error}` : ""}`);
    await recordAudit(db, RECONCILE_ACTOR, {
      action: "portal.lagging",
      targetType: "portal",
      targetId: null,
      details: { portal: url, runningVersion: running, latestVersion: latest.version, behindSince: behindSince.toISOString(), error },
    });
  }
  const row = {
    portalUrl: url,
    runningVersion: running,
    latestVersion: latest.version,
    expiresAt,
    lastSeenAt: status ? o.now : (before?.lastSeenAt ?? null),
    behindSince,
    alertedAt,
    lastError: inStep ? null : error,
    failures,
    nextAttemptAt: failures ? new Date(o.now.getTime() + backoffMs(failures)) : null,
    updatedAt: o.now,
  };
  if (before) await db.update(portalStates).set(row).where(eq(portalStates.portalUrl, url));
  else await db.insert(portalStates).values(row).onConflictDoUpdate({ target: portalStates.portalUrl, set: row });
  return result(action, running, row.lastError);
}
