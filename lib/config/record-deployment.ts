import { desc, eq, inArray, sql } from "drizzle-orm";
import { bundleAcks, bundleDeployments, type BundleDeployment } from "@/db/schema";
import type { Queryable, Transaction } from "@/db/client";
import { actorLabel, type Actor } from "../auth/actor";
import { toIso } from "@core/zod/helpers";
import { recordAudit } from "../audit/record-audit";
import { upgradeStoredBundle, type ConfigBundle } from "@core/bundle/schema";
import { signBundle, type SignedBundle } from "@core/bundle/sign";
import type { EdgeKeys } from "./edge-keys";
import { bundleContentHash, summarize } from "./compile-bundle";
import { toAckOutput } from "./push";
import { DeploymentSummary, type AckOutput, type DeploymentOutput, type SkippedServer } from "./schemas";
import { BUNDLE_TTL_SETTING, bundleTtlMs, expiryFor } from "@core/bundle/lease";

/** Arbitrary constant: serialises publishes, so versions are handed out once each and in order. */
const PUBLISH_LOCK_ID = 724_190_114;

/** First statement of a publishing transaction. */
export async function lockPublishing(tx: Transaction): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${PUBLISH_LOCK_ID})`);
}

/**
 * The next version: above every version this console published and above every version a portal
 * reported running. The second matters when a portal kept its storage while the console's database
 * was reset: the portal refuses anything not newer, so the next publish must start above it.
 */
export async function nextVersion(tx: Queryable): Promise<number> {
  // In turn, not at once: `tx` is a transaction's single connection.
  const [published] = await tx.select({ max: sql<number | null>`max(${bundleDeployments.version})` }).from(bundleDeployments);
  const [reported] = await tx.select({ max: sql<number | null>`max(${bundleAcks.activeVersion})` }).from(bundleAcks);
  return Math.max(Number(published?.max ?? 0), Number(reported?.max ?? 0)) + 1;
}

export async function latestDeployment(db: Queryable): Promise<BundleDeployment | undefined> {
  const [row] = await db.select().from(bundleDeployments).orderBy(desc(bundleDeployments.version)).limit(1);
  return row;
}

/** The stored signed bundle's content, validated again: what is re-published must be a bundle. */
export function storedBundle(row: BundleDeployment): ConfigBundle {
  return upgradeStoredBundle((row.signed as unknown as SignedBundle).bundle);
}

export interface DeploymentMeta {
  kind: "publish" | "rollback" | "identity";
  rolledBackFrom?: number;
  skipped: SkippedServer[];
}

/** Signs the bundle and records the deployment with its audit row, in the caller's transaction. */
export async function recordDeployment(
  tx: Transaction,
  actor: Actor,
  keys: EdgeKeys,
  bundle: ConfigBundle,
  meta: DeploymentMeta,
): Promise<BundleDeployment> {
  // Every signed bundle expires (the edge fails closed after it) unless the reconcile loop renews it.
  const expiresAt = expiryFor(new Date(bundle.issuedAt), bundleTtlMs(process.env[BUNDLE_TTL_SETTING]));
  const signed = await signBundle({ ...bundle, expiresAt }, keys.signing.privateKeyJwk, keys.signing.keyId);
  const contentHash = await bundleContentHash(signed.bundle);
  const summary = summarize(signed.bundle, meta.skipped);
  const [row] = await tx
    .insert(bundleDeployments)
    .values({
      version: signed.bundle.version,
      signed: signed as unknown as Record<string, unknown>,
      keyId: signed.keyId,
      contentHash,
      summary,
      kind: meta.kind,
      rolledBackFrom: meta.rolledBackFrom ?? null,
      publishedBy: actor.userId,
      publishedByLabel: actorLabel(actor),
    })
    .returning();
  const { skipped, ...counts } = summary;
  await recordAudit(tx, actor, {
    action: meta.kind === "rollback" ? "config.rollback" : meta.kind === "identity" ? "config.identities" : "config.publish",
    targetType: "config_bundle",
    targetId: String(signed.bundle.version),
    details: {
      version: signed.bundle.version,
      contentHash,
      keyId: signed.keyId,
      ...counts,
      ...(skipped.length ? { skipped: skipped.map((s) => s.slug) } : {}),
      ...(meta.rolledBackFrom ? { rolledBackFrom: meta.rolledBackFrom } : {}),
    },
  });
  return row!;
}

/** The latest ack of each portal for each of the given deployments. */
export async function latestAcks(db: Queryable, versions: number[]): Promise<Map<number, AckOutput[]>> {
  const out = new Map<number, AckOutput[]>();
  if (versions.length === 0) return out;
  const rows = await db
    .select()
    .from(bundleAcks)
    .where(inArray(bundleAcks.version, versions))
    .orderBy(desc(bundleAcks.id));
  const seen = new Set<string>();
  for (const row of rows) {
    const key = `${row.version} ${row.portalUrl}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.set(row.version, [...(out.get(row.version) ?? []), toAckOutput(row)]);
  }
  for (const acks of out.values()) acks.sort((a, b) => a.portalUrl.localeCompare(b.portalUrl));
  return out;
}

export function toDeploymentOutput(row: BundleDeployment, acks: AckOutput[]): DeploymentOutput {
  const summary = DeploymentSummary.safeParse(row.summary);
  return {
    version: row.version,
    kind: row.kind,
    rolledBackFrom: row.rolledBackFrom,
    keyId: row.keyId,
    contentHash: row.contentHash,
    summary: summary.success ? summary.data : { servers: 0, tools: 0, tokens: 0, users: 0, teams: 0, rules: 0, skipped: [] },
    publishedBy: row.publishedByLabel,
    createdAt: toIso(row.createdAt),
    acks,
  };
}

export async function loadDeployment(db: Queryable, version: number): Promise<BundleDeployment | undefined> {
  const [row] = await db.select().from(bundleDeployments).where(eq(bundleDeployments.version, version));
  return row;
}
