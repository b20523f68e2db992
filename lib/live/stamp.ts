/**
 * What the live pages (Overview, Usage, Audit, Portal) poll to know whether to render again: a short
 * stamp of the newest event the caller may see (lib/audit/event-scope.ts — a member learns nothing
 * of other people's activity, not even when it happened) and the newest published configuration.
 * Cheap: a max over the (time, id) or (user_id, time, id) index of each day partition.
 */
import { sql } from "drizzle-orm";
import { bundleDeployments, llmEvents, mcpEvents } from "@/db/schema";
import { authorize } from "@/lib/auth/actor";
import type { Ctx } from "@/lib/context";
import { eventScope, mcpEventsInScope } from "@/lib/audit/event-scope";

export interface LiveStamp {
  stamp: string;
  at: string;
}

export async function liveStamp({ db, actor }: Ctx): Promise<LiveStamp> {
  authorize(actor, "usage.read");
  const scope = await eventScope(db, actor);
  const mcpWhere = mcpEventsInScope(scope);
  // LLM calls: everyone's for auditors, one's own otherwise (the Usage page shows a lead their team's from rollups, refreshed with it).
  const llmWhere = scope.kind === "all" ? undefined : scope.userId ? sql`${llmEvents.userId} = ${scope.userId}::uuid` : sql`false`;
  const [[mcp], [llm], [config]] = await Promise.all([
    db.select({ at: sql<string | null>`max(${mcpEvents.time})::text` }).from(mcpEvents).where(mcpWhere),
    db.select({ at: sql<string | null>`max(${llmEvents.time})::text` }).from(llmEvents).where(llmWhere),
    db.select({ version: sql<number | null>`max(${bundleDeployments.version})` }).from(bundleDeployments),
  ]);
  return { stamp: `${mcp?.at ?? "-"}|${llm?.at ?? "-"}|${config?.version ?? 0}`, at: new Date().toISOString() };
}
