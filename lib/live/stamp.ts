/**
 * What the live pages (Overview, Usage, Audit, Portal) poll to know whether to render again: a short
 * stamp of the newest event the caller may see (lib/audit/event-scope.ts — a member learns nothing
 * of other people's activity, not even when it happened) and the newest published configuration.
 * Cheap: a max over the (time, id) or (user_id, time, id) index of each day partition, and for the
 * teams one leads today's row count of their daily rollup.
 */
import { sql, type SQL } from "drizzle-orm";
import { bundleDeployments, llmEvents, mcpEvents, mcpTeamRollupDaily } from "@/db/schema";
import { authorize } from "@/lib/auth/actor";
import type { Ctx } from "@/lib/context";
import { eventScope } from "@/lib/audit/event-scope";

export interface LiveStamp {
  stamp: string;
  at: string;
}

export async function liveStamp({ db, actor }: Ctx): Promise<LiveStamp> {
  authorize(actor, "usage.read");
  const scope = await eventScope(db, actor);
  const own = scope.kind === "limited" ? scope.userId : null;
  const newest = (table: typeof mcpEvents | typeof llmEvents, where?: SQL) => db.select({ at: sql<string | null>`max(${table.time})::text` }).from(table).where(where);
  const [[mcp], [llm], [config], [teams]] = await Promise.all([
    // Everyone's: the newest of the (time, id) index; one's own: the newest of the (user_id, time, id) index.
    scope.kind === "all" ? newest(mcpEvents) : own ? newest(mcpEvents, sql`${mcpEvents.userId} = ${own}::uuid`) : [{ at: null }],
    scope.kind === "all" ? newest(llmEvents) : own ? newest(llmEvents, sql`${llmEvents.userId} = ${own}::uuid`) : [{ at: null }],
    db.select({ version: sql<number | null>`max(${bundleDeployments.version})` }).from(bundleDeployments),
    // The teams one leads: today's calls from their rollup (by team and day, indexed) — an unindexed
    // search of the events for a quiet team would read them all on every poll.
    scope.kind === "limited" && scope.teamIds.length > 0
      ? db
          .select({ calls: sql<string | null>`sum(${mcpTeamRollupDaily.calls})::text` })
          .from(mcpTeamRollupDaily)
          .where(sql`${mcpTeamRollupDaily.teamId} = any(${`{${scope.teamIds.join(",")}}`}::uuid[]) and ${mcpTeamRollupDaily.bucket} = date_trunc('day', now(), 'UTC')`)
      : [{ calls: null }],
  ]);
  return { stamp: `${mcp?.at ?? "-"}|${llm?.at ?? "-"}|${config?.version ?? 0}|${teams?.calls ?? "-"}`, at: new Date().toISOString() };
}
