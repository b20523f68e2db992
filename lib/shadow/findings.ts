import { and, asc, desc, eq, ilike, inArray, ne, or, sql, type SQL } from "drizzle-orm";
import { shadowBlocks, shadowFindingEvents, shadowFindings, users, type ShadowFinding } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { actorLabel, authorize } from "@/lib/auth/actor";
import { recordAudit } from "@/lib/audit/record-audit";
import type { Ctx } from "@/lib/context";
import { ConflictError, NotFoundError, ValidationError } from "@/lib/errors";
import { blockTargetOf } from "@core/shadow/blocklist";
import { ListFindingsQuery, UpdateFindingInput, type FindingDetailOutput, type FindingSummaryOutput } from "./schemas";
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
    updatedAt: f.updatedAt.toISOString(),
  }));
}

/** Findings, most severe and most recent first; `state=open` is new and investigating together. */
export async function listFindings({ db, actor }: Ctx, rawQuery: z.input<typeof ListFindingsQuery> = {}): Promise<FindingSummaryOutput[]> {
  authorize(actor, "shadow.read");
  const q = ListFindingsQuery.parse(rawQuery);
  const where: SQL[] = [];
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
    .where(where.length ? and(...where) : undefined)
    .orderBy(asc(sql`case ${shadowFindings.state} when 'new' then 0 when 'investigating' then 1 else 2 end`), asc(SEVERITY_ORDER), desc(shadowFindings.lastSeen), asc(shadowFindings.id))
    .limit(q.limit ?? 200);
  return toSummaries(db, rows);
}

async function loadFinding(db: Queryable, id: string, lock = false): Promise<ShadowFinding> {
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

/** The block-list entry a blocked finding adds: its canonical URL's path, or the whole origin. */
export function blockTargetForFinding(f: Pick<ShadowFinding, "url" | "origin">, scope: "url" | "origin"): { origin: string; pathPrefix: string } | null {
  if (!f.url) return null;
  const t = blockTargetOf(f.url);
  if (!t) return null;
  return scope === "origin" ? { origin: t.origin, pathPrefix: "" } : t;
}

/**
 * One triage step: state (new → investigating → resolved as approved / blocked / false positive,
 * and back to investigating to reopen), assignee, a note — each a timeline row, all in one
 * transaction with the audit row. Resolving as blocked adds the finding's block-list entry (it
 * reaches the edge with the next publish); leaving "blocked" removes it.
 */
export async function updateFinding({ db, actor }: Ctx, id: string, rawInput: unknown): Promise<FindingDetailOutput> {
  authorize(actor, "shadow.triage");
  const input = UpdateFindingInput.parse(rawInput);
  await db.transaction(async (tx) => {
    const f = await loadFinding(tx, id, true);
    const label = actorLabel(actor);
    const event = (kind: string, details: Record<string, unknown> = {}, note: string | null = null) =>
      tx.insert(shadowFindingEvents).values({ findingId: id, kind, actorId: actor.userId, actorLabel: label, note, details });
    const patch: Partial<ShadowFinding> = {};

    if (input.assigneeId !== undefined && input.assigneeId !== f.assigneeId) {
      let email: string | null = null;
      if (input.assigneeId !== null) {
        const [u] = await tx.select({ email: users.email }).from(users).where(eq(users.id, input.assigneeId));
        if (!u) throw new ValidationError("No such user to assign", { assigneeId: "no such user" });
        email = u.email;
      }
      patch.assigneeId = input.assigneeId;
      await event("assigned", { assignee: email });
    }

    if (input.state !== undefined) {
      const to = input.state;
      const resolution = input.resolution ?? null;
      const rescope = to === f.state && resolution === "blocked" && f.resolution === "blocked" && input.blockScope !== undefined;
      if (to === f.state && resolution === f.resolution && !rescope) throw new ConflictError(`The finding is already ${describeState(to, resolution)}`);
      if (to === "new" && f.state !== "new") throw new ConflictError("A finding cannot go back to new; reopen it as investigating");
      if (resolution === "blocked") {
        const target = blockTargetForFinding(f, input.blockScope ?? "url");
        if (!target) throw new ValidationError("A local (stdio) server cannot be blocked at the network edge; resolve it as false positive or approve it, and remove it from the laptops");
        // Blocking again with another scope (its path ↔ the whole origin) replaces the finding's own entry.
        if (rescope) await tx.delete(shadowBlocks).where(eq(shadowBlocks.findingId, id));
        await tx
          .insert(shadowBlocks)
          .values({ ...target, reason: `Shadow MCP finding: ${f.key}`, findingId: id, createdBy: actor.userId, createdByLabel: label })
          // An entry security already added (by hand, or for another finding) stays as it is: it blocks this server too,
          // and reopening this finding must not remove it.
          .onConflictDoNothing();
        await event("blocked", { origin: target.origin, pathPrefix: target.pathPrefix });
      } else if (f.resolution === "blocked") {
        const removed = await tx.delete(shadowBlocks).where(eq(shadowBlocks.findingId, id)).returning({ origin: shadowBlocks.origin, pathPrefix: shadowBlocks.pathPrefix });
        if (removed.length) await event("unblocked", { entries: removed });
      }
      patch.state = to;
      patch.resolution = resolution;
      if (!rescope) await event("state", { from: describeState(f.state, f.resolution), to: describeState(to, resolution) });
    } else if (input.blockScope !== undefined) {
      throw new ValidationError("blockScope goes with state \"resolved\" and resolution \"blocked\"", { blockScope: "only when blocking" });
    }

    if (input.note !== undefined) await event("note", {}, input.note);
    if (Object.keys(patch).length === 0 && input.note === undefined) throw new ConflictError("Nothing changed: pick a new state or assignee, or write a note");
    await tx.update(shadowFindings).set({ ...patch, updatedAt: new Date() }).where(eq(shadowFindings.id, id));
    await recordAudit(tx, actor, {
      action: "finding.update",
      targetType: "shadow_finding",
      targetId: id,
      details: { key: f.key, ...(input.state ? { from: describeState(f.state, f.resolution), to: describeState(input.state, input.resolution ?? null) } : {}), ...(input.assigneeId !== undefined ? { assigneeId: input.assigneeId } : {}), ...(input.note ? { note: true } : {}) },
    });
  });
  return getFinding({ db, actor }, id);
}

export function describeState(state: ShadowFinding["state"], resolution: ShadowFinding["resolution"]): string {
  return state === "resolved" ? `resolved (${(resolution ?? "").replace("_", " ")})` : state;
}

/**
 * Approve: resolves the finding as approved and answers where its registration request is
 * prefilled (name, URL, a justification citing the finding). The server itself goes through the
 * registry's review like any other request.
 */
export async function approveFinding(ctx: Ctx, id: string, note?: string): Promise<{ finding: FindingDetailOutput; requestUrl: string }> {
  authorize(ctx.actor, "shadow.triage");
  const f = await loadFinding(ctx.db, id);
  if (f.kind !== "remote" || !f.url) throw new ValidationError("Only remote servers can be registered in the portal; a local (stdio) server has no URL to register");
  const finding = f.state === "resolved" && f.resolution === "approved" ? await getFinding(ctx, id) : await updateFinding(ctx, id, { state: "resolved", resolution: "approved", ...(note ? { note } : {}) });
  return { finding, requestUrl: registrationRequestUrl(f) };
}

export function registrationRequestUrl(f: Pick<ShadowFinding, "id" | "url" | "host" | "names" | "userCount" | "vendor">): string {
  const host = f.host ?? "server";
  const name = f.names[0] ?? (f.vendor ? `${f.vendor}` : host);
  const slug = (f.vendor ?? host.replace(/^mcp\./, "").split(".")[0] ?? "server").toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "server";
  const params = new URLSearchParams({
    name,
    slug,
    url: f.url ?? "",
    justification: `Adopted from shadow MCP finding ${f.id}: already used by ${f.userCount} ${f.userCount === 1 ? "person" : "people"} outside the portal.`,
    finding: f.id,
  });
  return `/servers/new?${params.toString()}`;
}

/** Links a registration request to the finding that asked for it (the Request form's `finding`). */
export async function linkFindingToServer(db: Queryable, findingId: string, serverId: string): Promise<void> {
  if (!/^[0-9a-f-]{36}$/i.test(findingId)) return;
  await db.update(shadowFindings).set({ serverId, updatedAt: new Date() }).where(eq(shadowFindings.id, findingId));
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
