/** The export route as Next serves it: a Bearer token, the Audit's filters, a streamed download or a clear 400. */
import { beforeAll, describe, expect, it } from "vitest";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { mcpEvents } from "@/db/schema";
import { makeEvent } from "@/testing/events";
import { makeUserToken } from "@/testing/users";
import { GET } from "./route";

describe.each(testDatabases())("GET /api/v1/events/export on $name", (database) => {
  const { db } = useTestDatabase(database, { getDb: true });
  let token: string;
  const event = makeEvent({ time: "2032-05-05T10:00:00.000Z", serverSlug: "exported", email: "+1-555@example.test" });

  beforeAll(async () => {
    token = await makeUserToken(db, "security");
    await db.insert(mcpEvents).values([event, makeEvent({ time: "2032-05-05T11:00:00.000Z", serverSlug: "other" })]);
  });

  const get = (query: string) => GET(new Request(`http://console.test/api/v1/events/export?${query}`, { headers: { authorization: `Bearer ${token}` } }), { params: Promise.resolve({}) });

  it("streams the filtered view as CSV by default", async () => {
    const res = await get("server=exported&from=2032-05-05T00:00:00Z&to=2032-05-06T00:00:00Z");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="portcullis-audit-20320506T0000.csv"');
    const lines = (await res.text()).split("\r\n");
    expect(lines[0]).toMatch(/^time,id,userId,email,/);
    expect(lines[1]).toContain(`2032-05-05T10:00:00.000Z,${event.id},,'+1-555@example.test,`);
    expect(lines.slice(2)).toEqual([""]);
  });

  it("answers invalid filters with a 400 that names them", async () => {
    const bad = await get("format=xml&decision=maybe");
    expect(bad.status).toBe(400);
    const { error } = (await bad.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("VALIDATION_ERROR");
    expect(error.message).toMatch(/format/);
    expect((await get("from=2032-05-06T00:00:00Z&to=2032-05-05T00:00:00Z")).status).toBe(400);
    expect((await get("limit=5")).status).toBe(400);
  });
});
