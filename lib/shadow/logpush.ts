/**
 * Cloudflare Logpush jobs that push traffic logs to the console (`POST /api/v1/traffic/logpush`):
 * their secrets, the destination_conf a Logpush job needs, the lookup of a job by its secret, and the
 * list the Settings page shows.
 */
import { desc, eq, inArray } from "drizzle-orm";
import { logpushBatches, logpushJobs, type LogpushBatch, type LogpushJob } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { authorize } from "@/lib/auth/actor";
import type { Ctx } from "@/lib/context";
import { UnauthenticatedError } from "@/lib/errors";
import { digestsEqual, hashTokenSecret, visiblePrefix } from "@core/tokens/secret";
import type { TrafficFormat } from "@core/shadow/records";
import type { LogpushBatchOutput, LogpushJobOutput } from "./schemas";

/**
 * The request header that carries a job's secret. Logpush turns every `header_<Name>=<value>` query
 * parameter of an HTTP destination_conf into a request header; a header of our own (not
 * Authorization) keeps the secret from being mistaken for an API token, and API tokens from being
 * accepted here.
 */
export const LOGPUSH_SECRET_HEADER = "X-Portcullis-Logpush-Secret";
export const LOGPUSH_PATH = "/api/v1/traffic/logpush";
export const LOGPUSH_SECRET_PREFIX = "pcl_";
const SECRET_PATTERN = /^pcl_[A-Za-z0-9_-]{32}$/;

/**
 * The largest batch accepted, in bytes as received and again after inflating (a gzip bomb is refused
 * once it inflates past it). Logpush's `max_upload_bytes` (uncompressed, 5 MB to 1 GB) must stay at
 * or below it; the how-to on the Settings page sets it.
 */
export const LOGPUSH_MAX_BYTES = 100_000_000;

/** What to paste as the Logpush job's `destination_conf`. */
export function logpushDestinationConf(consoleOrigin: string, secret: string): string {
  return `${new URL(LOGPUSH_PATH, consoleOrigin).toString()}?header_${LOGPUSH_SECRET_HEADER}=${encodeURIComponent(secret)}`;
}

/** Logpush's destination check when a job is created: a gzip `test.txt.gz` holding `{"content":"tests"}`. */
export function isLogpushTestMessage(nonBlankLines: number, firstText: string | null): boolean {
  if (nonBlankLines !== 1 || firstText === null) return false;
  try {
    const value: unknown = JSON.parse(firstText);
    return typeof value === "object" && value !== null && Object.keys(value).length === 1 && (value as { content?: unknown }).content === "tests";
  } catch {
    return false;
  }
}

/**
 * The live job whose secret was presented, or 401 with what to fix. Rows are found by the secret's
 * visible prefix and the whole secret's SHA-256 compared in constant time.
 */
export async function authenticateLogpushJob(db: Queryable, presented: string | null): Promise<LogpushJob> {
  const secret = presented?.trim() ?? "";
  if (secret === "") {
    throw new UnauthenticatedError(
      `Missing ${LOGPUSH_SECRET_HEADER} header: Logpush sends it when the job's destination_conf ends with ?header_${LOGPUSH_SECRET_HEADER}=<the job's secret> (Settings → Logpush shows the whole destination_conf when a job is created)`,
    );
  }
  const invalid = new UnauthenticatedError(`Invalid ${LOGPUSH_SECRET_HEADER}: no Logpush job has this secret. Create a job in Settings → Logpush and use its destination_conf.`);
  if (!SECRET_PATTERN.test(secret)) throw invalid;
  const hash = await hashTokenSecret(secret);
  const rows = await db.select().from(logpushJobs).where(eq(logpushJobs.secretPrefix, visiblePrefix(secret)));
  let job: LogpushJob | undefined;
  for (const row of rows) if (digestsEqual(row.secretHash, hash)) job = row;
  if (!job) throw invalid;
  if (job.revokedAt) {
    throw new UnauthenticatedError(`The Logpush job "${job.name}" was revoked on ${job.revokedAt.toISOString()}; nothing is accepted with its secret. Create a new job in Settings → Logpush and update the Logpush job's destination_conf.`);
  }
  return job;
}

export function toLogpushBatchOutput(b: LogpushBatch): LogpushBatchOutput {
  return {
    id: b.id,
    bytes: b.bytes,
    lines: b.lines,
    acceptedLines: b.acceptedLines,
    rejectedLines: b.rejectedLines,
    rejectedSamples: b.rejectedSamples,
    shadowServers: b.shadowServers,
    newFindings: b.newFindings,
    receivedAt: b.receivedAt.toISOString(),
  };
}

export function toLogpushJobOutput(j: LogpushJob, lastBatch: LogpushBatch | null = null): LogpushJobOutput {
  return {
    id: j.id,
    name: j.name,
    format: j.format as TrafficFormat,
    secretPrefix: j.secretPrefix,
    batches: j.batches,
    lines: j.lines,
    badLines: j.badLines,
    lastBatchAt: j.lastBatchAt?.toISOString() ?? null,
    lastBatch: lastBatch ? toLogpushBatchOutput(lastBatch) : null,
    revokedAt: j.revokedAt?.toISOString() ?? null,
    createdBy: j.createdByLabel,
    createdAt: j.createdAt.toISOString(),
  };
}

/** Every job, newest first, each with its latest batch. */
export async function listLogpushJobs({ db, actor }: Ctx): Promise<LogpushJobOutput[]> {
  authorize(actor, "shadow.triage");
  const jobs = await db.select().from(logpushJobs).orderBy(desc(logpushJobs.createdAt), desc(logpushJobs.id));
  if (jobs.length === 0) return [];
  const latest = await db
    .selectDistinctOn([logpushBatches.jobId])
    .from(logpushBatches)
    .where(inArray(logpushBatches.jobId, jobs.map((j) => j.id)))
    .orderBy(logpushBatches.jobId, desc(logpushBatches.receivedAt));
  const byJob = new Map(latest.map((b) => [b.jobId, b]));
  return jobs.map((j) => toLogpushJobOutput(j, byJob.get(j.id) ?? null));
}
