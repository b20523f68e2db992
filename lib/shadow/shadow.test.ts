import { and, eq, like, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { ZodError } from "zod";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { auditLog, scanReports, servers, shadowBlocks, shadowFindingEvents, shadowFindings, shadowSightings, trafficUploadChunks, trafficUploads } from "@/db/schema";
import { BOOTSTRAP_ACTOR, type Actor } from "@/lib/auth/actor";
import { draftBundle } from "@/lib/config/compile-bundle";
import type { Ctx } from "@/lib/context";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "@/lib/errors";
import { approveServer } from "@/lib/servers/approve-server";
import { registerServer } from "@/lib/servers/register-server";
import { createTeam } from "@/lib/teams/create-team";
import { setMembership } from "@/lib/teams/set-membership";
import { makeUser } from "@/testing/users";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { BlocksApprovedServerError } from "./blocks";
import { createBlock } from "./create-block";
import { deleteBlock } from "./delete-block";
import { exportDlpProfile } from "./export-dlp-profile";
import { exportGatewayPolicy } from "./export-gateway-policy";
import { listBlocks } from "./queries";
import { approveFinding } from "./approve-finding";
import { getFinding, listFindings } from "./queries";
import { updateFinding } from "./update-finding";
import { ingestScanReport, SCAN_REPORTS_PER_HOUR } from "./ingest-scan";
import { ingestTraffic } from "./ingest-traffic";
import { listUploads } from "./queries";
import { FindingDetailOutput, ShadowStatsOutput, TrafficIngestOutput } from "./schemas";
import { shadowStats } from "./stats";

/** One page of findings (the first). */
const listed = async (...args: Parameters<typeof listFindings>) => (await listFindings(...args)).findings;
const uniq = () => Math.random().toString(36).slice(2, 8);
const enc = new TextEncoder();
const NOW = new Date("2026-11-26T12:00:00Z");

const rpc = (method: string, params?: unknown, id: number | null = 1) =>
  JSON.stringify({ jsonrpc: "2.0", ...(id === null ? {} : { id }), method, ...(params === undefined ? {} : { params }) });

/** A generic proxy log line of an MCP request the detector accepts. */
function mcp(o: { ts: string; user: string; url: string; method?: string; tool?: string }): string {
  const method = o.method ?? (o.tool ? "tools/call" : "tools/list");
  return JSON.stringify({
    ts: o.ts,
    user: o.user,
    src_ip: "10.0.0.7",
    method: "POST",
    url: o.url,
    status: 200,
    request_headers: { "content-type": "application/json", "mcp-protocol-version": "2025-06-18" },
    response_headers: { "content-type": "application/json" },
    request_body_prefix: rpc(method, o.tool ? { name: o.tool, arguments: {} } : method === "initialize" ? { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "claude-code", version: "1.0.0" } } : undefined, 3),
    response_content_type: "application/json",
  });
}

/** An ordinary (non-MCP) web request. */
function web(o: { ts: string; user: string; url: string }): string {
  return JSON.stringify({ ts: o.ts, user: o.user, method: "GET", url: o.url, status: 200, request_headers: { accept: "text/html" }, response_content_type: "text/html; charset=utf-8" });
}

/** A Cloudflare gateway_http record whose request body matched the MCP DLP profile. */
function cloudflare(o: { at: string; email: string; device: string; url: string; entries: string[] }): string {
  return JSON.stringify({
    Datetime: o.at,
    Email: o.email,
    DeviceName: o.device,
    HTTPMethod: "POST",
    HTTPHost: new URL(o.url).host,
    URL: o.url,
    HTTPStatusCode: 200,
    UploadMatchedDlpProfiles: ["MCP Traffic"],
    UploadMatchedDlpProfileEntries: o.entries,
    DownloadMatchedDlpProfiles: [],
    DownloadMatchedDlpProfileEntries: [],
  });
}

const ndjson = (lines: readonly string[]) => `${lines.join("\n")}\n`;
const bodyOf = (text: string) => new Blob([text]).stream();

function failingStream(chunks: readonly string[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(enc.encode(chunks[i++]!));
      else throw new Error("connection reset by peer");
    },
  });
}

function scanServer(o: Record<string, unknown>) {
  return { envNames: [], headerNames: [], redactions: [], ...o };
}

describe.each(testDatabases())("shadow findings on $name", (database) => {
  const { db } = useTestDatabase(database);
  let security: Actor & { kind: "user"; userId: string; email: string };
  let security2: Actor & { kind: "user"; userId: string; email: string };
  let viewer: Actor;
  let member: Actor & { kind: "user"; userId: string };
  let approver: Actor;

  beforeAll(async () => {
    security = (await makeUser(db, "security")) as typeof security;
    security2 = (await makeUser(db, "security")) as typeof security2;
    viewer = await makeUser(db, "viewer");
    member = await makeUser(db, "member");
    approver = await makeUser(db, "approver");
    await db.insert(servers).values({
      slug: "approved-one",
      name: "Approved one",
      url: "https://mcp.approved.example",
      endpointUrl: "https://mcp.approved.example/mcp",
      transport: "streamable-http",
      status: "approved",
    });
  });

  const as = (actor: Actor): Ctx => ({ db, actor });
  const admin = () => as(BOOTSTRAP_ACTOR);

  async function upload(lines: readonly string[], extra: { format?: "cloudflare" | "generic"; filename?: string } = {}) {
    return ingestTraffic(as(security), { body: bodyOf(ndjson(lines)), ...extra });
  }

  /** Uploads a few MCP requests to `url` and returns the finding id. */
  async function seed(url: string, users: readonly string[] = ["ann@acme.test"], ts = "2026-11-18T08:00:00Z"): Promise<string> {
    const res = await upload(users.map((user) => mcp({ ts, user, url, tool: "search_docs" })));
    expect(res.findings).toHaveLength(1);
    return res.findings[0]!.id;
  }

  async function counts() {
    const [f] = await db.select({ n: sql<number>`count(*)::int` }).from(shadowFindings);
    const [s] = await db.select({ n: sql<number>`count(*)::int` }).from(shadowSightings);
    return { findings: Number(f!.n), sightings: Number(s!.n) };
  }

  async function findingByKey(key: string) {
    const [row] = await db.select().from(shadowFindings).where(eq(shadowFindings.key, key));
    return row;
  }

  it("refuses to export an empty block list (before anything is blocked)", async () => {
    await expect(exportGatewayPolicy(as(security))).rejects.toBeInstanceOf(ConflictError);
    expect(await listBlocks(as(security))).toEqual([]);
  });

  // ------------------------------------------------------------------ 1. traffic uploads

  it("turns an upload into findings for exactly the shadow servers, counting bad lines without stopping", async () => {
    const A = "https://mcp.shadow-a.example/mcp";
    const lines = [
      /* 1 */ mcp({ ts: "2026-11-20T10:00:00Z", user: "alice@acme.test", url: A, method: "initialize" }),
      /* 2 */ mcp({ ts: "2026-11-20T10:00:01Z", user: "alice@acme.test", url: A, tool: "delete_repo" }),
      /* 3 */ "this is not json",
      /* 4 */ mcp({ ts: "2026-11-20T11:30:00Z", user: "bob@acme.test", url: `${A}/`, tool: "search_code" }),
      /* 5 */ "[1,2,3]",
      /* 6 */ mcp({ ts: "2026-11-20T12:00:00Z", user: "carol@acme.test", url: A }),
      /* 7 */ web({ ts: "2026-11-20T12:00:05Z", user: "carol@acme.test", url: "https://www.news.example/today" }),
      /* 8 */ '{"foo":1,"bar":"baz"}',
      /* 9 */ "",
      /* 10 */ mcp({ ts: "2026-11-20T13:00:00Z", user: "dave@acme.test", url: "https://mcp.shadow-b.example/v1/mcp/" }),
      /* 11 */ mcp({ ts: "2026-11-20T13:05:00Z", user: "alice@acme.test", url: "https://mcp.approved.example/mcp", tool: "list_things" }),
      /* 12 */ cloudflare({ at: "2026-11-20T14:00:00Z", email: "erin@acme.test", device: "LAPTOP-7", url: "https://mcp.shadow-b.example/v1/mcp", entries: ["MCP Tools List"] }),
      /* 13 */ web({ ts: "2026-11-20T14:00:05Z", user: "bob@acme.test", url: "https://docs.example.org/guide?x=1" }),
    ];
    const res = await upload(lines, { filename: "proxy-2026-11-20.ndjson" });
    expect(TrafficIngestOutput.parse(res)).toEqual(res);

    expect(res.findings.map((f) => f.url).sort()).toEqual([A, "https://mcp.shadow-b.example/v1/mcp"]);
    expect(res.findings.every((f) => f.created)).toBe(true);
    expect(res.approved).toEqual(["https://mcp.approved.example/mcp"]);
    expect(res.upload).toMatchObject({
      status: "done",
      filename: "proxy-2026-11-20.ndjson",
      format: null,
      lines: 13,
      badLines: 3,
      formats: { generic: 8, cloudflare: 1 },
      servers: 3,
      shadowServers: 2,
      newFindings: 2,
      duplicateOf: null,
      error: null,
      createdBy: security.email,
    });
    expect(res.upload.bytes).toBe(enc.encode(ndjson(lines)).byteLength);
    expect(res.upload.badLineSamples.map((b) => b.line)).toEqual([3, 5, 8]);
    expect(res.upload.badLineSamples[0]!.error).toMatch(/not valid JSON/);
    expect(res.upload.badLineSamples[1]!.error).toMatch(/not a JSON object/);
    expect(res.upload.badLineSamples[2]!.error).toMatch(/unknown format/);
    expect(res.upload.mcpRecords).toBe(7);
    expect(res.upload.finishedAt).not.toBeNull();

    const a = await getFinding(as(security), res.findings.find((f) => f.url === A)!.id);
    expect(FindingDetailOutput.parse(a)).toEqual(a);
    expect(a).toMatchObject({
      kind: "remote",
      url: A,
      origin: "https://mcp.shadow-a.example",
      host: "mcp.shadow-a.example",
      command: null,
      users: ["alice@acme.test", "bob@acme.test", "carol@acme.test"],
      userCount: 3,
      requests: 4,
      firstSeen: "2026-11-20T10:00:00.000Z",
      lastSeen: "2026-11-20T12:00:00.000Z",
      severity: "high",
      sources: { traffic: 1, scans: 0 },
      state: "new",
      resolution: null,
      assignee: null,
      blocked: false,
      serverId: null,
    });
    expect(a.methods).toMatchObject({ initialize: 1, "tools/call": 2, "tools/list": 1 });
    expect(a.tools).toEqual({ delete_repo: 1, search_code: 1 });
    expect(a.severityReasons.length).toBeGreaterThan(0);
    expect(a.severityReasons.join(" ")).toContain("delete_repo");
    expect(a.severityReasons.join(" ")).toMatch(/Used by 3 people/);
    expect(a.evidence.length).toBeGreaterThan(0);
    expect(a.timeline.map((e) => e.kind)).toEqual(["detected"]);
    expect(a.timeline[0]).toMatchObject({ actor: security.email, details: { upload: res.upload.id, filename: "proxy-2026-11-20.ndjson", requests: 4, users: 3 } });

    const b = await getFinding(as(security), res.findings.find((f) => f.url !== A)!.id);
    expect(b).toMatchObject({ url: "https://mcp.shadow-b.example/v1/mcp", users: ["dave@acme.test", "erin@acme.test"], userCount: 2, requests: 2, devices: ["LAPTOP-7"] });
    expect(b.severity).not.toBe("high");
    expect(b.evidence.map((e) => e.kind)).toContain("dlp-upload");

    // The approved server and the ordinary web traffic are no findings.
    expect(await findingByKey("https://mcp.approved.example/mcp")).toBeUndefined();
    expect((await listed(as(security), { q: "news.example" })).length).toBe(0);

    // Sightings per day and user, the charts' source.
    const daily = await db.select().from(shadowSightings).where(eq(shadowSightings.findingId, a.id));
    expect(daily.map((d) => [d.day, d.user, Number(d.requests)]).sort()).toEqual([
      ["2026-11-20", "alice@acme.test", 2],
      ["2026-11-20", "bob@acme.test", 1],
      ["2026-11-20", "carol@acme.test", 1],
    ]);

    const [row] = await db.select().from(trafficUploads).where(eq(trafficUploads.id, res.upload.id));
    expect(row).toMatchObject({ status: "done", lines: 13, badLines: 3 });
    expect(row!.sha256).toMatch(/^[0-9a-f]{64}$/);
    const audit = await db.select().from(auditLog).where(eq(auditLog.targetId, res.upload.id));
    expect(audit.map((x) => x.action)).toEqual(["traffic.upload"]);
    expect((await listUploads(as(security))).map((u) => u.id)).toContain(res.upload.id);
  });

  it("counts generic lines as bad when format=cloudflare is forced, and fails the upload when none is left", async () => {
    const lines = [mcp({ ts: "2026-11-19T10:00:00Z", user: "alice@acme.test", url: "https://mcp.forced.example/mcp", tool: "create_issue" }), mcp({ ts: "2026-11-19T10:00:01Z", user: "bob@acme.test", url: "https://mcp.forced.example/mcp" })];
    await expect(upload(lines, { format: "cloudflare", filename: "forced.ndjson" })).rejects.toThrow(
      '2 lines rejected (line 1: missing URL and HTTPHost; line 2: missing URL and HTTPHost). Every line was read as Cloudflare Gateway HTTP (Logpush); if the log is in another format, choose "Detect per line".',
    );
    const [row] = await db.select().from(trafficUploads).where(eq(trafficUploads.filename, "forced.ndjson"));
    expect(row).toMatchObject({ status: "failed", format: "cloudflare", lines: 2, badLines: 2, formats: {}, servers: 0, shadowServers: 0, newFindings: 0 });
    expect(row!.badLineSamples).toEqual([
      { line: 1, error: "missing URL and HTTPHost" },
      { line: 2, error: "missing URL and HTTPHost" },
    ]);
    expect(await findingByKey("https://mcp.forced.example/mcp")).toBeUndefined();

    // The same lines as generic are a finding.
    const generic = await upload(lines, { format: "generic" });
    expect(generic.findings.map((f) => f.url)).toEqual(["https://mcp.forced.example/mcp"]);
    expect(generic.upload.badLines).toBe(0);
  });

  it("recognizes the same bytes uploaded twice, and merges a different upload of the same server", async () => {
    const url = "https://mcp.dup.example/mcp";
    const lines = [mcp({ ts: "2026-11-21T09:00:00Z", user: "alice@acme.test", url, tool: "read_file" }), mcp({ ts: "2026-11-21T09:10:00Z", user: "bob@acme.test", url })];
    const first = await upload(lines);
    expect(first.upload.duplicateOf).toBeNull();
    const id = first.findings[0]!.id;
    const before = await getFinding(as(security), id);
    const sightingsBefore = await db.select().from(shadowSightings).where(eq(shadowSightings.findingId, id));

    const again = await upload(lines);
    expect(again.upload.duplicateOf).toBe(first.upload.id);
    expect(again.upload).toMatchObject({ status: "done", newFindings: 0, shadowServers: 1 });
    expect(again.findings).toEqual([]);
    const after = await getFinding(as(security), id);
    expect(after.requests).toBe(before.requests);
    expect(after.users).toEqual(before.users);
    expect(after.sources).toEqual({ traffic: 1, scans: 0 });
    expect(after.timeline).toHaveLength(before.timeline.length);
    expect(await db.select().from(shadowSightings).where(eq(shadowSightings.findingId, id))).toEqual(sightingsBefore);

    const more = await upload([
      mcp({ ts: "2026-11-22T09:00:00Z", user: "carol@acme.test", url, tool: "delete_file" }),
      mcp({ ts: "2026-11-19T08:00:00Z", user: "alice@acme.test", url }),
      mcp({ ts: "2026-11-22T09:05:00Z", user: "dan@acme.test", url: `${url}/` }),
    ]);
    expect(more.upload.duplicateOf).toBeNull();
    expect(more.findings).toEqual([{ id, url, created: false }]);
    expect(more.upload.newFindings).toBe(0);
    const merged = await getFinding(as(security), id);
    expect(merged.requests).toBe(5);
    expect(merged.users).toEqual(["alice@acme.test", "bob@acme.test", "carol@acme.test", "dan@acme.test"]);
    expect(merged.userCount).toBe(4);
    expect(merged.firstSeen).toBe("2026-11-19T08:00:00.000Z");
    expect(merged.lastSeen).toBe("2026-11-22T09:05:00.000Z");
    expect(merged.tools).toEqual({ read_file: 1, delete_file: 1 });
    expect(merged.sources).toEqual({ traffic: 2, scans: 0 });
    expect(merged.severity).toBe("high");
    expect(merged.timeline.map((e) => e.kind)).toEqual(["detected", "seen"]);
    expect(merged.timeline[1]!.details).toMatchObject({ upload: more.upload.id, requests: 3, users: 3 });
    const days = await db.select().from(shadowSightings).where(eq(shadowSightings.findingId, id));
    expect(days.reduce((n, d) => n + Number(d.requests), 0)).toBe(5);
  });

  it("keeps a server with too little evidence as a candidate, lists it on request, and makes it a finding when more evidence arrives", async () => {
    const url = `https://agent-${uniq()}.acme.example/agent`;
    const line = (entries: string[], at: string) => cloudflare({ at, email: "erin@acme.test", device: "LAPTOP-9", url, entries });
    const first = await upload([line(["MCP Tools Call"], "2026-11-21T10:00:00Z")], { format: "cloudflare" });
    expect(first.findings).toEqual([]);
    expect(first.candidates).toEqual([{ id: expect.any(String), url, created: true }]);
    expect(first.upload).toMatchObject({ shadowServers: 0, newFindings: 0 });
    const id = first.candidates[0]!.id;
    expect((await listed(as(security), { q: url })).map((f) => f.id)).toEqual([]);
    const [candidate] = await listed(as(security), { q: url, candidates: "1" });
    expect(candidate).toMatchObject({ id, candidate: true, confidence: 0.6 });
    const detail = FindingDetailOutput.parse(await getFinding(as(security), id));
    expect(detail.evidence.map((e) => e.kind)).toEqual(["dlp-upload"]);
    expect((await shadowStats(as(security), 30, NOW)).topHosts.map((h) => h.host)).not.toContain(new URL(url).host);

    // The next upload holds another MCP method to the same server: together a session, a finding.
    const second = await upload([line(["MCP Tools List"], "2026-11-22T10:00:00Z")], { format: "cloudflare" });
    expect(second.findings).toEqual([{ id, url, created: true }]);
    expect(second.upload).toMatchObject({ shadowServers: 1, newFindings: 1 });
    const promoted = await getFinding(as(security), id);
    expect(promoted).toMatchObject({ candidate: false, confidence: 0.8 });
    expect(promoted.evidence.map((e) => e.kind)).toEqual(["dlp-upload", "method-sequence"]);
    expect(promoted.timeline.map((e) => e.kind)).toEqual(["candidate", "detected"]);
    expect((await listed(as(security), { q: url })).map((f) => f.id)).toEqual([id]);
  });

  it("refuses an empty upload and writes no finding", async () => {
    const before = await counts();
    await expect(ingestTraffic(as(security), { body: null })).rejects.toBeInstanceOf(ValidationError);
    await expect(ingestTraffic(as(security), { body: bodyOf(""), filename: "empty.ndjson" })).rejects.toThrow(
      "The upload is empty (0 bytes), so nothing was scanned. Send NDJSON, one JSON log record per line (plain or gzip): Cloudflare Gateway HTTP requests as Logpush writes them, or generic proxy records with a url (or host) field.",
    );
    const [row] = await db.select().from(trafficUploads).where(eq(trafficUploads.filename, "empty.ndjson"));
    expect(row).toMatchObject({ status: "failed", error: "empty upload" });
    expect(await counts()).toEqual(before);
  });

  it("fails an upload in which no line is a record, saying how many were rejected, the first reasons and what to send", async () => {
    const before = await counts();
    const lines = ["<html>", '{"hello": "world"}', "[1, 2]", "not json either", "{}"].join("\n");
    const err = await ingestTraffic(as(security), { body: bodyOf(lines), filename: "all-bad.ndjson" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toBe(
      "No line of the upload is a log record this console reads, so nothing was scanned: 5 lines rejected (line 1: not valid JSON; line 2: unknown format: neither Cloudflare Gateway HTTP nor generic proxy fields; line 3: line is not a JSON object; 2 more). " +
        "Send NDJSON, one JSON log record per line (plain or gzip): Cloudflare Gateway HTTP requests as Logpush writes them, or generic proxy records with a url (or host) field.",
    );
    const [row] = await db.select().from(trafficUploads).where(eq(trafficUploads.filename, "all-bad.ndjson"));
    expect(row).toMatchObject({ status: "failed", lines: 5, badLines: 5 });
    expect(row!.error).toMatch(/^No line of the upload is a log record/);

    // One bad line read in a forced format: singular, and the hint to let the console detect it.
    await expect(ingestTraffic(as(security), { body: bodyOf('{"url": "https://x.example/mcp"}'), format: "cloudflare" })).rejects.toThrow(
      'so nothing was scanned: 1 line rejected (line 1: missing URL and HTTPHost). Every line was read as Cloudflare Gateway HTTP (Logpush); if the log is in another format, choose "Detect per line".',
    );
    await expect(ingestTraffic(as(security), { body: bodyOf("\n\n  \n") })).rejects.toThrow(/^The upload holds 3 lines, all blank, so nothing was scanned\./);
    expect(await counts()).toEqual(before);
  });

  it("fails an upload whose stream breaks midway and writes nothing of it", async () => {
    const before = await counts();
    const url = "https://mcp.broken.example/mcp";
    const chunk1 = `${mcp({ ts: "2026-11-20T10:00:00Z", user: "alice@acme.test", url, tool: "create_issue" })}\n`;
    const chunk2 = `${mcp({ ts: "2026-11-20T10:00:01Z", user: "bob@acme.test", url })}\n${mcp({ ts: "2026-11-20T10:00:02Z", user: "carol@acme.test", url }).slice(0, 40)}`;
    const err = await ingestTraffic(as(security), { body: failingStream([chunk1, chunk2]), filename: "broken.ndjson" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(/connection reset by peer/);
    const [row] = await db.select().from(trafficUploads).where(eq(trafficUploads.filename, "broken.ndjson"));
    expect(row).toMatchObject({ status: "failed", bytes: enc.encode(chunk1 + chunk2).byteLength });
    expect(row!.error).toMatch(/stopped after/);
    expect(row!.finishedAt).not.toBeNull();
    expect(await findingByKey(url)).toBeUndefined();
    expect(await counts()).toEqual(before);
  });

  // ------------------------------------------------------------------ 1b. big uploads, committed in chunks

  /** A body whose parts the test hands over one by one: the stream stays open until the test gives the next part or ends it. */
  function controlledStream() {
    const parts: (string | null)[] = [];
    let wake: (() => void) | null = null;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        while (parts.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        const part = parts.shift()!;
        if (part === null) controller.close();
        else controller.enqueue(enc.encode(part));
      },
    });
    const give = (part: string | null) => {
      parts.push(part);
      wake?.();
      wake = null;
    };
    return { stream, send: (text: string) => give(text), end: () => give(null) };
  }

  const uploadRow = async (filename: string) => (await db.select().from(trafficUploads).where(eq(trafficUploads.filename, filename)))[0];

  it("commits a big upload chunk by chunk: findings are there while the file still streams, and the upload row shows its progress", async () => {
    const A = `https://mcp.${uniq()}.chunked.example/mcp`;
    const B = `https://mcp.${uniq()}.chunked.example/mcp`;
    const line = (user: string, url: string, second: number) => mcp({ ts: `2026-11-23T08:00:${String(second).padStart(2, "0")}Z`, user, url, tool: "search_docs" });
    const body = controlledStream();
    const filename = `big-${uniq()}.ndjson`;
    const ingest = ingestTraffic(as(security), { body: body.stream, filename, chunkLines: 4 });

    // Lines 1–4 are the first chunk; line 5 shows it is complete, so it is merged before the body ends.
    body.send(ndjson([line("ann@acme.test", A, 1), "not json", line("bo@acme.test", A, 2), line("cy@acme.test", A, 3), web({ ts: "2026-11-23T08:00:04Z", user: "ann@acme.test", url: "https://news.example/" })]));
    await vi.waitFor(async () => expect(await findingByKey(A)).toBeDefined(), { timeout: 30_000, interval: 20 });
    expect(await findingByKey(A)).toMatchObject({ requests: 3, candidate: false });
    expect(await findingByKey(B)).toBeUndefined();
    expect(await uploadRow(filename)).toMatchObject({ status: "processing", committedLines: 4, chunks: 1, badLines: 1, shadowServers: 1, newFindings: 1 });
    expect((await listUploads(as(security))).find((u) => u.filename === filename)).toMatchObject({ status: "processing", committedLines: 4, chunks: 1 });

    // The rest: lines 6–9 (a second full chunk, A again and B) and 10–11.
    body.send(ndjson([line("dan@acme.test", A, 6), line("eve@acme.test", B, 7), "", line("fay@acme.test", B, 9), line("gus@acme.test", A, 10), line("hal@acme.test", B, 11)]));
    body.end();
    const out = await ingest;
    expect(out.upload).toMatchObject({ status: "done", lines: 11, badLines: 1, committedLines: 11, chunks: 3, servers: 2, shadowServers: 2, newFindings: 2, mcpRecords: 8, duplicateOf: null });
    expect(out.findings.map((f) => [f.url, f.created])).toEqual([
      [A, true],
      [B, true],
    ]);
    expect(await findingByKey(A)).toMatchObject({ requests: 5, userCount: 5 });
    expect(await findingByKey(B)).toMatchObject({ requests: 3 });
    // One timeline entry per chunk that saw the server, naming its lines.
    const timeline = (await getFinding(as(security), (await findingByKey(A))!.id)).timeline;
    expect(timeline.map((e) => [e.kind, e.details.lines])).toEqual([
      ["detected", "1–4"],
      ["seen", "5–8"],
      ["seen", "9–11"],
    ]);
    const [audit] = await db.select().from(auditLog).where(and(eq(auditLog.action, "traffic.upload"), eq(auditLog.targetId, out.upload.id)));
    expect(audit!.details).toMatchObject({ chunks: 3, shadowServers: 2, newFindings: 2 });

    // The same file again: every chunk is recognized, nothing counted twice.
    const again = await ingestTraffic(as(security), { body: bodyOf(ndjson([line("ann@acme.test", A, 1), "not json", line("bo@acme.test", A, 2), line("cy@acme.test", A, 3), web({ ts: "2026-11-23T08:00:04Z", user: "ann@acme.test", url: "https://news.example/" }), line("dan@acme.test", A, 6), line("eve@acme.test", B, 7), "", line("fay@acme.test", B, 9), line("gus@acme.test", A, 10), line("hal@acme.test", B, 11)])), chunkLines: 4 });
    expect(again.upload).toMatchObject({ status: "done", duplicateOf: out.upload.id, chunks: 3, newFindings: 0, shadowServers: 2 });
    expect(again.findings).toEqual([]);
    expect(await findingByKey(A)).toMatchObject({ requests: 5 });
    expect(await findingByKey(B)).toMatchObject({ requests: 3 });
  });

  it("keeps the chunks committed before a stream breaks, says at which line it stopped, and an upload of the whole file adds only the rest", async () => {
    const url = `https://mcp.${uniq()}.resumed.example/mcp`;
    const lines = Array.from({ length: 7 }, (_, i) => mcp({ ts: `2026-11-23T09:00:0${i}Z`, user: `u${i}@acme.test`, url, tool: "read_file" }));
    const filename = `broken-${uniq()}.ndjson`;
    // Lines 1–3 arrive whole, then half of line 4, then the connection breaks.
    const sent = `${lines.slice(0, 3).join("\n")}\n${lines[3]!.slice(0, 30)}`;
    const err = await ingestTraffic(as(security), { body: failingStream([sent]), filename, chunkLines: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toBe(
      `The upload stopped after ${enc.encode(sent).byteLength} bytes, in line 4: connection reset by peer. Lines 1–2 were committed and their findings stay; upload the file again to add the rest (the committed part is recognized and not counted twice).`,
    );
    const row = await uploadRow(filename);
    expect(row).toMatchObject({ status: "failed", committedLines: 2, chunks: 1, lines: 3, error: (err as Error).message });
    expect(await findingByKey(url)).toMatchObject({ requests: 2 });
    const [audit] = await db.select().from(auditLog).where(and(eq(auditLog.action, "traffic.upload"), eq(auditLog.targetId, row!.id)));
    expect(audit!.details).toMatchObject({ status: "failed", committedLines: 2, chunks: 1 });

    // The whole file: lines 1–2 are the committed chunk (not counted again), lines 3–7 are new.
    const whole = await ingestTraffic(as(security), { body: bodyOf(ndjson(lines)), chunkLines: 2 });
    expect(whole.upload).toMatchObject({ status: "done", chunks: 4, duplicateOf: null, newFindings: 0, shadowServers: 1 });
    expect(await findingByKey(url)).toMatchObject({ requests: 7, userCount: 7 });
    const chunks = await db.select().from(trafficUploadChunks).where(eq(trafficUploadChunks.uploadId, whole.upload.id)).orderBy(trafficUploadChunks.firstLine);
    expect(chunks.map((c) => [c.firstLine, c.lines, c.duplicateOf])).toEqual([
      [1, 2, row!.id],
      [3, 2, null],
      [5, 2, null],
      [7, 1, null],
    ]);
  });

  it("lets only security and admin upload traffic or list uploads", async () => {
    const line = mcp({ ts: "2026-11-20T10:00:00Z", user: "x@acme.test", url: "https://mcp.forbidden.example/mcp" });
    for (const actor of [viewer, member, approver]) {
      await expect(ingestTraffic(as(actor), { body: bodyOf(line) })).rejects.toBeInstanceOf(ForbiddenError);
      await expect(listUploads(as(actor))).rejects.toBeInstanceOf(ForbiddenError);
    }
    expect(await findingByKey("https://mcp.forbidden.example/mcp")).toBeUndefined();
    const admin2 = await ingestTraffic(admin(), { body: bodyOf(line) });
    expect(admin2.upload.createdBy).toBe("bootstrap-token");
  });

  // ------------------------------------------------------------------ 2. laptop scans

  const P1 = "~/Library/Application Support/Claude/claude_desktop_config.json";
  const P2 = "~/.cursor/mcp.json";
  function report(over: Record<string, unknown> = {}) {
    return {
      device: { name: "LAPTOP-42", os: "darwin", user: "frank@acme.test" },
      scannedAt: "2026-11-21T09:00:00.000Z",
      files: [
        { client: "claude-desktop", path: P1, found: 4 },
        { client: "cursor", path: P2, found: 1 },
      ],
      servers: [
        scanServer({ client: "claude-desktop", configPath: P1, name: "files", transport: "stdio", command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "/Users/frank"], envNames: ["HOME_DIR"] }),
        scanServer({ client: "claude-desktop", configPath: P1, name: "remote-tools", transport: "http", url: "https://mcp.remote.example/mcp", headerNames: ["Authorization"], redactions: ["header:Authorization"] }),
        scanServer({ client: "cursor", configPath: P2, name: "bridge", transport: "stdio", command: "npx", args: ["-y", "mcp-remote", "https://mcp.bridge.example/sse"] }),
        scanServer({ client: "claude-desktop", configPath: P1, name: "approved", transport: "http", url: "https://mcp.approved.example/mcp" }),
      ],
      redactionReport: { envValues: 1, headerValues: 1, args: 0, urlParts: 0 },
      ...over,
    };
  }

  it("turns a laptop scan into stdio and remote findings, and merges traffic of the same URL", async () => {
    const res = await ingestScanReport(as(security), report());
    expect(res).toMatchObject({ servers: 4, shadowServers: 3 });
    expect(res.findings.map((f) => f.key).sort()).toEqual(["https://mcp.bridge.example/sse", "https://mcp.remote.example/mcp", "stdio:npm:@modelcontextprotocol/server-filesystem"]);
    expect(res.findings.every((f) => f.created)).toBe(true);
    expect(await findingByKey("https://mcp.approved.example/mcp")).toBeUndefined();
    const [stored] = await db.select().from(scanReports).where(eq(scanReports.id, res.id));
    expect(stored).toMatchObject({ deviceName: "LAPTOP-42", deviceUser: "frank@acme.test", os: "darwin", servers: 4, shadowServers: 3, createdByLabel: security.email });

    const stdioId = res.findings.find((f) => f.key.startsWith("stdio:"))!.id;
    const stdio = await getFinding(as(security), stdioId);
    expect(stdio).toMatchObject({
      kind: "stdio",
      url: null,
      host: null,
      command: "npx -y @modelcontextprotocol/server-filesystem /Users/frank",
      names: ["files"],
      devices: ["LAPTOP-42"],
      // The person the console authenticated, not the name the report claims for the laptop's account.
      users: [security.email],
      userCount: 1,
      requests: 0,
      clients: { "claude-desktop": [P1] },
      sources: { traffic: 0, scans: 1 },
      firstSeen: "2026-11-21T09:00:00.000Z",
      severity: "medium",
    });
    expect(stdio.evidence).toHaveLength(1);
    expect(stdio.evidence[0]).toMatchObject({ kind: "client-config", count: 1, sample: { client: "claude-desktop", name: "files", device: "LAPTOP-42", envNames: ["HOME_DIR"] } });
    expect(stdio.severityReasons.join(" ")).toMatch(/npx/);

    const remote = await getFinding(as(security), res.findings.find((f) => f.key === "https://mcp.remote.example/mcp")!.id);
    expect(remote).toMatchObject({ kind: "remote", url: "https://mcp.remote.example/mcp", host: "mcp.remote.example", origin: "https://mcp.remote.example", names: ["remote-tools"], clients: { "claude-desktop": [P1] } });
    expect(remote.evidence[0]!.kind).toBe("client-config");
    expect(remote.evidence[0]!.sample).toMatchObject({ headerNames: ["Authorization"], url: "https://mcp.remote.example/mcp" });

    const bridgeId = res.findings.find((f) => f.key === "https://mcp.bridge.example/sse")!.id;
    const bridge = await getFinding(as(security), bridgeId);
    expect(bridge).toMatchObject({ kind: "remote", url: "https://mcp.bridge.example/sse", host: "mcp.bridge.example", command: null, names: ["bridge"], clients: { cursor: [P2] } });
    expect(bridge.evidence[0]!.sentence).toMatch(/bridged to https:\/\/mcp\.bridge\.example\/sse/);

    // The same URL seen later in traffic merges into the same finding.
    const traffic = await upload([mcp({ ts: "2026-11-23T10:00:00Z", user: "gina@acme.test", url: "https://mcp.bridge.example/sse", tool: "send_message" })]);
    expect(traffic.findings).toEqual([{ id: bridgeId, url: "https://mcp.bridge.example/sse", created: false }]);
    const merged = await getFinding(as(security), bridgeId);
    expect(merged.sources).toEqual({ traffic: 1, scans: 1 });
    expect(merged.requests).toBe(1);
    expect(merged.users).toEqual([security.email, "gina@acme.test"].sort());
    expect(merged.users).not.toContain("frank@acme.test");
    expect(merged.names).toEqual(["bridge"]);
    expect(merged.evidence.map((e) => e.kind)).toContain("client-config");
    expect(merged.firstSeen).toBe("2026-11-21T09:00:00.000Z");
    expect(merged.lastSeen).toBe("2026-11-23T10:00:00.000Z");
    expect(merged.timeline.map((e) => e.kind)).toEqual(["detected", "seen"]);

    // A member reports their own laptop: the stdio server merges (another device).
    const mine = await ingestScanReport(as(member), report({ device: { name: "LAPTOP-99", os: "linux", user: "hank@acme.test" }, scannedAt: "2026-11-22T09:00:00Z" }));
    expect(mine.findings.find((f) => f.id === stdioId)).toMatchObject({ created: false });
    const twice = await getFinding(as(security), stdioId);
    expect(twice.devices).toEqual(["LAPTOP-42", "LAPTOP-99"]);
    expect(twice.userCount).toBe(2);
    expect(twice.sources).toEqual({ traffic: 0, scans: 2 });
  });

  it("refuses a scan report with an unexpected field, and writes nothing", async () => {
    const before = (await db.select().from(scanReports)).length;
    await expect(ingestScanReport(as(member), { ...report(), secret: "sk-live-123" })).rejects.toBeInstanceOf(ZodError);
    const r = report();
    await expect(ingestScanReport(as(member), { ...r, servers: [{ ...r.servers[0], env: { TOKEN: "sk-live-123" } }] })).rejects.toBeInstanceOf(ZodError);
    await expect(ingestScanReport(as(member), { ...r, servers: [{ ...r.servers[0], client: "not-a-client" }] })).rejects.toBeInstanceOf(ZodError);
    await expect(ingestScanReport(as(member), { ...r, scannedAt: "yesterday" })).rejects.toBeInstanceOf(ZodError);
    // Bounded strings and lists: a forged report cannot fill the database.
    await expect(ingestScanReport(as(member), { ...r, device: { ...r.device, user: "x".repeat(300) } })).rejects.toBeInstanceOf(ZodError);
    await expect(ingestScanReport(as(member), { ...r, servers: [{ ...r.servers[0], args: ["a".repeat(5000)] }] })).rejects.toBeInstanceOf(ZodError);
    await expect(ingestScanReport(as(member), { ...r, servers: Array.from({ length: 5001 }, () => r.servers[0]) })).rejects.toBeInstanceOf(ZodError);
    expect((await db.select().from(scanReports)).length).toBe(before);
  });

  it("takes at most 60 scan reports an hour from one person, and says so", async () => {
    const reporter = await makeUser(db, "member", `scanner-${crypto.randomUUID().slice(0, 8)}@acme.test`);
    const base = { deviceName: "L", deviceUser: "u", os: "linux", scannedAt: new Date(), servers: 0, shadowServers: 0, report: {}, createdBy: reporter.userId, createdByLabel: reporter.email };
    await db.insert(scanReports).values(Array.from({ length: SCAN_REPORTS_PER_HOUR }, () => base));
    const before = (await db.select().from(scanReports)).length;
    await expect(ingestScanReport(as(reporter), report())).rejects.toMatchObject({ status: 429, code: "TOO_MANY_REQUESTS" });
    expect((await db.select().from(scanReports)).length).toBe(before);
    // Reports older than an hour do not count.
    await db.update(scanReports).set({ createdAt: new Date(Date.now() - 2 * 3_600_000) }).where(eq(scanReports.createdBy, reporter.userId));
    expect((await ingestScanReport(as(reporter), report())).servers).toBeGreaterThan(0);
  });

  it("merges one stdio server launched with different arguments (paths, values, versions) into one finding", async () => {
    const tag = uniq();
    const pkg = `@acme-${tag}/server-files`;
    const first = await ingestScanReport(
      as(security),
      report({
        device: { name: `LAPTOP-A-${tag}`, os: "darwin", user: "a@acme.test" },
        servers: [
          scanServer({ client: "claude-desktop", configPath: P1, name: "files-home", transport: "stdio", command: "npx", args: ["-y", pkg, "/Users/a"] }),
          scanServer({ client: "cursor", configPath: P2, name: "files-work", transport: "stdio", command: "npx", args: ["-y", `${pkg}@1.2.0`, "/Users/a/work"] }),
          scanServer({ client: "cursor", configPath: P2, name: "git-a", transport: "stdio", command: "uvx", args: [`mcp-git-${tag}`, "--repository", "/src/a"] }),
        ],
      }),
    );
    expect(first.findings.map((f) => f.key).sort()).toEqual([`stdio:npm:${pkg}`, `stdio:pypi:mcp-git-${tag}`].sort());
    const second = await ingestScanReport(
      as(security),
      report({
        device: { name: `LAPTOP-B-${tag}`, os: "windows", user: "b@acme.test" },
        servers: [
          scanServer({ client: "vscode", configPath: "mcp.json", name: "files", transport: "stdio", command: "npx.cmd", args: ["--yes", `${pkg}@1.3.1`, "C:\\data"] }),
          scanServer({ client: "vscode", configPath: "mcp.json", name: "git", transport: "stdio", command: "uvx", args: [`mcp-git-${tag}==0.6`, "--repository", "C:\\src\\b"] }),
        ],
      }),
    );
    expect(second.findings.map((f) => ({ key: f.key, created: f.created })).sort((a, b) => a.key.localeCompare(b.key))).toEqual(
      [{ key: `stdio:npm:${pkg}`, created: false }, { key: `stdio:pypi:mcp-git-${tag}`, created: false }].sort((a, b) => a.key.localeCompare(b.key)),
    );
    const files = await getFinding(as(security), first.findings.find((f) => f.key === `stdio:npm:${pkg}`)!.id);
    expect(files).toMatchObject({ kind: "stdio", command: `npx -y ${pkg} /Users/a`, devices: expect.arrayContaining([`LAPTOP-A-${tag}`, `LAPTOP-B-${tag}`]), sources: { scans: 2 } });
    expect(files.names.sort()).toEqual(["files", "files-home", "files-work"]);
    expect(await db.select().from(shadowFindings).where(like(shadowFindings.key, `%${tag}%`))).toHaveLength(2);
  });

  it("adopts a stdio finding keyed by its command line (before stdio identities): the next scan merges into it, triage kept", async () => {
    const tag = uniq();
    const pkg = `@legacy-${tag}/server-notes`;
    // Two findings as the console stored them before: the whole redacted command line as the key.
    const [older, newer] = await db
      .insert(shadowFindings)
      .values(
        [
          // Long before the stats test's window, so its counts stay its own.
          { command: `npx -y ${pkg}@0.9 /Users/old`, lastSeen: new Date("2026-09-01T10:00:00Z") },
          { command: `npx -y ${pkg} /Users/ann`, lastSeen: new Date("2026-09-10T10:00:00Z") },
        ].map((l) => ({ key: `stdio:${l.command}`, kind: "stdio" as const, command: l.command, names: ["notes"], firstSeen: l.lastSeen, lastSeen: l.lastSeen, users: ["ann@acme.test"], userCount: 1, devices: ["LAPTOP-OLD"], seenInScans: 1, severity: "medium" as const, state: "investigating" as const })),
      )
      .returning({ id: shadowFindings.id });
    const res = await ingestScanReport(
      as(security),
      report({ device: { name: `LAPTOP-N-${tag}`, os: "linux", user: "ann@acme.test" }, servers: [scanServer({ client: "cursor", configPath: P2, name: "notes", transport: "stdio", command: "npx", args: ["-y", `${pkg}@1.0.0`, "/home/ann"] })] }),
    );
    expect(res.findings).toEqual([expect.objectContaining({ id: newer!.id, key: `stdio:npm:${pkg}`, created: false })]);
    const adopted = await getFinding(as(security), newer!.id);
    expect(adopted).toMatchObject({ state: "investigating", devices: expect.arrayContaining(["LAPTOP-OLD", `LAPTOP-N-${tag}`]) });
    expect(adopted.timeline.map((e) => e.kind)).toContain("rekeyed");
    // The older one keeps its key; nothing was deleted.
    const [still] = await db.select({ key: shadowFindings.key }).from(shadowFindings).where(eq(shadowFindings.id, older!.id));
    expect(still!.key).toBe(`stdio:npx -y ${pkg}@0.9 /Users/old`);
  });

  it("makes no finding for a remote-transport config entry without a URL", async () => {
    const res = await ingestScanReport(
      as(viewer),
      report({
        device: { name: "LAPTOP-3", os: "windows", user: "ivy@acme.test" },
        files: [{ client: "vscode", path: "mcp.json", found: 2 }],
        servers: [scanServer({ client: "vscode", configPath: "mcp.json", name: "no-url", transport: "http" }), scanServer({ client: "vscode", configPath: "mcp.json", name: "sse-no-url", transport: "sse" })],
      }),
    );
    expect(res).toMatchObject({ servers: 2, shadowServers: 0, findings: [] });
    expect(await db.select().from(shadowFindings).where(like(shadowFindings.key, "stdio:%null%"))).toEqual([]);
  });

  // ------------------------------------------------------------------ 3. triage

  it("triages a finding: state, assignee and note, each on the timeline", async () => {
    const id = await seed("https://mcp.triage.example/mcp");
    const out = await updateFinding(as(security), id, { state: "investigating", note: "Looking into who set this up", assigneeId: security2.userId });
    expect(out).toMatchObject({ state: "investigating", resolution: null, assignee: { id: security2.userId, email: security2.email } });
    const tail = out.timeline.slice(1);
    expect(tail.map((e) => e.kind)).toEqual(["assigned", "state", "note"]);
    expect(tail.every((e) => e.actor === security.email)).toBe(true);
    expect(tail[0]!.details).toEqual({ assignee: security2.email });
    expect(tail[1]!.details).toEqual({ from: "new", to: "investigating" });
    expect(tail[2]!.note).toBe("Looking into who set this up");
    const audit = await db.select().from(auditLog).where(and(eq(auditLog.targetId, id), eq(auditLog.action, "finding.update")));
    expect(audit).toHaveLength(1);

    // Unassign.
    const unassigned = await updateFinding(as(security), id, { assigneeId: null });
    expect(unassigned.assignee).toBeNull();
    // Same state again, nothing to do, back to new.
    await expect(updateFinding(as(security), id, { state: "investigating" })).rejects.toBeInstanceOf(ConflictError);
    await expect(updateFinding(as(security), id, { assigneeId: null })).rejects.toBeInstanceOf(ConflictError);
    await expect(updateFinding(as(security), id, { state: "new" })).rejects.toBeInstanceOf(ConflictError);
    // Input errors.
    await expect(updateFinding(as(security), id, { state: "resolved" })).rejects.toBeInstanceOf(ZodError);
    await expect(updateFinding(as(security), id, { resolution: "blocked" })).rejects.toBeInstanceOf(ZodError);
    await expect(updateFinding(as(security), id, {})).rejects.toBeInstanceOf(ZodError);
    await expect(updateFinding(as(security), id, { note: "x", extra: 1 })).rejects.toBeInstanceOf(ZodError);
    await expect(updateFinding(as(security), id, { blockScope: "origin", note: "x" })).rejects.toBeInstanceOf(ValidationError);
    await expect(updateFinding(as(security), id, { assigneeId: crypto.randomUUID() })).rejects.toBeInstanceOf(ValidationError);
    expect((await getFinding(as(security), id)).timeline).toHaveLength(out.timeline.length + 1);
    // Unknown ids.
    await expect(updateFinding(as(security), crypto.randomUUID(), { note: "x" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(updateFinding(as(security), "nope", { note: "x" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(getFinding(as(security), crypto.randomUUID())).rejects.toBeInstanceOf(NotFoundError);
    await expect(approveFinding(as(security), crypto.randomUUID())).rejects.toBeInstanceOf(NotFoundError);
  });

  it("blocks a finding onto the bundle's block list, and reopening removes it", async () => {
    const url = "https://mcp.block.example/tools/mcp";
    const id = await seed(`${url}/`);
    const blocked = await updateFinding(as(security), id, { state: "resolved", resolution: "blocked", note: "Unapproved vendor" });
    expect(blocked).toMatchObject({ state: "resolved", resolution: "blocked", blocked: true });
    expect(blocked.timeline.map((e) => e.kind).slice(1)).toEqual(["blocked", "state", "note"]);
    const rows = await db.select().from(shadowBlocks).where(eq(shadowBlocks.findingId, id));
    expect(rows.map((r) => ({ origin: r.origin, pathPrefix: r.pathPrefix }))).toEqual([{ origin: "https://mcp.block.example", pathPrefix: "/tools/mcp" }]);
    // The note written when blocking is the entry's reason (what the next admin and a refused user read).
    expect(rows[0]!.reason).toMatch(/^Unapproved vendor \(shadow MCP finding .+\)$/);
    let bundle = await draftBundle(db, new Date());
    expect(bundle.shadow.blocklist).toContainEqual(expect.objectContaining({ origin: "https://mcp.block.example", pathPrefix: "/tools/mcp", findingId: id }));

    await expect(updateFinding(as(security), id, { state: "resolved", resolution: "blocked" })).rejects.toBeInstanceOf(ConflictError);

    // Seen again in traffic: it stays blocked, and the sighting goes on its timeline.
    const again = await upload([mcp({ ts: "2026-11-24T08:00:00Z", user: "late@acme.test", url })]);
    expect(again.findings).toEqual([{ id, url, created: false }]);
    const still = await getFinding(as(security), id);
    expect(still).toMatchObject({ state: "resolved", resolution: "blocked", blocked: true, sources: { traffic: 2, scans: 0 } });
    expect(still.timeline.at(-1)!.kind).toBe("seen");

    const reopened = await updateFinding(as(security), id, { state: "investigating" });
    expect(reopened).toMatchObject({ state: "investigating", resolution: null, blocked: false });
    expect(reopened.timeline.map((e) => e.kind).slice(-2)).toEqual(["unblocked", "state"]);
    expect(reopened.timeline.at(-2)!.details).toEqual({ entries: [{ origin: "https://mcp.block.example", pathPrefix: "/tools/mcp" }] });
    expect(await db.select().from(shadowBlocks).where(eq(shadowBlocks.findingId, id))).toEqual([]);
    bundle = await draftBundle(db, new Date());
    expect(bundle.shadow.blocklist.some((e) => e.origin === "https://mcp.block.example")).toBe(false);

    // Origin scope blocks every path of the origin.
    const wide = await updateFinding(as(security), id, { state: "resolved", resolution: "blocked", blockScope: "origin" });
    expect(wide.blocked).toBe(true);
    const [entry] = await db.select().from(shadowBlocks).where(eq(shadowBlocks.findingId, id));
    expect(entry).toMatchObject({ origin: "https://mcp.block.example", pathPrefix: "" });
    bundle = await draftBundle(db, new Date());
    expect(bundle.shadow.blocklist).toContainEqual(expect.objectContaining({ origin: "https://mcp.block.example", pathPrefix: "" }));
    // Blocking again with the other scope changes the finding's entry in place (no reopening needed; the same id, which the edge's events name).
    const narrow = await updateFinding(as(security), id, { state: "resolved", resolution: "blocked", blockScope: "url" });
    expect(narrow.blocked).toBe(true);
    expect((await db.select().from(shadowBlocks).where(eq(shadowBlocks.findingId, id))).map((r) => [r.id, r.pathPrefix])).toEqual([[entry!.id, "/tools/mcp"]]);
    // Resolving it otherwise (false positive) removes the entry as well.
    const fp = await updateFinding(as(security), id, { state: "resolved", resolution: "false_positive" });
    expect(fp).toMatchObject({ state: "resolved", resolution: "false_positive", blocked: false });
    expect(await db.select().from(shadowBlocks).where(eq(shadowBlocks.findingId, id))).toEqual([]);
  });

  it("refuses to block a local (stdio) finding", async () => {
    const res = await ingestScanReport(
      as(security),
      report({ device: { name: "LAPTOP-5", os: "darwin", user: "jo@acme.test" }, servers: [scanServer({ client: "claude-code", configPath: "~/.claude.json", name: "local-db", transport: "stdio", command: "uvx", args: ["mcp-server-sqlite"] })] }),
    );
    const id = res.findings[0]!.id;
    await expect(updateFinding(as(security), id, { state: "resolved", resolution: "blocked" })).rejects.toBeInstanceOf(ValidationError);
    await expect(approveFinding(as(security), id)).rejects.toBeInstanceOf(ValidationError);
    expect(await getFinding(as(security), id)).toMatchObject({ state: "new", blocked: false });
    expect(await db.select().from(shadowBlocks).where(eq(shadowBlocks.findingId, id))).toEqual([]);
    const fp = await updateFinding(as(security), id, { state: "resolved", resolution: "false_positive" });
    expect(fp.resolution).toBe("false_positive");
  });

  it("lists findings by state, severity, kind and search", async () => {
    const tag = uniq();
    const high = await seed(`https://mcp.list-${tag}.example/mcp`, ["p1@acme.test", "p2@acme.test", `searchme-${tag}@acme.test`]);
    await upload([mcp({ ts: "2026-11-18T09:00:00Z", user: "p1@acme.test", url: `https://mcp.list-${tag}.example/mcp`, tool: "delete_everything" })]);
    const low = await seed(`https://mcp.list2-${tag}.example/mcp`);
    const resolved = await seed(`https://mcp.list3-${tag}.example/mcp`);
    await updateFinding(as(security), resolved, { state: "resolved", resolution: "false_positive" });

    const mine = await listed(as(security), { q: `list` });
    expect(mine.map((f) => f.id)).toEqual(expect.arrayContaining([high, low, resolved]));
    const open = await listed(as(security), { state: "open", q: tag, sort: "severity" });
    expect(open.map((f) => f.id).sort()).toEqual([high, low].sort());
    expect(open[0]!.id).toBe(high); // most severe first
    const highs = await listed(as(security), { severity: "high", limit: 500 });
    expect(highs.length).toBeGreaterThan(0);
    expect(highs.every((f) => f.severity === "high")).toBe(true);
    expect(highs.map((f) => f.id)).toContain(high);
    expect(highs.map((f) => f.id)).not.toContain(low);
    expect((await listed(as(security), { state: "resolved", q: tag })).map((f) => f.id)).toEqual([resolved]);
    expect((await listed(as(security), { q: `searchme-${tag}` })).map((f) => f.id)).toEqual([high]);
    expect(await listed(as(security), { q: `%_${tag}` })).toEqual([]);
    const stdio = await listed(as(security), { kind: "stdio" });
    expect(stdio.length).toBeGreaterThan(0);
    expect(stdio.every((f) => f.kind === "stdio")).toBe(true);
    await expect(listFindings(as(security), { state: "closed" } as never)).rejects.toBeInstanceOf(ZodError);
  });

  it("never makes a finding of an approved server (registered URL or discovered endpoint) or the portal, from traffic or laptop scans", async () => {
    const tag = uniq();
    // Registered at one URL, discovered (endpointUrl) at another origin: both are the approved server.
    await db.insert(servers).values({ slug: `reg-${tag}`, name: "Registered", url: `https://reg-${tag}.example/v1`, endpointUrl: `https://edge-${tag}.example/mcp`, transport: "streamable-http", status: "approved" });
    // A server still in review is not approved: its traffic stays shadow.
    await db.insert(servers).values({ slug: `pending-${tag}`, name: "Pending", url: `https://pending-${tag}.example/mcp`, endpointUrl: `https://pending-${tag}.example/mcp`, transport: "streamable-http", status: "pending_review" });
    vi.stubEnv("PORTCULLIS_PORTAL_PUBLIC_URL", `https://portal-${tag}.example`);
    vi.stubEnv("PORTCULLIS_PORTAL_URLS", `https://portal-alt-${tag}.example:8443`);
    try {
      const ts = "2026-11-19T10:00:00Z";
      const res = await upload([
        mcp({ ts, user: "ann@acme.test", url: `https://reg-${tag}.example/v1/mcp`, tool: "a" }),
        mcp({ ts, user: "ann@acme.test", url: `https://edge-${tag}.example/mcp`, tool: "a" }),
        mcp({ ts, user: "ann@acme.test", url: `https://portal-${tag}.example/mcp/some-server`, tool: "a" }),
        mcp({ ts, user: "ann@acme.test", url: `https://portal-alt-${tag}.example:8443/mcp`, tool: "a" }),
        mcp({ ts, user: "ann@acme.test", url: `https://pending-${tag}.example/mcp`, tool: "a" }),
        // Another port of the portal's host is another server.
        mcp({ ts, user: "ann@acme.test", url: `https://portal-${tag}.example:9000/mcp`, tool: "a" }),
      ]);
      expect(res.findings.map((f) => f.url).sort()).toEqual([`https://pending-${tag}.example/mcp`, `https://portal-${tag}.example:9000/mcp`]);
      expect(res.approved.sort()).toEqual([`https://edge-${tag}.example/mcp`, `https://portal-${tag}.example/mcp/some-server`, `https://portal-alt-${tag}.example:8443/mcp`, `https://reg-${tag}.example/v1/mcp`].sort());

      const scan = await ingestScanReport(
        as(security),
        report({
          servers: [
            scanServer({ client: "cursor", configPath: P2, name: "portal", transport: "http", url: `https://portal-${tag}.example/mcp` }),
            scanServer({ client: "cursor", configPath: P2, name: "portal-alt", transport: "sse", url: `https://portal-alt-${tag}.example:8443/sse` }),
            scanServer({ client: "cursor", configPath: P2, name: "portal-bridged", transport: "stdio", command: "npx", args: ["-y", "mcp-remote", `https://portal-${tag}.example/mcp`] }),
            scanServer({ client: "cursor", configPath: P2, name: "registered", transport: "http", url: `https://reg-${tag}.example/v1` }),
            scanServer({ client: "cursor", configPath: P2, name: "discovered", transport: "http", url: `https://edge-${tag}.example/mcp` }),
            scanServer({ client: "cursor", configPath: P2, name: "pending", transport: "http", url: `https://pending-${tag}.example/mcp` }),
          ],
        }),
      );
      expect(scan.findings.map((f) => f.key)).toEqual([`https://pending-${tag}.example/mcp`]);
      const keys = (await db.select({ key: shadowFindings.key }).from(shadowFindings).where(like(shadowFindings.key, `%${tag}%`))).map((r) => r.key);
      expect(keys.sort()).toEqual([`https://pending-${tag}.example/mcp`, `https://portal-${tag}.example:9000/mcp`]);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("pages the list by each sort with a cursor (keyset), each finding once, filters kept, a foreign cursor refused", async () => {
    const tag = uniq();
    // Years back, out of the charts' 30 days.
    const day = (d: number) => new Date(Date.UTC(2020, 10, d, 9));
    // Equal sort values on purpose (severity, users, lastSeen): ties page by id, nothing repeated or skipped.
    const made = await db
      .insert(shadowFindings)
      .values(
        [
          { severity: "high", userCount: 3, requests: 10, first: 1, last: 9 },
          { severity: "low", userCount: 1, requests: 500, first: 2, last: 9 },
          { severity: "medium", userCount: 3, requests: 7, first: 3, last: 5 },
          { severity: "high", userCount: 2, requests: 0, first: 4, last: 6 },
          { severity: "low", userCount: 5, requests: 3_000_000_000, first: 5, last: 7 },
        ].map((r, i) => ({ key: `https://page-${i}-${tag}.example/mcp`, kind: "remote" as const, url: `https://page-${i}-${tag}.example/mcp`, severity: r.severity as "high", userCount: r.userCount, requests: r.requests, firstSeen: day(r.first), lastSeen: day(r.last) })),
      )
      .returning();
    const all = async (query: Parameters<typeof listFindings>[1]) => {
      const ids: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await listFindings(as(security), { ...query, q: tag, limit: 2, ...(cursor ? { cursor } : {}) });
        expect(page.findings.length).toBeLessThanOrEqual(2);
        ids.push(...page.findings.map((f) => f.id));
        if (!page.nextCursor) return ids;
        cursor = page.nextCursor;
      }
      throw new Error("the cursor never ended");
    };
    const expected = (by: (f: (typeof made)[number]) => number | bigint, order: "asc" | "desc") =>
      [...made].sort((a, b) => (by(a) === by(b) ? (a.id < b.id ? -1 : 1) : by(a) < by(b) ? -1 : 1) * (order === "asc" ? 1 : -1)).map((f) => f.id);
    const rank = { low: 0, medium: 1, high: 2 };
    expect(await all({})).toEqual(expected((f) => f.lastSeen.getTime(), "desc"));
    expect(await all({ sort: "lastSeen", order: "asc" })).toEqual(expected((f) => f.lastSeen.getTime(), "asc"));
    expect(await all({ sort: "firstSeen" })).toEqual(expected((f) => f.firstSeen.getTime(), "desc"));
    expect(await all({ sort: "severity" })).toEqual(expected((f) => rank[f.severity], "desc"));
    expect(await all({ sort: "severity", order: "asc" })).toEqual(expected((f) => rank[f.severity], "asc"));
    expect(await all({ sort: "users" })).toEqual(expected((f) => f.userCount, "desc"));
    expect(await all({ sort: "requests", order: "asc" })).toEqual(expected((f) => f.requests, "asc"));
    // Filters hold across pages.
    expect(await all({ severity: "high", sort: "firstSeen", order: "asc" })).toEqual([made[0]!.id, made[3]!.id]);
    // The first page of 50 by default; the last page says so.
    expect((await listFindings(as(security), { q: tag })).nextCursor).toBeNull();

    const { nextCursor } = await listFindings(as(security), { q: tag, sort: "users", limit: 1 });
    expect(nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    await expect(listFindings(as(security), { q: tag, sort: "lastSeen", cursor: nextCursor! })).rejects.toThrow(/sort=users order=desc, not sort=lastSeen order=desc/);
    await expect(listFindings(as(security), { q: tag, sort: "users", order: "asc", cursor: nextCursor! })).rejects.toBeInstanceOf(ValidationError);
    await expect(listFindings(as(security), { q: tag, cursor: "bm90LWEtY3Vyc29y" })).rejects.toThrow(/nextCursor from a previous page/);
    const forged = Buffer.from(JSON.stringify(["users", "desc", "1; drop table x", made[0]!.id])).toString("base64url");
    await expect(listFindings(as(security), { q: tag, sort: "users", cursor: forged })).rejects.toBeInstanceOf(ValidationError);
    await expect(listFindings(as(security), { sort: "score" } as never)).rejects.toBeInstanceOf(ZodError);
    await expect(listFindings(as(security), { limit: 501 })).rejects.toBeInstanceOf(ZodError);
  });

  it("approves a finding into a prefilled registration request, and leaves it open until a server exists", async () => {
    const url = "https://mcp.adopt.example/mcp";
    const id = await seed(url, ["k1@acme.test", "k2@acme.test"]);
    const { finding, requestUrl } = await approveFinding(as(security), id, "Let's adopt it");
    // Nothing is registered yet: the finding stays where it was (with the note).
    expect(finding).toMatchObject({ state: "new", resolution: null, serverId: null, blocked: false });
    expect(finding.timeline.at(-1)).toMatchObject({ kind: "note", note: "Let's adopt it" });
    expect(requestUrl.startsWith("/servers/new?")).toBe(true);
    const params = new URLSearchParams(requestUrl.slice("/servers/new?".length));
    expect(params.get("name")).toBe("mcp.adopt.example");
    expect(params.get("slug")).toBe("adopt");
    expect(params.get("url")).toBe(url);
    expect(params.get("finding")).toBe(id);
    expect(params.get("justification")).toContain(id);
    expect(params.get("justification")).toContain("2 people");
    // Approving again answers the same URL without a state change.
    const again = await approveFinding(as(security), id);
    expect(again.requestUrl).toBe(requestUrl);
    expect(again.finding.timeline).toHaveLength(finding.timeline.length);
  });

  it("resolves an adopted finding when its server is registered, and not when the registration fails", async () => {
    const upstream = await startMutableServer({ port: 0 });
    try {
      const id = await seed(upstream.url, ["lo@acme.test"]);
      const request = (url: string, actor: Actor = security) =>
        registerServer({ db, actor }, { name: "Adopted", slug: `adopted-${uniq()}`, url, justification: "adopted from a finding", findingId: id });
      // A registration that fails (nothing answers MCP there) closes nothing.
      await expect(request(`${upstream.origin}/nope/mcp`)).rejects.toMatchObject({ code: "UPSTREAM_NOT_MCP" });
      expect(await getFinding(as(security), id)).toMatchObject({ state: "new", resolution: null, serverId: null });
      // A member may not resolve findings: their request registers, the finding stays as it is.
      const byMember = await request(upstream.url, member);
      expect(await getFinding(as(security), id)).toMatchObject({ state: "new", serverId: null });
      await db.delete(servers).where(eq(servers.id, byMember.id));
      // Registered by a triager: linked and resolved as approved, with the timeline and the audit row.
      const server = await request(upstream.url);
      const finding = await getFinding(as(security), id);
      expect(finding).toMatchObject({ state: "resolved", resolution: "approved", serverId: server.id });
      expect(finding.timeline.slice(-2)).toEqual([
        expect.objectContaining({ kind: "registered", details: { serverId: server.id } }),
        expect.objectContaining({ kind: "state", details: { from: "new", to: "resolved (approved)" } }),
      ]);
      const audit = await db.select().from(auditLog).where(and(eq(auditLog.targetId, id), eq(auditLog.action, "finding.update")));
      expect(audit.at(-1)?.details).toMatchObject({ serverId: server.id, to: "resolved (approved)" });
    } finally {
      await upstream.close();
    }
  });

  it("lets only security and admin read and triage findings", async () => {
    const id = await seed("https://mcp.authz.example/mcp");
    for (const actor of [viewer, member, approver]) {
      await expect(updateFinding(as(actor), id, { note: "x" })).rejects.toBeInstanceOf(ForbiddenError);
      await expect(updateFinding(as(actor), id, { state: "resolved", resolution: "blocked" })).rejects.toBeInstanceOf(ForbiddenError);
      await expect(approveFinding(as(actor), id)).rejects.toBeInstanceOf(ForbiddenError);
      await expect(getFinding(as(actor), id)).rejects.toBeInstanceOf(ForbiddenError);
      await expect(listFindings(as(actor))).rejects.toBeInstanceOf(ForbiddenError);
    }
    expect(await getFinding(admin(), id)).toMatchObject({ state: "new", timeline: [expect.objectContaining({ kind: "detected" })] });
    const byAdmin = await updateFinding(admin(), id, { note: "seen by admin" });
    expect(byAdmin.timeline.at(-1)).toMatchObject({ kind: "note", actor: "bootstrap-token" });
  });

  // ------------------------------------------------------------------ 4. block list

  it("warns before blocking an approved server's URL, by hand or from a finding, and names the server", async () => {
    const upstream = await startMutableServer({ port: 0 });
    try {
      // The finding first: traffic to an approved server is not shadow MCP.
      const id = await seed(upstream.url, ["apr@acme.test"]);
      const slug = `apr-${uniq()}`;
      const registered = await registerServer(admin(), { name: "Approved Weather", slug, url: upstream.url, justification: "in use" });
      await approveServer(admin(), registered.id, { reason: "ok" });
      const refused = createBlock(as(security), { url: `${upstream.origin}/`, scope: "origin", reason: "whole host" });
      await expect(refused).rejects.toBeInstanceOf(BlocksApprovedServerError);
      await expect(refused).rejects.toMatchObject({ status: 409, code: "BLOCKS_APPROVED_SERVER", message: expect.stringContaining(`"Approved Weather" (${slug})`), fieldErrors: { url: expect.stringContaining(slug) } });
      // Another path on the same origin does not cover the server: no warning.
      const elsewhere = await createBlock(as(security), { url: `${upstream.origin}/other/mcp`, reason: "not the server" });
      await deleteBlock(as(security), elsewhere.id);
      // Resolving a finding for the server's URL as blocked asks too, and nothing is written until acknowledged.
      await expect(updateFinding(as(security), id, { state: "resolved", resolution: "blocked" })).rejects.toMatchObject({ code: "BLOCKS_APPROVED_SERVER", fieldErrors: { blockScope: expect.stringContaining(slug) } });
      expect(await getFinding(as(security), id)).toMatchObject({ state: "new", blocked: false });
      expect(await updateFinding(as(security), id, { state: "resolved", resolution: "blocked", blockApproved: true })).toMatchObject({ resolution: "blocked", blocked: true });
      await updateFinding(as(security), id, { state: "investigating" });
      const acknowledged = await createBlock(as(security), { url: `${upstream.origin}/`, scope: "origin", reason: "whole host", blockApproved: true });
      expect(acknowledged).toMatchObject({ pathPrefix: "" });
      await deleteBlock(as(security), acknowledged.id);
    } finally {
      await upstream.close();
    }
  });

  it("keeps a block list by hand, refuses registering a blocked URL, and exports it", async () => {
    const byUrl = await createBlock(as(security), { url: "https://blocked.example/api/mcp/", reason: "Known exfiltration relay" });
    expect(byUrl).toMatchObject({ origin: "https://blocked.example", pathPrefix: "/api/mcp", reason: "Known exfiltration relay", findingId: null, createdBy: security.email });
    await expect(createBlock(as(security), { url: "https://blocked.example/api/mcp", reason: "again" })).rejects.toBeInstanceOf(ConflictError);
    const byOrigin = await createBlock(as(security), { url: "https://Whole.Blocked.example:8443/some/path", scope: "origin", reason: "Whole host" });
    expect(byOrigin).toMatchObject({ origin: "https://whole.blocked.example:8443", pathPrefix: "" });
    await expect(createBlock(as(security), { url: "https://whole.blocked.example:8443/", scope: "origin", reason: "dup" })).rejects.toBeInstanceOf(ConflictError);
    await expect(createBlock(as(security), { url: "ftp://x.example/", reason: "r" })).rejects.toBeInstanceOf(ZodError);
    await expect(createBlock(as(security), { url: "https://x.example/", reason: "" })).rejects.toBeInstanceOf(ZodError);
    const list = await listBlocks(as(security));
    expect(list.map((b) => b.id)).toEqual(expect.arrayContaining([byUrl.id, byOrigin.id]));
    const bundle = await draftBundle(db, new Date());
    expect(bundle.shadow.blocklist).toContainEqual({ id: byUrl.id, origin: "https://blocked.example", pathPrefix: "/api/mcp", reason: "Known exfiltration relay" });

    // Registration refuses a blocked URL before any network call.
    let discovered = 0;
    const discover = async (): Promise<never> => {
      discovered++;
      throw new Error("discover must not be called for a blocked URL");
    };
    const reg = (url: string) => registerServer(as(member), { name: "Relay", slug: `relay-${uniq()}`, url, justification: "we need it" }, discover as never);
    await expect(reg("https://blocked.example/api/mcp/v2")).rejects.toBeInstanceOf(ConflictError);
    await expect(reg("https://blocked.example/api/mcp")).rejects.toThrow(/block list/);
    await expect(reg("https://whole.blocked.example:8443/anything")).rejects.toBeInstanceOf(ConflictError);
    expect(discovered).toBe(0);
    // Not covered: another path of the first origin, and another port of the second reach discovery.
    await expect(reg("https://blocked.example/api/other")).rejects.toThrow(/discover must not be called/);
    await expect(reg("https://whole.blocked.example/x")).rejects.toThrow(/discover must not be called/);
    expect(discovered).toBe(2);

    const { rules } = await exportGatewayPolicy(as(security));
    expect(rules).toHaveLength(1);
    const rule = rules[0]!;
    expect(rule).toMatchObject({ action: "block", enabled: true, filters: ["http"] });
    expect(rule.traffic).toContain("blocked.example");
    expect(rule.traffic).toContain("whole.blocked.example");
    const dlp = exportDlpProfile(as(security));
    expect(dlp.entries.map((e) => e.name)).toEqual(expect.arrayContaining(["MCP Tools Call", "MCP Tools List", "MCP Initialize Method"]));
    expect(dlp.entries.every((e) => e.enabled && e.pattern.regex.length > 0)).toBe(true);

    await deleteBlock(as(security), byUrl.id);
    expect((await listBlocks(as(security))).map((b) => b.id)).not.toContain(byUrl.id);
    await expect(deleteBlock(as(security), byUrl.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(deleteBlock(as(security), "nope")).rejects.toBeInstanceOf(NotFoundError);
    const audit = await db.select().from(auditLog).where(eq(auditLog.targetId, byUrl.id));
    expect(audit.map((a) => a.action).sort()).toEqual(["blocklist.add", "blocklist.remove"]);
  });

  it("reopens a blocked finding when its block-list entry is deleted", async () => {
    const id = await seed("https://mcp.unblock.example/mcp");
    await updateFinding(as(security), id, { state: "resolved", resolution: "blocked" });
    const [entry] = await db.select().from(shadowBlocks).where(eq(shadowBlocks.findingId, id));
    await deleteBlock(as(security), entry!.id);
    const f = await getFinding(as(security), id);
    expect(f).toMatchObject({ state: "investigating", resolution: null, blocked: false });
    expect(f.timeline.at(-1)).toMatchObject({ kind: "unblocked", details: { origin: "https://mcp.unblock.example", pathPrefix: "/mcp", reopened: true } });
    const events = await db.select().from(shadowFindingEvents).where(eq(shadowFindingEvents.findingId, id));
    expect(events.filter((e) => e.kind === "unblocked")).toHaveLength(1);
  });

  it("lets only security and admin edit or export the block list", async () => {
    const entry = await createBlock(admin(), { url: `https://authz-${uniq()}.example/mcp`, reason: "r" });
    for (const actor of [viewer, member, approver]) {
      await expect(createBlock(as(actor), { url: "https://x.example/mcp", reason: "r" })).rejects.toBeInstanceOf(ForbiddenError);
      await expect(deleteBlock(as(actor), entry.id)).rejects.toBeInstanceOf(ForbiddenError);
      await expect(listBlocks(as(actor))).rejects.toBeInstanceOf(ForbiddenError);
      await expect(exportGatewayPolicy(as(actor))).rejects.toBeInstanceOf(ForbiddenError);
      expect(() => exportDlpProfile(as(actor))).toThrow(ForbiddenError);
    }
    expect((await listBlocks(as(security))).map((b) => b.id)).toContain(entry.id);
  });

  // ------------------------------------------------------------------ 5. stats

  it("charts new findings per day, states, top users, teams and hosts", async () => {
    const host = "mcp.stats.example";
    const lines: string[] = [];
    for (const [i, path] of ["/a/mcp", "/b/mcp", "/c/mcp"].entries()) {
      for (let n = 0; n < 20; n++) lines.push(mcp({ ts: `2026-11-05T0${i}:${String(n).padStart(2, "0")}:00Z`, user: "sam@stats.test", url: `https://${host}${path}`, tool: "query_db" }));
      for (let n = 0; n < 10; n++) lines.push(mcp({ ts: `2026-11-05T0${i}:${String(n).padStart(2, "0")}:30Z`, user: "tess@stats.test", url: `https://${host}${path}` }));
    }
    lines.push(mcp({ ts: "2026-11-06T10:00:00Z", user: "sam@stats.test", url: `https://${host}/a/mcp` }));
    // Outside the 30-day window: a finding, but not on the chart.
    lines.push(mcp({ ts: "2026-09-01T10:00:00Z", user: "old@stats.test", url: "https://mcp.old.example/mcp" }));
    const res = await upload(lines);
    expect(res.findings).toHaveLength(4);

    const team = await createTeam(admin(), { slug: `stats-${uniq()}`, name: "Stats Team" });
    const sam = await makeUser(db, "member", "sam@stats.test");
    await setMembership(admin(), team.id, sam.userId, {});

    const stats = await shadowStats(as(security), 30, NOW);
    expect(ShadowStatsOutput.parse(stats)).toEqual(stats);
    expect(stats.newPerDay).toHaveLength(30);
    expect(stats.newPerDay[0]!.day).toBe("2026-10-28");
    expect(stats.newPerDay.at(-1)!.day).toBe("2026-11-26");
    expect(stats.newPerDay.find((d) => d.day === "2026-11-05")).toEqual({ day: "2026-11-05", remote: 3, stdio: 0 });
    expect(stats.newPerDay.find((d) => d.day === "2026-11-06")).toEqual({ day: "2026-11-06", remote: 0, stdio: 0 });

    const all = await listed(as(security), { limit: 500 });
    const inWindow = all.filter((f) => f.firstSeen >= "2026-10-28");
    expect(stats.newPerDay.reduce((n, d) => n + d.remote, 0)).toBe(inWindow.filter((f) => f.kind === "remote").length);
    expect(stats.newPerDay.reduce((n, d) => n + d.stdio, 0)).toBe(inWindow.filter((f) => f.kind === "stdio").length);
    expect(stats.newPerDay.reduce((n, d) => n + d.stdio, 0)).toBeGreaterThan(0);
    expect(all.length).toBeGreaterThan(inWindow.length);
    const byDay = new Map<string, number>();
    for (const f of inWindow) byDay.set(f.firstSeen.slice(0, 10), (byDay.get(f.firstSeen.slice(0, 10)) ?? 0) + 1);
    for (const d of stats.newPerDay) expect(d.remote + d.stdio).toBe(byDay.get(d.day) ?? 0);

    const expectedStates = new Map<string, number>();
    for (const f of all) {
      const label = f.state === "resolved" ? `resolved: ${f.resolution!.replace("_", " ")}` : f.state;
      expectedStates.set(label, (expectedStates.get(label) ?? 0) + 1);
    }
    expect(stats.byState).toEqual([...expectedStates].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([state, count]) => ({ state, count })));
    expect(stats.byState.map((s) => s.state)).toEqual(expect.arrayContaining(["new", "investigating", "resolved: false positive", "resolved: approved"]));

    expect(stats.topUsers.slice(0, 2)).toEqual([
      { user: "sam@stats.test", requests: 61, findings: 3 },
      { user: "tess@stats.test", requests: 30, findings: 3 },
    ]);
    for (let i = 1; i < stats.topUsers.length; i++) expect(stats.topUsers[i - 1]!.requests).toBeGreaterThanOrEqual(stats.topUsers[i]!.requests);
    expect(stats.topUsers.some((u) => u.user === "")).toBe(false);
    expect(stats.topTeams).toEqual([{ team: "Stats Team", requests: 61, findings: 3 }]);
    expect(stats.topHosts[0]).toEqual({ host, requests: 91, findings: 3 });
    for (let i = 1; i < stats.topHosts.length; i++) expect(stats.topHosts[i - 1]!.requests).toBeGreaterThanOrEqual(stats.topHosts[i]!.requests);
    // Local (stdio) servers have no host; they are counted per day, not here.
    expect(stats.topHosts.every((h) => h.host !== null && h.host !== "")).toBe(true);

    for (const actor of [viewer, member, approver]) await expect(shadowStats(as(actor), 30, NOW)).rejects.toBeInstanceOf(ForbiddenError);
  });
});
