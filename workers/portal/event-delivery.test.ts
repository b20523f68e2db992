/**
 * Audit events are never lost: the portal Worker runs in workerd (Miniflare, as deployed) and
 * delivers its buffered events to a console ingest that is stopped in the middle of 1,000 calls and
 * started again; the database ends up with exactly those 1,000 events, once each.
 *
 * The console side is the real ingest code (lib/audit/ingest-request.ts → ingestEvents → PGlite)
 * served by a bare Node HTTP server: the production path minus Next. The 1,000 events come from real
 * MCP tool calls (the SDK client, an API token, the registry's fixture server upstream). The
 * buffer's own edge cases (a poison event, oversized text) use the test entry's enqueue hook
 * (src/testing/test-entry.ts, on only with PORTCULLIS_TEST_HOOKS=1).
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq, inArray } from "drizzle-orm";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { mcpEvents } from "../../db/schema";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { generateEdgeSecret, parseEdgeSecrets } from "@core/edge/secret";
import { allowRule, approvedServer, bundleOf, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";
import { ingestEventsRequest } from "@/lib/audit/ingest-request";
import type { PortalEvent } from "@core/events/schema";
import { makeEvent } from "@/testing/events";


interface Stats {
  pending: number;
  lastDeliveredAt: string | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  dropped: number;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe("event delivery from the portal Worker to the console", () => {
  const { db } = useTestDatabase(testDatabases()[0]!);
  let portal: PortalUnderTest;
  let upstream: Awaited<ReturnType<typeof startMutableServer>>;
  let dana: TestUser;
  let server: Server | undefined;
  let port = 0;
  const secret = generateEdgeSecret();
  /** What the ingest server saw, and knobs to make it misbehave. */
  const console_ = { requests: 0, accepted: 0, duplicates: 0, loseNextResponse: false, refuseId: null as string | null, delivered: [] as string[] };

  async function startConsole(): Promise<void> {
    const secrets = await parseEdgeSecrets(secret);
    server = createServer(async (req, res) => {
      const body = await readBody(req);
      console_.requests++;
      if (console_.refuseId && body.toString("utf8").includes(console_.refuseId)) {
        // Stands in for a console that finds one event unacceptable (e.g. after a schema change).
        res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "VALIDATION_ERROR", message: "refused by the test" } }));
        return;
      }
      const request = new Request(`http://127.0.0.1:${port}${req.url}`, {
        method: req.method,
        headers: Object.entries(req.headers).flatMap(([k, v]) => (typeof v === "string" ? [[k, v] as [string, string]] : [])),
        body: req.method === "POST" ? new Uint8Array(body) : undefined,
      });
      const response = await ingestEventsRequest(request, { db: async () => db, secrets: async () => secrets });
      const text = await response.text();
      if (response.ok) {
        console_.delivered.push(...(JSON.parse(body.toString("utf8")) as { events: { id: string }[] }).events.map((e) => e.id));
        const result = JSON.parse(text) as { accepted: number; duplicates: number };
        console_.accepted += result.accepted;
        console_.duplicates += result.duplicates;
      }
      if (response.ok && console_.loseNextResponse) {
        // Stored, but the answer never arrives: the Worker must deliver the batch again.
        console_.loseNextResponse = false;
        res.writeHead(503).end();
        return;
      }
      res.writeHead(response.status, { "content-type": "application/json" }).end(text);
    });
    await new Promise<void>((resolve, reject) => {
      server!.once("error", reject);
      server!.listen(port, "127.0.0.1", () => resolve());
    });
    port = (server.address() as AddressInfo).port;
  }

  async function stopConsole(): Promise<void> {
    const s = server;
    server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  beforeAll(async () => {
    await startConsole();
    upstream = await startMutableServer({ port: 0 });
    // Retries every 1 s doubling to 60 s in production; capped here so the test runs in seconds.
    portal = await startPortal({ consoleUrl: `http://127.0.0.1:${port}`, edgeSecret: secret, testHooks: true, vars: { PORTCULLIS_EVENTS_MAX_BACKOFF_MS: "200" } });
    dana = await testUser("dana@example.test");
    const server = await approvedServer({ slug: "weather", url: upstream.url, edgeSecret: secret });
    const bundle = await bundleOf({ servers: [server], users: [dana], rules: [allowRule({ type: "everyone" }, "weather")] });
    expect((await portal.push(bundle)).status).toBe(200);
  }, 90_000);
  afterAll(async () => {
    await portal?.stop();
    await upstream?.close();
    await stopConsole();
  });

  const origin = () => portal.origin;
  /** POSTs events to the test entry's enqueue hook. */
  const enqueue = (events: unknown[]) => fetch(`${origin()}/_portcullis/test/enqueue`, { method: "POST", body: JSON.stringify({ events }), headers: { "content-type": "application/json" } });
  const stats = async () => (await (await portal.operatorGet("/_portcullis/events")).json()) as Stats;
  const storedIds = async (events: PortalEvent[]) =>
    (await db.select({ id: mcpEvents.id }).from(mcpEvents).where(inArray(mcpEvents.id, events.map((e) => e.id)))).map((r) => r.id);

  it("stores exactly 1,000 events, once each, for 1,000 MCP tool calls made while the console was down for 700 of them", async () => {
    // Four agents with their own sessions, calling a real tool through the portal.
    const clients = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const client = new Client({ name: "delivery-test", version: "1" });
        await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", origin()), { requestInit: { headers: { authorization: `Bearer ${dana.token}` } } }));
        return client;
      }),
    );
    let made = 0;
    const calls = async (count: number) => {
      let left = count;
      await Promise.all(
        clients.map(async (client) => {
          while (left > 0) {
            left--;
            const i = made++;
            const result = await client.callTool({ name: "weather_get_weather", arguments: { city: `city-${i}` } });
            expect(result.isError).toBeFalsy();
          }
        }),
      );
    };
    const callEvents = async () =>
      db
        .select({ id: mcpEvents.id, tool: mcpEvents.tool })
        .from(mcpEvents)
        .where(and(eq(mcpEvents.email, "dana@example.test"), eq(mcpEvents.method, "tools/call")));

    await calls(300);
    await stopConsole();
    await calls(700);
    expect(made).toBe(1_000);

    // Down: deliveries fail, the events wait in the buffer, retries are scheduled.
    const failing = await waitFor("a failed delivery", async () => {
      const s = await stats();
      return s.lastError !== null && s.nextAttemptAt !== null && s;
    });
    expect(failing.lastError).toMatch(/unreachable|answered/);
    expect(failing.pending).toBeGreaterThan(0);
    const requestsWhileDown = console_.requests;
    await new Promise((r) => setTimeout(r, 1_000));
    expect(console_.requests).toBe(requestsWhileDown);
    expect((await callEvents()).length).toBeLessThan(1_000);

    // Back up, and the first answer is lost after the batch was stored: that batch comes again.
    console_.loseNextResponse = true;
    await startConsole();
    const drained = await waitFor("the buffer to drain", async () => {
      const s = await stats();
      return s.pending === 0 && s;
    });
    expect(drained).toMatchObject({ pending: 0, lastError: null, nextAttemptAt: null, dropped: 0 });
    expect(console_.duplicates).toBeGreaterThan(0);

    const rows = await callEvents();
    expect(rows).toHaveLength(1_000);
    expect(new Set(rows.map((r) => r.id)).size).toBe(1_000);
    expect(rows.every((r) => r.tool === "get_weather")).toBe(true);
    await Promise.all(clients.map((c) => c.close()));
  }, 180_000);

  it("isolates an event the console refuses (400) by bisecting, drops only it, and delivers the rest", async () => {
    const events = Array.from({ length: 40 }, () => makeEvent());
    const poison = events[17]!;
    console_.refuseId = poison.id;
    const before = console_.accepted;
    // One enqueue, so the 40 events travel in one batch and the bisection has work to do.
    const res = await enqueue(events);
    expect(res.status).toBe(200);
    const drained = await waitFor("the buffer to drain", async () => {
      const s = await stats();
      return s.pending === 0 && s;
    });
    console_.refuseId = null;
    expect(drained.dropped).toBe(1);
    const ids = await storedIds(events);
    expect(ids).toHaveLength(39);
    expect(ids).not.toContain(poison.id);
    expect(console_.accepted - before).toBe(39);
  }, 60_000);

  it("refuses to buffer an event that breaks the contract, and clips long text instead of refusing", async () => {
    const bad = await enqueue([{ ...makeEvent(), decision: "maybe" }]);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: expect.stringMatching(/decision/) });
    const long = makeEvent({ tool: "t".repeat(5_000), error: "e".repeat(50_000), durationMs: 12.7 });
    const ok = await enqueue([long]);
    expect(ok.status).toBe(200);
    await waitFor("the buffer to drain", async () => (await stats()).pending === 0);
    const [row] = await db.select().from(mcpEvents).where(inArray(mcpEvents.id, [long.id]));
    expect(row!.tool).toHaveLength(500);
    expect(row!.error).toHaveLength(2_000);
    expect(row!.durationMs).toBe(13);
    expect((await stats()).dropped).toBe(1);
  }, 60_000);

  it("delivers 1,000 events from 500 concurrent enqueues exactly once, each sender's in the order it sent them", async () => {
    const before = await stats();
    const firstDelivered = console_.delivered.length;
    // 25 senders, each awaiting its previous enqueue (2 events each) before the next: the calls share group commits.
    const senders = Array.from({ length: 25 }, () => Array.from({ length: 20 }, () => [makeEvent(), makeEvent()]));
    await Promise.all(
      senders.map(async (calls) => {
        for (const events of calls) {
          const res = await enqueue(events);
          expect(res.status).toBe(200);
        }
      }),
    );
    await waitFor("the buffer to drain", async () => (await stats()).pending === 0);
    const all = senders.flat(2);
    expect(await storedIds(all)).toHaveLength(1_000);
    const delivered = console_.delivered.slice(firstDelivered);
    const position = new Map<string, number>();
    delivered.forEach((id, i) => position.set(id, position.get(id) ?? i));
    const ours = new Set(all.map((e) => e.id));
    expect(delivered.filter((id) => ours.has(id))).toHaveLength(1_000);
    for (const calls of senders) {
      const order = calls.flat().map((e) => position.get(e.id)!);
      expect(order).toEqual([...order].sort((x, y) => x - y));
    }
    expect((await stats()).dropped).toBe(before.dropped);
  }, 90_000);
});
