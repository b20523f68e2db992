/**
 * The event ingest route as Next serves it: authenticated by the edge secret's signature
 * (PORTCULLIS_EDGE_SECRET here), never by an API token — not even an admin's.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inArray } from "drizzle-orm";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { mcpEvents } from "@/db/schema";
import { generateEdgeSecret, parseEdgeSecrets, signEventBody } from "@core/edge/secret";
import { makeEvent } from "@/testing/events";
import { makeUserToken } from "@/testing/users";
import { buildOpenApiDocument } from "@/lib/api/openapi";
import { POST } from "./route";
import { GET as listAudit } from "../audit/route";

describe.each(testDatabases())("POST /api/v1/events on $name", (database) => {
  const { db } = useTestDatabase(database, { getDb: true });
  let adminToken: string;
  const secret = generateEdgeSecret();
  const previous = process.env.PORTCULLIS_EDGE_SECRET;

  beforeAll(async () => {
    process.env.PORTCULLIS_EDGE_SECRET = secret;
    adminToken = await makeUserToken(db, "admin");
  });
  afterAll(() => {
    if (previous === undefined) delete process.env.PORTCULLIS_EDGE_SECRET;
    else process.env.PORTCULLIS_EDGE_SECRET = previous;
  });

  const post = (body: string, headers: Record<string, string>) =>
    POST(new Request("http://console.test/api/v1/events", { method: "POST", body, headers: { "content-type": "application/json", ...headers } }));

  it("refuses an admin's API token without a valid signature (401), and stores nothing", async () => {
    const event = makeEvent();
    const body = JSON.stringify({ events: [event] });
    const bearer = { authorization: `Bearer ${adminToken}` };
    expect((await post(body, bearer)).status).toBe(401);
    const forged = await signEventBody(body, await parseEdgeSecrets(generateEdgeSecret()));
    const res = await post(body, { ...bearer, "x-portcullis-signature": forged });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "UNAUTHENTICATED" } });
    expect(await db.select().from(mcpEvents).where(inArray(mcpEvents.id, [event.id]))).toEqual([]);
  });

  it("accepts a batch signed with PORTCULLIS_EDGE_SECRET, idempotently, and the audit API shows it", async () => {
    const events = [makeEvent({ email: "route@example.test" }), makeEvent({ email: "route@example.test" })];
    const body = JSON.stringify({ events });
    const signature = await signEventBody(body, await parseEdgeSecrets(secret));
    const first = await post(body, { "x-portcullis-signature": signature });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ accepted: 2, duplicates: 0 });
    const again = await post(body, { "x-portcullis-signature": signature });
    expect(await again.json()).toEqual({ accepted: 0, duplicates: 2 });

    const listed = await listAudit(new Request("http://console.test/api/v1/audit?user=route%40example&limit=1", { headers: { authorization: `Bearer ${adminToken}` } }), {
      params: Promise.resolve({}),
    });
    expect(listed.status).toBe(200);
    const page = (await listed.json()) as { events: { id: string }[]; nextCursor: string | null };
    expect(page.events).toHaveLength(1);
    expect(page.nextCursor).toEqual(expect.any(String));
    const next = await listAudit(
      new Request(`http://console.test/api/v1/audit?user=route%40example&cursor=${page.nextCursor}`, { headers: { authorization: `Bearer ${adminToken}` } }),
      { params: Promise.resolve({}) },
    );
    const rest = (await next.json()) as { events: { id: string }[]; nextCursor: string | null };
    expect([...page.events, ...rest.events].map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
    expect(rest.nextCursor).toBeNull();
  });

  it("is documented as signature-authenticated, not bearer", () => {
    const doc = buildOpenApiDocument("http://x/api/v1");
    const op = (doc.paths["/events"] as Record<string, { security?: unknown; responses: Record<string, unknown> }>).post!;
    expect(op.security).toEqual([{ edgeSignature: [] }]);
    expect(doc.components.securitySchemes.edgeSignature).toMatchObject({ type: "apiKey", in: "header", name: "X-Portcullis-Signature" });
    expect(Object.keys(op.responses).sort()).toEqual(["200", "400", "401", "413"]);
  });

  it("answers bad audit queries with 400", async () => {
    const get = (q: string) => listAudit(new Request(`http://console.test/api/v1/audit${q}`, { headers: { authorization: `Bearer ${adminToken}` } }), { params: Promise.resolve({}) });
    for (const q of ["?limit=500", "?decision=maybe", "?from=yesterday", "?cursor=not*base64", "?cursor=Zm9v", "?unknown=1"]) {
      const res = await get(q);
      expect(res.status, q).toBe(400);
      expect(await res.json(), q).toMatchObject({ error: { code: "VALIDATION_ERROR" } });
    }
  });
});
