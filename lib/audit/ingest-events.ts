import type { Queryable } from "@/db/client";
import { and, eq, getTableColumns, getTableName, sql, type SQL } from "drizzle-orm";
import { llmEvents, mcpEvents, serverTools } from "@/db/schema";
import { systemActor } from "@/lib/auth/actor";
import { recordAudit } from "./record-audit";
import { recordServerEvent } from "@/lib/servers/record-event";
import { ensureEventPartitions, utcDays } from "@/lib/events/partitions";
import { enqueueEvents, eventSinksExist } from "@/lib/forwarding/outbox";
import { EDGE_SIGNATURE_TOLERANCE_SECONDS, verifyEventSignature, type EdgeSecret } from "@core/edge/secret";
import { DomainError, UnauthenticatedError } from "@/lib/errors";
import { hasDatabaseCode, UNIQUE_VIOLATION } from "@/db/errors";
import { copyValue, mayPipeline, openPipeline, type CopyIn, type Pipeline } from "@/db/pipeline";
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
  /** The request body exactly as received, best as its bytes (UTF-8): the signature covers them. */
  body: string | Uint8Array;
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
  const body = typeof input.body === "string" ? input.body : new TextDecoder().decode(input.body);
  // Only the count of the events outlives reading them (see `Delivery`).
  const { count, delivery } = await readInTurn(async (yieldTurn) => {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch (error) {
      throw new IngestError(400, "INVALID_JSON", `Request body is not valid JSON: ${(error as Error).message}`);
    }
    await yieldTurn();
    // A ZodError here becomes 400 VALIDATION_ERROR with the failing event's index in the field path.
    const { events } = EventBatch.parse(json);
    await yieldTurn();
    // The delivery waits for its group as text (see `Delivery`), not as event objects.
    return { count: events.length, delivery: prepare(events, body, rowFormat(db)) };
  });
  // Outside the transaction: making a partition briefly locks the table (lib/events/partitions.ts).
  await ensureEventPartitions(db, "mcp_events", delivery.mcp.days);
  await ensureEventPartitions(db, "llm_events", delivery.llm.days);
  const stored = await groupCommit(db, delivery);
  const accepted = stored.mcp + stored.llm;
  const result = { accepted, duplicates: count - accepted, newUsage: stored.llm > 0 };
  if (stored.forwarded) input.onForwarded?.();
  if (result.newUsage && input.onUsage) {
    // The usage is stored; alerts are a follow-up that must not make the edge deliver it again.
    await input.onUsage().catch((error: unknown) => console.error("[events] after-ingest usage check failed:", error instanceof Error ? error.message : error));
  }
  return { accepted: result.accepted, duplicates: result.duplicates };
}

/**
 * Reads deliveries one at a time, each in a few turns of the event loop (parsing, validating,
 * preparing its columns: milliseconds each for 500 events). Deliveries arrive many at once — as many
 * as a group just answered — and read back to back they held the event loop for the time of all of
 * them, while the database's answers to the running group (its insert done, its commit) waited behind
 * them and PostgreSQL sat idle. Between turns those answers get in, so deliveries are read while
 * PostgreSQL works; one at a time, the first is ready for the next group soonest.
 */
function readInTurn<T>(read: (yieldTurn: () => Promise<void>) => Promise<T>): Promise<T> {
  const run = reading.then(async () => {
    await yieldTurn();
    return read(yieldTurn);
  });
  reading = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}
let reading: Promise<void> = Promise.resolve();
const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A validated delivery as it waits for its group: for each table, its rows as column text, ready to
 * be joined with the group's other deliveries into one insert. Nothing else of the events is kept —
 * at ten thousand events a second, event objects waiting for a commit outlive the young generation
 * and cost the collector more than parsing them did. The body is kept (one string) to read the events
 * again only when a forwarding sink wants them; the events the console acts on (a pin mismatch) are
 * kept as they are.
 */
interface Delivery {
  body: string;
  mcp: TableRows;
  llm: TableRows;
  /** Reports of a tool whose definition no longer matches its pin (`quarantineChangedTools`). */
  hashMismatches: PortalEvent[];
}

/**
 * One delivery's rows of one event table, as text in the form its group's insert takes: the lines of
 * a `COPY` (`copy`), or per column the elements of an array literal for `insert … unnest` (`elements`).
 * A delivery is prepared in the form the next groups most likely take (`rowFormat`); the other form
 * is made from its body if its group takes that one (`inFormat`).
 */
interface TableRows {
  ids: string[];
  /** Their UTC days, for their partitions. */
  days: string[];
  /** Per column of the table (`tableColumns`), its values as the elements of a PostgreSQL array literal, comma-separated. */
  elements?: string[];
  /** The rows as lines of COPY's text format, in the order of `copyColumns` (`tableColumns`), each ending with a newline. */
  copy?: string;
}

type RowFormat = "copy" | "elements";

function prepare(events: AnyEvent[], body: string, format: RowFormat): Delivery {
  const mcp = events.filter((e): e is PortalEvent => !isLlmEvent(e));
  const llm = events.filter(isLlmEvent);
  return {
    body,
    // The events go in as validated (each column is read from them): no copy per event.
    mcp: tableRows(mcpEvents, mcp, format),
    llm: tableRows(llmEvents, llm, format),
    hashMismatches: mcp.filter((e) => e.reason?.startsWith(HASH_MISMATCH_REASON)),
  };
}

function tableRows(table: EventTable, rows: EventRow[], format: RowFormat): TableRows {
  const times = rows.map((r) => storedTime(r.time));
  const { columns, copyColumns } = tableColumns(table);
  const value = (key: string, r: EventRow, i: number) => (key === "time" ? times[i] : key === "wouldBlock" ? (r.wouldBlock ?? false) : r[key]);
  const found: TableRows = { ids: rows.map((r) => r.id), days: utcDays(times) };
  if (format === "elements") found.elements = columns.map(({ key }) => arrayElements(rows, (r, i) => value(key, r, i)));
  else found.copy = rows.map((r, i) => copyColumns.map(({ key }) => copyField(value(key, r, i))).join("\t") + "\n").join("");
  return found;
}

/**
 * The form a delivery is prepared in: COPY's where groups go on a pipeline (node-postgres, no sink,
 * no redelivery lately: `onItsOwn`), array elements where they go as `insert … unnest` (PGlite, Neon,
 * and the transactions).
 */
const rowFormat = (db: Queryable): RowFormat => (mayPipeline(db) && sinksSeen.get(db) === false && !recentRepeat(db) ? "copy" : "elements");

/** The group with its rows in `format`: a delivery prepared in the other form is read again from its body. */
function inFormat(group: Delivery[], format: RowFormat): Delivery[] {
  for (const d of group) {
    if (format === "elements" ? d.mcp.elements : d.mcp.copy) continue;
    const again = prepare(EventBatch.parse(JSON.parse(d.body)).events, d.body, format);
    d.mcp.elements ??= again.mcp.elements;
    d.mcp.copy ??= again.mcp.copy;
    d.llm.elements ??= again.llm.elements;
    d.llm.copy ??= again.llm.copy;
  }
  return group;
}

interface Waiting extends Delivery {
  done: (stored: Stored) => void;
  failed: (error: unknown) => void;
}

/**
 * Group commit: deliveries that arrive while an ingest transaction is running wait for it, then go
 * in together — one transaction, one insert statement, one run of each rollup trigger —
 * and each is answered when that transaction has committed. At ten thousand events a second the
 * edge delivers many batches at once; apart, their transactions would wait on each other's locks of
 * the same rollup rows (this hour's, this day's) and each pay for its own commit. Together the
 * triggers add their counts to those rows once per group. Every delivery is still all or nothing:
 * if a group fails, its deliveries are tried again one by one, so one delivery's failure is only
 * its own. Each event id counts as stored for the first delivery in the group that carried it.
 *
 * One group runs at a time: with two running (on two connections), the second's inserts ran beside
 * the first's triggers, but each group was smaller, so its rollup rows were upserted more often per
 * event, and PostgreSQL spent about 40 % more CPU per event for at most 10 % more throughput on two
 * cores (bench/events/README.md). The next group is sent while one runs (`drain`), on the same
 * connection, to start when it ends.
 */
const queues = new WeakMap<object, Queue>();

interface Queue {
  waiting: Waiting[];
  running: boolean;
  /** Set while `drain` waits for a delivery to arrive. */
  arrived?: () => void;
}

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
    else q.arrived?.();
  });
}

/**
 * Sends the waiting deliveries as groups. A group that is one statement on its own (`storeNew`) goes
 * on a pipeline (db/pipeline.ts) where there is one: the next group's statement is written while the
 * running one executes — shortly before it is expected to end, so that the next group has gathered
 * as many deliveries as it would have by waiting — and PostgreSQL starts it the moment the running one
 * commits. Waiting for the answer first left PostgreSQL idle a fifth of the time: the answer waited
 * for the event loop (reading deliveries), and the next group's parameters took milliseconds to
 * serialize. Any other group (a transaction) goes alone, when nothing sent is unanswered.
 */
async function drain(db: Queryable, q: Queue): Promise<void> {
  q.running = true;
  let pipe: Pipeline | null | undefined;
  /** Groups sent on the pipeline and not yet answered, oldest first; the oldest is running. */
  const sent: { events: number; startedAt: number; answered: Promise<void> }[] = [];
  /** Milliseconds PostgreSQL took per event in the last groups (null until one was measured). */
  let msPerEvent: number | null = null;
  try {
    while (q.waiting.length > 0 || sent.length > 0) {
      const running = sent[0];
      // When the next group should be sent: now if nothing runs; else shortly before the running ends.
      const sendIn = !running ? 0 : sent.length > 1 || msPerEvent === null ? Infinity : running.startedAt + running.events * msPerEvent - SEND_AHEAD_MS - performance.now();
      if (q.waiting.length === 0 || sendIn > 0) {
        await nextMoment(q, running?.answered, sendIn);
        continue;
      }
      const group = q.waiting.splice(0, MAX_GROUP);
      if (pipe?.lost) {
        // The server ended the connection, or the network failed: the next group takes another.
        while (sent.length > 0) await sent[0]!.answered;
        pipe.release();
        pipe = undefined;
      }
      // A database that cannot lend a connection now fails the groups themselves (`settle`).
      if (pipe === undefined && onItsOwn(db, group)) pipe = await openPipeline(db).catch(() => null);
      if (!pipe || !onItsOwn(db, group)) {
        // Alone: after every group sent has been answered.
        while (sent.length > 0) await sent[0]!.answered;
        await settle(db, group, null);
        continue;
      }
      const entry = { events: group.reduce((n, d) => n + d.mcp.ids.length + d.llm.ids.length, 0), startedAt: performance.now(), answered: Promise.resolve() };
      entry.answered = settle(db, group, pipe).then(() => {
        const at = performance.now();
        sent.shift();
        // It ran from when it was sent, or from when the one before it was answered.
        if (entry.events > 0) msPerEvent = (msPerEvent ?? (at - entry.startedAt) / entry.events) * 0.5 + ((at - entry.startedAt) / entry.events) * 0.5;
        if (sent[0]) sent[0].startedAt = Math.max(sent[0].startedAt, at);
      });
      sent.push(entry);
    }
  } finally {
    pipe?.release();
    q.running = false;
  }
}

/** Deliveries in one group at most: 40 batches of 500, 20,000 events. */
const MAX_GROUP = 40;
/** How long before the running group is expected to end the next is sent (parameters serialized and on their way). */
const SEND_AHEAD_MS = 25;

/** Resolves at the first of: the running group answered, a delivery arrived, `ms` passed. */
function nextMoment(q: Queue, answered: Promise<void> | undefined, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return new Promise<void>((resolve) => {
    if (Number.isFinite(ms)) timer = setTimeout(resolve, ms);
    q.arrived = resolve;
    void answered?.then(resolve);
  }).finally(() => {
    clearTimeout(timer);
    q.arrived = undefined;
  });
}

/** Stores a group and answers its deliveries; if it fails, each delivery alone (its failure is only its own). */
async function settle(db: Queryable, group: Waiting[], pipe: Pipeline | null): Promise<void> {
  try {
    const counts = await storeGroup(db, group, pipe);
    group.forEach((w, i) => w.done(counts[i]!));
  } catch (error) {
    if (group.length === 1) group[0]!.failed(error);
    else for (const w of group) await storeGroup(db, [w], null).then(([c]) => w.done(c!), w.failed);
  }
}

/**
 * Stores a group. First as a plain insert (a COPY on a pipeline): at the rate the edge delivers,
 * nearly every group is new events only, and a plain insert lets the primary key find a duplicate
 * while it inserts (one descent of the index per row) instead of looking first (`ON CONFLICT`,
 * two), and answers nothing: every row went in, so each delivery stored all its events. A group
 * that repeats an id — a redelivery, or an id twice in the group — fails that insert on the key
 * (nothing of it stays; PostgreSQL logs the error with the statement's text, not its values) and
 * goes in again with `ON CONFLICT DO NOTHING`, answering the ids it stored. Redeliveries come in
 * bursts (the edge sends a backlog again after an outage), so for a while after a repeated id
 * groups go straight in with `ON CONFLICT`: a failed statement outside a transaction also costs its
 * connection (node-postgres's pool drops a client whose query failed, and a new one plans the
 * rollup triggers afresh), which made a redelivered backlog six times slower to take.
 *
 * While no sink receives events and the group reports no pin mismatch, that insert is all there is
 * to do, and it runs as one query in a transaction of its own: no `BEGIN`, no `COMMIT`, each a
 * round trip that waits for the event loop while it reads the next deliveries. The query also
 * answers whether a sink receives events now, from its own snapshot; if one does (it was enabled
 * since the last group), the group's events are queued right after, and the next groups go in a
 * transaction with the outbox again.
 */
async function storeGroup(db: Queryable, group: Delivery[], pipe: Pipeline | null): Promise<Stored[]> {
  const stored = recentRepeat(db) ? null : await storeNew(db, group, pipe);
  if (stored) return stored;
  const upsert = insertStatement(group, true);
  if (!upsert) return everyRow(group, false);
  return db.transaction(async (tx) => {
    const ids = ((await tx.execute(upsert)) as unknown as { rows: { kind: "mcp" | "llm"; id: string }[] }).rows;
    const inserted = { mcp: new Set<string>(), llm: new Set<string>() };
    for (const { kind, id } of ids) inserted[kind].add(id);
    return afterInsert(tx, group, inserted, inserted.mcp.size + inserted.llm.size > 0);
  });
}

/** The plain insert of `storeGroup`: null if the group repeated a stored id, and nothing of it was stored. */
async function storeNew(db: Queryable, group: Delivery[], pipe: Pipeline | null): Promise<Stored[] | null> {
  try {
    if (alone(db, group)) {
      const answer = await insertAlone(db, group, pipe);
      if (!answer) return everyRow(group, false);
      const sinks = answersSinks(answer);
      sinksSeen.set(db, sinks);
      return everyRow(group, sinks && (await queueLate(db, group)));
    }
    // Built before the transaction begins: PostgreSQL is not kept waiting in it while the text is joined.
    const insert = insertStatement(group, false);
    if (!insert) return everyRow(group, false);
    return await db.transaction(async (tx) => {
      const sinks = answersSinks(await tx.execute(insert));
      sinksSeen.set(db, sinks);
      return afterInsert(tx, group, null, sinks);
    });
  } catch (error) {
    if (!hasDatabaseCode(error, UNIQUE_VIOLATION)) throw error;
    duplicatesSeen.set(db, Date.now());
    return null;
  }
}

/**
 * The plain insert of a group on its own, and whether a sink receives events (`answersSinks`); null
 * if the group has no rows. On a pipeline the rows go as COPY: PostgreSQL reads them with less CPU
 * than the same rows from `unnest` (a tenth less per event in all, bench/events/README.md).
 */
async function insertAlone(db: Queryable, group: Delivery[], pipe: Pipeline | null): Promise<{ rows: unknown[] } | null> {
  if (pipe) {
    const copies = copyStatements(group);
    return copies.length === 0 ? null : { rows: await pipe.copy(copies, sql`select ${eventSinksExist} as "sinks"`) };
  }
  const insert = insertStatement(group, false);
  return insert ? ((await db.execute(insert)) as unknown as { rows: unknown[] }) : null;
}

/** Each delivery's count when the insert stored every row. */
const everyRow = (group: Delivery[], forwarded: boolean): Stored[] => group.map((d) => ({ mcp: d.mcp.ids.length, llm: d.llm.ids.length, forwarded }));

/** When a group last repeated a stored id (per process and database), and how long that holds. */
const duplicatesSeen = new WeakMap<object, number>();
const REDELIVERY_BURST_MS = 10_000;
const recentRepeat = (db: Queryable) => Date.now() - (duplicatesSeen.get(db) ?? -Infinity) < REDELIVERY_BURST_MS;

/** Whether the group's plain insert is all there is to do (no sink, no pin mismatch): one statement on its own. */
const alone = (db: Queryable, group: Delivery[]) => sinksSeen.get(db) === false && group.every((d) => d.hashMismatches.length === 0);
/** Whether the group goes in as that one statement first (`storeGroup`), which a pipeline can send. */
const onItsOwn = (db: Queryable, group: Delivery[]) => !recentRepeat(db) && alone(db, group);

/** Whether a sink received events when the database last answered (per process and database). */
const sinksSeen = new WeakMap<object, boolean>();
const answersSinks = (result: unknown) => (result as { rows: { sinks: boolean }[] }).rows[0]?.sinks === true;

/**
 * A sink was enabled while a group went in on its own: its events are stored, and are queued now. If
 * that fails the delivery still succeeded (its events are stored, and the edge must not send them
 * again), so it is logged; only those events miss the new sink.
 */
async function queueLate(db: Queryable, group: Delivery[]): Promise<boolean> {
  try {
    return (await db.transaction((tx) => enqueueEvents(tx, () => storedEvents(group, null)))) > 0;
  } catch (error) {
    console.error("[events] queueing a group for a sink enabled meanwhile failed:", error instanceof Error ? error.message.split("\n")[0] : error);
    return false;
  }
}

/**
 * What follows the insert in its transaction: the pin mismatches it stored, the forwarding outbox (if
 * `sinks` may want the events), and each delivery's count. `inserted`: the ids the insert stored, per
 * table; null when it stored every row.
 */
async function afterInsert(tx: Queryable, group: Delivery[], inserted: Inserted | null, sinks: boolean): Promise<Stored[]> {
  await quarantineChangedTools(
    tx,
    group.flatMap((d) => d.hashMismatches).filter((e) => inserted === null || inserted.mcp.has(e.id)),
  );
  const forwarded = sinks && (await enqueueEvents(tx, () => storedEvents(group, inserted))) > 0;
  if (inserted === null) return everyRow(group, forwarded);
  // Each stored id is one delivery's: the first in the group that carried it.
  const claim = (ids: Set<string>, rows: TableRows) => rows.ids.reduce((n, id) => (ids.delete(id) ? n + 1 : n), 0);
  return group.map((d) => ({ mcp: claim(inserted.mcp, d.mcp), llm: claim(inserted.llm, d.llm), forwarded }));
}

/** The ids an insert stored, per table. */
interface Inserted {
  mcp: Set<string>;
  llm: Set<string>;
}

/**
 * The events a group stored (all when `inserted` is null), each once — a redelivered batch is not
 * forwarded twice — read again from the bodies: only a sink that will receive them asks.
 */
function storedEvents(group: Delivery[], inserted: Inserted | null): AnyEvent[] {
  const queued = new Set<string>();
  return group
    .flatMap((d) => EventBatch.parse(JSON.parse(d.body)).events)
    .filter((e) => (inserted === null || (isLlmEvent(e) ? inserted.llm : inserted.mcp).has(e.id)) && !queued.has(e.id) && queued.add(e.id));
}

type EventTable = typeof mcpEvents | typeof llmEvents;

/**
 * The columns `tableInsert` writes (every one but `received_at`, whose default is now), by the event
 * key each is read from, and the statement's fixed parts. Worked out once per table.
 */
type Column = { key: string; name: string; type: string };
const columnsOf = new Map<EventTable, { columns: Column[]; copyColumns: Column[]; names: SQL; values: SQL; aliases: SQL; order: SQL }>();
function tableColumns(table: EventTable) {
  let found = columnsOf.get(table);
  if (!found) {
    const columns = Object.entries(getTableColumns(table))
      .filter(([key]) => key !== "receivedAt")
      .map(([key, c]) => ({ key, name: c.name, type: c.getSQLType() }));
    const first = ["userId", "time"];
    found = {
      columns,
      // COPY's lines start with the user and the time, so that sorting them as text sorts the rows the
      // way `order` does (`copyStatements`).
      copyColumns: [...first.map((key) => columns.find((c) => c.key === key)!), ...columns.filter((c) => !first.includes(c.key))],
      names: sql.join(columns.map((c) => sql.identifier(c.name)), sql`, `),
      // An array column (an LLM call's team ids) goes as text[] of its rows' literals, cast back per row.
      values: sql.join(columns.map((c, i) => (nested(c.type) ? sql`${sql.identifier(`c${i}`)}::${sql.raw(c.type)}` : sql.identifier(`c${i}`))), sql`, `),
      aliases: sql.join(columns.map((_, i) => sql.identifier(`c${i}`)), sql`, `),
      // Rows go in by user and time, the order of the widest index (each user's events with their
      // covered columns, for the Usage and Audit pages): consecutive rows land on the same leaf pages.
      order: sql.join(first.map((key) => sql.identifier(`c${columns.findIndex((c) => c.key === key)}`)), sql`, `),
    };
    columnsOf.set(table, found);
  }
  return found;
}
const nested = (type: string) => type.endsWith("[]");

/**
 * The statement that inserts a group's rows of both event tables: one statement, one round trip, each
 * table's rollup trigger run once at its end. With `onConflict`, a row whose (id, time) is stored
 * already is skipped, and the statement answers the ids it stored (not those already there) with their
 * table; without, such a row fails the statement, which answers whether a sink receives events. Each
 * column travels as one parameter, a PostgreSQL array literal of that column's values, and `unnest`
 * turns the arrays back into rows: the server parses plain typed text, about a third cheaper per row
 * than reading the same rows from one JSON document with `json_to_recordset` and far cheaper than
 * binding 37 parameters per event (bench/events/README.md).
 * A key a row lacks is NULL. Null when the group has no rows at all.
 */
function insertStatement(deliveries: Delivery[], onConflict: boolean): SQL | null {
  const group = inFormat(deliveries, "elements");
  const parts = [
    { kind: "mcp", insert: tableInsert(mcpEvents, group.map((d) => d.mcp)) },
    { kind: "llm", insert: tableInsert(llmEvents, group.map((d) => d.llm)) },
  ].filter((p): p is { kind: string; insert: SQL } => p.insert !== null);
  if (parts.length === 0) return null;
  // Data-modifying WITH parts run whether or not the statement reads them; the plain insert answers
  // whether a sink receives events (`storeGroup`).
  if (!onConflict) return sql`with ${sql.join(parts.map((p) => sql`${sql.identifier(p.kind)} as (${p.insert})`), sql`, `)} select ${eventSinksExist} as "sinks"`;
  return sql`with ${sql.join(
    parts.map((p) => sql`${sql.identifier(p.kind)} as (${p.insert} on conflict (id, time) do nothing returning id)`),
    sql`, `,
  )} ${sql.join(
    parts.map((p) => sql`select ${p.kind}::text as kind, id from ${sql.identifier(p.kind)}`),
    sql` union all `,
  )}`;
}

/**
 * The group's rows of each table that has any, as COPY data (`Pipeline.copy`), sorted by user and
 * time as `tableInsert` orders them: each line starts with those two (`copyColumns`), a uuid's text
 * sorts as its value, and the times are all written alike (`storedTime`).
 */
function copyStatements(deliveries: Delivery[]): CopyIn[] {
  const group = inFormat(deliveries, "copy");
  return [
    { table: mcpEvents, rows: group.map((d) => d.mcp) },
    { table: llmEvents, rows: group.map((d) => d.llm) },
  ]
    .filter((t) => t.rows.some((r) => r.ids.length > 0))
    .map((t) => {
      const lines = t.rows.map((r) => r.copy!).join("").split("\n");
      lines.pop();
      return { table: getTableName(t.table), columns: tableColumns(t.table).copyColumns.map((c) => c.name), data: lines.sort().join("\n") + "\n" };
    });
}

function tableInsert(table: EventTable, parts: TableRows[]): SQL | null {
  const present = parts.filter((p) => p.ids.length > 0);
  if (present.length === 0) return null;
  const { columns, names, values, aliases, order } = tableColumns(table);
  const arrays = sql.join(
    columns.map((c, i) => sql`${`{${present.map((p) => p.elements![i]).join(",")}}`}::${sql.raw(nested(c.type) ? "text" : c.type)}[]`),
    sql`, `,
  );
  return sql`insert into ${table} (${names}) select ${values} from unnest(${arrays}) as r(${aliases}) order by ${order}`;
}

/**
 * A PostgreSQL array literal (`{…}`) of one column's values: NULL for null or absent, t/f, numbers
 * as written, and everything else double-quoted with `"` and `\` escaped — strings as they are,
 * objects (jsonb) as their JSON, arrays as their own literal (read back as text, then cast).
 */
export function arrayLiteral(values: readonly unknown[]): string {
  return `{${arrayElements(values, (v) => v)}}`;
}

/**
 * The elements of `arrayLiteral`, without its braces: literals of several deliveries join with commas.
 * Joined from an array, the text is one flat string (not a rope of thousands of pieces), cheap to keep
 * while the delivery waits and to join again.
 */
function arrayElements<T>(items: readonly T[], value: (item: T, index: number) => unknown): string {
  const out = new Array<string>(items.length);
  for (let i = 0; i < items.length; i++) {
    const v = value(items[i]!, i);
    if (v === null || v === undefined) out[i] = "NULL";
    else if (typeof v === "boolean") out[i] = v ? "t" : "f";
    else if (typeof v === "number") out[i] = Number.isFinite(v) ? String(v) : "NULL";
    else out[i] = quoteElement(typeof v === "string" ? v : Array.isArray(v) ? arrayLiteral(v) : JSON.stringify(v));
  }
  return out.join(",");
}

/** One value in COPY's text format, as `arrayElements` writes it in an array literal (arrays as their literal). */
function copyField(v: unknown): string {
  if (v === null || v === undefined) return copyValue(null);
  if (typeof v === "boolean") return v ? "t" : "f";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : copyValue(null);
  return copyValue(typeof v === "string" ? v : Array.isArray(v) ? arrayLiteral(v) : JSON.stringify(v));
}

const quoteElement = (text: string) => (/["\\]/.test(text) ? `"${text.replace(/["\\]/g, "\\$&")}"` : `"${text}"`);

/** The portal's reports that a live tool definition no longer matches its pin. */
export const HASH_MISMATCH_REASON = "TOOL_HASH_MISMATCH";
const PORTAL_ACTOR = systemActor("portcullis portal (pin check)");

/**
 * The edge refused a tool whose live definition no longer hashes to its approved pin; the console
 * quarantines it too (until an approver re-approves it), so the next publish leaves it out and the
 * registry shows why. Only enabled tools move; a repeated report changes nothing. `events`: the
 * reports (`Delivery.hashMismatches`) the group stored.
 */
async function quarantineChangedTools(tx: Queryable, events: PortalEvent[]): Promise<void> {
  for (const event of events) {
    if (!event.serverId || !event.tool) continue;
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

/** A validated event as `tableRows` reads it: its fields by the table's column keys (`kind` is not a column). */
type EventRow = { id: string; time: string; wouldBlock?: boolean } & Record<string, unknown>;

/**
 * Times are kept as UTC with millisecond precision, so the audit cursor (time|id) round-trips exactly.
 * The edge already writes them so (`toISOString`); only other forms need the round trip.
 */
const storedTime = (time: string) => (CANONICAL_TIME.test(time) ? time : new Date(time).toISOString());
const CANONICAL_TIME = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;
