import { and, desc, ilike, lt, type SQL } from "drizzle-orm";
import { auditLog } from "@/db/schema";
import { authorize } from "../auth/actor";
import { toIso } from "@core/zod/helpers";
import { redactUrlsIn } from "@core/net/redact-url";
import type { Ctx } from "../context";

export interface AuditRow {
  id: number;
  action: string;
  actorLabel: string;
  targetType: string;
  targetId: string | null;
  details: Record<string, unknown>;
  createdAt: string;
}

/** Newest first; `before` pages by id, `action` filters by prefix (e.g. `token.`). */
export async function listAudit({ db, actor }: Ctx, options: { limit?: number; before?: number; action?: string } = {}): Promise<AuditRow[]> {
  authorize(actor, "audit.read");
  const conditions: SQL[] = [];
  if (options.before) conditions.push(lt(auditLog.id, options.before));
  if (options.action) conditions.push(ilike(auditLog.action, `${options.action.replace(/[%_\\]/g, "\\$&")}%`));
  const rows = await db
    .select()
    .from(auditLog)
    .where(and(...conditions))
    .orderBy(desc(auditLog.id))
    .limit(Math.min(Math.max(options.limit ?? 100, 1), 500));
  // Rows written before audit details were redacted on write may still quote a secret URL whole.
  return rows.map((r) => ({ ...r, details: redactUrlsIn(r.details), createdAt: toIso(r.createdAt) }));
}
