import { and, eq, gte, sql } from "drizzle-orm";
import { forwardingAlertsFired, forwardingSinks, llmRollupHourly, mcpRollupHourly, shadowFindings, type ForwardingAlertRules } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { toIso } from "@core/zod/helpers";
import type { ForwardingAlert } from "./formats";
import { enqueueAlert } from "./outbox";

/**
 * Alerts to the forwarding sinks whose rules ask for them. Each firing is recorded once per sink and
 * key (`forwarding_alerts_fired`, the unique index decides, so concurrent checks cannot both send)
 * in the same transaction as its outbox rows; delivery, retries and dead letters are the events'.
 */
export async function raiseAlert(db: Queryable, alert: ForwardingAlert, wants: (sink: { id: string; alertRules: ForwardingAlertRules }) => boolean, key: string = alert.id): Promise<number> {
  return db.transaction(async (tx) => {
    const sinks = (await tx.select({ id: forwardingSinks.id, alertRules: forwardingSinks.alertRules }).from(forwardingSinks).where(eq(forwardingSinks.enabled, true))).filter(wants);
    if (sinks.length === 0) return 0;
    const fresh = await tx
      .insert(forwardingAlertsFired)
      .values(sinks.map((s) => ({ sinkId: s.id, key })))
      .onConflictDoNothing()
      .returning({ sinkId: forwardingAlertsFired.sinkId });
    await enqueueAlert(
      tx,
      alert,
      fresh.map((f) => f.sinkId),
    );
    return fresh.length;
  });
}

export interface SpikeCounts {
  denials: number;
  errors: number;
}

/**
 * Denials and errors (MCP and LLM calls) since `from`, from the hourly rollups — never the raw
 * events: the buckets whose hour overlaps the window, so a window is counted in whole hours (up to
 * 59 minutes more than asked at its start). LLM errors are allowed calls answered with a status of
 * 400 or more (the rollups keep the status; a 429 of the provider counts).
 */
export async function spikeCounts(db: Queryable, from: Date): Promise<SpikeCounts> {
  const hour = new Date(Math.floor(from.getTime() / 3_600_000) * 3_600_000).toISOString();
  const [mcp] = await db
    .select({
      denials: sql<number>`coalesce(sum(${mcpRollupHourly.calls}) filter (where ${mcpRollupHourly.decision} = 'denied'), 0)::float8`,
      errors: sql<number>`coalesce(sum(${mcpRollupHourly.errors}), 0)::float8`,
    })
    .from(mcpRollupHourly)
    .where(gte(mcpRollupHourly.bucket, hour));
  const [llm] = await db
    .select({
      denials: sql<number>`coalesce(sum(${llmRollupHourly.calls}) filter (where ${llmRollupHourly.decision} = 'denied'), 0)::float8`,
      errors: sql<number>`coalesce(sum(${llmRollupHourly.calls}) filter (where ${llmRollupHourly.decision} = 'allowed' and ${llmRollupHourly.status} >= 400), 0)::float8`,
    })
    .from(llmRollupHourly)
    .where(gte(llmRollupHourly.bucket, hour));
  return { denials: Number(mcp?.denials ?? 0) + Number(llm?.denials ?? 0), errors: Number(mcp?.errors ?? 0) + Number(llm?.errors ?? 0) };
}

/** How far back a new high-severity finding is still news (a sink made later is not told about older ones). */
const SHADOW_LOOKBACK_MS = 24 * 3_600_000;

/**
 * One pass of the alert rules that are not raised where their cause happens: spikes of denials or
 * errors (each rule fires at most once per window of its length, counted from the epoch), and new
 * high-severity shadow findings (once per finding and sink). Answers the alerts queued.
 */
export async function checkForwardingAlerts(db: Queryable, now: Date): Promise<number> {
  const sinks = await db.select({ id: forwardingSinks.id, alertRules: forwardingSinks.alertRules, createdAt: forwardingSinks.createdAt }).from(forwardingSinks).where(eq(forwardingSinks.enabled, true));
  let queued = 0;
  const windows = [...new Set(sinks.flatMap((s) => s.alertRules.spikes.map((r) => r.windowMinutes)))];
  for (const windowMinutes of windows) {
    const windowMs = windowMinutes * 60_000;
    const counts = await spikeCounts(db, new Date(now.getTime() - windowMs));
    const period = new Date(Math.floor(now.getTime() / windowMs) * windowMs).toISOString();
    const rules = new Map(sinks.flatMap((s) => s.alertRules.spikes.filter((r) => r.windowMinutes === windowMinutes).map((r) => [`${r.metric}:${r.threshold}`, r] as const)));
    for (const rule of rules.values()) {
      const count = counts[rule.metric];
      if (count <= rule.threshold) continue;
      const key = `spike:${rule.metric}:${windowMinutes}:${rule.threshold}@${period}`;
      const alert: ForwardingAlert = {
        id: key,
        type: "spike",
        severity: "warning",
        title: `${count} ${rule.metric} in the last ${windowMinutes} minutes (threshold ${rule.threshold})`,
        at: now.toISOString(),
        details: { metric: rule.metric, count, threshold: rule.threshold, windowMinutes },
      };
      queued += await raiseAlert(db, alert, (s) => s.alertRules.spikes.some((r) => r.metric === rule.metric && r.windowMinutes === windowMinutes && r.threshold === rule.threshold), key);
    }
  }
  if (sinks.some((s) => s.alertRules.shadowHigh)) {
    const since = new Date(now.getTime() - SHADOW_LOOKBACK_MS);
    const findings = await db
      .select()
      .from(shadowFindings)
      .where(and(eq(shadowFindings.severity, "high"), eq(shadowFindings.candidate, false), gte(shadowFindings.createdAt, since)));
    for (const f of findings) {
      const alert: ForwardingAlert = {
        id: `shadow:${f.id}`,
        type: "shadow_finding",
        severity: "critical",
        title: `New high-severity shadow MCP server: ${f.url ?? f.command ?? f.key}`,
        at: toIso(f.createdAt),
        details: { findingId: f.id, url: f.url ?? f.command ?? f.key, kind: f.kind, users: f.userCount, reasons: f.severityReasons.join("; "), firstSeen: toIso(f.firstSeen) },
      };
      // A sink made after the finding is not told about it.
      const told = new Set(sinks.filter((s) => s.alertRules.shadowHigh && s.createdAt <= f.createdAt).map((s) => s.id));
      if (told.size > 0) queued += await raiseAlert(db, alert, (s) => told.has(s.id));
    }
  }
  return queued;
}
