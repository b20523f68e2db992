import { getDb } from "@/db/client";
import { startPeriodicJob } from "@/lib/periodic-job";
import { applyEventRetention, eventRetentionDays } from "./retention";

const HOUR_MS = 3_600_000;

async function pass(): Promise<void> {
  const result = await applyEventRetention(await getDb(), new Date(), eventRetentionDays());
  const dropped = result.droppedPartitions.mcp_events + result.droppedPartitions.llm_events;
  if (dropped > 0) console.log(`[portcullis] event retention: dropped ${dropped} day partitions before ${result.keepFrom} (daily rollups kept)`);
  if (result.deadLetters > 0) console.log(`[portcullis] event retention: deleted ${result.deadLetters} forwarding dead letters written before ${result.keepFrom}`);
}

/**
 * Hourly, once per process: drops event partitions past the retention (lib/events/retention.ts)
 * and makes tomorrow's ahead of ingest. A first pass runs at start.
 */
export function startEventRetention(): void {
  startPeriodicJob("event retention", HOUR_MS, pass);
  void pass().catch((error: unknown) => console.error("[portcullis] event retention failed:", error instanceof Error ? error.message : error));
}
