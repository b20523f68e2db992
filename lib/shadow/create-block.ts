import { shadowBlocks } from "@/db/schema";
import { actorLabel, authorize } from "@/lib/auth/actor";
import { recordAudit } from "@/lib/audit/record-audit";
import type { Ctx } from "@/lib/context";
import { ConflictError } from "@/lib/errors";
import { blockTargetOf } from "@core/shadow/blocklist";
import { guardApprovedServers, toBlockOutput } from "./blocks";
import { resolveRollout, rolloutAuditDetails } from "./rollout";
import { CreateBlockInput, type BlockEntryOutput } from "./schemas";

/**
 * Blocks a URL by hand (a host security knows about before any log shows it), now or after a
 * rollout (`mode: "log"` until `enforceAt`). An entry that covers an approved server is refused
 * with the server named, unless `blockApproved` says that is the intent.
 */
export async function createBlock({ db, actor }: Ctx, rawInput: unknown, now = new Date()): Promise<BlockEntryOutput> {
  authorize(actor, "shadow.triage");
  const input = CreateBlockInput.parse(rawInput);
  const rollout = resolveRollout(input.mode, input.enforceAt, now);
  const t = blockTargetOf(input.url)!;
  const target = input.scope === "origin" ? { origin: t.origin, pathPrefix: "" } : t;
  return db.transaction(async (tx) => {
    await guardApprovedServers(tx, target, input.blockApproved, "url");
    const [row] = await tx
      .insert(shadowBlocks)
      .values({ ...target, ...rollout, reason: input.reason, createdBy: actor.userId, createdByLabel: actorLabel(actor) })
      .onConflictDoNothing()
      .returning();
    if (!row) throw new ConflictError(`${target.origin}${target.pathPrefix} is already on the block list`);
    await recordAudit(tx, actor, { action: "blocklist.add", targetType: "shadow_block", targetId: row.id, details: { ...target, reason: input.reason, ...rolloutAuditDetails(rollout) } });
    return toBlockOutput(row, now);
  });
}
