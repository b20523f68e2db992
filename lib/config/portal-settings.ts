/**
 * The portal's settings row (`portal_settings`, one row `id = "portal"`, absent until first saved):
 * Code Mode (lib/codemode/settings.ts) and what audit events keep (lib/audit/detail-settings.ts).
 * Each setting reads the row and writes its own columns, audited, in the caller's transaction.
 */
import { eq } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { portalSettings } from "@/db/schema";
import type { Actor } from "../auth/actor";
import { recordAudit } from "../audit/record-audit";

const ROW = "portal";

type Columns = Omit<typeof portalSettings.$inferInsert, "id" | "updatedBy" | "updatedAt">;

export async function readPortalSettings(db: Queryable): Promise<typeof portalSettings.$inferSelect | undefined> {
  const [row] = await db.select().from(portalSettings).where(eq(portalSettings.id, ROW));
  return row;
}

/** Saves `set` (creating the row at its defaults first if need be) and records `action` with `details`; returns when. */
export async function writePortalSettings(tx: Queryable, actor: Actor, set: Columns, audit: { action: `portal.${string}`; details: Record<string, unknown> }): Promise<Date> {
  const now = new Date();
  await tx
    .insert(portalSettings)
    .values({ id: ROW, ...set, updatedBy: actor.userId, updatedAt: now })
    .onConflictDoUpdate({ target: portalSettings.id, set: { ...set, updatedBy: actor.userId, updatedAt: now } });
  await recordAudit(tx, actor, { action: audit.action, targetType: "portal", targetId: ROW, details: audit.details });
  return now;
}
