import { asc, eq } from "drizzle-orm";
import { shadowBlocks, shadowFindingEvents, shadowFindings, type ShadowBlock } from "@/db/schema";
import type { Queryable } from "@/db/client";
import type { BundleBlockEntry } from "@core/bundle/schema";
import { actorLabel, authorize } from "@/lib/auth/actor";
import { recordAudit } from "@/lib/audit/record-audit";
import type { Ctx } from "@/lib/context";
import { ConflictError, NotFoundError } from "@/lib/errors";
import { blockTargetOf, blockedBy } from "@core/shadow/blocklist";
import { gatewayHttpPolicy, mcpDlpProfile, type DlpProfile, type GatewayRule } from "@core/shadow/exports";
import { CreateBlockInput, type BlockEntryOutput } from "./schemas";

function toOutput(b: ShadowBlock): BlockEntryOutput {
  return { id: b.id, origin: b.origin, pathPrefix: b.pathPrefix, reason: b.reason, findingId: b.findingId, createdBy: b.createdByLabel, createdAt: b.createdAt.toISOString() };
}

async function allBlocks(db: Queryable): Promise<ShadowBlock[]> {
  return db.select().from(shadowBlocks).orderBy(asc(shadowBlocks.origin), asc(shadowBlocks.pathPrefix));
}

export async function listBlocks({ db, actor }: Ctx): Promise<BlockEntryOutput[]> {
  authorize(actor, "shadow.read");
  return (await allBlocks(db)).map(toOutput);
}

/** Blocks a URL by hand (a host security knows about before any log shows it). */
export async function createBlock({ db, actor }: Ctx, rawInput: unknown): Promise<BlockEntryOutput> {
  authorize(actor, "shadow.triage");
  const input = CreateBlockInput.parse(rawInput);
  const t = blockTargetOf(input.url)!;
  const target = input.scope === "origin" ? { origin: t.origin, pathPrefix: "" } : t;
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(shadowBlocks)
      .values({ ...target, reason: input.reason, createdBy: actor.userId, createdByLabel: actorLabel(actor) })
      .onConflictDoNothing()
      .returning();
    if (!row) throw new ConflictError(`${target.origin}${target.pathPrefix} is already on the block list`);
    await recordAudit(tx, actor, { action: "blocklist.add", targetType: "shadow_block", targetId: row.id, details: { ...target, reason: input.reason } });
    return toOutput(row);
  });
}

/** Removes an entry; a finding it came from is reopened (investigating), since it is no longer blocked. */
export async function deleteBlock({ db, actor }: Ctx, id: string): Promise<void> {
  authorize(actor, "shadow.triage");
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw new NotFoundError("No such block-list entry");
  await db.transaction(async (tx) => {
    const [row] = await tx.delete(shadowBlocks).where(eq(shadowBlocks.id, id)).returning();
    if (!row) throw new NotFoundError("No such block-list entry");
    if (row.findingId) {
      await tx.update(shadowFindings).set({ state: "investigating", resolution: null, updatedAt: new Date() }).where(eq(shadowFindings.id, row.findingId));
      await tx.insert(shadowFindingEvents).values({ findingId: row.findingId, kind: "unblocked", actorId: actor.userId, actorLabel: actorLabel(actor), details: { origin: row.origin, pathPrefix: row.pathPrefix, reopened: true } });
    }
    await recordAudit(tx, actor, { action: "blocklist.remove", targetType: "shadow_block", targetId: id, details: { origin: row.origin, pathPrefix: row.pathPrefix } });
  });
}

/** The bundle's block list (sorted, so equal state compiles to equal content). */
export async function compileBlocklist(db: Queryable): Promise<BundleBlockEntry[]> {
  return (await allBlocks(db)).map((b) => ({ id: b.id, origin: b.origin, pathPrefix: b.pathPrefix, reason: b.reason.slice(0, 500), ...(b.findingId ? { findingId: b.findingId } : {}) }));
}

/** The entry that blocks `url`, if any (registration refuses blocked URLs). */
export async function blockFor(db: Queryable, url: string): Promise<ShadowBlock | null> {
  return blockedBy(url, await allBlocks(db));
}

export async function exportGatewayPolicy({ db, actor }: Ctx): Promise<GatewayRule> {
  authorize(actor, "shadow.read");
  const entries = await compileBlocklist(db);
  if (entries.length === 0) throw new ConflictError("The block list is empty: block a finding (or add a URL) first");
  return gatewayHttpPolicy(entries);
}

export function exportDlpProfile({ actor }: Ctx): DlpProfile {
  authorize(actor, "shadow.read");
  return mcpDlpProfile();
}
