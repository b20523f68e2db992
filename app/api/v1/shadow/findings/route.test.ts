/** The findings list as Next serves it: pages by cursor over HTTP, and a cursor of another sort answers 400 saying so. */
import { beforeAll, describe, expect, it } from "vitest";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { shadowFindings } from "@/db/schema";
import { makeUserToken } from "@/testing/users";
import { GET } from "./route";

interface Page {
  findings: { id: string; userCount: number }[];
  nextCursor: string | null;
}

describe("GET /api/v1/shadow/findings on pglite", () => {
  const { db } = useTestDatabase(testDatabases()[0]!, { getDb: true });
  let token: string;
  const tag = crypto.randomUUID().slice(0, 8);
  const get = (query: string) => GET(new Request(`http://console.test/api/v1/shadow/findings?q=${tag}&${query}`, { headers: { authorization: `Bearer ${token}` } }), { params: Promise.resolve({}) });

  beforeAll(async () => {
    token = await makeUserToken(db, "security");
    const at = new Date("2026-11-20T09:00:00Z");
    await db.insert(shadowFindings).values([1, 2, 3].map((n) => ({ key: `https://route-${n}-${tag}.example/mcp`, kind: "remote" as const, severity: "low" as const, userCount: n, firstSeen: at, lastSeen: at })));
  });

  it("pages with nextCursor until null, by the sort asked", async () => {
    const first = await get("sort=users&order=asc&limit=2");
    expect(first.status).toBe(200);
    const one = (await first.json()) as Page;
    expect(one.findings.map((f) => f.userCount)).toEqual([1, 2]);
    expect(one.nextCursor).toEqual(expect.any(String));
    const two = (await (await get(`sort=users&order=asc&limit=2&cursor=${one.nextCursor}`)).json()) as Page;
    expect(two).toMatchObject({ findings: [{ userCount: 3 }], nextCursor: null });
  });

  it("refuses a cursor from another sort with 400 saying so, and a bad sort or limit", async () => {
    const { nextCursor } = (await (await get("sort=users&limit=1")).json()) as Page;
    const res = await get(`sort=firstSeen&cursor=${nextCursor}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("VALIDATION_ERROR");
    expect(body.error.message).toMatch(/cursor.*sort=users.*not sort=firstSeen/);
    expect((await get("sort=name")).status).toBe(400);
    expect((await get("limit=501")).status).toBe(400);
  });
});
