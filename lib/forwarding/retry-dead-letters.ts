import { forwardingOutbox } from "@/db/schema";
import { authorize } from "../auth/actor";
import { recordAudit } from "../audit/record-audit";
import type { Ctx } from "../context";
import type { RetryDeadLettersOutput } from "./schemas";
import { deadLetters, sinkTable } from "./store";

/** Queues a sink's dead letters again, with a fresh count of attempts; the next delivery pass sends them. */
export async function retryDeadLetters({ db, actor }: Ctx, id: string): Promise<RetryDeadLettersOutput> {
  authorize(actor, "forwarding.manage");
  return db.transaction(async (tx) => {
    await sinkTable.loadRow(tx, id);
    const requeued = await tx.update(forwardingOutbox).set({ deadAt: null, attempts: 0, nextAttemptAt: new Date() }).where(deadLetters(id)).returning({ id: forwardingOutbox.id });
    await recordAudit(tx, actor, { action: "forwarding_sink.retry_dead_letters", targetType: "forwarding_sink", targetId: id, details: { requeued: requeued.length } });
    return { requeued: requeued.length, sink: await sinkTable.read(tx, id) };
  });
}
