import { and, eq, isNull, sql } from "drizzle-orm";
import { logpushBatches, logpushJobs } from "@/db/schema";
import type { Database } from "@/db/client";
import { systemActor } from "@/lib/auth/actor";
import { PayloadTooLargeError, UnauthenticatedError, ValidationError } from "@/lib/errors";
import { formatCount } from "@core/text/format";
import type { TrafficFormat } from "@core/shadow/records";
import { authenticateLogpushJob, isLogpushTestMessage, LOGPUSH_MAX_BYTES, toLogpushBatchOutput } from "./logpush";
import { TrafficReader } from "./read-traffic";
import type { LogpushIngestOutput } from "./schemas";
import { mergeSightings, shadowContext, splitServers } from "./store";

const REJECTED_SAMPLES = 5;

export interface LogpushDelivery {
  /** The job's secret, from the request header. */
  secret: string | null;
  body: ReadableStream<Uint8Array> | null;
  /** The request's Content-Length, when it declared one: a larger one is refused before reading. */
  declaredBytes?: number | null;
}

/**
 * One batch pushed by a Cloudflare Logpush job: authenticated by the job's secret (401 and nothing
 * stored otherwise), read as it arrives like an upload (gzip or plain NDJSON, in the job's format,
 * at most `maxBytes` as received and after inflating: 413), and merged into findings in one
 * transaction with the batch's row, so a batch counts whole or not at all. Logpush retries a batch it
 * is not sure arrived: the same job and the same lines are the same batch, answered as a duplicate
 * and stored once. Logpush's destination check (sent when a job is created) is answered and not stored.
 */
export async function ingestLogpushBatch(db: Database, delivery: LogpushDelivery, maxBytes = LOGPUSH_MAX_BYTES): Promise<LogpushIngestOutput> {
  const job = await authenticateLogpushJob(db, delivery.secret);
  const advice = `Set the Logpush job's max_upload_bytes to ${formatCount(maxBytes)} or less.`;
  if ((delivery.declaredBytes ?? 0) > maxBytes) {
    throw new PayloadTooLargeError(`The body is larger than ${formatCount(maxBytes)} bytes (Content-Length ${formatCount(delivery.declaredBytes ?? 0)}), so nothing of it was stored. ${advice}`);
  }
  if (delivery.body === null) throw new ValidationError("The batch is empty (no body): Logpush sends NDJSON log lines, gzip-compressed.");
  const reader = new TrafficReader({ format: job.format as TrafficFormat, maxBytes, tooLargeAdvice: advice });
  let chunk;
  try {
    chunk = await reader.read(delivery.body);
  } catch (error) {
    if (error instanceof PayloadTooLargeError) throw error;
    throw new ValidationError(`The batch could not be read after ${formatCount(reader.bytes)} bytes, in line ${formatCount(reader.lines + 1)}: ${error instanceof Error ? error.message : String(error)}. Nothing of it was stored.`);
  }
  if (isLogpushTestMessage(reader.nonBlankLines, reader.firstText)) {
    return { test: true, duplicate: false, batch: null, message: `Logpush's destination check arrived for the job "${job.name}": its secret is valid. Nothing was stored.` };
  }
  if (reader.nonBlankLines === 0) throw new ValidationError("The batch holds no log line (it is empty or blank): nothing was stored.");

  const split = splitServers(chunk.servers, await shadowContext(db));
  const actor = systemActor(`Logpush job "${job.name}"`);
  return db.transaction(async (tx) => {
    // First, so a retry racing the original waits on the unique index and then finds it.
    const [batch] = await tx
      .insert(logpushBatches)
      .values({
        jobId: job.id,
        sha256: chunk.sha256,
        bytes: reader.bytes,
        lines: reader.lines,
        acceptedLines: reader.nonBlankLines - reader.badLines,
        rejectedLines: reader.badLines,
        rejectedSamples: reader.badSamples.slice(0, REJECTED_SAMPLES),
      })
      .onConflictDoNothing({ target: [logpushBatches.jobId, logpushBatches.sha256] })
      .returning();
    if (!batch) {
      const [earlier] = await tx.select().from(logpushBatches).where(and(eq(logpushBatches.jobId, job.id), eq(logpushBatches.sha256, chunk.sha256)));
      return { test: false, duplicate: true, batch: earlier ? toLogpushBatchOutput(earlier) : null, message: "This batch was received before: nothing new was stored." };
    }
    const now = new Date();
    // A job revoked while its batch was being read stores nothing of it (the transaction rolls back).
    const [live] = await tx
      .update(logpushJobs)
      .set({ batches: sql`${logpushJobs.batches} + 1`, lines: sql`${logpushJobs.lines} + ${reader.lines}`, badLines: sql`${logpushJobs.badLines} + ${reader.badLines}`, lastBatchAt: now })
      .where(and(eq(logpushJobs.id, job.id), isNull(logpushJobs.revokedAt)))
      .returning({ id: logpushJobs.id });
    if (!live) throw new UnauthenticatedError(`The Logpush job "${job.name}" was revoked while its batch arrived; nothing of it was stored.`);
    const merged = await mergeSightings(tx, actor, split.sightings(now), { logpushJob: job.id, batch: batch.id });
    const [counted] = await tx
      .update(logpushBatches)
      .set({ shadowServers: merged.filter((m) => !m.candidate).length, newFindings: merged.filter((m) => m.created && !m.candidate).length })
      .where(eq(logpushBatches.id, batch.id))
      .returning();
    const out = toLogpushBatchOutput(counted!);
    return { test: false, duplicate: false, batch: out, message: `Stored: ${formatCount(out.acceptedLines)} of ${formatCount(reader.nonBlankLines)} lines read, ${formatCount(out.shadowServers)} shadow MCP servers (${formatCount(out.newFindings)} new).` };
  });
}
