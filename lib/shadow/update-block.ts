import { eq } from "drizzle-orm";
import { shadowBlocks, shadowFindingEvents } from "@/db/schema";
import { actorLabel, authorize } from "@/lib/auth/actor";
import { recordAudit } from "@/lib/audit/record-audit";
import type { Ctx } from "@/lib/context";
import { ConflictError } from "@/lib/errors";
import { loadBlock } from "./blocks";
import { getBlock } from "./queries";
import { resolveRollout, rolloutAuditDetails, rolloutStatus } from "./rollout";
import { UpdateBlockInput, type BlockEntryOutput } from "./schemas";

/**
 * Changes an entry's rollout: block now, log until another date (extend or shorten the rollout),
 * log until changed, or back to log after blocking. The edge learns it from the next publish; a
 * log entry's switch at its `enforceAt` needs none. Audited, and on its finding's timeline.
 */
export async function updateBlock({ db, actor }: Ctx, id: string, rawInput: unknown, now = new Date()): Promise<BlockEntryOutput> {
  authorize(actor, "shadow.triage");
  const input = UpdateBlockInput.parse(rawInput);
  await db.transaction(async (tx) => {
    const before = await loadBlock(tx, id, true);
    const to = resolveRollout(input.mode, input.enforceAt, now, before);
    if (to.mode === before.mode && (to.enforceAt?.getTime() ?? null) === (before.enforceAt?.getTime() ?? null)) {
      throw new ConflictError(`Nothing changed: ${before.origin}${before.pathPrefix} is already ${rolloutStatus(before, now).label.toLowerCase()}`);
    }
    await tx.update(shadowBlocks).set(to).where(eq(shadowBlocks.id, id));
    const details = { origin: before.origin, pathPrefix: before.pathPrefix, from: rolloutAuditDetails(before), to: rolloutAuditDetails(to) };
    if (before.findingId) {
      await tx.insert(shadowFindingEvents).values({ findingId: before.findingId, kind: "rollout", actorId: actor.userId, actorLabel: actorLabel(actor), details });
    }
    await recordAudit(tx, actor, { action: "blocklist.update", targetType: "shadow_block", targetId: id, details });
  });
  return getBlock({ db, actor }, id, now);
}
