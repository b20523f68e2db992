/** Logpush jobs through the public API, as automation creates them: a token, the secret once, revocation. */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { makeUserToken } from "@/testing/users";
import type { CreatedLogpushJobOutput, LogpushJobOutput } from "@/lib/shadow/schemas";
import { LOGPUSH_SECRET_HEADER } from "@/lib/shadow/logpush";
import { POST as ingest } from "../route";
import { DELETE } from "./[id]/route";
import { GET, POST } from "./route";

describe.each(testDatabases())("/api/v1/traffic/logpush/jobs on $name", (database) => {
  const { db } = useTestDatabase(database, { getDb: true });
  let security: string;
  let member: string;
  beforeAll(async () => {
    security = await makeUserToken(db, "security");
    member = await makeUserToken(db, "member");
  });
  afterEach(() => vi.unstubAllEnvs());

  const call = (handler: typeof GET, method: string, path: string, token: string, body?: unknown, params: Record<string, string> = {}) =>
    handler(
      new Request(`http://console.internal:3000/api/v1/traffic/logpush/jobs${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "x-forwarded-host": "console.acme.test", "x-forwarded-proto": "https", ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      }),
      { params: Promise.resolve(params) },
    );

  it("creates a job (201, its secret and destination_conf once), lists it without the secret, and revokes it", async () => {
    vi.stubEnv("AUTH_URL", "");
    const created = await call(POST, "POST", "", security, { name: "From CI", format: "cloudflare" });
    expect(created.status).toBe(201);
    const job = (await created.json()) as CreatedLogpushJobOutput;
    // No AUTH_URL: the origin the request came through (the proxy's forwarded host).
    expect(job.destinationConf).toBe(`https://console.acme.test/api/v1/traffic/logpush?header_X-Portcullis-Logpush-Secret=${job.secret}`);

    const listed = (await (await call(GET, "GET", "", security)).json()) as { jobs: LogpushJobOutput[] };
    const mine = listed.jobs.find((j) => j.id === job.id);
    expect(mine).toMatchObject({ name: "From CI", format: "cloudflare", batches: 0, revokedAt: null });
    expect(JSON.stringify(listed)).not.toContain(job.secret);

    const check = () => ingest(new Request("http://console.test/api/v1/traffic/logpush", { method: "POST", headers: { [LOGPUSH_SECRET_HEADER]: job.secret }, body: '{"content":"tests"}\n' }));
    expect((await check()).status).toBe(200);
    const revoked = await call(DELETE, "DELETE", `/${job.id}`, security, undefined, { id: job.id });
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as LogpushJobOutput).revokedAt).not.toBeNull();
    expect((await check()).status).toBe(401);
  });

  it("names AUTH_URL's origin in the destination_conf when it is set", async () => {
    vi.stubEnv("AUTH_URL", "https://portcullis.acme.example/api/auth");
    const job = (await (await call(POST, "POST", "", security, { name: "Behind AUTH_URL", format: "generic" })).json()) as CreatedLogpushJobOutput;
    expect(job.destinationConf.startsWith("https://portcullis.acme.example/api/v1/traffic/logpush?header_X-Portcullis-Logpush-Secret=pcl_")).toBe(true);
  });

  it("refuses an unknown field (400) and a member (403)", async () => {
    const extra = await call(POST, "POST", "", security, { name: "x", format: "generic", secret: "pcl_mine" });
    expect(extra.status).toBe(400);
    expect(await extra.json()).toMatchObject({ error: { code: "VALIDATION_ERROR" } });
    expect((await call(POST, "POST", "", member, { name: "x", format: "generic" })).status).toBe(403);
    expect((await call(GET, "GET", "", member)).status).toBe(403);
  });
});
