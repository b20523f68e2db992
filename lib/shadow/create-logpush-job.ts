import { logpushJobs } from "@/db/schema";
import { actorLabel, authorize } from "@/lib/auth/actor";
import { recordAudit } from "@/lib/audit/record-audit";
import type { Ctx } from "@/lib/context";
import { generateSecret, hashTokenSecret, visiblePrefix } from "@core/tokens/secret";
import { LOGPUSH_SECRET_PREFIX, logpushDestinationConf, toLogpushJobOutput } from "./logpush";
import { CreateLogpushJobInput, type CreatedLogpushJobOutput } from "./schemas";

/**
 * Creates a Logpush destination and returns its secret and the destination_conf to paste into the
 * Logpush job. The secret is stored only as its SHA-256 and cannot be shown again.
 */
export async function createLogpushJob({ db, actor }: Ctx, rawInput: unknown, consoleOrigin: string): Promise<CreatedLogpushJobOutput> {
  authorize(actor, "shadow.triage");
  const input = CreateLogpushJobInput.parse(rawInput);
  const secret = generateSecret(LOGPUSH_SECRET_PREFIX);
  const secretHash = await hashTokenSecret(secret);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(logpushJobs)
      .values({ name: input.name, format: input.format, secretPrefix: visiblePrefix(secret), secretHash, createdBy: actor.userId, createdByLabel: actorLabel(actor) })
      .returning();
    if (!row) throw new Error("insert returned no row");
    await recordAudit(tx, actor, { action: "logpush_job.create", targetType: "logpush_job", targetId: row.id, details: { name: row.name, format: row.format, secretPrefix: row.secretPrefix } });
    return { ...toLogpushJobOutput(row), secret, destinationConf: logpushDestinationConf(consoleOrigin, secret) };
  });
}
