import type { Queryable } from "@/db/client";
import { and, eq, getTableColumns, sql } from "drizzle-orm";
import { llmEvents, mcpEvents, serverTools } from "@/db/schema";
import { systemActor } from "@/lib/auth/actor";
import { recordAudit } from "./record-audit";
import { recordServerEvent } from "@/lib/servers/record-event";
import { ensureEventPartitions, utcDays } from "@/lib/events/partitions";
import { enqueueEvents } from "@/lib/forwarding/outbox";
import { EDGE_SIGNATURE_TOLERANCE_SECONDS, verifyEventSignature, type EdgeSecret } from "@core/edge/secret";
import { DomainError, UnauthenticatedError } from "@/lib/errors";
import { EventBatch, isLlmEvent, type AnyEvent, type PortalEvent } from "@core/events/schema";

/** A refusal of the delivery itself (not of one event): malformed JSON, too large. */
export class IngestError extends DomainError {
  constructor(
    override readonly status: number,
    override readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface IngestEventsInput {
  /** The request body exactly as received: the signature covers these characters. */
  body: string;
  /** The `X-Portcullis-Signature` header. */
  signature: string | null;
  secrets: EdgeSecret[];
  nowSeconds?: number;
  /** Called after new LLM usage was stored (budget alerts); its failure does not fail the delivery. */
  onUsage?: () => Promise<void>;
  /** Called after the batch queued deliveries to forwarding sinks; it must not wait for them. */
  onForwarded?: () => void;
}

export interface IngestEventsResult {
  /** Events stored by this delivery. */
  accepted: number;
  /** Events whose id was already stored (a redelivery) or repeated within the batch. */
  duplicates: number;
}

/**
 * Stores a batch the edge delivered. The caller is the portal, not a person: it is authenticated by
 * the HMAC over the raw body (lib/core/edge/secret.ts), never by an API token. The whole batch is
 * validated before anything is written and goes in with one statement per table in one transaction,
 * so a batch is stored entirely or not at all.
 *
 * Redelivery is harmless: the tables are partitioned by day on `time`, so their key is (id, time),
 * and `ON CONFLICT (id, time) DO NOTHING` still stores each id once because an id always comes with
 * the same time — the edge builds an event once, id and time together (lib/core/events/mcp-event.ts
 * and llm-event.ts take both from their caller, which makes a fresh `crypto.randomUUID()` per event),
 * serializes it once (workers/portal/src/events/enqueue.ts) and redelivers that same JSON, and
 * `storedTime` maps the same text to the same instant. The rollups follow from the rows really inserted
 * (the tables' statement triggers, db/schema/event-rollups.ts), in this same transaction.
 */
export async function ingestEvents(db: Queryable, input: IngestEventsInput): Promise<IngestEventsResult> {
  const now = input.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (!(await verifyEventSignature(input.signature, input.body, input.secrets, now))) {
    throw new UnauthenticatedError(signatureProblem(input.signature, now));
  }
  let json: unknown;
  try {
    json = JSON.parse(input.body);
  } catch (error) {
    throw new IngestError(400, "INVALID_JSON", `Request body is not valid JSON: ${(error as Error).message}`);
  }
  // A ZodError here becomes 400 VALIDATION_ERROR with the failing event's index in the field path.
  const { events } = EventBatch.parse(json);
  const mcp = events.filter((e): e is PortalEvent => !isLlmEvent(e));
  const llm = events.filter(isLlmEvent);
  // The events go in as validated (insertNew reads each column from them): no copy per event.
  const mcpRows: EventRow[] = mcp;
  const llmRows: EventRow[] = llm;
  // Outside the transaction: making a partition briefly locks the table (lib/events/partitions.ts).
  await ensureEventPartitions(db, "mcp_events", utcDays(mcp.map((e) => storedTime(e.time))));
  await ensureEventPartitions(db, "llm_events", utcDays(llm.map((e) => storedTime(e.time))));
  const stored = await groupCommit(db, { events, mcp, mcpRows, llmRows });
  const accepted = stored.mcp + stored.llm;
  const result = { accepted, duplicates: events.length - accepted, newUsage: stored.llm > 0 };
  if (stored.forwarded) input.onForwarded?.();
  if (result.newUsage && input.onUsage) {
    // The usage is stored; alerts are a follow-up that must not make the edge deliver it again.
    await input.onUsage().catch((error: unknown) => console.error("[events] after-ingest usage check failed:", error instanceof Error ? error.message : error));
  }
  return { accepted: result.accepted, duplicates: result.duplicates };
}

interface Delivery {
  events: AnyEvent[];
  mcp: PortalEvent[];
  mcpRows: EventRow[];
  llmRows: EventRow[];
}
interface Waiting extends Delivery {
  done: (stored: Stored) => void;
  failed: (error: unknown) => void;
}

/**
 * Group commit: deliveries that arrive while an ingest transaction is running wait for it, then go
 * in together — one transaction, one insert statement per table, one run of each rollup trigger —
 * and each is answered when that transaction has committed. At ten thousand events a second the
 * edge delivers many batches at once; apart, their transactions would wait on each other's locks of
 * the same rollup rows (this hour's, this day's) and each pay for its own commit. Together the
 * triggers add their counts to those rows once per group. Every delivery is still all or nothing:
 * if a group fails, its deliveries are tried again one by one, so one delivery's failure is only
 * its own. Each event id counts as stored for the first delivery in the group that carried it.
 */
const queues = new WeakMap<object, { waiting: Waiting[]; running: boolean }>();

/** Events a delivery stored, and whether its group queued any for forwarding (lib/forwarding/outbox.ts). */
interface Stored {
  mcp: number;
  llm: number;
  forwarded: boolean;
}

function groupCommit(db: Queryable, delivery: Delivery): Promise<Stored> {
  let queue = queues.get(db);
  if (!queue) queues.set(db, (queue = { waiting: [], running: false }));
  const q = queue;
  return new Promise((done, failed) => {
    q.waiting.push({ ...delivery, done, failed });
    if (!q.running) void drain(db, q);
  });
}

async function drain(db: Queryable, q: { waiting: Waiting[]; running: boolean }): Promise<void> {
  q.running = true;
  try {
    while (q.waiting.length > 0) {
      const group = q.waiting.splice(0, MAX_GROUP);
      try {
        const counts = await storeGroup(db, group);
        group.forEach((w, i) => w.done(counts[i]!));
      } catch (error) {
        if (group.length === 1) group[0]!.failed(error);
        // Alone, each delivery succeeds or fails on its own.
        else for (const w of group) await storeGroup(db, [w]).then(([c]) => w.done(c!), w.failed);
      }
    }
  } finally {
    q.running = false;
  }
}

/** Deliveries in one group at most: 40 batches of 500, 20,000 events. */
const MAX_GROUP = 40;

async function storeGroup(db: Queryable, group: Delivery[]): Promise<Stored[]> {
  return db.transaction(async (tx) => {
    const inserted = new Set(await insertNew(tx, mcpEvents, group.flatMap((d) => d.mcpRows)));
    await quarantineChangedTools(
      tx,
      group.flatMap((d) => d.mcp).filter((e) => inserted.has(e.id)),
    );
    const insertedLlm = new Set(await insertNew(tx, llmEvents, group.flatMap((d) => d.llmRows)));
    // Only the events this group stored, each once: a redelivered batch is not forwarded twice.
    const queued = new Set<string>();
    const fresh = group.flatMap((d) => d.events).filter((e) => (isLlmEvent(e) ? insertedLlm : inserted).has(e.id) && !queued.has(e.id) && queued.add(e.id));
    const forwarded = (await enqueueEvents(tx, fresh)) > 0;
    // Each stored id is one delivery's: the first in the group that carried it.
    const claim = (ids: Set<string>, rows: EventRow[]) => rows.reduce((n, r) => (ids.delete(r.id) ? n + 1 : n), 0);
    return group.map((d) => ({ mcp: claim(inserted, d.mcpRows), llm: claim(insertedLlm, d.llmRows), forwarded }));
  });
}

/**
 * Inserts validated rows of an event table in one statement and answers the ids it stored (not those
 * already there). Each column travels as one parameter, a PostgreSQL array literal of that column's
 * values, and `unnest` turns the arrays back into rows: the server parses plain typed text, about a
 * third cheaper per row than reading the same rows from one JSON document with `json_to_recordset`
 * and far cheaper than binding 37 parameters per event (bench/events/README.md). Every column but
 * `received_at` (its default, now) is named; a key a row lacks is NULL.
 */
async function insertNew(tx: Queryable, table: typeof mcpEvents | typeof llmEvents, rows: EventRow[]): Promise<string[]> {
  if (rows.length === 0) return [];
  const columns = Object.entries(getTableColumns(table)).filter(([key]) => key !== "receivedAt");
  const names = sql.join(columns.map(([, c]) => sql.identifier(c.name)), sql`, `);
  // An array column (an LLM call's team ids) goes as text[] of its rows' literals, cast back per row.
  const nested = (type: string) => type.endsWith("[]");
  const values = sql.join(
    columns.map(([, c], i) => (nested(c.getSQLType()) ? sql`${sql.identifier(`c${i}`)}::${sql.raw(c.getSQLType())}` : sql.identifier(`c${i}`))),
    sql`, `,
  );
  const arrays = sql.join(
    columns.map(([key, c]) => {
      const type = c.getSQLType();
      const literal = arrayLiteral(rows.map(key === "time" ? (r) => storedTime(r.time) : key === "wouldBlock" ? (r) => r.wouldBlock ?? false : (r) => r[key]));
      return sql`${literal}::${sql.raw(nested(type) ? "text" : type)}[]`;
    }),
    sql`, `,
  );
  const aliases = sql.join(columns.map((_, i) => sql.identifier(`c${i}`)), sql`, `);
  const result = (await tx.execute(sql`insert into ${table} (${names})
    select ${values} from unnest(${arrays}) as r(${aliases})
    on conflict (id, time) do nothing returning id`)) as unknown as { rows: { id: string }[] };
  return result.rows.map((r) => r.id);
}

/**
 * A PostgreSQL array literal (`{…}`) of one column's values: NULL for null or absent, t/f, numbers
 * as written, and everything else double-quoted with `"` and `\` escaped — strings as they are,
 * objects (jsonb) as their JSON, arrays as their own literal (read back as text, then cast).
 */
export function arrayLiteral(values: readonly unknown[]): string {
  let out = "{";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ",";
    const v = values[i];
    if (v === null || v === undefined) out += "NULL";
    else if (typeof v === "boolean") out += v ? "t" : "f";
    else if (typeof v === "number") out += Number.isFinite(v) ? String(v) : "NULL";
    else out += quoteElement(typeof v === "string" ? v : Array.isArray(v) ? arrayLiteral(v) : JSON.stringify(v));
  }
  return out + "}";
}

const quoteElement = (text: string) => (/["\\]/.test(text) ? `"${text.replace(/["\\]/g, "\\$&")}"` : `"${text}"`);

/** The portal's reports that a live tool definition no longer matches its pin. */
export const HASH_MISMATCH_REASON = "TOOL_HASH_MISMATCH";
const PORTAL_ACTOR = systemActor("portcullis portal (pin check)");

/**
 * The edge refused a tool whose live definition no longer hashes to its approved pin; the console
 * quarantines it too (until an approver re-approves it), so the next publish leaves it out and the
 * registry shows why. Only enabled tools move; a repeated report changes nothing.
 */
async function quarantineChangedTools(tx: Queryable, events: PortalEvent[]): Promise<void> {
  for (const event of events) {
    if (!event.reason?.startsWith(HASH_MISMATCH_REASON) || !event.serverId || !event.tool) continue;
    const moved = await tx
      .update(serverTools)
      .set({ state: "quarantined", quarantineReason: "Definition changed upstream since approval (seen by the portal)", updatedAt: new Date() })
      .where(and(eq(serverTools.serverId, event.serverId), eq(serverTools.name, event.tool), eq(serverTools.state, "enabled")))
      .returning({ name: serverTools.name });
    if (moved.length === 0) continue;
    await recordServerEvent(tx, PORTAL_ACTOR, { serverId: event.serverId, kind: "quarantined", reason: event.reason, details: { tools: [event.tool], source: "portal", eventId: event.id } });
    await recordAudit(tx, PORTAL_ACTOR, { action: "server.tool_quarantined", targetType: "server", targetId: event.serverId, details: { tool: event.tool, reason: event.reason, eventId: event.id } });
  }
}

/** Says why a signature failed without revealing anything about the secret. */
function signatureProblem(header: string | null, now: number): string {
  if (!header) return "Missing X-Portcullis-Signature: event deliveries are signed with the edge secret";
  const t = /^t=(\d{1,12}),v1=[0-9a-f]{64}$/.exec(header.trim())?.[1];
  if (!t) return "Malformed X-Portcullis-Signature (expected t=<unix seconds>,v1=<hex>)";
  const skew = now - Number(t);
  if (Math.abs(skew) > EDGE_SIGNATURE_TOLERANCE_SECONDS) {
    return `X-Portcullis-Signature timestamp is ${Math.abs(skew)} s ${skew > 0 ? "old" : "in the future"} (tolerance ${EDGE_SIGNATURE_TOLERANCE_SECONDS} s): check the clocks`;
  }
  return "X-Portcullis-Signature does not match any configured edge secret";
}

/** A validated event as `insertNew` reads it: its fields by the table's column keys (`kind` is not a column). */
type EventRow = { id: string; time: string; wouldBlock?: boolean } & Record<string, unknown>;

/** Times are kept as UTC with millisecond precision, so the audit cursor (time|id) round-trips exactly. */
const storedTime = (time: string) => new Date(time).toISOString();
