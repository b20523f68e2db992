import { eq } from "drizzle-orm";
import { servers } from "@/db/schema";
import type { Database } from "@/db/client";
import { SCHEDULER_ACTOR } from "../auth/actor";
import { syncServer } from "./sync-server";
import type { Discover } from "./upstream";

export interface ScheduledSyncReport {
  synced: number;
  changed: string[];
  failed: { slug: string; error: string }[];
}

/** One pass of the periodic re-sync: every approved server, one after another, as the scheduler. */
export async function syncApprovedServers(db: Database, discover?: Discover): Promise<ScheduledSyncReport> {
  const approved = await db.select({ id: servers.id, slug: servers.slug }).from(servers).where(eq(servers.status, "approved"));
  const report: ScheduledSyncReport = { synced: 0, changed: [], failed: [] };
  for (const server of approved) {
    try {
      const result = await syncServer({ db, actor: SCHEDULER_ACTOR }, server.id, discover);
      report.synced++;
      if (result.changed) report.changed.push(server.slug);
    } catch (error) {
      report.failed.push({ slug: server.slug, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return report;
}
