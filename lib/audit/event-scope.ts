import { sql, type SQL } from "drizzle-orm";
import { mcpEvents } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { can, type Actor } from "@/lib/auth/actor";
import { teamsLedBy } from "@/lib/teams/queries";

/**
 * Whose portal events a caller may read — in the Audit page, its API, drill-downs and exports alike:
 * everyone's with `audit.read` (security, admin); otherwise their own calls and those labelled with a
 * team they lead (team role `lead`; an MCP event carries its caller's first team). A caller without
 * a user (none but bootstrap and system actors, which are admins) sees nothing.
 */
export type EventScope = { kind: "all" } | { kind: "limited"; userId: string | null; teamIds: string[] };

export async function eventScope(db: Queryable, actor: Actor): Promise<EventScope> {
  if (can(actor, "audit.read")) return { kind: "all" };
  return { kind: "limited", userId: actor.userId, teamIds: (await teamsLedBy(db, actor.userId)).map((t) => t.id) };
}

/** The condition on `mcp_events` for a scope; undefined for everyone's. */
export function mcpEventsInScope(scope: EventScope): SQL | undefined {
  if (scope.kind === "all") return undefined;
  const own = scope.userId ? sql`${mcpEvents.userId} = ${scope.userId}::uuid` : sql`false`;
  if (scope.teamIds.length === 0) return own;
  return sql`(${own} or ${mcpEvents.teamId} = any(${`{${scope.teamIds.join(",")}}`}::uuid[]))`;
}
