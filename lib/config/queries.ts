import { asc, desc, eq, inArray, sql } from "drizzle-orm";
import { bundleAcks, bundleDeployments, mcpEvents, portalStates, servers } from "@/db/schema";
import { authorize, can } from "../auth/actor";
import { diffBundles, type BundleDiff } from "@core/bundle/diff";
import type { ConfigBundle } from "@core/bundle/schema";
import type { Ctx } from "../context";
import { NotFoundError } from "../errors";
import { portalPublicUrl, portalUrls } from "./edge-keys";
import { toAckOutput } from "./push";
import { toIso } from "@core/zod/helpers";
import { redactUrl } from "@core/net/redact-url";
import { latestAcks, loadDeployment, storedBundle, toDeploymentOutput } from "./record-deployment";
import type { AckOutput, DeploymentDetailOutput, DeploymentOutput } from "./schemas";

export async function listDeployments({ db, actor }: Ctx, options: { limit?: number } = {}): Promise<DeploymentOutput[]> {
  authorize(actor, "config.read");
  const rows = await db
    .select()
    .from(bundleDeployments)
    .orderBy(desc(bundleDeployments.version))
    .limit(Math.min(Math.max(options.limit ?? 50, 1), 500));
  const acks = await latestAcks(db, rows.map((r) => r.version));
  return rows.map((r) => toDeploymentOutput(r, acks.get(r.version) ?? []));
}

/** Never sends a sealed credential, a token hash or a secret in a server's URL out of the console, not even to admins. */
export function redactBundle(bundle: ConfigBundle): Record<string, unknown> {
  return {
    ...bundle,
    servers: bundle.servers.map((s) => ({ ...s, url: redactUrl(s.url).value, credential: s.credential ? { kid: s.credential.kid, sealed: "[sealed]" } : null })),
    tokens: bundle.tokens.map(({ hash: _hash, ...rest }) => rest),
  };
}

async function requireDeployment(db: Ctx["db"], version: number) {
  const row = await loadDeployment(db, version);
  if (!row) throw new NotFoundError(`No published version ${version}`);
  return row;
}

export async function getDeployment({ db, actor }: Ctx, version: number): Promise<DeploymentDetailOutput> {
  authorize(actor, "config.read");
  const row = await requireDeployment(db, version);
  const acks = await latestAcks(db, [version]);
  return { ...toDeploymentOutput(row, acks.get(version) ?? []), bundle: redactBundle(storedBundle(row)) };
}

export async function getConfigDiff({ db, actor }: Ctx, query: { from: number; to: number }): Promise<BundleDiff> {
  authorize(actor, "config.read");
  const [from, to] = await Promise.all([requireDeployment(db, query.from), requireDeployment(db, query.to)]);
  return diffBundles(storedBundle(from), storedBundle(to));
}

/** What the reconcile loop last learnt of a portal (lib/config/reconcile.ts). */
export interface PortalStateOutput {
  runningVersion: number | null;
  lastSeenAt: string | null;
  /** Since when it has not run the latest version; null: in step. */
  behindSince: string | null;
  /** When its configuration stops being used unless renewed. */
  expiresAt: string | null;
  /** Why it lags (only for those who read the configuration). */
  lastError: string | null;
  checkedAt: string;
}

export interface PortalOverview {
  publicUrl: string;
  servers: { slug: string; name: string }[];
  /** The newest published version (null: nothing published yet). */
  latestVersion: number | null;
  /** Each configured portal's latest answer; URLs only for those who may read the configuration. */
  portals: { label: string; ack: AckOutput | null; state: PortalStateOutput | null }[];
  /** Time of the newest event any portal delivered (null: no calls yet). */
  lastEventAt: string | null;
}

/** The Portal page for everyone: where to connect, which version the portals run, when they last saw a call. */
export async function getPortalOverview({ db, actor }: Ctx): Promise<PortalOverview> {
  authorize(actor, "portal.read");
  const urls = portalUrls();
  const [approved, [latest], [lastEvent], ackRows, stateRows] = await Promise.all([
    db.select({ slug: servers.slug, name: servers.name }).from(servers).where(eq(servers.status, "approved")).orderBy(asc(servers.slug)),
    db.select({ max: sql<number | null>`max(${bundleDeployments.version})` }).from(bundleDeployments),
    // Epoch seconds: one representation across drivers (PGlite, pg and Neon render timestamps differently).
    db.select({ epoch: sql<string | number | null>`extract(epoch from max(${mcpEvents.time}))` }).from(mcpEvents),
    urls.length
      ? db
          .selectDistinctOn([bundleAcks.portalUrl])
          .from(bundleAcks)
          .where(inArray(bundleAcks.portalUrl, urls))
          .orderBy(bundleAcks.portalUrl, desc(bundleAcks.id))
      : Promise.resolve([]),
    urls.length ? db.select().from(portalStates).where(inArray(portalStates.portalUrl, urls)) : Promise.resolve([]),
  ]);
  const showUrls = can(actor, "config.read");
  const ackOf = new Map(ackRows.map((r) => [r.portalUrl, toAckOutput(r)]));
  const stateOf = new Map(
    stateRows.map((r): [string, PortalStateOutput] => [
      r.portalUrl,
      {
        runningVersion: r.runningVersion,
        lastSeenAt: r.lastSeenAt ? toIso(r.lastSeenAt) : null,
        behindSince: r.behindSince ? toIso(r.behindSince) : null,
        expiresAt: r.expiresAt ? toIso(r.expiresAt) : null,
        lastError: showUrls ? r.lastError : null,
        checkedAt: toIso(r.updatedAt),
      },
    ]),
  );
  return {
    publicUrl: portalPublicUrl(),
    servers: approved,
    latestVersion: latest?.max == null ? null : Number(latest.max),
    portals: urls.map((url, i) => {
      const ack = ackOf.get(url) ?? null;
      return { label: showUrls ? url : `portal ${i + 1}`, ack: ack && !showUrls ? { ...ack, portalUrl: `portal ${i + 1}`, message: null } : ack, state: stateOf.get(url) ?? null };
    }),
    lastEventAt: lastEvent?.epoch == null ? null : new Date(Number(lastEvent.epoch) * 1000).toISOString(),
  };
}
