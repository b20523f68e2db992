import { eq } from "drizzle-orm";
import { shadowFindingEvents, shadowFindings } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { actorLabel, can, type Actor } from "@/lib/auth/actor";
import { recordAudit } from "@/lib/audit/record-audit";
import { describeState } from "./update-finding";

/**
 * A registration request adopted from a shadow-MCP finding (the Request form's `finding`) now exists:
 * the finding links to the server and is resolved as approved, in the registration's transaction.
 * Until then it stays as it was (open), so a registration that fails closes nothing. Only a triager
 * resolves findings; for anyone else, and for an id that names no finding, this does nothing.
 */
export async function linkFindingToServer(tx: Queryable, actor: Actor, findingId: string, serverId: string): Promise<void> {
  if (!can(actor, "shadow.triage") || !/^[0-9a-f-]{36}$/i.test(findingId)) return;
  const [f] = await tx.select({ state: shadowFindings.state, resolution: shadowFindings.resolution, key: shadowFindings.key }).from(shadowFindings).where(eq(shadowFindings.id, findingId));
  if (!f) return;
  const label = actorLabel(actor);
  const resolve = !(f.state === "resolved" && f.resolution === "approved");
  await tx
    .update(shadowFindings)
    .set({ serverId, ...(resolve ? { state: "resolved" as const, resolution: "approved" as const } : {}), updatedAt: new Date() })
    .where(eq(shadowFindings.id, findingId));
  await tx.insert(shadowFindingEvents).values({ findingId, kind: "registered", actorId: actor.userId, actorLabel: label, note: null, details: { serverId } });
  if (resolve) {
    await tx
      .insert(shadowFindingEvents)
      .values({ findingId, kind: "state", actorId: actor.userId, actorLabel: label, note: null, details: { from: describeState(f.state, f.resolution), to: describeState("resolved", "approved") } });
  }
  await recordAudit(tx, actor, { action: "finding.update", targetType: "shadow_finding", targetId: findingId, details: { key: f.key, serverId, ...(resolve ? { to: describeState("resolved", "approved") } : {}) } });
}
