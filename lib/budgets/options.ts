import { asc, eq, isNull, sql } from "drizzle-orm";
import { servers, teams, users } from "@/db/schema";
import { authorize } from "../auth/actor";
import type { Ctx } from "../context";

export interface LimitOptions {
  /** Subject suggestions: team:…, user:… (rate limits add everyone). */
  subjects: string[];
  /** Approved server slugs (an MCP rate limit may narrow to one). */
  servers: string[];
}

/** Suggestions for the budget and rate-limit editors: what exists, so people pick rather than type. */
export async function limitOptions({ db, actor }: Ctx): Promise<LimitOptions> {
  authorize(actor, "limits.read");
  const [serverRows, teamRows, userRows] = await Promise.all([
    db.select({ slug: servers.slug }).from(servers).where(eq(servers.status, "approved")).orderBy(asc(servers.slug)),
    db.select({ slug: teams.slug }).from(teams).orderBy(asc(teams.slug)),
    db.select({ email: users.email }).from(users).where(isNull(users.disabledAt)).orderBy(asc(sql`lower(${users.email})`)).limit(2000),
  ]);
  return {
    subjects: [...teamRows.map((t) => `team:${t.slug}`), ...userRows.map((u) => `user:${u.email.toLowerCase()}`)],
    servers: serverRows.map((s) => s.slug),
  };
}
