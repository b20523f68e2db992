import { createHash } from "node:crypto";
import { and, eq, isNull, ne, or } from "drizzle-orm";
import { trafficUploads, type TrafficUpload } from "@/db/schema";
import { actorLabel, authorize } from "@/lib/auth/actor";
import { recordAudit } from "@/lib/audit/record-audit";
import type { Ctx } from "@/lib/context";
import { ValidationError } from "@/lib/errors";
import { LineSplitter } from "@core/shadow/lines";
import { count } from "@core/text/count";
import { formatCount } from "@core/text/format";
import { parseLine, type TrafficFormat } from "@core/shadow/records";
import { isShadow, ServerAggregator } from "@core/shadow/servers";
import { mergeSightings, shadowContext, sightingFromSummary } from "./store";
import type { TrafficIngestOutput, UploadOutput } from "./schemas";

const MAX_BAD_SAMPLES = 100;
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
    createdBy: u.createdByLabel,
    createdAt: u.createdAt.toISOString(),
    finishedAt: u.finishedAt?.toISOString() ?? null,
  };
}

/**
 * Reads an NDJSON traffic log (plain or gzip) as it arrives — never the whole upload in memory: one line at a time
 * through the detector into a per-server aggregate — and then merges the shadow servers into
 * findings in one transaction. A client that stops mid-upload leaves a failed upload row and no
 * findings (nothing half-written). Bad lines are counted and the first ones kept with their numbers.
 * The same bytes uploaded again are recognized by their SHA-256 and not counted twice.
 */
export async function ingestTraffic({ db, actor }: Ctx, source: TrafficSource): Promise<TrafficIngestOutput> {
  authorize(actor, "shadow.triage");
  if (source.body === null) throw new ValidationError(`The upload is empty (no body), so nothing was scanned. ${ACCEPTED_FORMATS}`);
  const [upload] = await db
    .insert(trafficUploads)
    .values({ filename: source.filename?.slice(0, 300) ?? null, format: source.format ?? null, createdBy: actor.userId, createdByLabel: actorLabel(actor) })
    .returning();
  const id = upload!.id;

  const agg = new ServerAggregator();
  const splitter = new LineSplitter();
  const hash = createHash("sha256");
  const formats: Record<string, number> = {};
  const badSamples: { line: number; error: string }[] = [];
  let bytes = 0;
  let badLines = 0;
  const take = (events: ReturnType<LineSplitter["push"]>) => {
    for (const e of events) {
      if ("tooLong" in e) {
        badLines++;
        if (badSamples.length < MAX_BAD_SAMPLES) badSamples.push({ line: e.line, error: "line longer than 1,048,576 characters" });
        continue;
      }
      const p = parseLine(e.text, source.format);
      if (!p.ok) {
        badLines++;
        if (badSamples.length < MAX_BAD_SAMPLES) badSamples.push({ line: e.line, error: p.error });
        continue;
      }
      formats[p.record.format] = (formats[p.record.format] ?? 0) + 1;
      agg.push(p.record);
    }
  };
  try {
    // Bytes and the hash count what arrived; a gzip body (Logpush writes .log.gz) is inflated as it streams.
    const counted = source.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          bytes += chunk.byteLength;
          hash.update(chunk);
          controller.enqueue(chunk);
        },
      }),
    );
    const reader = (await inflateIfGzip(counted)).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      take(splitter.push(value));
    }
    take(splitter.end());
  } catch (error) {
    const message = `The upload stopped after ${bytes} bytes: ${error instanceof Error ? error.message : String(error)}`;
    await db.update(trafficUploads).set({ status: "failed", bytes, lines: splitter.lines, error: message.slice(0, 500), finishedAt: new Date() }).where(eq(trafficUploads.id, id));
    throw new ValidationError(message);
  }
  if (bytes === 0) {
    await db.update(trafficUploads).set({ status: "failed", error: "empty upload", finishedAt: new Date() }).where(eq(trafficUploads.id, id));
    throw new ValidationError(`The upload is empty (0 bytes), so nothing was scanned. ${ACCEPTED_FORMATS}`);
  }
  // Not one record read: a failure to say so, not a "done" scan of nothing (a wrong format, a wrong file).
  if (Object.keys(formats).length === 0) {
    const message = noRecordMessage(splitter.lines, badLines, badSamples, source.format);
    await db
      .update(trafficUploads)
      .set({ status: "failed", bytes, lines: splitter.lines, badLines, badLineSamples: badSamples, error: message.slice(0, 500), finishedAt: new Date() })
      .where(eq(trafficUploads.id, id));
    throw new ValidationError(message);
  }

  const sha256 = hash.digest("hex");
  const servers = agg.finish();
  // Candidates (MCP evidence below the detector's threshold) are stored for review, never counted as findings.
  const summaries = servers.filter((s) => s.status === "finding");
  const ctxShadow = await shadowContext(db);
  const shadow = summaries.filter((s) => isShadow(s.url, ctxShadow));
  const candidates = servers.filter((s) => s.status === "candidate" && isShadow(s.url, ctxShadow));
  const approved = summaries.filter((s) => !shadow.includes(s)).map((s) => s.url);
  const mcpRecords = summaries.reduce((n, s) => n + s.requests, 0);
  const now = new Date();

  const merge = () => db.transaction(async (tx) => {
    const [dup] = await tx
      .select({ id: trafficUploads.id })
      .from(trafficUploads)
      .where(
        and(
          eq(trafficUploads.sha256, sha256),
          // The same bytes read in another format are another reading (a wrong ?format= makes every line bad),
          // unless the earlier reading had no bad line: then every record was already counted.
          or(source.format ? eq(trafficUploads.format, source.format) : isNull(trafficUploads.format), eq(trafficUploads.badLines, 0)),
          eq(trafficUploads.status, "done"),
          ne(trafficUploads.id, id),
        ),
      )
      .limit(1);
    const merged = dup ? [] : await mergeSightings(tx, actor, [...shadow, ...candidates].map((s) => sightingFromSummary(s, now)), { upload: id, filename: source.filename ?? null });
    const [row] = await tx
      .update(trafficUploads)
      .set({
        status: "done",
        bytes,
        lines: splitter.lines,
        badLines,
        badLineSamples: badSamples,
        formats,
        mcpRecords,
        servers: summaries.length,
        // A candidate this upload's evidence promoted is a shadow server of this upload too.
        shadowServers: dup ? shadow.length : merged.filter((m) => !m.candidate).length,
        newFindings: merged.filter((m) => m.created && !m.candidate).length,
        sha256,
        duplicateOf: dup?.id ?? null,
        finishedAt: new Date(),
      })
      .where(eq(trafficUploads.id, id))
      .returning();
    await recordAudit(tx, actor, {
      action: "traffic.upload",
      targetType: "traffic_upload",
      targetId: id,
      details: { filename: source.filename ?? null, bytes, lines: splitter.lines, badLines, shadowServers: row!.shadowServers, newFindings: row!.newFindings, duplicateOf: dup?.id ?? null },
    });
    const listed = (candidate: boolean) => merged.filter((m) => m.candidate === candidate).map((m) => ({ id: m.id, url: m.key, created: m.created }));
    return { upload: toUploadOutput(row!), findings: listed(false), candidates: listed(true) };
  });
  let result: Awaited<ReturnType<typeof merge>>;
  try {
    result = await merge();
  } catch (error) {
    // Nothing was merged (one transaction); the upload says so instead of staying "processing".
    await db.update(trafficUploads).set({ status: "failed", bytes, lines: splitter.lines, error: "merging the findings failed; upload the file again", finishedAt: new Date() }).where(eq(trafficUploads.id, id));
    throw error;
  }
  return { ...result, approved };
}

/** The stream itself, or inflated when it starts with gzip's magic bytes (1f 8b). */
async function inflateIfGzip(body: ReadableStream<Uint8Array>): Promise<ReadableStream<Uint8Array>> {
  const reader = body.getReader();
  const first = await reader.read();
  const rest = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.done) controller.close();
      else controller.enqueue(first.value);
    },
    async pull(controller) {
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  const gzip = !first.done && first.value.byteLength >= 2 && first.value[0] === 0x1f && first.value[1] === 0x8b;
  return gzip ? rest.pipeThrough(new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>) : rest;
}

