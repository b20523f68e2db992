import { and, eq, isNull } from "drizzle-orm";
import { logpushJobs } from "@/db/schema";
import { authorize } from "@/lib/auth/actor";
import { recordAudit } from "@/lib/audit/record-audit";
import type { Ctx } from "@/lib/context";
import { NotFoundError } from "@/lib/errors";
import { requireId } from "@/lib/ids";
import { toLogpushJobOutput } from "./logpush";
import type { LogpushJobOutput } from "./schemas";

/**
 * Revokes a Logpush job at once: its secret is refused from the next batch on (a batch being read
 * when it is revoked is refused too, when it commits). What it delivered stays. Revoking a revoked
 * job changes nothing and succeeds.
 */
export async function revokeLogpushJob({ db, actor }: Ctx, jobId: string): Promise<LogpushJobOutput> {
  authorize(actor, "shadow.triage");
  requireId(jobId, "Logpush job");
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(logpushJobs)
      .set({ revokedAt: new Date() })
      .where(and(eq(logpushJobs.id, jobId), isNull(logpushJobs.revokedAt)))
      .returning();
    if (!row) {
      const [already] = await tx.select().from(logpushJobs).where(eq(logpushJobs.id, jobId));
      if (!already) throw new NotFoundError("No such Logpush job");
      return toLogpushJobOutput(already);
    }
    await recordAudit(tx, actor, { action: "logpush_job.revoke", targetType: "logpush_job", targetId: row.id, details: { name: row.name, secretPrefix: row.secretPrefix, batches: row.batches } });
    return toLogpushJobOutput(row);
  });
}
