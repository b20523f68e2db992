import { serverEvents } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { actorLabel, type Actor } from "../auth/actor";
import { redactUrlsIn, redactUrlsInText } from "@core/net/redact-url";

/**
 * One line of a server's timeline; written in the transaction of the change it describes. URLs in
 * it are stored redacted (`[redacted]` for a key in the path, `?api_key=`…): every role reads the timeline.
 */
export async function recordServerEvent(
  tx: Queryable,
  actor: Actor,
  event: { serverId: string; kind: string; reason?: string | null; details?: Record<string, unknown>; snapshotId?: string | null },
): Promise<void> {
  await tx.insert(serverEvents).values({
    serverId: event.serverId,
    kind: event.kind,
    actorId: actor.userId,
    actorLabel: actorLabel(actor),
    reason: event.reason == null ? null : redactUrlsInText(event.reason),
    details: redactUrlsIn(event.details ?? {}),
    snapshotId: event.snapshotId ?? null,
  });
}
