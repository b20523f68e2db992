import { and, eq, isNull, ne, or } from "drizzle-orm";
import { trafficUploadChunks, trafficUploads, type TrafficUpload } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { actorLabel, authorize } from "@/lib/auth/actor";
import { recordAudit } from "@/lib/audit/record-audit";
import type { Ctx } from "@/lib/context";
import { ValidationError } from "@/lib/errors";
import { count } from "@core/text/count";
import { formatCount } from "@core/text/format";
import type { TrafficFormat } from "@core/shadow/records";
import { TrafficReader, type TrafficChunk } from "./read-traffic";
import { mergeSightings, shadowContext, splitServers } from "./store";
import type { TrafficIngestOutput, UploadOutput } from "./schemas";

const REASONS_SHOWN = 3;

const FORMAT_LABELS: Record<TrafficFormat, string> = { cloudflare: "Cloudflare Gateway HTTP (Logpush)", generic: "generic proxy NDJSON" };

/** What a traffic upload may hold; every refusal of a whole upload ends with it. */
export const ACCEPTED_FORMATS =
  "Send NDJSON, one JSON log record per line (plain or gzip): Cloudflare Gateway HTTP requests as Logpush writes them, or generic proxy records with a url (or host) field.";

/** Why an upload in which no line was a record failed: how many lines were refused, the first reasons with their numbers, what to send. */
export function noRecordMessage(lines: number, badLines: number, samples: readonly { line: number; error: string }[], format?: TrafficFormat): string {
  if (badLines === 0) return `The upload holds ${count(lines, "line")}, all blank, so nothing was scanned. ${ACCEPTED_FORMATS}`;
  const reasons = samples.slice(0, REASONS_SHOWN).map((s) => `line ${formatCount(s.line)}: ${s.error}`);
  if (badLines > reasons.length) reasons.push(`${formatCount(badLines - reasons.length)} more`);
  const forced = format ? ` Every line was read as ${FORMAT_LABELS[format]}; if the log is in another format, choose "Detect per line".` : "";
  return `No line of the upload is a log record this console reads, so nothing was scanned: ${count(badLines, "line")} rejected (${reasons.join("; ")}).${forced} ${ACCEPTED_FORMATS}`;
}

export interface TrafficSource {
  body: ReadableStream<Uint8Array> | null;
  format?: TrafficFormat;
  filename?: string;
  /** Lines merged per transaction (default {@link UPLOAD_CHUNK_LINES}). */
  chunkLines?: number;
}

export function toUploadOutput(u: TrafficUpload): UploadOutput {
  return {
    id: u.id,
    filename: u.filename,
    format: u.format,
    status: u.status,
    bytes: u.bytes,
    lines: u.lines,
    badLines: u.badLines,
    badLineSamples: u.badLineSamples,
    formats: u.formats,
    mcpRecords: u.mcpRecords,
    servers: u.servers,
    shadowServers: u.shadowServers,
    newFindings: u.newFindings,
    duplicateOf: u.duplicateOf,
    error: u.error,
    committedLines: u.committedLines,
    chunks: u.chunks,
    createdBy: u.createdByLabel,
    createdAt: u.createdAt.toISOString(),
    finishedAt: u.finishedAt?.toISOString() ?? null,
  };
}

/**
 * Reads an NDJSON traffic log (plain or gzip) as it arrives — never the whole upload in memory: one
 * line at a time through the detector into a per-server aggregate — and merges the shadow servers
 * into findings every {@link UPLOAD_CHUNK_LINES} lines, each chunk in its own transaction, so findings
 * appear while a big file is still streaming and the upload row shows its progress. A client that
 * stops mid-upload leaves a failed upload row that says at which line, with the chunks committed
 * before it (nothing half-written: a chunk is merged whole or not at all). Bad lines are counted and
 * the first ones kept with their numbers. A chunk uploaded again (the same file, or the rest of one
 * that broke off) is recognized by its lines' SHA-256 and not counted twice.
 */
export async function ingestTraffic({ db, actor }: Ctx, source: TrafficSource): Promise<TrafficIngestOutput> {
  authorize(actor, "shadow.triage");
  if (source.body === null) throw new ValidationError(`The upload is empty (no body), so nothing was scanned. ${ACCEPTED_FORMATS}`);
  const [upload] = await db
    .insert(trafficUploads)
    .values({ filename: source.filename?.slice(0, 300) ?? null, format: source.format ?? null, createdBy: actor.userId, createdByLabel: actorLabel(actor) })
    .returning();
  const id = upload!.id;
  const context = await shadowContext(db);
  let tally = new UploadTally();
  let last: TrafficUpload = upload!;

  /** Merges one chunk and writes the upload's progress (or, for the last chunk, its outcome) in one transaction. */
  const commit = (chunk: TrafficChunk, final: boolean) =>
    db.transaction(async (tx) => {
      const split = splitServers(chunk.servers, context);
      const dup = await repeatedChunk(tx, chunk, id, source.format);
      const lastLine = chunk.firstLine + chunk.lines - 1;
      const where = final && tally.chunks === 0 ? {} : { lines: `${formatCount(chunk.firstLine)}–${formatCount(lastLine)}` };
      const merged = dup ? [] : await mergeSightings(tx, actor, split.sightings(new Date()), { upload: id, filename: source.filename ?? null, ...where });
      await tx.insert(trafficUploadChunks).values({ uploadId: id, firstLine: chunk.firstLine, lines: chunk.lines, badLines: chunk.badLines, sha256: chunk.sha256, duplicateOf: dup });
      const next = tally.with(split, merged, dup);
      const progress = {
        bytes: reader.bytes,
        lines: reader.lines,
        badLines: reader.badLines,
        badLineSamples: reader.badSamples,
        formats: reader.formats,
        committedLines: lastLine,
        ...next.counts(),
      };
      const outcome = final ? { status: "done" as const, sha256: reader.sha256, duplicateOf: next.duplicateOf(), finishedAt: new Date() } : {};
      const [row] = await tx
        .update(trafficUploads)
        .set({ ...progress, ...outcome })
        .where(eq(trafficUploads.id, id))
        .returning();
      if (final) {
        await recordAudit(tx, actor, {
          action: "traffic.upload",
          targetType: "traffic_upload",
          targetId: id,
          details: { filename: source.filename ?? null, bytes: reader.bytes, lines: reader.lines, badLines: reader.badLines, chunks: next.chunks, shadowServers: row!.shadowServers, newFindings: row!.newFindings, duplicateOf: row!.duplicateOf },
        });
      }
      return { next, row: row! };
    });

  const reader: TrafficReader = new TrafficReader({
    format: source.format,
    chunkLines: source.chunkLines ?? UPLOAD_CHUNK_LINES,
    onChunk: async (chunk) => {
      const done = await commit(chunk, false).catch((error: unknown) => {
        throw new CommitFailure(error);
      });
      tally = done.next;
      last = done.row;
    },
  });
  let rest: TrafficChunk;
  try {
    rest = await reader.read(source.body);
  } catch (error) {
    if (error instanceof CommitFailure) {
      await fail(`Merging the findings of the lines after ${formatCount(last.committedLines)} failed`);
      throw error.cause;
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new ValidationError(await fail(`The upload stopped after ${reader.bytes} bytes, in line ${formatCount(reader.lines + 1)}: ${reason}`));
  }
  if (reader.bytes === 0) {
    await db.update(trafficUploads).set({ status: "failed", error: "empty upload", finishedAt: new Date() }).where(eq(trafficUploads.id, id));
    throw new ValidationError(`The upload is empty (0 bytes), so nothing was scanned. ${ACCEPTED_FORMATS}`);
  }
  // Not one record read: a failure to say so, not a "done" scan of nothing (a wrong format, a wrong file).
  if (Object.keys(reader.formats).length === 0) {
    const message = noRecordMessage(reader.lines, reader.badLines, reader.badSamples, source.format);
    await db
      .update(trafficUploads)
      .set({ status: "failed", bytes: reader.bytes, lines: reader.lines, badLines: reader.badLines, badLineSamples: reader.badSamples, error: message.slice(0, 500), finishedAt: new Date() })
      .where(eq(trafficUploads.id, id));
    throw new ValidationError(message);
  }
  let done: Awaited<ReturnType<typeof commit>>;
  try {
    done = await commit(rest, true);
  } catch (error) {
    // Nothing of the last chunk was merged (one transaction); the upload says so instead of staying "processing".
    await fail("Merging the findings failed");
    throw error;
  }
  return { upload: toUploadOutput(done.row), ...done.next.listed(), approved: done.next.approved() };

  /** Marks the upload failed, saying what its committed chunks kept; returns the message. */
  async function fail(what: string): Promise<string> {
    const kept = last.committedLines;
    const message =
      kept > 0
        ? `${what}. Lines 1–${formatCount(kept)} were committed and their findings stay; upload the file again to add the rest (the committed part is recognized and not counted twice).`
        : `${what}. Nothing of it was stored; upload the file again.`;
    await db.transaction(async (tx) => {
      await tx
        .update(trafficUploads)
        .set({ status: "failed", bytes: reader.bytes, lines: reader.lines, badLines: reader.badLines, badLineSamples: reader.badSamples, formats: reader.formats, error: message.slice(0, 500), finishedAt: new Date() })
        .where(eq(trafficUploads.id, id));
      // Committed chunks changed findings: the trail says so even though the upload did not finish.
      if (kept > 0) {
        await recordAudit(tx, actor, {
          action: "traffic.upload",
          targetType: "traffic_upload",
          targetId: id,
          details: { filename: source.filename ?? null, status: "failed", committedLines: kept, chunks: tally.chunks, shadowServers: last.shadowServers, newFindings: last.newFindings },
        });
      }
    });
    return message;
  }
}

/** Lines merged per transaction in an upload: findings of a big file appear after each. */
export const UPLOAD_CHUNK_LINES = 50_000;

/** A failure to merge a chunk (the database's), told apart from a failure to read the body (the client's). */
class CommitFailure extends Error {
  constructor(override readonly cause: unknown) {
    super("merging a chunk failed");
  }
}

/**
 * An earlier upload's committed chunk with the same lines at the same place: its findings are counted
 * already. The same bytes read in another format are another reading (a wrong ?format= makes every
 * line bad), unless that chunk had no bad line: then every record was already counted.
 */
async function repeatedChunk(tx: Queryable, chunk: TrafficChunk, uploadId: string, format: TrafficFormat | undefined): Promise<string | null> {
  const [hit] = await tx
    .select({ uploadId: trafficUploadChunks.uploadId, duplicateOf: trafficUploadChunks.duplicateOf })
    .from(trafficUploadChunks)
    .innerJoin(trafficUploads, eq(trafficUploads.id, trafficUploadChunks.uploadId))
    .where(
      and(
        eq(trafficUploadChunks.sha256, chunk.sha256),
        eq(trafficUploadChunks.firstLine, chunk.firstLine),
        ne(trafficUploadChunks.uploadId, uploadId),
        or(format ? eq(trafficUploads.format, format) : isNull(trafficUploads.format), eq(trafficUploadChunks.badLines, 0)),
      ),
    )
    .orderBy(trafficUploadChunks.id)
    .limit(1);
  return hit ? (hit.duplicateOf ?? hit.uploadId) : null;
}

type Merged = Awaited<ReturnType<typeof mergeSightings>>;

/** What an upload's committed chunks add up to (a server seen in several chunks counts once). */
class UploadTally {
  constructor(
    readonly chunks = 0,
    private readonly servers = new Set<string>(),
    private readonly shadow = new Set<string>(),
    private readonly approvedUrls = new Set<string>(),
    private readonly touched = new Map<string, { url: string; created: boolean; candidate: boolean }>(),
    private readonly mcpRecords = 0,
    private readonly repeatedOf: (string | null)[] = [],
  ) {}

  /** The tally with one more chunk (a copy: it becomes the upload's only once its transaction commits). */
  with(split: ReturnType<typeof splitServers>, merged: Merged, duplicateOf: string | null): UploadTally {
    const touched = new Map(this.touched);
    for (const m of merged) {
      const had = touched.get(m.id);
      touched.set(m.id, { url: m.key, created: m.created || (had?.created ?? false), candidate: m.candidate });
    }
    // A candidate this chunk's evidence promoted is a shadow server of this upload too.
    const shadow = duplicateOf ? split.shadow.map((s) => s.url) : merged.filter((m) => !m.candidate).map((m) => m.key);
    return new UploadTally(
      this.chunks + 1,
      new Set([...this.servers, ...split.found.map((s) => s.url)]),
      new Set([...this.shadow, ...shadow]),
      new Set([...this.approvedUrls, ...split.approved]),
      touched,
      this.mcpRecords + split.mcpRecords,
      [...this.repeatedOf, duplicateOf],
    );
  }

  counts() {
    const findings = [...this.touched.values()].filter((t) => !t.candidate);
    return { chunks: this.chunks, servers: this.servers.size, shadowServers: this.shadow.size, mcpRecords: this.mcpRecords, newFindings: findings.filter((t) => t.created).length };
  }

  /** The upload every chunk repeated, if every chunk was a repeat. */
  duplicateOf(): string | null {
    return this.repeatedOf.length > 0 && this.repeatedOf.every((d) => d !== null) ? this.repeatedOf[0]! : null;
  }

  listed() {
    const list = (candidate: boolean) => [...this.touched].filter(([, t]) => t.candidate === candidate).map(([id, t]) => ({ id, url: t.url, created: t.created }));
    return { findings: list(false), candidates: list(true) };
  }

  approved(): string[] {
    return [...this.approvedUrls];
  }
}
