import { and, desc } from "drizzle-orm";
import { z } from "zod";
import { mcpEvents } from "@/db/schema";
import { authorize } from "../auth/actor";
import { eventScope, mcpEventsInScope } from "./event-scope";
import type { Ctx } from "../context";
import { ValidationError } from "../errors";
import { describeFailure } from "@/lib/api/problem";
import { eventRetentionDays } from "../events/retention";
import { eventFilters, olderThan, toOutput } from "./list-events";
import { EXPORT_FORMATS, EXPORT_PROFILES, exportHead, exportLines, type ExportFormat } from "./export-format";
import { ListEventsQuery } from "./schemas";

/** Rows per query: each batch is one keyset page, so memory stays flat however long the export. */
export const EXPORT_BATCH = 1_000;
const DAY_MS = 86_400_000;

export const ExportEventsQuery = ListEventsQuery.omit({ limit: true, cursor: true })
  .extend({
    format: z.enum(EXPORT_FORMATS).default("csv").describe("csv (RFC 4180, CRLF, a header line) or ndjson (one JSON object per line)"),
    profile: z.enum(EXPORT_PROFILES).default("portcullis").describe("Field names: portcullis (those of GET /audit) or cloudflare (Cloudflare's mcp_portal_logs Logpush fields)"),
  })
  .strict();
export type ExportEventsQuery = z.input<typeof ExportEventsQuery>;

const CONTENT_TYPES: Record<ExportFormat, string> = { csv: "text/csv; charset=utf-8", ndjson: "application/x-ndjson; charset=utf-8" };

export interface EventExport {
  stream: ReadableStream<Uint8Array>;
  contentType: string;
  filename: string;
  /** The range exported, `to` exclusive: fixed when the export starts, so events arriving meanwhile are not half in it. */
  range: { from: string; to: string };
}

/**
 * A filtered Audit view as CSV or NDJSON, streamed: newest first, one keyset page of
 * {@link EXPORT_BATCH} events per query (never OFFSET), each written out before the next is read,
 * so a million events take no more memory than a thousand. The range is bounded: `to` defaults to
 * now, `from` to the retention period before it (PORTCULLIS_EVENT_RETENTION_DAYS, a year when
 * events are kept forever). Whose events: the Audit's rule (lib/audit/event-scope.ts) — security and
 * admins every event, anyone else their own and those of the teams they lead.
 */
export function exportEvents({ db, actor }: Ctx, input: ExportEventsQuery, now: Date = new Date()): EventExport {
  authorize(actor, "usage.read");
  const { format, profile, ...filters } = ExportEventsQuery.parse(input);
  const to = filters.to ? new Date(filters.to) : now;
  const from = filters.from ? new Date(filters.from) : new Date(to.getTime() - (eventRetentionDays() || 366) * DAY_MS);
  if (from >= to) throw new ValidationError("query.to: must be after from", { to: "must be after from" });
  const range = { from: from.toISOString(), to: to.toISOString() };
  const conditions = eventFilters({ ...filters, ...range, limit: EXPORT_BATCH });
  const encoder = new TextEncoder();
  let after: { time: string; id: string } | undefined;
  let done = false;
  let written = 0;
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const inScope = mcpEventsInScope(await eventScope(db, actor));
      if (inScope) conditions.push(inScope);
      controller.enqueue(encoder.encode(exportHead(format, profile)));
    },
    // Pull-driven: the next batch is read only when the client has taken the previous one.
    async pull(controller) {
      if (done) return;
      let rows: (typeof mcpEvents.$inferSelect)[];
      try {
        rows = await db
          .select()
          .from(mcpEvents)
          .where(and(...conditions, ...(after ? [olderThan(after)] : [])))
          .orderBy(desc(mcpEvents.time), desc(mcpEvents.id))
          .limit(EXPORT_BATCH);
      } catch (error) {
        // The headers (200) are gone: the client learns it from the cut-off transfer; the log says why.
        console.error(`[api] audit export failed after ${written} rows: ${describeFailure(error)}`);
        throw error;
      }
      const events = rows.map(toOutput);
      written += events.length;
      const last = events.at(-1);
      if (events.length > 0) controller.enqueue(encoder.encode(exportLines(events, format, profile)));
      if (!last || events.length < EXPORT_BATCH) {
        done = true;
        controller.close();
      } else after = { time: last.time, id: last.id };
    },
  });
  const stamp = range.to.slice(0, 16).replace(/[-:]/g, "");
  return { stream, contentType: CONTENT_TYPES[format], filename: `portcullis-audit-${stamp}${profile === "cloudflare" ? "-cloudflare" : ""}.${format}`, range };
}

/** The HTTP answer of an export: the stream, as a download. */
export function exportResponse(result: EventExport): Response {
  return new Response(result.stream, {
    headers: {
      "content-type": result.contentType,
      "content-disposition": `attachment; filename="${result.filename}"`,
      "cache-control": "no-store",
      "x-portcullis-export-range": `${result.range.from}/${result.range.to}`,
    },
  });
}
