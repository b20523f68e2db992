/** Alerts to the forwarding sinks: spikes from the rollups, new high shadow findings, budget thresholds. */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { forwardingOutbox, forwardingSinks, shadowFindings } from "@/db/schema";
import { ingestEvents } from "@/lib/audit/ingest-events";
import { BOOTSTRAP_ACTOR } from "@/lib/auth/actor";
import { checkBudgetAlerts } from "@/lib/budgets/check-budget-alerts";
import { createBudget } from "@/lib/budgets/create-budget";
import { generateEdgeSecret, parseEdgeSecrets, signEventBody, type EdgeSecret } from "@core/edge/secret";
import type { AnyEvent } from "@core/events/schema";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { makeEvent, makeLlmEvent } from "@/testing/events";
import { ExportLogsServiceRequest } from "@/testing/otlp";
import { makeUser } from "@/testing/users";
import { startRawReceiver, type RawReceiver } from "@/testing/webhook-receiver";
import { checkForwardingAlerts } from "./alerts";
import { createSink } from "./create-sink";
import { deliverDue } from "./deliver";
import type { ForwardingAlert } from "./formats";

describe.each(testDatabases())("forwarding alerts on $name", (database) => {
  const { db } = useTestDatabase(database);
  const ctx = () => ({ db, actor: BOOTSTRAP_ACTOR });
  let secrets: EdgeSecret[];
  let receiver: RawReceiver;
  beforeAll(async () => {
    secrets = await parseEdgeSecrets(generateEdgeSecret());
    receiver = await startRawReceiver();
  });
  afterAll(() => receiver.close());
  beforeEach(async () => {
    await db.delete(forwardingSinks);
    receiver.requests.length = 0;
  });

  const ingest = async (events: AnyEvent[]) => {
    const body = JSON.stringify({ events });
    return ingestEvents(db, { body, signature: await signEventBody(body, secrets), secrets });
  };
  const alertsAt = (path: string) =>
    receiver.requests.filter((r) => r.path === path).map((r) => (JSON.parse(r.text) as { type: string; alert: ForwardingAlert }).alert);
  const alertRows = () => db.select().from(forwardingOutbox).where(sql`${forwardingOutbox.kind} = 'alert'`);

  it("alerts a spike of denials or errors counted from the hourly rollups (not the raw events), once per window, to the sinks whose rule it passes", async () => {
    const noEvents = { forwardEvents: false };
    await createSink(ctx(), { kind: "webhook", name: "Denials > 2", url: `${receiver.origin}/denials`, ...noEvents, alertRules: { spikes: [{ metric: "denials", windowMinutes: 60, threshold: 2 }] } });
    await createSink(ctx(), { kind: "webhook", name: "Denials > 50", url: `${receiver.origin}/quiet`, ...noEvents, alertRules: { spikes: [{ metric: "denials", windowMinutes: 60, threshold: 50 }] } });
    await createSink(ctx(), { kind: "otlp", name: "Errors > 1", url: `${receiver.origin}/otel`, ...noEvents, alertRules: { spikes: [{ metric: "errors", windowMinutes: 30, threshold: 1 }] } });
    const now = new Date();
    const at = new Date(now.getTime() - 60_000).toISOString();
    await ingest([
      ...Array.from({ length: 3 }, () => makeEvent({ time: at, decision: "denied", success: false, reason: "POLICY_DENIED no rule allows it" })),
      makeEvent({ time: at, success: false, error: "boom" }),
      makeLlmEvent({ time: at, status: 500, success: false, error: "upstream 500" }),
    ]);
    // The raw events go; the rollups stay: the counts come from the rollups alone.
    await db.execute(sql`delete from mcp_events`);
    await db.execute(sql`delete from llm_events`);

    expect(await checkForwardingAlerts(db, now)).toBe(2);
    expect(await checkForwardingAlerts(db, now)).toBe(0); // once per window
    await deliverDue(db);
    const [spike] = alertsAt("/denials");
    expect(spike).toMatchObject({ type: "spike", severity: "warning", details: { metric: "denials", count: 3, threshold: 2, windowMinutes: 60 } });
    expect(alertsAt("/quiet")).toEqual([]);
    const otlp = receiver.requests.find((r) => r.path === "/otel/v1/logs")!;
    const record = ExportLogsServiceRequest.parse(JSON.parse(otlp.text)).resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
    expect(record).toMatchObject({ severityText: "WARN", body: { stringValue: "2 errors in the last 30 minutes (threshold 1)" } });
  });

  it("alerts a new high-severity shadow finding once, not a medium one, nor one older than the sink", async () => {
    const old = new Date(Date.now() - 3_600_000);
    const finding = (severity: "high" | "medium", createdAt: Date) => ({
      key: `https://mcp-${crypto.randomUUID()}.shadow.test/mcp`,
      kind: "remote" as const,
      url: "https://mcp.shadow.test/mcp",
      firstSeen: createdAt,
      lastSeen: createdAt,
      severity,
      severityReasons: ["sends source code"],
      createdAt,
    });
    await db.insert(shadowFindings).values(finding("high", old));
    await createSink(ctx(), { kind: "webhook", name: "Shadow", url: `${receiver.origin}/shadow`, forwardEvents: false, alertRules: { shadowHigh: true } });
    await createSink(ctx(), { kind: "webhook", name: "Not asked", url: `${receiver.origin}/other`, forwardEvents: false });
    const [high] = await db.insert(shadowFindings).values(finding("high", new Date())).returning();
    await db.insert(shadowFindings).values(finding("medium", new Date()));
    const now = new Date();
    expect(await checkForwardingAlerts(db, now)).toBe(1);
    expect(await checkForwardingAlerts(db, now)).toBe(0);
    await deliverDue(db);
    expect(alertsAt("/shadow").map((a) => [a.type, a.severity, a.details.findingId])).toEqual([["shadow_finding", "critical", high!.id]]);
    expect(alertsAt("/other")).toEqual([]);
  });

  it("forwards each budget threshold as it is raised, to the sinks that ask for budget alerts", async () => {
    await createSink(ctx(), { kind: "splunk_hec", name: "Budgets", url: receiver.origin, token: "t", forwardEvents: false, alertRules: { budgets: true } });
    await createSink(ctx(), { kind: "webhook", name: "No budgets", url: `${receiver.origin}/none`, forwardEvents: false });
    const alice = await makeUser(db, "member");
    await createBudget(ctx(), { name: `alice ${crypto.randomUUID().slice(0, 6)}`, subject: `user:${alice.email}`, metric: "tokens", limit: 100, period: "day" });
    await ingest([makeLlmEvent({ userId: alice.userId, email: alice.email, inputTokens: 90, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0 })]);
    const raised = await checkBudgetAlerts(db, new Date());
    expect(raised.map((a) => a.threshold)).toEqual([50, 80]);
    expect((await alertRows()).length).toBeLessThanOrEqual(2); // queued (a delivery pass may already have taken some)
    await deliverDue(db);
    await expect.poll(() => receiver.requests.filter((r) => r.path === "/services/collector/event").length).toBe(2);
    const hec = receiver.requests.filter((r) => r.path === "/services/collector/event").map((r) => JSON.parse(r.text) as { sourcetype: string; event: ForwardingAlert });
    expect(hec.map((h) => [h.sourcetype, h.event.type, h.event.details.threshold, h.event.severity])).toEqual([
      ["portcullis:alert", "budget", 50, "warning"],
      ["portcullis:alert", "budget", 80, "warning"],
    ]);
    expect(alertsAt("/none")).toEqual([]);
  });
});
