import { count, eq, sql } from "drizzle-orm";
import { savedViews } from "@/db/schema";
import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import { ConflictError, ValidationError } from "../errors";
import { recordAudit } from "./record-audit";
import { SAVED_VIEWS_MAX, SaveViewInput, toSavedViewOutput, viewOwner, type SavedViewOutput } from "./saved-views";
import { viewSearch } from "./schemas";
import { parseViewParams } from "./view-params";

/**
 * Saves the caller's view under a name (saving under a name already used replaces that view's
 * filters). The filters are validated as the Audit page reads them and stored normalized, without
 * a cursor: a saved view always opens at its newest page.
 */
export async function saveView({ db, actor }: Ctx, input: unknown): Promise<SavedViewOutput> {
  authorize(actor, "usage.read");
  const userId = viewOwner(actor);
  const { name, query } = SaveViewInput.parse(input);
  const view = parseViewParams(new URLSearchParams(query.replace(/^\?/, "")));
  if (view.problem) throw new ValidationError(`query: ${view.problem}`, { query: view.problem });
  const normalized = viewSearch(view.filters);
  return db.transaction(async (tx) => {
    const [existing] = await tx.select({ n: count() }).from(savedViews).where(eq(savedViews.userId, userId));
    const [row] = await tx
      .insert(savedViews)
      .values({ userId, name, query: normalized })
      .onConflictDoUpdate({ target: [savedViews.userId, savedViews.name], set: { query: normalized, updatedAt: sql`now()` } })
      .returning();
    const replaced = row!.createdAt.getTime() !== row!.updatedAt.getTime();
    if (!replaced && (existing?.n ?? 0) >= SAVED_VIEWS_MAX) throw new ConflictError(`You have ${SAVED_VIEWS_MAX} saved views already: delete one first`);
    await recordAudit(tx, actor, { action: "saved_view.save", targetType: "saved_view", targetId: row!.id, details: { name, query: normalized, replaced } });
    return toSavedViewOutput(row!);
  });
}
