import { and, asc, desc, eq, ilike, inArray, ne, or, sql, type SQL } from "drizzle-orm";
import { shadowBlockNotices, shadowBlocks, shadowFindingEvents, shadowFindings, trafficUploads, users, type ShadowFinding } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { authorize } from "@/lib/auth/actor";
import type { Ctx } from "@/lib/context";
import { NotFoundError, ValidationError } from "@/lib/errors";
import { Uuid } from "@core/zod/helpers";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { allBlocks, loadBlock, toBlockOutput } from "./blocks";
import { toUploadOutput } from "./ingest-traffic";
import { FINDING_SEVERITIES, ListFindingsQuery, type BlockEntryOutput, type FindingSort, type FindingsPageOutput, type FindingDetailOutput, type FindingSummaryOutput, type UploadOutput } from "./schemas";
import type { z } from "zod";

/** The column each sort reads, the SQL type its cursor value is cast back to, and what that value must look like. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)?$/;

const SORTS: Record<FindingSort, { column: AnyPgColumn; type: string; valid: (v: string) => boolean }> = {
  lastSeen: { column: shadowFindings.lastSeen, type: "timestamptz", valid: (v) => TIMESTAMP.test(v) },
  firstSeen: { column: shadowFindings.firstSeen, type: "timestamptz", valid: (v) => TIMESTAMP.test(v) },
  // The enum's declared order is low < medium < high, so desc is most severe first.
  severity: { column: shadowFindings.severity, type: "shadow_finding_severity", valid: (v) => (FINDING_SEVERITIES as readonly string[]).includes(v) },
  users: { column: shadowFindings.userCount, type: "integer", valid: (v) => /^\d{1,10}$/.test(v) },
  requests: { column: shadowFindings.requests, type: "bigint", valid: (v) => /^\d{1,19}$/.test(v) },
};

interface FindingsCursor {
  sort: FindingSort;
  order: "asc" | "desc";
  value: string;
  id: string;
}

/** The sort, its order, the last row's sort value (as Postgres prints it: exact) and id, base64url: opaque to callers. */
export function encodeFindingsCursor(c: FindingsCursor): string {
  return Buffer.from(JSON.stringify([c.sort, c.order, c.value, c.id]), "utf8").toString("base64url");
}

const BAD_CURSOR = "must be a nextCursor from a previous page";

function decodeFindingsCursor(cursor: string, sort: FindingSort, order: "asc" | "desc"): FindingsCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    parsed = null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 4 || !parsed.every((x) => typeof x === "string")) throw new ValidationError(`query.cursor: ${BAD_CURSOR}`, { cursor: BAD_CURSOR });
  const [cSort, cOrder, value, id] = parsed as string[];
  if (cSort !== sort || cOrder !== order) {
    const says = `this cursor pages sort=${cSort} order=${cOrder}, not sort=${sort} order=${order}: start again without a cursor, or keep the sort and order`;
    throw new ValidationError(`query.cursor: ${says}`, { cursor: says });
  }
  if (!SORTS[sort].valid(value!) || !Uuid.safeParse(id).success) throw new ValidationError(`query.cursor: ${BAD_CURSOR}`, { cursor: BAD_CURSOR });
  return { sort, order, value: value!, id: id! };
}

async function toSummaries(db: Queryable, rows: readonly ShadowFinding[]): Promise<FindingSummaryOutput[]> {
  const assigneeIds = [...new Set(rows.map((r) => r.assigneeId).filter((x): x is string => x !== null))];
  const people = assigneeIds.length ? await db.select({ id: users.id, email: users.email }).from(users).where(inArray(users.id, assigneeIds)) : [];
  const emailOf = new Map(people.map((p) => [p.id, p.email]));
  const ids = rows.map((r) => r.id);
  const blocked = ids.length ? await db.select({ findingId: shadowBlocks.findingId }).from(shadowBlocks).where(inArray(shadowBlocks.findingId, ids)) : [];
  const blockedSet = new Set(blocked.map((b) => b.findingId));
  return rows.map((f) => ({
    id: f.id,
    kind: f.kind,
    url: f.url,
    origin: f.origin,
    host: f.host,
    command: f.command,
    names: f.names,
    vendor: f.vendor,
    firstSeen: f.firstSeen.toISOString(),
    lastSeen: f.lastSeen.toISOString(),
    requests: f.requests,
    methods: f.methods,
    users: f.users,
    userCount: f.userCount,
    devices: f.devices,
    severity: f.severity,
    severityReasons: f.severityReasons,
    sources: { traffic: f.seenInTraffic, scans: f.seenInScans },
    state: f.state,
    resolution: f.resolution,
    assignee: f.assigneeId && emailOf.has(f.assigneeId) ? { id: f.assigneeId, email: emailOf.get(f.assigneeId)! } : null,
    blocked: blockedSet.has(f.id) || (f.state === "resolved" && f.resolution === "blocked"),
    serverId: f.serverId,
    confidence: f.confidence === null ? null : Math.round(f.confidence * 1000) / 1000,
    candidate: f.candidate,
    updatedAt: f.updatedAt.toISOString(),
  }));
}

/**
 * Findings (or, with `candidates`, the candidates) one page at a time, by `sort` then id. Keyset
 * pagination (never OFFSET) on the (candidate, sort column, id) indexes: a deep page costs what the first does.
 * `state=open` is new and investigating together.
 */
export async function listFindings({ db, actor }: Ctx, rawQuery: z.input<typeof ListFindingsQuery> = {}): Promise<FindingsPageOutput> {
  authorize(actor, "shadow.read");
  const q = ListFindingsQuery.parse(rawQuery);
  const { column, type } = SORTS[q.sort];
  const where: SQL[] = [eq(shadowFindings.candidate, q.candidates ?? false)];
  if (q.state === "open") where.push(ne(shadowFindings.state, "resolved"));
  else if (q.state) where.push(eq(shadowFindings.state, q.state));
  if (q.severity) where.push(eq(shadowFindings.severity, q.severity));
  if (q.kind) where.push(eq(shadowFindings.kind, q.kind));
  if (q.q) {
    const like = `%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.push(or(ilike(shadowFindings.key, like), sql`${shadowFindings.users}::text ilike ${like}`, sql`${shadowFindings.names}::text ilike ${like}`)!);
  }
  if (q.cursor) {
    const after = decodeFindingsCursor(q.cursor, q.sort, q.order);
    const beyond = q.order === "desc" ? sql.raw("<") : sql.raw(">");
    where.push(sql`(${column}, ${shadowFindings.id}) ${beyond} (${after.value}::${sql.raw(type)}, ${after.id}::uuid)`);
  }
  const direction = q.order === "desc" ? desc : asc;
  const rows = await db
    .select({ finding: shadowFindings, sortValue: sql<string>`${column}::text` })
    .from(shadowFindings)
    .where(and(...where))
    .orderBy(direction(column), direction(shadowFindings.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    findings: await toSummaries(db, page.map((r) => r.finding)),
    nextCursor: rows.length > q.limit && last ? encodeFindingsCursor({ sort: q.sort, order: q.order, value: last.sortValue, id: last.finding.id }) : null,
  };
}

export async function loadFinding(db: Queryable, id: string, lock = false): Promise<ShadowFinding> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw new NotFoundError("No such finding");
  const query = db.select().from(shadowFindings).where(eq(shadowFindings.id, id));
  const [row] = lock ? await query.for("update") : await query;
  if (!row) throw new NotFoundError("No such finding");
  return row;
}

export async function getFinding({ db, actor }: Ctx, id: string): Promise<FindingDetailOutput> {
  authorize(actor, "shadow.read");
  const f = await loadFinding(db, id);
  const [summary] = await toSummaries(db, [f]);
  const events = await db.select().from(shadowFindingEvents).where(eq(shadowFindingEvents.findingId, id)).orderBy(asc(shadowFindingEvents.id)).limit(1000);
  const [entry] = await db.select().from(shadowBlocks).where(eq(shadowBlocks.findingId, id)).limit(1);
  return {
    ...summary!,
    block: entry ? toBlockOutput(entry, new Date(), (await lastNotified(db, [entry.id])).get(entry.id) ?? null) : null,
    tools: f.tools,
    clients: f.clients,
    evidence: f.evidence,
    timeline: events.map((e) => ({ id: e.id, kind: e.kind, actor: e.actorLabel, note: e.note, details: e.details, at: e.createdAt.toISOString() })),
  };
}

/** Who findings can be assigned to: active security and admin users. */
export async function triagePeople({ db, actor }: Ctx): Promise<{ id: string; email: string }[]> {
  authorize(actor, "shadow.read");
  return db
    .select({ id: users.id, email: users.email })
    .from(users)
    .where(and(inArray(users.role, ["security", "admin"]), sql`${users.disabledAt} is null`))
    .orderBy(asc(users.email));
}

/** When security last notified the people each entry covers. */
async function lastNotified(db: Queryable, blockIds: readonly string[]): Promise<Map<string, Date>> {
  if (blockIds.length === 0) return new Map();
  const rows = await db
    .select({ blockId: shadowBlockNotices.blockId, at: sql<string>`max(${shadowBlockNotices.createdAt})` })
    .from(shadowBlockNotices)
    .where(inArray(shadowBlockNotices.blockId, [...blockIds]))
    .groupBy(shadowBlockNotices.blockId);
  return new Map(rows.map((r) => [r.blockId, new Date(r.at)]));
}

export async function listBlocks({ db, actor }: Ctx, now = new Date()): Promise<BlockEntryOutput[]> {
  authorize(actor, "shadow.read");
  const blocks = await allBlocks(db);
  const notified = await lastNotified(db, blocks.map((b) => b.id));
  return blocks.map((b) => toBlockOutput(b, now, notified.get(b.id) ?? null));
}

export async function getBlock({ db, actor }: Ctx, id: string, now = new Date()): Promise<BlockEntryOutput> {
  authorize(actor, "shadow.read");
  const b = await loadBlock(db, id);
  return toBlockOutput(b, now, (await lastNotified(db, [b.id])).get(b.id) ?? null);
}

export async function listUploads({ db, actor }: Ctx, limit = 50): Promise<UploadOutput[]> {
  authorize(actor, "shadow.read");
  const rows = await db.select().from(trafficUploads).orderBy(desc(trafficUploads.createdAt)).limit(limit);
  return rows.map(toUploadOutput);
}
