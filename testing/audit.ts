import { and, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { auditLog } from "@/db/schema";

/** The audit rows one action wrote about one target. */
export async function auditFor(db: Database, action: string, targetId: string) {
  return db.select().from(auditLog).where(and(eq(auditLog.action, action), eq(auditLog.targetId, targetId)));
}
