import { asc, eq, sql } from "drizzle-orm";
import { rateLimits, type RateLimit } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { toIso } from "@core/zod/helpers";
import { authorize } from "../auth/actor";
import { recordAudit } from "../audit/record-audit";
import type { Ctx } from "../context";
import { ConflictError, NotFoundError } from "../errors";
import { requireId } from "../ids";
import type { RateLimitScope, RateLimitSpec } from "@core/limits/schema";
import { RateLimitInput, UpdateRateLimitInput, type RateLimitOutput } from "./schemas";
import { compileLimitSubject, limitSubjectNames, limitSubjectOf, resolveLimitSubject, type LimitSubjectNames } from "./subjects";

/**
 * Rate limits: list, read, create, edit, delete. Each change is audited in its transaction and
 * reaches the edge with the next publish ({@link compileRateLimits} is what the bundle carries).
 */

function toOutput(row: RateLimit, names: LimitSubjectNames): RateLimitOutput {
  return {
    id: row.id,
    name: row.name,
    subject: limitSubjectOf(row, names),
    per: row.per,
    scope: row.scopeKind,
    server: row.serverSlug,
    tool: row.tool,
    limit: row.limit,
    window: row.windowSeconds,
    enabled: row.enabled,
    createdAt: toIso(row.createdAt),
    updatedAt: toIso(row.updatedAt),
  };
}

/** What was written, without id and timestamps (audit details, and the base an edit is merged onto). */
function toInput(out: RateLimitOutput): RateLimitInput {
  return { name: out.name, subject: out.subject, per: out.per, scope: out.scope, server: out.server, tool: out.tool, limit: out.limit, window: out.window, enabled: out.enabled };
}

async function listRows(db: Queryable): Promise<RateLimit[]> {
  return db.select().from(rateLimits).orderBy(asc(sql`lower(${rateLimits.name})`), asc(rateLimits.id));
}

async function loadRow(db: Queryable, id: string): Promise<RateLimit> {
  requireId(id, "rate limit");
  const [row] = await db.select().from(rateLimits).where(eq(rateLimits.id, id));
  if (!row) throw new NotFoundError("No such rate limit");
  return row;
}

async function output(db: Queryable, row: RateLimit): Promise<RateLimitOutput> {
  return toOutput(row, await limitSubjectNames(db, [row]));
}

async function nameTaken(db: Queryable, name: string, except?: string): Promise<boolean> {
  const [row] = await db.select({ id: rateLimits.id }).from(rateLimits).where(sql`lower(${rateLimits.name}) = ${name.toLowerCase()}`);
  return !!row && row.id !== except;
}

async function values(db: Queryable, input: RateLimitInput) {
  const subject = await resolveLimitSubject(db, input.subject);
  const mcp = input.scope === "mcp";
  return {
    name: input.name,
    ...subject,
    per: input.per,
    scopeKind: input.scope,
    serverSlug: mcp ? (input.server ?? null) : null,
    tool: mcp ? (input.tool ?? null) : null,
    limit: input.limit,
    windowSeconds: input.window,
    enabled: input.enabled,
  };
}

export async function listRateLimits({ db, actor }: Ctx): Promise<RateLimitOutput[]> {
  authorize(actor, "limits.read");
  const rows = await listRows(db);
  const names = await limitSubjectNames(db, rows);
  return rows.map((r) => toOutput(r, names));
}

export async function getRateLimit({ db, actor }: Ctx, id: string): Promise<RateLimitOutput> {
  authorize(actor, "limits.read");
  return output(db, await loadRow(db, id));
}

export async function createRateLimit({ db, actor }: Ctx, rawInput: unknown): Promise<RateLimitOutput> {
  authorize(actor, "limits.manage");
  const input = RateLimitInput.parse(rawInput);
  return db.transaction(async (tx) => {
    if (await nameTaken(tx, input.name)) throw new ConflictError(`A rate limit named "${input.name}" already exists`);
    const [row] = await tx
      .insert(rateLimits)
      .values({ ...(await values(tx, input)), createdBy: actor.userId })
      .returning();
    const out = await output(tx, row!);
    await recordAudit(tx, actor, { action: "rate_limit.create", targetType: "rate_limit", targetId: row!.id, details: { rateLimit: toInput(out) } });
    return out;
  });
}

export async function updateRateLimit({ db, actor }: Ctx, id: string, rawInput: unknown): Promise<RateLimitOutput> {
  authorize(actor, "limits.manage");
  const patch = UpdateRateLimitInput.parse(rawInput);
  return db.transaction(async (tx) => {
    const before = await output(tx, await loadRow(tx, id));
    const input = RateLimitInput.parse({ ...toInput(before), ...patch });
    if (input.name.toLowerCase() !== before.name.toLowerCase() && (await nameTaken(tx, input.name, id))) {
      throw new ConflictError(`A rate limit named "${input.name}" already exists`);
    }
    const [row] = await tx
      .update(rateLimits)
      .set({ ...(await values(tx, input)), updatedAt: new Date() })
      .where(eq(rateLimits.id, id))
      .returning();
    const out = await output(tx, row!);
    await recordAudit(tx, actor, { action: "rate_limit.update", targetType: "rate_limit", targetId: id, details: { before: toInput(before), after: toInput(out) } });
    return out;
  });
}

export async function deleteRateLimit({ db, actor }: Ctx, id: string): Promise<RateLimitOutput> {
  authorize(actor, "limits.manage");
  return db.transaction(async (tx) => {
    const before = await output(tx, await loadRow(tx, id));
    await tx.delete(rateLimits).where(eq(rateLimits.id, id));
    await recordAudit(tx, actor, { action: "rate_limit.delete", targetType: "rate_limit", targetId: id, details: { rateLimit: toInput(before) } });
    return before;
  });
}

/**
 * The enabled rate limits as the bundle carries them, in a fixed order (equal state compiles
 * equal). A limit whose user or team subject is not in the bundle (`present`) is left out.
 */
export async function compileRateLimits(db: Queryable, present: { userIds: Set<string>; teamIds: Set<string> }): Promise<RateLimitSpec[]> {
  const rows = await db.select().from(rateLimits).where(eq(rateLimits.enabled, true)).orderBy(asc(rateLimits.id));
  const specs: RateLimitSpec[] = [];
  for (const r of rows) {
    const subject = compileLimitSubject(r, present);
    if (!subject) continue;
    const scope: RateLimitScope = { kind: r.scopeKind };
    if (r.scopeKind === "mcp" && r.serverSlug !== null) scope.serverSlug = r.serverSlug;
    if (r.scopeKind === "mcp" && r.tool !== null) scope.tool = r.tool;
    specs.push({ id: r.id, name: r.name, subject, per: r.per, scope, limit: r.limit, windowSeconds: r.windowSeconds });
  }
  return specs;
}
