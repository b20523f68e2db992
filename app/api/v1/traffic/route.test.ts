/**
 * The traffic upload route as Next serves it: a real database, a real bearer token, and a body
 * streamed as it is generated (never the whole file in memory).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { shadowFindings } from "@/db/schema";
import { seededRandom } from "@/testing/seeded-random.mjs";
import { makeUserToken } from "@/testing/users";
import { POST } from "./route";

const BASE = "http://console.test/api/v1/traffic";
const MiB = 1024 * 1024;

interface IngestBody {
  upload: { status: string; bytes: number; lines: number; badLines: number; badLineSamples: { line: number; error: string }[]; mcpRecords: number; servers: number; shadowServers: number; newFindings: number; filename: string | null; duplicateOf: string | null; id: string };
  findings: { id: string; url: string; created: boolean }[];
  approved: string[];
}

const post = (query: string, body: BodyInit | ReadableStream<Uint8Array> | null, token?: string) =>
  POST(
    new Request(`${BASE}${query}`, {
      method: "POST",
      body,
      duplex: "half",
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), "content-type": "application/x-ndjson" },
    } as RequestInit),
    { params: Promise.resolve({}) },
  );

const SHADOW = [1, 2, 3, 4, 5].map((k) => `https://tools-${k}.shadow-${k}.example.net/mcp`);
const MCP_BODY = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_issue"}}';
/** Planted bad lines (1-based line numbers), none on an MCP line (multiples of 1,000). */
const BAD: Record<number, string> = { 777: "not json {", 123_457: '{"foo":1}', 300_001: "[1,2,3]" };
const BLANK = 5_001;

interface Plan {
  lines: number;
  bytes: number;
  perServer: Map<string, number>;
}

/**
 * ~targetBytes of generic proxy NDJSON, generated in pull(): ordinary web traffic with MCP calls to
 * five shadow servers on every 1,000th line, the planted bad lines and one blank line.
 */
function trafficStream(targetBytes: number, plan: Plan, onChunk: () => void): ReadableStream<Uint8Array> {
  const rnd = seededRandom(4242);
  const int = (n: number) => Math.floor(rnd() * n);
  const enc = new TextEncoder();
  const hosts = Array.from({ length: 400 }, (_, i) => `www.site${i}.example${i % 7}.com`);
  const paths = ["/", "/index.html", "/static/app.js", "/static/styles.css", "/images/logo.png", "/api/v2/items/", "/search", "/account/settings", "/news/article/", "/cdn/fonts/roboto.woff2"];
  const cts = ["text/html; charset=utf-8", "application/javascript", "text/css", "image/png", "application/json", "font/woff2"];
  const pad = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0 ".repeat(4);
  let t = Date.UTC(2026, 10, 2, 8, 0, 0);
  let n = 0;
  let done = false;
  const line = (): string => {
    n++;
    t += int(500);
    const ts = new Date(t).toISOString();
    const user = `user${int(300)}@acme.com`;
    if (BAD[n] !== undefined) return BAD[n]!;
    if (n === BLANK) return "";
    if (n % 1000 === 0) {
      const url = SHADOW[(n / 1000) % SHADOW.length]!;
      plan.perServer.set(url, (plan.perServer.get(url) ?? 0) + 1);
      return JSON.stringify({
        ts,
        user,
        src_ip: `10.1.${int(250)}.${int(250)}`,
        method: "POST",
        url,
        status: 200,
        request_headers: { "user-agent": "claude-code/1.0.0", "mcp-protocol-version": "2025-06-18", "content-type": "application/json", accept: "application/json, text/event-stream" },
        response_headers: { "content-type": "application/json" },
        request_body_prefix: MCP_BODY,
        bytes_out: 120,
        bytes_in: 900,
      });
    }
    const path = paths[int(paths.length)]!;
    return JSON.stringify({
      ts,
      user,
      src_ip: `10.1.${int(250)}.${int(250)}`,
      method: int(10) === 0 ? "POST" : "GET",
      url: `https://${hosts[int(hosts.length)]}${path}${path.endsWith("/") && path !== "/" ? int(100_000) : ""}${int(3) === 0 ? `?q=${int(1e9)}&page=${int(20)}` : ""}`,
      status: int(20) === 0 ? 404 : 200,
      request_headers: { "user-agent": pad.slice(0, 20 + int(280)), accept: "text/html,application/xhtml+xml,*/*;q=0.8", "accept-language": "en-US,en;q=0.9" },
      response_headers: { "content-type": cts[int(cts.length)]!, "cache-control": "max-age=3600" },
      bytes_out: int(5000),
      bytes_in: int(500_000),
    });
  };
  let pulls = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (done) return;
      // Like a network body, let the event loop turn now and then (the memory sampler's timer
      // would otherwise never fire: reading and parsing run on microtasks alone).
      if (++pulls % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
      onChunk();
      let batch = "";
      for (let i = 0; i < 256; i++) {
        batch += line() + "\n";
        if (plan.bytes + batch.length >= targetBytes) break; // ASCII: chars = bytes
      }
      const bytes = enc.encode(batch);
      plan.bytes += bytes.byteLength;
      plan.lines = n;
      controller.enqueue(bytes);
      if (plan.bytes >= targetBytes) {
        done = true;
        controller.close();
      }
    },
  });
}

describe("POST /api/v1/traffic on pglite", () => {
  const { db } = useTestDatabase(testDatabases()[0]!, { getDb: true });
  let securityToken: string;
  let memberToken: string;
  let adminToken: string;

  beforeAll(async () => {
    securityToken = await makeUserToken(db, "security");
    memberToken = await makeUserToken(db, "member");
    adminToken = await makeUserToken(db, "admin");
  });

  it("answers a wrong format query with 400 VALIDATION_ERROR", async () => {
    const res = await post("?format=xml", '{"url":"https://a.example/"}\n', securityToken);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "VALIDATION_ERROR" } });
  });

  it("answers a missing token with 401 and a member's token with 403", async () => {
    const none = await post("", '{"url":"https://a.example/"}\n');
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: "UNAUTHENTICATED" } });
    const member = await post("", '{"url":"https://a.example/"}\n', memberToken);
    expect(member.status).toBe(403);
    expect(await member.json()).toMatchObject({ error: { code: "FORBIDDEN" } });
  });

  it("inflates a gzip upload (as Logpush writes .log.gz) and refuses a corrupt one, storing nothing", async () => {
    const { gzipSync } = await import("node:zlib");
    const text = `${JSON.stringify({ ts: "2026-11-03T08:00:00Z", user: "z@acme.com", method: "POST", url: "https://gz.shadow.example/mcp", request_headers: { "mcp-protocol-version": "2025-06-18" }, request_body_prefix: MCP_BODY })}\nnot json\n`;
    const gz = gzipSync(Buffer.from(text));
    const res = await post("?filename=day.log.gz", gz, securityToken);
    expect(res.status).toBe(200);
    const out = (await res.json()) as IngestBody;
    expect(out.upload).toMatchObject({ status: "done", bytes: gz.byteLength, lines: 2, badLines: 1, shadowServers: 1 });
    expect(out.upload.badLineSamples[0]?.line).toBe(2);
    expect(out.findings.map((f) => f.url)).toEqual(["https://gz.shadow.example/mcp"]);

    const corrupt = Buffer.concat([gz.subarray(0, 12), Buffer.from("this is not deflate data at all, not even close")]);
    const bad = await post("?filename=broken.log.gz", corrupt, securityToken);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "VALIDATION_ERROR", message: expect.stringMatching(/^The upload stopped after \d+ bytes/) } });
    const rows = await db.select().from(shadowFindings);
    expect(rows.filter((r) => r.key.includes("broken"))).toEqual([]);
  });

  it("accepts a security user's token (and an admin's)", async () => {
    const body = [
      JSON.stringify({ ts: "2026-11-02T08:00:00Z", user: "s@acme.com", method: "POST", url: "https://small.shadow.example/mcp", request_headers: { "mcp-protocol-version": "2025-06-18" }, request_body_prefix: MCP_BODY }),
      JSON.stringify({ ts: "2026-11-02T08:00:01Z", user: "s@acme.com", method: "GET", url: "https://www.example.com/" }),
      "",
    ].join("\n");
    const res = await post("?format=generic&filename=small.ndjson", body, securityToken);
    expect(res.status).toBe(200);
    const out = (await res.json()) as IngestBody;
    expect(out.upload).toMatchObject({ status: "done", lines: 2, badLines: 0, mcpRecords: 1, shadowServers: 1, filename: "small.ndjson" });
    expect(out.findings.map((f) => f.url)).toEqual(["https://small.shadow.example/mcp"]);
    // The same bytes again (from an admin) are recognized as a duplicate.
    const admin = await post("", body, adminToken);
    expect(admin.status).toBe(200);
    expect(((await admin.json()) as IngestBody).upload).toMatchObject({ status: "done", duplicateOf: out.upload.id, newFindings: 0 });
  });

  it(
    "streams ≥ 200 MiB of NDJSON with bounded memory and finds exactly the 5 shadow servers",
    async () => {
      const target = 200 * MiB + 123_457;
      const plan: Plan = { lines: 0, bytes: 0, perServer: new Map() };
      const base = process.memoryUsage();
      let peakHeap = base.heapUsed;
      let peakRss = base.rss;
      // ArrayBuffers (a buffered body as bytes) live outside the JS heap: count them too.
      let peakHeapExt = base.heapUsed + base.external;
      let samples = 0;
      let chunks = 0;
      const sample = () => {
        const m = process.memoryUsage();
        samples++;
        if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
        if (m.rss > peakRss) peakRss = m.rss;
        if (m.heapUsed + m.external > peakHeapExt) peakHeapExt = m.heapUsed + m.external;
      };
      // Every ~50 ms, and also every 64th chunk (~7 MiB) in case the timer is starved.
      const timer = setInterval(sample, 50);
      const stream = trafficStream(target, plan, () => {
        if (++chunks % 64 === 0) sample();
      });
      const t0 = performance.now();
      let res: Response;
      let out: IngestBody;
      try {
        res = await post("?filename=big.ndjson", stream, securityToken);
        out = (await res.json()) as IngestBody;
      } finally {
        clearInterval(timer);
      }
      const seconds = (performance.now() - t0) / 1000;
      const heapGrowth = (peakHeap - base.heapUsed) / MiB;
      const rssGrowth = (peakRss - base.rss) / MiB;
      const heapExtGrowth = (peakHeapExt - base.heapUsed - base.external) / MiB;
      console.log(
        `[traffic 200 MiB] ${plan.bytes} bytes (${(plan.bytes / MiB).toFixed(1)} MiB), ${plan.lines} lines in ${seconds.toFixed(1)} s = ${(plan.bytes / MiB / seconds).toFixed(1)} MiB/s; ` +
          `peak heapUsed growth ${heapGrowth.toFixed(1)} MiB (baseline ${(base.heapUsed / MiB).toFixed(1)} MiB), peak heapUsed+external growth ${heapExtGrowth.toFixed(1)} MiB, peak rss growth ${rssGrowth.toFixed(1)} MiB (baseline ${(base.rss / MiB).toFixed(1)} MiB), ${samples} samples (${chunks} chunks)`,
      );

      expect(res.status).toBe(200);
      expect(plan.bytes).toBeGreaterThanOrEqual(200 * MiB);
      expect(samples).toBeGreaterThan(10);
      // Holding the 200+ MiB body (as bytes or as a string) would exceed this by far.
      expect(heapGrowth).toBeLessThan(150);
      expect(heapExtGrowth).toBeLessThan(150);

      expect(out.upload).toMatchObject({ status: "done", bytes: plan.bytes, lines: plan.lines, badLines: 3, filename: "big.ndjson", servers: 5, shadowServers: 5, newFindings: 5 });
      expect(out.upload.badLineSamples.map((b) => b.line)).toEqual([777, 123_457, 300_001]);
      expect(out.upload.badLineSamples.map((b) => b.error)).toEqual(["not valid JSON", expect.stringMatching(/unknown format/), "line is not a JSON object"]);
      const mcpLines = Math.floor(plan.lines / 1000);
      expect(out.upload.mcpRecords).toBe(mcpLines);
      expect(out.approved).toEqual([]);
      expect(out.findings.map((f) => f.url).sort()).toEqual([...SHADOW].sort());
      expect(out.findings.every((f) => f.created)).toBe(true);

      const rows = await db.select({ key: shadowFindings.key, requests: shadowFindings.requests }).from(shadowFindings);
      const byKey = new Map(rows.map((r) => [r.key, r.requests]));
      expect([...plan.perServer.values()].reduce((a, b) => a + b, 0)).toBe(mcpLines);
      for (const url of SHADOW) expect(byKey.get(url), url).toBe(plan.perServer.get(url));
    },
    300_000,
  );
});
