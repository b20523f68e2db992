import { and, eq } from "drizzle-orm";
import { savedViews } from "@/db/schema";
import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import { NotFoundError } from "../errors";
import { requireId } from "../ids";
import { recordAudit } from "./record-audit";
import { viewOwner } from "./saved-views";

/** Deletes one of the caller's saved views; someone else's is "not found" (their views are private). */
export async function deleteSavedView({ db, actor }: Ctx, id: string): Promise<void> {
  authorize(actor, "usage.read");
  const userId = viewOwner(actor);
  requireId(id, "saved view");
  await db.transaction(async (tx) => {
    const [row] = await tx.delete(savedViews).where(and(eq(savedViews.id, id), eq(savedViews.userId, userId))).returning();
    if (!row) throw new NotFoundError("No such saved view");
    await recordAudit(tx, actor, { action: "saved_view.delete", targetType: "saved_view", targetId: id, details: { name: row.name } });
  });
}
