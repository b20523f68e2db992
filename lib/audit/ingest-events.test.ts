import { beforeAll, describe, expect, it } from "vitest";
import { eq, inArray } from "drizzle-orm";
import { testDatabases, useTestDatabase, type TestDatabaseHandle } from "@/testing/db";
import { llmEvents, mcpEvents, serverEvents, servers, serverTools } from "@/db/schema";
import { generateEdgeSecret, parseEdgeSecrets, signEventBody, type EdgeSecret } from "@core/edge/secret";
import { HASH_MISMATCH_REASON } from "./ingest-events";
import { ingestEventsRequest } from "./ingest-request";
import { EVENT_BODY_LIMIT_BYTES, type PortalEvent } from "@core/events/schema";
import { makeEvent, makeLlmEvent } from "@/testing/events";

/** Deliveries to the ingest route as the portal sends them, into `db`, and a count of what it stored. */
function ingestThrough(db: TestDatabaseHandle["db"], secrets: () => EdgeSecret[]) {
  const deliver = async (body: string, signature: string | null, headers: Record<string, string> = {}) => {
    const request = new Request("http://console.test/api/v1/events", {
      method: "POST",
      body,
      headers: { "content-type": "application/json", ...(signature ? { "x-portcullis-signature": signature } : {}), ...headers },
    });
    const res = await ingestEventsRequest(request, { db: async () => db, secrets: async () => secrets() });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
  };
  const signed = async (events: unknown[], by = secrets(), now?: number) => {
    const body = JSON.stringify({ events });
    return deliver(body, await signEventBody(body, by, now));
  };
  const stored = async (events: PortalEvent[]) =>
    (await db.select({ id: mcpEvents.id }).from(mcpEvents).where(inArray(mcpEvents.id, events.map((e) => e.id)))).length;
  return { deliver, signed, stored };
}

describe.each(testDatabases())("event ingest on $name", (database) => {
  const handle = useTestDatabase(database);
  const { db } = handle;
  let secrets: EdgeSecret[];
  let stranger: EdgeSecret[];
  beforeAll(async () => {
    secrets = await parseEdgeSecrets(generateEdgeSecret());
    stranger = await parseEdgeSecrets(generateEdgeSecret());
  });

  const { deliver, signed, stored } = ingestThrough(db, () => secrets);

  it("stores LLM usage events next to MCP events, once each, and runs the usage follow-up only for new usage", async () => {
    const teamId = crypto.randomUUID();
    const llm = makeLlmEvent({ teamIds: [teamId], inputTokens: 7, costMicroUsd: 123 });
    const mcp = makeEvent();
    let followUps = 0;
    const deliverWithUsage = async (events: unknown[]) => {
      const body = JSON.stringify({ events });
      const request = new Request("http://console.test/api/v1/events", { method: "POST", body, headers: { "x-portcullis-signature": await signEventBody(body, secrets) } });
      const res = await ingestEventsRequest(request, { db: async () => db, secrets: async () => secrets, onUsage: async () => void (followUps += 1) });
      return { status: res.status, json: await res.json() };
    };
    expect(await deliverWithUsage([mcp, llm])).toEqual({ status: 200, json: { accepted: 2, duplicates: 0 } });
    expect(followUps).toBe(1);
    const [row] = await db.select().from(llmEvents).where(inArray(llmEvents.id, [llm.id]));
    expect(row).toMatchObject({ providerSlug: "openai", model: "gpt-test-1", inputTokens: 7, costMicroUsd: 123, teamIds: [teamId], cache: "miss" });
    expect(await stored([mcp])).toBe(1);
    // Redelivered: nothing new, no follow-up.
    expect(await deliverWithUsage([mcp, llm])).toEqual({ status: 200, json: { accepted: 0, duplicates: 2 } });
    expect(followUps).toBe(1);
    // A bad LLM event is named by its field, like an MCP one.
    const bad = await signed([makeLlmEvent({ status: 42 })]);
    expect(bad.status).toBe(400);
    expect(bad.json.error?.message).toMatch(/events\.0\.status/);
  });

  it("stores a signed batch and answers how many it accepted", async () => {
    const events = [makeEvent(), makeEvent({ decision: "denied", reason: "not approved", success: false })];
    expect(await signed(events)).toEqual({ status: 200, json: { accepted: 2, duplicates: 0 } });
    expect(await stored(events)).toBe(2);
    const [row] = await db.select().from(mcpEvents).where(inArray(mcpEvents.id, [events[1]!.id]));
    expect(row).toMatchObject({ decision: "denied", reason: "not approved", success: false, serverSlug: "weather", resultTokens: 42 });
  });

  it("stores every value as sent: quotes, backslashes, braces, commas, tabs, line breaks, NULL-like text, unicode, JSON and team arrays", async () => {
    // On PostgreSQL the rows go as COPY text (tab-separated, `\N` for null), elsewhere as array literals.
    const awkward = 'say "hi", {a,b} \\ back\\slash \\N NULL null \u00e9\u{1F600} \n end\tcol\r\n';
    const mcp = makeEvent({ email: "q\"uote@example.test", tool: awkward, reason: "NULL", arguments: JSON.stringify({ q: awkward }), serverTokens: { 'we"ird': 3, plain: 4 }, durationMs: 0 });
    const llm = makeLlmEvent({ teamIds: [crypto.randomUUID(), crypto.randomUUID()], model: awkward, error: "{}" });
    const lone = makeLlmEvent({ teamIds: [] });
    // A first delivery tells ingest that no sink wants events, so the next goes in on its own.
    expect((await signed([makeEvent()])).status).toBe(200);
    expect(await signed([mcp, llm, lone])).toEqual({ status: 200, json: { accepted: 3, duplicates: 0 } });
    const [row] = await db.select().from(mcpEvents).where(eq(mcpEvents.id, mcp.id));
    expect(row).toMatchObject({ email: mcp.email, tool: awkward, reason: "NULL", arguments: mcp.arguments, serverTokens: { 'we"ird': 3, plain: 4 }, durationMs: 0, wouldBlock: false });
    expect(new Date(row!.time).toISOString()).toBe(new Date(mcp.time).toISOString());
    const llmRows = await db.select().from(llmEvents).where(inArray(llmEvents.id, [llm.id, lone.id]));
    expect(llmRows.find((r) => r.id === llm.id)).toMatchObject({ teamIds: llm.teamIds, model: awkward, error: "{}" });
    expect(llmRows.find((r) => r.id === lone.id)).toMatchObject({ teamIds: [] });
  });

  it("stores a time written with an offset, without milliseconds or with microseconds as its instant to the millisecond, and once on redelivery", async () => {
    const forms = [
      makeEvent({ time: "2030-05-06T09:10:11+02:00" }),
      makeEvent({ time: "2030-05-06T07:10:11.123456Z" }),
      makeEvent({ time: "2030-05-06T07:10:11.5Z" }),
      makeEvent({ time: "2030-05-06T07:10:11.250Z" }),
    ];
    expect(await signed(forms)).toEqual({ status: 200, json: { accepted: 4, duplicates: 0 } });
    const rows = await db.select({ id: mcpEvents.id, time: mcpEvents.time }).from(mcpEvents).where(inArray(mcpEvents.id, forms.map((e) => e.id)));
    const timeOf = (id: string) => new Date(rows.find((r) => r.id === id)!.time).toISOString();
    expect(forms.map((e) => timeOf(e.id))).toEqual(["2030-05-06T07:10:11.000Z", "2030-05-06T07:10:11.123Z", "2030-05-06T07:10:11.500Z", "2030-05-06T07:10:11.250Z"]);
    expect(await signed(forms)).toEqual({ status: 200, json: { accepted: 0, duplicates: 4 } });
  });

  it("stores the block list's marks: would-block calls (log mode), refusals by an entry, and nothing on unmarked events", async () => {
    const blockId = crypto.randomUUID();
    const would = makeEvent({ blockId, wouldBlock: true });
    const refused = makeEvent({ decision: "denied", reason: "SERVER_BLOCKED: https://x.example is on the shadow-MCP block list (t)", success: false, blockId, wouldBlock: false });
    const plain = makeEvent();
    const llm = makeLlmEvent({ blockId, wouldBlock: true });
    expect(await signed([would, refused, plain, llm])).toEqual({ status: 200, json: { accepted: 4, duplicates: 0 } });
    const rows = await db.select({ id: mcpEvents.id, blockId: mcpEvents.blockId, wouldBlock: mcpEvents.wouldBlock }).from(mcpEvents).where(inArray(mcpEvents.id, [would.id, refused.id, plain.id]));
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(would.id)).toMatchObject({ blockId, wouldBlock: true });
    expect(byId.get(refused.id)).toMatchObject({ blockId, wouldBlock: false });
    expect(byId.get(plain.id)).toMatchObject({ blockId: null, wouldBlock: false });
    const [llmRow] = await db.select({ blockId: llmEvents.blockId, wouldBlock: llmEvents.wouldBlock }).from(llmEvents).where(eq(llmEvents.id, llm.id));
    expect(llmRow).toEqual({ blockId, wouldBlock: true });
  });

  it("quarantines a tool the portal reports as changed upstream (once), and records why", async () => {
    const [server] = await db
      .insert(servers)
      .values({ slug: `s-${crypto.randomUUID().slice(0, 8)}`, name: "S", url: "http://127.0.0.1:9/mcp", endpointUrl: "http://127.0.0.1:9/mcp", transport: "streamable-http", status: "approved" })
      .returning();
    const tool = { serverId: server!.id, definition: {}, hash: "a".repeat(64), pinnedHash: "a".repeat(64), tokensJson: 1, tokensTypescript: 1 };
    await db.insert(serverTools).values([
      { ...tool, name: "get_weather", state: "enabled" },
      { ...tool, name: "other", state: "enabled" },
    ]);
    const report = makeEvent({ method: "tools/list", serverId: server!.id, tool: "get_weather", decision: "denied", success: false, reason: `${HASH_MISMATCH_REASON}: live definition hashes to ${"b".repeat(64)}` });
    expect((await signed([report])).status).toBe(200);
    expect((await signed([{ ...report, id: crypto.randomUUID() }])).status).toBe(200);
    const rows = await db.select().from(serverTools).where(eq(serverTools.serverId, server!.id));
    expect(Object.fromEntries(rows.map((r) => [r.name, r.state]))).toEqual({ get_weather: "quarantined", other: "enabled" });
    const timeline = await db.select().from(serverEvents).where(eq(serverEvents.serverId, server!.id));
    expect(timeline.filter((e) => e.kind === "quarantined")).toHaveLength(1);
    // An ordinary denial changes nothing.
    expect((await signed([makeEvent({ serverId: server!.id, tool: "other", decision: "denied", reason: "POLICY_DENIED: no rule allows this" })])).status).toBe(200);
    expect((await db.select().from(serverTools).where(eq(serverTools.serverId, server!.id))).find((r) => r.name === "other")?.state).toBe("enabled");
  });

  it("counts redelivered and repeated ids as duplicates and stores each id once", async () => {
    const first = makeEvent();
    await signed([first]);
    const fresh = makeEvent();
    expect(await signed([first, fresh, fresh])).toEqual({ status: 200, json: { accepted: 1, duplicates: 2 } });
    expect(await stored([first, fresh])).toBe(2);
  });

  it("takes a redelivered backlog with ON CONFLICT from the first repeat on, keeping its database connections", async () => {
    const batches = Array.from({ length: 4 }, () => [makeEvent(), makeLlmEvent()]);
    for (const batch of batches) expect((await signed(batch)).json).toEqual({ accepted: 2, duplicates: 0 });
    // node-postgres's pool drops a client whose query failed outside a transaction; each new one connects.
    const client = (handle.opened.db as unknown as { $client: { on?: (event: "connect", listener: () => void) => void } }).$client;
    let connects = 0;
    client.on?.("connect", () => connects++);
    for (const batch of batches) expect((await signed(batch)).json).toEqual({ accepted: 0, duplicates: 2 });
    expect(connects).toBeLessThanOrEqual(1);
  });

  it("takes deliveries that arrive together in one transaction, answering each for its own events", async () => {
    const shared = makeEvent();
    const batches = Array.from({ length: 6 }, (_, i) => [makeEvent(), makeLlmEvent(), ...(i % 2 === 0 ? [shared] : [])]);
    // All six at once (and the first one twice): each id is stored once and counted for one delivery.
    const answers = await Promise.all([...batches, batches[0]!].map((b) => signed(b)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const total = answers.reduce((n, a) => n + (a.json.accepted as number), 0);
    expect(total).toBe(6 * 2 + 1);
    answers.forEach((a, i) => expect((a.json.accepted as number) + (a.json.duplicates as number)).toBe([...batches, batches[0]!][i]!.length));
    expect(await stored([shared, ...batches.map((b) => b[0] as PortalEvent)])).toBe(7);
    // A delivery the database refuses fails alone: the group is tried again one delivery at a time.
    const good = [makeEvent(), makeEvent()];
    const [first, refused, second] = await Promise.all([signed([good[0]]), signed([{ ...makeEvent(), email: "nul\u0000byte@example.test" }]), signed([good[1]])]);
    expect([first.status, refused.status, second.status]).toEqual([200, refused.status, 200]);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(await stored(good)).toBe(2);
  });

  it("refuses a missing, malformed, foreign-key or tampered signature with 401 and stores nothing", async () => {
    const event = makeEvent();
    const body = JSON.stringify({ events: [event] });
    const missing = await deliver(body, null);
    expect(missing.status).toBe(401);
    expect(missing.json.error?.code).toBe("UNAUTHENTICATED");
    expect((await deliver(body, "v1=abc")).status).toBe(401);
    expect((await deliver(body, await signEventBody(body, stranger))).status).toBe(401);
    const tampered = JSON.stringify({ events: [{ ...event, decision: "allowed", email: "someone-else@example.test" }] });
    expect((await deliver(tampered, await signEventBody(body, secrets))).status).toBe(401);
    // An API token is no substitute for the signature.
    expect((await deliver(body, null, { authorization: "Bearer pcs_anything" })).status).toBe(401);
    expect(await stored([event])).toBe(0);
  });

  it("refuses a signature whose timestamp is outside the tolerance (a replay), saying so", async () => {
    const event = makeEvent();
    const old = await signed([event], secrets, Math.floor(Date.now() / 1000) - 3600);
    expect(old.status).toBe(401);
    expect(old.json.error?.message).toMatch(/3600 s old/);
    expect((await signed([event], secrets, Math.floor(Date.now() / 1000) + 3600)).status).toBe(401);
    expect(await stored([event])).toBe(0);
  });

  it("accepts every secret listed (rotation), signed with any of them", async () => {
    const both = [...stranger, ...secrets];
    const event = makeEvent();
    const body = JSON.stringify({ events: [event] });
    const res = await ingestEventsRequest(
      new Request("http://console.test/api/v1/events", { method: "POST", body, headers: { "x-portcullis-signature": await signEventBody(body, secrets) } }),
      { db: async () => db, secrets: async () => both },
    );
    expect(res.status).toBe(200);
  });

  it("refuses a body over the limit with 413, by declared length or by what arrives", async () => {
    const big = JSON.stringify({ events: [makeEvent({ error: "x".repeat(EVENT_BODY_LIMIT_BYTES) })] });
    const res = await deliver(big, await signEventBody(big, secrets));
    expect(res.status).toBe(413);
    expect(res.json.error?.code).toBe("PAYLOAD_TOO_LARGE");
    const declared = await deliver("{}", "t=1,v1=" + "0".repeat(64), { "content-length": String(EVENT_BODY_LIMIT_BYTES + 1) });
    expect(declared.status).toBe(413);
  });

  it("answers malformed JSON with 400 INVALID_JSON", async () => {
    const body = "{ not json";
    const res = await deliver(body, await signEventBody(body, secrets));
    expect(res.status).toBe(400);
    expect(res.json.error?.code).toBe("INVALID_JSON");
  });

  it("refuses a batch with one invalid event with 400 VALIDATION_ERROR, naming it, and stores none of it", async () => {
    const good = makeEvent();
    const bad = { ...makeEvent(), decision: "maybe" };
    const res = await signed([good, bad]);
    expect(res.status).toBe(400);
    expect(res.json.error?.code).toBe("VALIDATION_ERROR");
    expect(res.json.error?.message).toMatch(/events\.1\.decision/);
    expect(await stored([good])).toBe(0);
    expect((await signed([{ ...makeEvent(), extra: 1 }])).status).toBe(400);
    expect((await signed([])).status).toBe(400);
    expect((await signed(Array.from({ length: 501 }, () => makeEvent()))).status).toBe(400);
  });
});

describe.each(testDatabases())("event ingest, groups sent while one runs, on $name", (database) => {
  const { db } = useTestDatabase(database);
  let secrets: EdgeSecret[];
  beforeAll(async () => {
    secrets = await parseEdgeSecrets(generateEdgeSecret());
  });
  const { signed, stored } = ingestThrough(db, () => secrets);

  it("answers each delivery for its own events while the next group is sent before the running one ends, also when one of them repeats an id", async () => {
    // A database of its own: no repeated id in the last seconds (which sends groups through ON
    // CONFLICT, not the pipeline). Three groups first: the first answers whether a sink receives
    // events, the next (on a pipeline, on PostgreSQL) how long a group takes per event; from then on
    // the next group goes out while one runs (when it is due depends on timing: in four runs on
    // PostgreSQL, 2 to 8 of this burst's groups were sent while another ran).
    for (let i = 0; i < 3; i++) expect((await signed([...Array.from({ length: 60 }, () => makeEvent()), makeLlmEvent()])).json).toEqual({ accepted: 61, duplicates: 0 });
    const stored0 = makeEvent();
    await signed([stored0]);
    const batches = Array.from({ length: 40 }, () => ({ mcp: Array.from({ length: 60 }, () => makeEvent()), llm: makeLlmEvent() }));
    // One delivery in the middle repeats a stored id: its group fails on the key, while the group
    // after it may be running already, and goes in again with ON CONFLICT.
    batches[20]!.mcp.push(stored0);
    const answers = await Promise.all(batches.map((b) => signed([...b.mcp, b.llm])));
    answers.forEach((a, i) => expect(a.json, `delivery ${i}`).toEqual({ accepted: 61, duplicates: i === 20 ? 1 : 0 }));
    expect(await stored(batches.flatMap((b) => b.mcp))).toBe(40 * 60 + 1);
    const llmIds = batches.map((b) => b.llm.id);
    expect((await db.select({ id: llmEvents.id }).from(llmEvents).where(inArray(llmEvents.id, llmIds))).length).toBe(40);
  });
});
