import { eq } from "drizzle-orm";
import { shadowBlocks, shadowFindingEvents, shadowFindings } from "@/db/schema";
import { actorLabel, authorize } from "@/lib/auth/actor";
import { recordAudit } from "@/lib/audit/record-audit";
import type { Ctx } from "@/lib/context";
import { NotFoundError } from "@/lib/errors";

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
