/**
 * The Logpush HTTP destination as Next serves it, with a real database: batches as Cloudflare Logpush
 * sends them (gzip NDJSON, the job's secret in a header), its retries, its destination check, and
 * every way a batch is refused without storing anything.
 */
import { gzipSync } from "node:zlib";
import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { gatewayHttpLine } from "@/testing/logpush";
import { makeUser, makeUserToken } from "@/testing/users";
import { logpushBatches, logpushJobs, shadowFindingEvents, shadowFindings, shadowSightings } from "@/db/schema";
import { createLogpushJob } from "@/lib/shadow/create-logpush-job";
import { revokeLogpushJob } from "@/lib/shadow/revoke-logpush-job";
import { LOGPUSH_MAX_BYTES, LOGPUSH_SECRET_HEADER } from "@/lib/shadow/logpush";
import type { LogpushIngestOutput } from "@/lib/shadow/schemas";
import type { Ctx } from "@/lib/context";
import { POST } from "./route";

const URL_BASE = "http://console.test/api/v1/traffic/logpush";
const uniq = () => Math.random().toString(36).slice(2, 8);

/** A gateway_http record at `at`. */
const gatewayLine = (url: string, email: string, at: string) => gatewayHttpLine(url, email, { Datetime: at });

const ndjson = (lines: readonly string[]) => `${lines.join("\n")}\n`;

describe.each(testDatabases())("POST /api/v1/traffic/logpush on $name", (database) => {
  const { db } = useTestDatabase(database, { getDb: true });
  let ctx: Ctx;

  beforeAll(async () => {
    ctx = { db, actor: await makeUser(db, "security") };
  });

  const newJob = async (format: "cloudflare" | "generic" = "cloudflare") => createLogpushJob(ctx, { name: `Gateway ${uniq()}`, format }, "https://console.acme.test");

  const post = (body: BodyInit | null, headers: Record<string, string> = {}) =>
    POST(new Request(URL_BASE, { method: "POST", body, duplex: "half", headers: { "content-type": "application/x-ndjson", ...headers } } as RequestInit));

  /** As Logpush sends a batch: gzip-compressed, the secret in the header its destination_conf names. */
  const push = (secret: string, text: string) => post(gzipSync(Buffer.from(text)), { [LOGPUSH_SECRET_HEADER]: secret, "content-encoding": "gzip" });

  async function stored() {
    const n = async (table: typeof logpushBatches | typeof shadowFindings | typeof shadowSightings | typeof shadowFindingEvents) =>
      Number((await db.select({ n: sql<number>`count(*)::int` }).from(table))[0]!.n);
    return { batches: await n(logpushBatches), findings: await n(shadowFindings), sightings: await n(shadowSightings), events: await n(shadowFindingEvents) };
  }

  const findingOf = async (url: string) => (await db.select().from(shadowFindings).where(eq(shadowFindings.key, url)))[0];
  const jobRow = async (id: string) => (await db.select().from(logpushJobs).where(eq(logpushJobs.id, id)))[0]!;

  it("turns a gzip NDJSON batch into a finding, and counts the batch on its job", async () => {
    const job = await newJob();
    const url = `https://mcp.${uniq()}.logpush.example/mcp`;
    const res = await push(job.secret, ndjson([gatewayLine(url, "ann@acme.test", "2026-11-24T09:00:00Z"), gatewayLine(url, "bo@acme.test", "2026-11-24T09:01:00Z"), "not json"]));
    expect(res.status).toBe(200);
    const out = (await res.json()) as LogpushIngestOutput;
    expect(out).toMatchObject({ test: false, duplicate: false, batch: { lines: 3, acceptedLines: 2, rejectedLines: 1, shadowServers: 1, newFindings: 1 } });
    expect(out.batch!.rejectedSamples).toEqual([{ line: 3, error: "not valid JSON" }]);
    const finding = await findingOf(url);
    expect(finding).toMatchObject({ requests: 2, users: ["ann@acme.test", "bo@acme.test"], candidate: false });
    const events = await db.select().from(shadowFindingEvents).where(eq(shadowFindingEvents.findingId, finding!.id));
    expect(events.map((e) => [e.kind, e.actorLabel, e.details.logpushJob])).toEqual([["detected", `Logpush job "${job.name}"`, job.id]]);
    expect(await jobRow(job.id)).toMatchObject({ batches: 1, lines: 3, badLines: 1, lastBatchAt: expect.any(Date) });
  });

  it("counts a batch posted twice (a Logpush retry) once: the second answer says duplicate and stores nothing new", async () => {
    const job = await newJob();
    const url = `https://mcp.${uniq()}.retry.example/mcp`;
    const text = ndjson([gatewayLine(url, "cy@acme.test", "2026-11-24T10:00:00Z"), gatewayLine(url, "cy@acme.test", "2026-11-24T10:00:05Z")]);
    const first = (await (await push(job.secret, text)).json()) as LogpushIngestOutput;
    expect(first.duplicate).toBe(false);
    const before = await stored();
    const findingBefore = await findingOf(url);

    // Gzip again (a retry need not be byte-identical when compressed): the same lines are the same batch.
    const again = await post(gzipSync(Buffer.from(text), { level: 1 }), { [LOGPUSH_SECRET_HEADER]: job.secret });
    expect(again.status).toBe(200);
    const second = (await again.json()) as LogpushIngestOutput;
    expect(second).toMatchObject({ duplicate: true, test: false, batch: { id: first.batch!.id } });
    expect(await stored()).toEqual(before);
    const findingAfter = await findingOf(url);
    expect(findingAfter!.requests).toBe(2);
    expect(findingAfter!.seenInTraffic).toBe(findingBefore!.seenInTraffic);
    expect(await jobRow(job.id)).toMatchObject({ batches: 1, lines: 2 });

    // Another job's identical batch is its own delivery.
    const other = await newJob();
    expect(((await (await push(other.secret, text)).json()) as LogpushIngestOutput).duplicate).toBe(false);
    expect((await findingOf(url))!.requests).toBe(4);
  });

  it("answers a missing or wrong secret with 401 and a clear message, and stores nothing", async () => {
    const job = await newJob();
    const url = `https://mcp.${uniq()}.intruder.example/mcp`;
    const text = ndjson([gatewayLine(url, "eve@acme.test", "2026-11-24T11:00:00Z")]);
    const before = await stored();

    const missing = await post(gzipSync(Buffer.from(text)));
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { code: "UNAUTHENTICATED", message: expect.stringMatching(/^Missing X-Portcullis-Logpush-Secret header: .*header_X-Portcullis-Logpush-Secret=/) } });

    // Right prefix, wrong rest; a well-formed stranger; an API token; garbage.
    const wrong = `${job.secret.slice(0, 12)}${"A".repeat(job.secret.length - 12)}`;
    const apiToken = await makeUserToken(db, "admin");
    for (const secret of [wrong, `pcl_${"B".repeat(32)}`, apiToken, "x".repeat(5000)]) {
      const res = await push(secret, text);
      expect(res.status, secret.slice(0, 12)).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: "UNAUTHENTICATED", message: expect.stringMatching(/^Invalid X-Portcullis-Logpush-Secret: no Logpush job has this secret/) } });
    }
    // An API token as a Bearer token counts for nothing here either.
    expect((await post(gzipSync(Buffer.from(text)), { authorization: `Bearer ${apiToken}` })).status).toBe(401);

    expect(await stored()).toEqual(before);
    expect(await findingOf(url)).toBeUndefined();
    expect(await jobRow(job.id)).toMatchObject({ batches: 0, lines: 0, lastBatchAt: null });
  });

  it("refuses a revoked job's batches, saying so, and stores nothing", async () => {
    const job = await newJob();
    await revokeLogpushJob(ctx, job.id);
    const url = `https://mcp.${uniq()}.revoked.example/mcp`;
    const before = await stored();
    const res = await push(job.secret, ndjson([gatewayLine(url, "fay@acme.test", "2026-11-24T12:00:00Z")]));
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "UNAUTHENTICATED", message: expect.stringMatching(new RegExp(`^The Logpush job "${job.name}" was revoked on .*; nothing is accepted with its secret`)) } });
    expect(await stored()).toEqual(before);
    expect(await findingOf(url)).toBeUndefined();
  });

  it("accepts plain (uncompressed) NDJSON in the job's format", async () => {
    const job = await newJob("generic");
    const url = `https://mcp.${uniq()}.plain.example/mcp`;
    const line = JSON.stringify({
      ts: "2026-11-24T13:00:00Z",
      user: "gus@acme.test",
      method: "POST",
      url,
      status: 200,
      request_headers: { "content-type": "application/json", "mcp-protocol-version": "2025-06-18" },
      request_body_prefix: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "create_issue", arguments: {} } }),
    });
    const res = await post(ndjson([line]), { [LOGPUSH_SECRET_HEADER]: job.secret });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ duplicate: false, batch: { acceptedLines: 1, rejectedLines: 0, shadowServers: 1, newFindings: 1 } });
    expect(await findingOf(url)).toMatchObject({ requests: 1, tools: { create_issue: 1 } });
  });

  it("refuses a body over the limit with 413 — declared, sent, or inflated from a small gzip — and stores nothing", async () => {
    const job = await newJob();
    const before = await stored();
    const declared = await POST(
      new Request(URL_BASE, { method: "POST", body: "{}\n", headers: { [LOGPUSH_SECRET_HEADER]: job.secret, "content-length": String(LOGPUSH_MAX_BYTES + 1) } }),
    );
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE", message: expect.stringMatching(/Set the Logpush job's max_upload_bytes to 100,000,000 or less\.$/) } });

    // A gzip bomb: about 100 KB on the wire, over 100 MB inflated.
    const bomb = gzipSync(Buffer.alloc(LOGPUSH_MAX_BYTES + 1_000_000, "x"), { level: 9 });
    expect(bomb.byteLength).toBeLessThan(1_000_000);
    const res = await post(bomb, { [LOGPUSH_SECRET_HEADER]: job.secret, "content-encoding": "gzip" });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE", message: expect.stringMatching(/^The body is larger than 100,000,000 bytes \(decompressed\), so nothing of it was stored\./) } });
    expect(await stored()).toEqual(before);
    expect(await jobRow(job.id)).toMatchObject({ batches: 0 });
  }, 60_000);

  it("answers an empty batch with 400 and stores nothing", async () => {
    const job = await newJob();
    const before = await stored();
    const res = await push(job.secret, "\n\n");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "VALIDATION_ERROR", message: "The batch holds no log line (it is empty or blank): nothing was stored." } });
    expect(await stored()).toEqual(before);
  });

  it("answers hostile batches from a valid job with a 2xx or a 4xx, never a 5xx", async () => {
    const job = await newJob("generic");
    const bodies: [string, BodyInit][] = [
      ["NUL", `${JSON.stringify({ ts: "2026-01-01T00:00:00Z", url: "https://nul.example/mcp", method: "POST", request_body_prefix: "a\u0000b" })}\n`],
      ["lone surrogate", '{"ts":"2026-01-01T00:00:00Z","url":"https://a.example/\\ud800mcp","method":"POST","request_body_prefix":"{\\"jsonrpc\\":\\"2.0\\",\\"method\\":\\"tools/list\\",\\"id\\":1}"}\n'],
      ["garbage", "\u0000\u0001\u0002\n{{{\n]]]\n"],
      ["one 2 MB line", "x".repeat(2_000_000)],
      ["deep", `${"[".repeat(20_000)}${"]".repeat(20_000)}\n`],
      ["invalid UTF-8", new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a])],
      ["corrupt gzip", Buffer.concat([gzipSync(Buffer.from("{}\n")).subarray(0, 12), Buffer.from("not deflate at all")])],
    ];
    const answers: Record<string, number> = {};
    for (const [label, body] of bodies) {
      const res = await post(body, { [LOGPUSH_SECRET_HEADER]: job.secret });
      expect(res.status, label).toBeLessThan(500);
      expect(await res.json(), label).toBeTypeOf("object");
      answers[label] = res.status;
    }
    // Text the database cannot hold (an escaped lone surrogate in an MCP request) is stored replaced, not refused.
    expect(answers["lone surrogate"]).toBe(200);
    expect(answers["corrupt gzip"]).toBe(400);
  });

  it("answers Logpush's destination check (a gzip {\"content\":\"tests\"}) with 200 and stores nothing", async () => {
    const job = await newJob();
    const before = await stored();
    const res = await push(job.secret, '{"content":"tests"}');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ test: true, duplicate: false, batch: null, message: `Logpush's destination check arrived for the job "${job.name}": its secret is valid. Nothing was stored.` });
    expect(await stored()).toEqual(before);
    expect(await jobRow(job.id)).toMatchObject({ batches: 0, lastBatchAt: null });
    // With a wrong secret the check fails, so Cloudflare refuses to create the job.
    expect((await push(`pcl_${"C".repeat(32)}`, '{"content":"tests"}')).status).toBe(401);
  });
});
