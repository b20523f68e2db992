import { asc, eq } from "drizzle-orm";
import { rateLimits } from "@/db/schema";
import type { Queryable } from "@/db/client";
import type { RateLimitScope, RateLimitSpec } from "@core/limits/schema";
import { compileLimitSubject } from "./subjects";

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
