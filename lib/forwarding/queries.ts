import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import type { SinkOutput } from "./schemas";
import { listSinkRows, outboxCounts, sinkTable, toSinkOutput } from "./store";

/** Every sink with its delivery status. */
export async function listSinks({ db, actor }: Ctx): Promise<SinkOutput[]> {
  authorize(actor, "forwarding.read");
  const [rows, counts] = await Promise.all([listSinkRows(db), outboxCounts(db)]);
  return rows.map((row) => toSinkOutput(row, counts.get(row.id)));
}

export async function getSink({ db, actor }: Ctx, id: string): Promise<SinkOutput> {
  authorize(actor, "forwarding.read");
  return sinkTable.read(db, id);
}
