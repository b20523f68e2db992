/** Forwarding sinks through the public API: secrets in, never out (but a webhook's, once); validation; status. */
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { forwardingSinks } from "@/db/schema";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { makeUserToken } from "@/testing/users";
import type { CreatedSinkOutput, SinkOutput } from "@/lib/forwarding/schemas";
import { DELETE, GET as getOne, PATCH } from "./[id]/route";
import { POST as retry } from "./[id]/retry/route";
import { GET, POST } from "./route";

describe.each(testDatabases())("/api/v1/forwarding/sinks on $name", (database) => {
  const { db } = useTestDatabase(database, { getDb: true });
  let security: string;
  let admin: string;
  let member: string;
  beforeAll(async () => {
    security = await makeUserToken(db, "security");
    admin = await makeUserToken(db, "admin");
    member = await makeUserToken(db, "member");
  });

  const call = (handler: typeof GET, method: string, path: string, token: string, body?: unknown, params: Record<string, string> = {}) =>
    handler(
      new Request(`http://console.test/api/v1/forwarding/sinks${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      }),
      { params: Promise.resolve(params) },
    );

  it("answers a webhook's secret once and never again; a HEC token and OTLP headers never: not in list, get, update, delete, nor in the database in clear", async () => {
    const hook = (await (await call(POST, "POST", "", security, { kind: "webhook", name: "Hook", url: "https://siem.example.test/hook" })).json()) as CreatedSinkOutput;
    expect(hook.secret).toMatch(/^pcwh_[A-Za-z0-9_-]{20,}/);
    const hecRes = await call(POST, "POST", "", admin, { kind: "splunk_hec", name: "Splunk", url: "https://splunk.example.test:8088", token: "hec-SECRET-token" });
    expect(hecRes.status).toBe(201);
    const hec = (await hecRes.json()) as CreatedSinkOutput;
    const otlp = (await (await call(POST, "POST", "", security, { kind: "otlp", name: "Collector", url: "https://otel.example.test", headers: { "x-api-key": "OTLP-SECRET-key" } })).json()) as CreatedSinkOutput;
    expect(hec.secret).toBeUndefined();
    expect([hook, hec, otlp].map((s) => s.hasCredential)).toEqual([true, true, true]);
    const secrets = [hook.secret!, "hec-SECRET-token", "OTLP-SECRET-key"];

    const answers = [
      await call(GET, "GET", "", security),
      await call(getOne, "GET", `/${hook.id}`, security, undefined, { id: hook.id }),
      await call(PATCH, "PATCH", `/${hec.id}`, security, { token: "hec-NEW-token", filters: { decisions: ["denied"] } }, { id: hec.id }),
      await call(retry, "POST", `/${otlp.id}/retry`, security, undefined, { id: otlp.id }),
      await call(DELETE, "DELETE", `/${otlp.id}`, security, undefined, { id: otlp.id }),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const texts = await Promise.all(answers.map((r) => r.text()));
    for (const text of texts) for (const secret of [...secrets, "hec-NEW-token"]) expect(text).not.toContain(secret);
    expect((JSON.parse(texts[2]!) as SinkOutput).filters).toEqual({ kinds: [], decisions: ["denied"], servers: [] });
    const rows = await db.select().from(forwardingSinks);
    for (const secret of [...secrets, "hec-NEW-token"]) expect(JSON.stringify(rows)).not.toContain(secret);
    expect(rows.find((r) => r.id === hec.id)!.credentialCiphertext).toMatch(/^v1\./);
  });

  it("refuses a bad URL, a missing HEC token, an unknown field and a taken name (400/409), a token on a webhook (400), and a member (403)", async () => {
    const bad = await call(POST, "POST", "", security, { kind: "webhook", name: "Plain", url: "http://siem.example.test/hook" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "VALIDATION_ERROR" } });
    expect((await call(POST, "POST", "", security, { kind: "splunk_hec", name: "No token", url: "https://splunk.example.test" })).status).toBe(400);
    expect((await call(POST, "POST", "", security, { kind: "webhook", name: "Chosen", url: "https://a.example.test", secret: "mine" })).status).toBe(400);
    const first = (await (await call(POST, "POST", "", security, { kind: "webhook", name: "Twice", url: "https://a.example.test" })).json()) as SinkOutput;
    expect((await call(POST, "POST", "", security, { kind: "webhook", name: "twice", url: "https://b.example.test" })).status).toBe(409);
    expect((await call(PATCH, "PATCH", `/${first.id}`, security, { token: "x" }, { id: first.id })).status).toBe(400);
    expect((await call(POST, "POST", "", member, { kind: "webhook", name: "Member", url: "https://a.example.test" })).status).toBe(403);
    expect((await call(GET, "GET", "", member)).status).toBe(403);
    expect((await db.select().from(forwardingSinks).where(eq(forwardingSinks.name, "Member")))).toEqual([]);
  });
});
