import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { makeUser } from "@/testing/users";
import { auditLog, logpushJobs } from "@/db/schema";
import type { Actor } from "@/lib/auth/actor";
import type { Ctx } from "@/lib/context";
import { ForbiddenError, NotFoundError } from "@/lib/errors";
import { hashTokenSecret } from "@core/tokens/secret";
import { createLogpushJob } from "./create-logpush-job";
import { authenticateLogpushJob, isLogpushTestMessage, listLogpushJobs, logpushDestinationConf } from "./logpush";
import { revokeLogpushJob } from "./revoke-logpush-job";

describe("the Logpush destination_conf and destination check", () => {
  it("puts the secret in the header_ parameter Logpush turns into the X-Portcullis-Logpush-Secret header", () => {
    expect(logpushDestinationConf("https://console.acme.test", "pcl_abc-_DEF")).toBe("https://console.acme.test/api/v1/traffic/logpush?header_X-Portcullis-Logpush-Secret=pcl_abc-_DEF");
    expect(logpushDestinationConf("https://console.acme.test:8443/ignored/path", "pcl_x")).toBe("https://console.acme.test:8443/api/v1/traffic/logpush?header_X-Portcullis-Logpush-Secret=pcl_x");
  });

  it("recognizes only a body of exactly {\"content\":\"tests\"} as the check", () => {
    expect(isLogpushTestMessage(1, '{"content":"tests"}')).toBe(true);
    expect(isLogpushTestMessage(1, '{ "content" : "tests" }')).toBe(true);
    expect(isLogpushTestMessage(2, '{"content":"tests"}')).toBe(false);
    expect(isLogpushTestMessage(1, '{"content":"tests","URL":"https://x.example/mcp"}')).toBe(false);
    expect(isLogpushTestMessage(1, '{"content":"test"}')).toBe(false);
    expect(isLogpushTestMessage(1, "tests")).toBe(false);
    expect(isLogpushTestMessage(0, null)).toBe(false);
  });
});

describe.each(testDatabases())("Logpush jobs on $name", (database) => {
  const { db } = useTestDatabase(database);
  let security: Ctx;
  let admin: Ctx;
  const others: Actor[] = [];

  beforeAll(async () => {
    security = { db, actor: await makeUser(db, "security") };
    admin = { db, actor: await makeUser(db, "admin") };
    for (const role of ["viewer", "member", "approver"] as const) others.push(await makeUser(db, role));
  });

  it("creates a job whose secret is shown once and stored only as its hash, with the destination_conf and an audit row", async () => {
    const job = await createLogpushJob(security, { name: "  Gateway HTTP  ", format: "cloudflare" }, "https://console.acme.test");
    expect(job).toMatchObject({ name: "Gateway HTTP", format: "cloudflare", batches: 0, lines: 0, lastBatchAt: null, lastBatch: null, revokedAt: null, createdBy: (security.actor as { email: string }).email });
    expect(job.secret).toMatch(/^pcl_[A-Za-z0-9_-]{32}$/);
    expect(job.secretPrefix).toBe(job.secret.slice(0, 12));
    expect(job.destinationConf).toBe(`https://console.acme.test/api/v1/traffic/logpush?header_X-Portcullis-Logpush-Secret=${job.secret}`);

    const [row] = await db.select().from(logpushJobs).where(eq(logpushJobs.id, job.id));
    expect(row!.secretHash).toBe(await hashTokenSecret(job.secret));
    expect(JSON.stringify(row)).not.toContain(job.secret);
    const [audit] = await db.select().from(auditLog).where(eq(auditLog.targetId, job.id));
    expect(audit).toMatchObject({ action: "logpush_job.create", targetType: "logpush_job", details: { name: "Gateway HTTP", format: "cloudflare", secretPrefix: job.secretPrefix } });
    expect(JSON.stringify(audit)).not.toContain(job.secret);

    expect((await authenticateLogpushJob(db, job.secret)).id).toBe(job.id);
    expect((await listLogpushJobs(security)).find((j) => j.id === job.id)).toMatchObject({ name: "Gateway HTTP", secretPrefix: job.secretPrefix });
    expect((await listLogpushJobs(security)).find((j) => j.id === job.id)).not.toHaveProperty("secret");
  });

  it("refuses a job without a name or with an unknown format, and writes nothing", async () => {
    const before = (await db.select().from(logpushJobs)).length;
    await expect(createLogpushJob(security, { name: " ", format: "cloudflare" }, "https://c.test")).rejects.toBeInstanceOf(ZodError);
    const wrongFormat = await createLogpushJob(security, { name: "x", format: "splunk" }, "https://c.test").catch((e: unknown) => e);
    expect((wrongFormat as ZodError).issues).toMatchObject([{ path: ["format"], message: 'must be "cloudflare" (Gateway HTTP requests, dataset gateway_http) or "generic"' }]);
    await expect(createLogpushJob(security, { name: "x", format: "generic", secret: "mine" }, "https://c.test")).rejects.toBeInstanceOf(ZodError);
    expect(await db.select().from(logpushJobs)).toHaveLength(before);
  });

  it("revokes a job at once (its secret is refused), audited; revoking again changes nothing; an unknown id is not found", async () => {
    const job = await createLogpushJob(admin, { name: "to revoke", format: "generic" }, "https://c.test");
    const revoked = await revokeLogpushJob(security, job.id);
    expect(revoked.revokedAt).not.toBeNull();
    await expect(authenticateLogpushJob(db, job.secret)).rejects.toThrow(/^The Logpush job "to revoke" was revoked on /);
    const again = await revokeLogpushJob(admin, job.id);
    expect(again.revokedAt).toBe(revoked.revokedAt);
    const audits = await db.select().from(auditLog).where(eq(auditLog.targetId, job.id));
    expect(audits.map((a) => a.action).sort()).toEqual(["logpush_job.create", "logpush_job.revoke"]);
    await expect(revokeLogpushJob(security, crypto.randomUUID())).rejects.toBeInstanceOf(NotFoundError);
    await expect(revokeLogpushJob(security, "not-an-id")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("lets only security and admin create, list or revoke jobs", async () => {
    const job = await createLogpushJob(security, { name: "guarded", format: "cloudflare" }, "https://c.test");
    for (const actor of others) {
      const ctx = { db, actor };
      await expect(createLogpushJob(ctx, { name: "nope", format: "cloudflare" }, "https://c.test")).rejects.toBeInstanceOf(ForbiddenError);
      await expect(listLogpushJobs(ctx)).rejects.toBeInstanceOf(ForbiddenError);
      await expect(revokeLogpushJob(ctx, job.id)).rejects.toBeInstanceOf(ForbiddenError);
    }
    expect((await db.select().from(logpushJobs).where(eq(logpushJobs.id, job.id)))[0]!.revokedAt).toBeNull();
    expect((await db.select().from(logpushJobs).where(eq(logpushJobs.name, "nope")))).toEqual([]);
  });
});
