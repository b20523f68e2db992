import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import type { SinkOutput } from "./schemas";
import { sinkTable } from "./store";

/** Deletes a sink with its undelivered outbox rows (they cascade); answers what it was. */
export async function deleteSink({ db, actor }: Ctx, id: string): Promise<SinkOutput> {
  authorize(actor, "forwarding.manage");
  return db.transaction((tx) => sinkTable.remove(tx, actor, id));
}
