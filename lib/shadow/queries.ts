import { and, asc, desc, eq, ilike, inArray, ne, or, sql, type SQL } from "drizzle-orm";
import { shadowBlocks, shadowFindingEvents, shadowFindings, trafficUploads, users, type ShadowFinding } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { authorize } from "@/lib/auth/actor";
import type { Ctx } from "@/lib/context";
import { NotFoundError } from "@/lib/errors";
import { allBlocks, toBlockOutput } from "./blocks";
import { toUploadOutput } from "./ingest-traffic";
import { ListFindingsQuery, type BlockEntryOutput, type FindingDetailOutput, type FindingSummaryOutput, type UploadOutput } from "./schemas";
import type { z } from "zod";

const SEVERITY_ORDER = sql`case ${shadowFindings.severity} when 'high' then 0 when 'medium' then 1 else 2 end`;

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

/** Findings (or, with `candidates`, the candidates), most severe and most recent first; `state=open` is new and investigating together. */
export async function listFindings({ db, actor }: Ctx, rawQuery: z.input<typeof ListFindingsQuery> = {}): Promise<FindingSummaryOutput[]> {
  authorize(actor, "shadow.read");
  const q = ListFindingsQuery.parse(rawQuery);
  const where: SQL[] = [eq(shadowFindings.candidate, q.candidates ?? false)];
  if (q.state === "open") where.push(ne(shadowFindings.state, "resolved"));
  else if (q.state) where.push(eq(shadowFindings.state, q.state));
  if (q.severity) where.push(eq(shadowFindings.severity, q.severity));
  if (q.kind) where.push(eq(shadowFindings.kind, q.kind));
  if (q.q) {
    const like = `%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.push(or(ilike(shadowFindings.key, like), sql`${shadowFindings.users}::text ilike ${like}`, sql`${shadowFindings.names}::text ilike ${like}`)!);
  }
  const rows = await db
    .select()
    .from(shadowFindings)
    .where(and(...where))
    .orderBy(asc(sql`case ${shadowFindings.state} when 'new' then 0 when 'investigating' then 1 else 2 end`), asc(SEVERITY_ORDER), desc(shadowFindings.lastSeen), asc(shadowFindings.id))
    .limit(q.limit ?? 200);
  return toSummaries(db, rows);
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
  return {
    ...summary!,
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

export async function listBlocks({ db, actor }: Ctx): Promise<BlockEntryOutput[]> {
  authorize(actor, "shadow.read");
  return (await allBlocks(db)).map(toBlockOutput);
}

export async function listUploads({ db, actor }: Ctx, limit = 50): Promise<UploadOutput[]> {
  authorize(actor, "shadow.read");
  const rows = await db.select().from(trafficUploads).orderBy(desc(trafficUploads.createdAt)).limit(limit);
  return rows.map(toUploadOutput);
}
