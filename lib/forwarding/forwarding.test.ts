/** Forwarding end to end: ingest writes the outbox, delivery sends each sink's wire format to a real loopback receiver. */
import { createHmac } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { forwardingOutbox, forwardingSinks, mcpEvents } from "@/db/schema";
import { ingestEvents } from "@/lib/audit/ingest-events";
import { BOOTSTRAP_ACTOR } from "@/lib/auth/actor";
import { generateEdgeSecret, parseEdgeSecrets, signEventBody, type EdgeSecret } from "@core/edge/secret";
import type { AnyEvent } from "@core/events/schema";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { makeEvent, makeLlmEvent } from "@/testing/events";
import { ExportLogsServiceRequest, attribute } from "@/testing/otlp";
import { startRawReceiver, type RawReceiver } from "@/testing/webhook-receiver";
import { createSink } from "./create-sink";
import { deliverDue, retryDelayMs } from "./deliver";
import { listSinks } from "./queries";
import { retryDeadLetters } from "./retry-dead-letters";

describe.each(testDatabases())("forwarding on $name", (database) => {
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
    receiver.status = 200;
  });

  const ingest = async (events: AnyEvent[]) => {
    const body = JSON.stringify({ events });
    return ingestEvents(db, { body, signature: await signEventBody(body, secrets), secrets });
  };
  const outbox = () => db.select().from(forwardingOutbox);

  it("signs a webhook batch with the sink's secret (HMAC-SHA256 of `<t>.<body>`), after ingest committed, and never twice for a redelivery", async () => {
    const sink = await createSink(ctx(), { kind: "webhook", name: "SIEM hook", url: `${receiver.origin}/hook` });
    expect(sink.secret).toMatch(/^pcwh_/);
    const events = [makeEvent(), makeEvent({ decision: "denied", success: false, reason: "no rule allows it" })];
    await ingest(events);
    await ingest(events); // a redelivery stores nothing and queues nothing
    expect((await outbox()).map((r) => [r.sinkId, r.items, r.attempts])).toEqual([[sink.id, 2, 0]]);
    expect(receiver.requests).toHaveLength(0); // ingest itself sends nothing

    const now = new Date();
    expect(await deliverDue(db, { now })).toEqual({ sent: 1, failed: 0, deadLettered: 0 });
    const [request] = receiver.requests;
    expect(request!.path).toBe("/hook");
    const [, t, mac] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(request!.headers["x-portcullis-signature"]))!;
    expect(Number(t)).toBe(Math.floor(now.getTime() / 1000));
    expect(mac).toBe(createHmac("sha256", sink.secret!).update(`${t}.${request!.text}`).digest("hex"));
    expect(mac).not.toBe(createHmac("sha256", "another secret").update(`${t}.${request!.text}`).digest("hex"));
    const body = JSON.parse(request!.text) as { type: string; events: AnyEvent[] };
    expect(body.type).toBe("events");
    expect(body.events.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(await outbox()).toEqual([]);
    const [status] = await listSinks(ctx());
    expect(status!.status).toMatchObject({ delivered: 1, pending: 0, deadLetters: 0, lastSuccessAt: now.toISOString(), lastError: null });
  });

  it("queues the events of the first group stored after a sink was enabled, though ingest last saw no sink", async () => {
    await ingest([makeEvent()]); // no sink: ingest stores groups without the outbox from now on
    expect(await outbox()).toEqual([]);
    const sink = await createSink(ctx(), { kind: "webhook", name: "New SIEM", url: `${receiver.origin}/new` });
    const next = [makeEvent(), makeLlmEvent()];
    expect(await ingest(next)).toEqual({ accepted: 2, duplicates: 0 });
    const later = makeEvent();
    await ingest([later]);
    await ingest(next); // a redelivery queues nothing
    const rows = await outbox();
    expect(rows.map((r) => r.items).sort()).toEqual([1, 2]);
    expect(rows.every((r) => r.sinkId === sink.id)).toBe(true);
    expect(rows.flatMap((r) => (r.payload as { events: AnyEvent[] }).events.map((e) => e.id)).sort()).toEqual([...next, later].map((e) => e.id).sort());
  });

  it("sends Splunk HEC one event object per event to /services/collector/event with `Authorization: Splunk <token>`", async () => {
    await createSink(ctx(), { kind: "splunk_hec", name: "Splunk", url: `${receiver.origin}/`, token: "hec-token-123" });
    const mcp = makeEvent({ time: "2026-12-07T01:00:00.250Z" });
    const llm = makeLlmEvent();
    await ingest([mcp, llm]);
    await deliverDue(db);
    const [request] = receiver.requests;
    expect(request!.path).toBe("/services/collector/event");
    expect(request!.headers.authorization).toBe("Splunk hec-token-123");
    const objects = request!.text.split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(objects).toHaveLength(2);
    for (const o of objects) expect(Object.keys(o).sort()).toEqual(["event", "host", "source", "sourcetype", "time"]);
    expect(objects[0]).toMatchObject({ time: Date.parse(mcp.time) / 1000, sourcetype: "portcullis:mcp", event: { id: mcp.id, method: "tools/call" } });
    expect(objects[1]).toMatchObject({ sourcetype: "portcullis:llm", event: { id: llm.id, kind: "llm" } });
  });

  it("sends OTLP/HTTP logs: a valid JSON ExportLogsServiceRequest to <url>/v1/logs, one log record per event, with the collector's headers", async () => {
    await createSink(ctx(), { kind: "otlp", name: "Collector", url: `${receiver.origin}/otlp`, headers: { "x-api-key": "k-1" } });
    const ok = makeEvent({ time: "2026-12-07T01:02:03.004Z", traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "53995c3f42cd8ad8" });
    const denied = makeEvent({ decision: "denied", success: false });
    const failed = makeEvent({ success: false, error: "upstream said no" });
    await ingest([ok, denied, failed]);
    await deliverDue(db);
    const [request] = receiver.requests;
    expect(request!.path).toBe("/otlp/v1/logs");
    expect(request!.headers["content-type"]).toBe("application/json");
    expect(request!.headers["x-api-key"]).toBe("k-1");
    const parsed = ExportLogsServiceRequest.parse(JSON.parse(request!.text));
    const records = parsed.resourceLogs[0]!.scopeLogs[0]!.logRecords;
    expect(attribute(parsed.resourceLogs[0]!.resource!, "service.name")).toBe("portcullis");
    expect(records.map((r) => [r.severityNumber, r.severityText])).toEqual([
      [9, "INFO"],
      [13, "WARN"],
      [17, "ERROR"],
    ]);
    expect(records[0]!.timeUnixNano).toBe("1796605323004000000");
    // The trace context the portal recorded joins the log record to the call's trace.
    expect(records[0]).toMatchObject({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "53995c3f42cd8ad8" });
    expect(records[1]!.traceId).toBeUndefined();
    expect(attribute(records[0]!, "portcullis.traceId")).toBeUndefined();
    const stored = await db.select({ traceId: mcpEvents.traceId, spanId: mcpEvents.spanId }).from(mcpEvents).where(eq(mcpEvents.id, ok.id));
    expect(stored).toEqual([{ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "53995c3f42cd8ad8" }]);
    expect(attribute(records[0]!, "portcullis.id")).toBe(ok.id);
    expect(attribute(records[0]!, "portcullis.durationMs")).toBe("12");
    expect(attribute(records[0]!, "portcullis.success")).toBe(true);
    expect(attribute(records[2]!, "portcullis.error")).toBe("upstream said no");
  });

  it("holds each sink's filters: kind, decision, server", async () => {
    const denials = await createSink(ctx(), { kind: "webhook", name: "Denials", url: `${receiver.origin}/denials`, filters: { decisions: ["denied"] } });
    const llmOnly = await createSink(ctx(), { kind: "webhook", name: "LLM", url: `${receiver.origin}/llm`, filters: { kinds: ["llm"] } });
    const weather = await createSink(ctx(), { kind: "webhook", name: "Weather", url: `${receiver.origin}/weather`, filters: { kinds: ["mcp"], servers: ["weather"] } });
    const events = [makeEvent({ serverSlug: "weather" }), makeEvent({ serverSlug: "github", decision: "denied", success: false }), makeLlmEvent()];
    await ingest(events);
    const rows = await outbox();
    const idsOf = (sinkId: string) => ((rows.find((r) => r.sinkId === sinkId)?.payload as { events: AnyEvent[] } | undefined)?.events ?? []).map((e) => e.id);
    expect(idsOf(denials.id)).toEqual([events[1]!.id]);
    expect(idsOf(llmOnly.id)).toEqual([events[2]!.id]);
    expect(idsOf(weather.id)).toEqual([events[0]!.id]);
    await deliverDue(db);
    expect(receiver.requests.map((r) => r.path).sort()).toEqual(["/denials", "/llm", "/weather"]);
  });

  it("retries a failing receiver with exponential backoff, dead-letters it after the last attempt, and sends it again once retried", async () => {
    const sink = await createSink(ctx(), { kind: "webhook", name: "Flaky", url: `${receiver.origin}/flaky` });
    receiver.status = 503;
    await ingest([makeEvent()]);
    let now = new Date();
    expect(await deliverDue(db, { now, maxAttempts: 3 })).toEqual({ sent: 0, failed: 1, deadLettered: 0 });
    let [row] = await outbox();
    expect(row).toMatchObject({ attempts: 1, lastError: "HTTP 503", deadAt: null });
    expect(row!.nextAttemptAt.getTime()).toBe(now.getTime() + retryDelayMs(1));
    // Not due yet: nothing is sent.
    expect(await deliverDue(db, { now: new Date(now.getTime() + retryDelayMs(1) - 1), maxAttempts: 3 })).toEqual({ sent: 0, failed: 0, deadLettered: 0 });
    now = new Date(now.getTime() + retryDelayMs(1));
    await deliverDue(db, { now, maxAttempts: 3 });
    [row] = await outbox();
    expect(row!.nextAttemptAt.getTime() - now.getTime()).toBe(retryDelayMs(2));
    expect(retryDelayMs(2)).toBe(2 * retryDelayMs(1));
    now = new Date(now.getTime() + retryDelayMs(2));
    expect(await deliverDue(db, { now, maxAttempts: 3 })).toEqual({ sent: 0, failed: 1, deadLettered: 1 });
    [row] = await outbox();
    expect(row).toMatchObject({ attempts: 3, deadAt: now });
    expect(receiver.requests).toHaveLength(3);
    // Dead letters wait for a person, however late it gets.
    expect(await deliverDue(db, { now: new Date(now.getTime() + 86_400_000), maxAttempts: 3 })).toEqual({ sent: 0, failed: 0, deadLettered: 0 });
    const [status] = await listSinks(ctx());
    expect(status!.status).toMatchObject({ delivered: 0, pending: 0, deadLetters: 1, lastError: "HTTP 503", lastSuccessAt: null });

    receiver.status = 200;
    expect((await retryDeadLetters(ctx(), sink.id)).requeued).toBe(1);
    expect(await deliverDue(db, { maxAttempts: 3 })).toEqual({ sent: 1, failed: 0, deadLettered: 0 });
    expect(await outbox()).toEqual([]);
  });

  it("keeps a sink's batches in order behind a failure, and delivers nothing for a disabled sink", async () => {
    const sink = await createSink(ctx(), { kind: "webhook", name: "Ordered", url: `${receiver.origin}/ordered` });
    receiver.status = 500;
    const first = makeEvent();
    const second = makeEvent();
    await ingest([first]);
    await ingest([second]);
    const now = new Date();
    await deliverDue(db, { now });
    expect(receiver.requests).toHaveLength(1); // the second waits behind the first
    receiver.status = 200;
    await deliverDue(db, { now: new Date(now.getTime() + retryDelayMs(1)) });
    expect(receiver.requests.slice(1).map((r) => (JSON.parse(r.text) as { events: AnyEvent[] }).events[0]!.id)).toEqual([first.id, second.id]);

    await db.update(forwardingSinks).set({ enabled: false }).where(eq(forwardingSinks.id, sink.id));
    await ingest([makeEvent()]);
    expect(await outbox()).toEqual([]);
  });
});
