import { asc, sql } from "drizzle-orm";
import { rateLimits, type RateLimit } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { toIso } from "@core/zod/helpers";
import { auditedTable } from "../audit/audited-table";
import type { RateLimitInput, RateLimitOutput } from "./schemas";
import { limitSubjectNames, limitSubjectOf, resolveLimitSubject, type LimitSubjectNames } from "./subjects";

/** Rate limits as stored and as shown. */

export function toRateLimitOutput(row: RateLimit, names: LimitSubjectNames): RateLimitOutput {
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
export function toRateLimitInput(out: RateLimitOutput): RateLimitInput {
  return { name: out.name, subject: out.subject, per: out.per, scope: out.scope, server: out.server, tool: out.tool, limit: out.limit, window: out.window, enabled: out.enabled };
}

export async function listRateLimitRows(db: Queryable): Promise<RateLimit[]> {
  return db.select().from(rateLimits).orderBy(asc(sql`lower(${rateLimits.name})`), asc(rateLimits.id));
}

export async function rateLimitValues(db: Queryable, input: RateLimitInput) {
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

export const rateLimitTable = auditedTable({
  table: rateLimits,
  entity: "rate_limit",
  noun: "rate limit",
  name: { column: rateLimits.name, caseInsensitive: true, taken: (name) => `A rate limit named "${name}" already exists` },
  output: async (db, row: RateLimit) => toRateLimitOutput(row, await limitSubjectNames(db, [row])),
  auditView: toRateLimitInput,
  auditKey: "rateLimit",
});
