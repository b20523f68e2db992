import { and, asc, eq, isNotNull, isNull, sql } from "drizzle-orm";
import { forwardingOutbox, forwardingSinks, type ForwardingSink } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { toIso } from "@core/zod/helpers";
import { auditedTable } from "../audit/audited-table";
import { open, seal } from "../secret-box";
import type { SinkCredential, SinkTarget } from "./formats";
import type { SinkOutput } from "./schemas";

/**
 * Sinks as stored and as shown. The credential (webhook secret, HEC token, OTLP headers) is sealed
 * with the console's key ring, the sink id as AAD (like LLM provider keys), and never shown or
 * audited: outputs and audit rows say only whether one is set.
 */
const atRestAad = (sinkId: string) => `forwarding-sink:${sinkId}:credential`;

export function sealCredential(sinkId: string, credential: SinkCredential): { credentialCiphertext: string; credentialKeyId: string } {
  const { envelope, keyId } = seal(JSON.stringify(credential), atRestAad(sinkId));
  return { credentialCiphertext: envelope, credentialKeyId: keyId };
}

export function sinkTarget(row: Pick<ForwardingSink, "id" | "kind" | "url" | "credentialCiphertext">): SinkTarget {
  const credential = row.credentialCiphertext ? (JSON.parse(open(row.credentialCiphertext, atRestAad(row.id))) as SinkCredential) : {};
  return { kind: row.kind, url: row.url, credential };
}

/** Pending and dead-lettered deliveries per sink. */
export async function outboxCounts(db: Queryable, sinkIds?: string[]): Promise<Map<string, { pending: number; dead: number }>> {
  const rows = await db
    .select({
      sinkId: forwardingOutbox.sinkId,
      pending: sql<number>`(count(*) filter (where ${forwardingOutbox.deadAt} is null))::int`,
      dead: sql<number>`(count(*) filter (where ${forwardingOutbox.deadAt} is not null))::int`,
    })
    .from(forwardingOutbox)
    .where(sinkIds && sinkIds.length === 1 ? eq(forwardingOutbox.sinkId, sinkIds[0]!) : undefined)
    .groupBy(forwardingOutbox.sinkId);
  return new Map(rows.map((r) => [r.sinkId, { pending: r.pending, dead: r.dead }]));
}

export function toSinkOutput(row: ForwardingSink, counts: { pending: number; dead: number } = { pending: 0, dead: 0 }): SinkOutput {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    url: row.url,
    hasCredential: row.credentialCiphertext !== null,
    filters: row.filters,
    forwardEvents: row.forwardEvents,
    alertRules: row.alertRules,
    enabled: row.enabled,
    status: { delivered: row.delivered, pending: counts.pending, deadLetters: counts.dead, lastSuccessAt: toIso(row.lastSuccessAt), lastErrorAt: toIso(row.lastErrorAt), lastError: row.lastError },
    createdAt: toIso(row.createdAt),
    updatedAt: toIso(row.updatedAt),
  };
}

export async function listSinkRows(db: Queryable): Promise<ForwardingSink[]> {
  return db.select().from(forwardingSinks).orderBy(asc(sql`lower(${forwardingSinks.name})`), asc(forwardingSinks.id));
}

/** What audit details keep of a sink: its settings, never its credential nor its delivery status. */
function auditView(out: SinkOutput) {
  const { id: _id, createdAt: _c, updatedAt: _u, status: _s, ...rest } = out;
  return rest;
}

export const sinkTable = auditedTable({
  table: forwardingSinks,
  entity: "forwarding_sink",
  noun: "sink",
  name: { column: forwardingSinks.name, caseInsensitive: true, taken: (name) => `A sink named "${name}" already exists` },
  output: async (db, row: ForwardingSink) => toSinkOutput(row, (await outboxCounts(db, [row.id])).get(row.id)),
  auditView,
  auditKey: "sink",
});

export const deadLetters = (sinkId: string) => and(eq(forwardingOutbox.sinkId, sinkId), isNotNull(forwardingOutbox.deadAt));
export const due = (now: Date) => and(isNull(forwardingOutbox.deadAt), sql`${forwardingOutbox.nextAttemptAt} <= ${now}`);
