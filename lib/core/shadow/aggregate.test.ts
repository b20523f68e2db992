import { describe, expect, it } from "vitest";
import { seededRandom } from "@/testing/seeded-random.mjs";
import { generateCorpus } from "@/testing/corpora/shadow-traffic";
import { parseLine, type TrafficFormat, type TrafficRecord } from "./records";
import { groupServers, ServerAggregator, type ServerSummary } from "./servers";

function rec(line: Record<string, unknown>): TrafficRecord {
  const p = parseLine(JSON.stringify(line));
  if (!p.ok) throw new Error(p.error);
  return p.record;
}
const gen = (o: Record<string, unknown>) => rec({ ts: "2026-11-02T08:00:00Z", user: "a@acme.com", method: "POST", status: 200, ...o });
const INIT = '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2024-11-05","clientInfo":{"name":"c"}}}';
const CALL = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_issue"}}';
const mcp = (o: Record<string, unknown>) => gen({ url: "https://tools.example/mcp", request_headers: { "mcp-protocol-version": "2025-06-18" }, request_body_prefix: CALL, ...o });

function corpusRecords(format: TrafficFormat): TrafficRecord[] {
  return generateCorpus(format).lines.map((l, i) => {
    const p = parseLine(l.line);
    if (!p.ok) throw new Error(`line ${i + 1}: ${p.error}`);
    return p.record;
  });
}

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const rnd = seededRandom(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The order-independent view of a result: per URL, counts, methods, tools, users, times, vendor, daily. */
function view(servers: ServerSummary[]) {
  return Object.fromEntries(
    servers.map((s) => [
      s.url,
      {
        origin: s.origin,
        vendor: s.vendor,
        requests: s.requests,
        methods: s.methods,
        tools: s.tools,
        users: s.users,
        userCount: s.userCount,
        devices: s.devices,
        firstSeen: s.firstSeen,
        lastSeen: s.lastSeen,
        totalScore: Math.round(s.totalScore * 100) / 100,
        daily: [...s.daily].sort((a, b) => (a.day + a.user < b.day + b.user ? -1 : 1)),
        evidenceKinds: s.evidence.map((e) => `${e.kind}:${e.count}`).sort(),
      },
    ]),
  );
}

const dailySum = (s: ServerSummary) => s.daily.reduce((n, d) => n + d.requests, 0);

describe("ServerAggregator", () => {
  describe.each(["generic", "cloudflare"] as const)("on the %s corpus", (format) => {
    const records = corpusRecords(format);
    const base = groupServers(records);

    it("finds servers", () => {
      expect(base.length).toBeGreaterThanOrEqual(60);
      expect(base.some((s) => s.evidence.some((e) => e.kind === "legacy-sse-pair"))).toBe(true);
    });

    it.each([1, 2, 3])("gives the same servers, requests and methods for shuffled records (seed %i)", (seed) => {
      const got = groupServers(shuffled(records, seed * 7919));
      expect(got.map((s) => s.url).sort()).toEqual(base.map((s) => s.url).sort());
      const counts = (xs: ServerSummary[]) => Object.fromEntries(xs.map((s) => [s.url, { requests: s.requests, methods: s.methods }]));
      expect(counts(got)).toEqual(counts(base));
      // And everything else that does not depend on which record came first.
      expect(view(got)).toEqual(view(base));
    });

    it("daily sums equal requests (every corpus record has a time and the users stay under maxTracked)", () => {
      expect(records.every((r) => !Number.isNaN(r.time))).toBe(true);
      for (const s of base) expect(dailySum(s), s.url).toBe(s.requests);
    });

    it("finish() can be called again after more records, and then includes them", () => {
      const agg = new ServerAggregator();
      // Every other record, so both halves hold MCP records of many servers.
      const firstHalf = records.filter((_, i) => i % 2 === 0);
      const secondHalf = records.filter((_, i) => i % 2 === 1);
      for (const r of firstHalf) agg.push(r);
      const first = agg.finish();
      expect(view(agg.finish())).toEqual(view(first));
      for (const r of secondHalf) agg.push(r);
      const second = agg.finish();
      expect(view(second)).toEqual(view(base));
      expect(second.reduce((n, s) => n + s.requests, 0)).toBeGreaterThan(first.reduce((n, s) => n + s.requests, 0));
      // The first result was not changed by the later calls.
      expect(view(first)).toEqual(view(groupServers(firstHalf)));
    });
  });

  describe("the legacy HTTP+SSE transport", () => {
    const sse = (url: string, user = "a@acme.com") => gen({ method: "GET", url, response_content_type: "text/event-stream", user });

    it("a /messages?sessionId= POST seen before its origin's /sse stream still ends up under the SSE URL", () => {
      const records = [
        gen({ url: "https://h.example:8443/a/messages?sessionId=1", request_body_prefix: INIT, user: "u1" }),
        gen({ url: "https://h.example:8443/b/messages/?session_id=2", user: "u2" }),
        gen({ url: "https://h.example:8443/a/messages?sessionId=1", user: "u1" }),
        sse("https://h.example:8443/a/sse", "u1"),
        sse("https://h.example:8443/b/sse", "u2"),
      ];
      const servers = groupServers(records);
      const byUrl = Object.fromEntries(servers.map((s) => [s.url, s]));
      expect(Object.keys(byUrl).sort()).toEqual(["https://h.example:8443/a/sse", "https://h.example:8443/b/sse"]);
      expect(byUrl["https://h.example:8443/a/sse"]!.requests).toBe(3);
      expect(byUrl["https://h.example:8443/a/sse"]!.methods.initialize).toBe(1);
      expect(byUrl["https://h.example:8443/b/sse"]!.requests).toBe(2);
      expect(byUrl["https://h.example:8443/b/sse"]!.users).toEqual(["u2"]);
      expect(byUrl["https://h.example:8443/b/sse"]!.evidence.map((e) => e.kind)).toContain("legacy-sse-pair");
      // Same as when the stream comes first, and in any order.
      expect(view(groupServers([...records].reverse()))).toEqual(view(servers));
      for (const seed of [1, 2, 3]) expect(view(groupServers(shuffled(records, seed)))).toEqual(view(servers));
    });

    it("a /messages POST whose stream arrives only after a first finish() moves under the SSE URL on the next finish()", () => {
      const agg = new ServerAggregator();
      agg.push(gen({ url: "https://late.example/messages?sessionId=9", request_body_prefix: INIT }));
      expect(agg.finish().map((s) => s.url)).toEqual(["https://late.example/messages"]);
      agg.push(sse("https://late.example/sse"));
      const after = agg.finish();
      expect(after.map((s) => [s.url, s.requests])).toEqual([["https://late.example/sse", 2]]);
    });

    it("a known vendor's SSE endpoint keeps its vendor when the /messages POST came first", () => {
      const records = [gen({ url: "https://mcp.linear.app/messages?sessionId=1", request_body_prefix: INIT }), sse("https://mcp.linear.app/sse")];
      for (const order of [records, [...records].reverse()]) {
        const [s, ...rest] = groupServers(order);
        expect(rest).toEqual([]);
        expect(s).toMatchObject({ url: "https://mcp.linear.app/sse", vendor: "Linear", requests: 2 });
      }
    });
  });

  describe("users", () => {
    it("users beyond maxTracked are not tracked, and userCount stays ≤ maxTracked", () => {
      const records = Array.from({ length: 10 }, (_, i) => mcp({ user: `u${i}@acme.com` }));
      const [s] = groupServers(records, { maxTracked: 3 });
      expect(s!.requests).toBe(10);
      expect(s!.userCount).toBe(3);
      expect(s!.users).toEqual(["u0@acme.com", "u1@acme.com", "u2@acme.com"]);
      // Tracked users keep counting; untracked ones are not in the per-day figures.
      const more = groupServers([...records, mcp({ user: "u1@acme.com" }), mcp({ user: "u9@acme.com" })], { maxTracked: 3 });
      expect(more[0]!.userCount).toBe(3);
      expect(more[0]!.daily).toEqual([
        { day: "2026-11-02", user: "u0@acme.com", requests: 1 },
        { day: "2026-11-02", user: "u1@acme.com", requests: 2 },
        { day: "2026-11-02", user: "u2@acme.com", requests: 1 },
      ]);
    });

    it("userCount stays ≤ maxTracked when groups of one server are merged (legacy stream + messages)", () => {
      const records = [
        ...Array.from({ length: 4 }, (_, i) => gen({ method: "GET", url: "https://m.example/sse", response_content_type: "text/event-stream", user: `s${i}` })),
        ...Array.from({ length: 4 }, (_, i) => gen({ url: "https://m.example/messages?sessionId=1", request_body_prefix: INIT, user: `m${i}` })),
      ];
      const [s, ...rest] = groupServers(records, { maxTracked: 5 });
      expect(rest).toEqual([]);
      expect(s!.requests).toBe(8);
      expect(s!.userCount).toBeLessThanOrEqual(5);
      expect(s!.users.length).toBeLessThanOrEqual(5);
    });

    it("maxPeople bounds the listed users but not userCount", () => {
      const [s] = groupServers(
        Array.from({ length: 10 }, (_, i) => mcp({ user: `u${i}@acme.com` })),
        { maxPeople: 4 },
      );
      expect(s!.users).toHaveLength(4);
      expect(s!.userCount).toBe(10);
    });
  });

  describe("daily", () => {
    it("sums to requests for records with a time and a user, across days; records without a time are not counted per day", () => {
      const records = [
        mcp({ ts: "2026-11-01T23:59:59Z", user: "a@acme.com" }),
        mcp({ ts: "2026-11-02T00:00:00Z", user: "a@acme.com" }),
        mcp({ ts: "2026-11-02T10:00:00Z", user: "b@acme.com" }),
        mcp({ ts: "2026-11-03T10:00:00Z", user: "b@acme.com" }),
      ];
      const [s] = groupServers(records);
      expect(dailySum(s!)).toBe(s!.requests);
      expect(s!.daily).toEqual([
        { day: "2026-11-01", user: "a@acme.com", requests: 1 },
        { day: "2026-11-02", user: "a@acme.com", requests: 1 },
        { day: "2026-11-02", user: "b@acme.com", requests: 1 },
        { day: "2026-11-03", user: "b@acme.com", requests: 1 },
      ]);
      const [t] = groupServers([...records, mcp({ ts: "not a time", user: "a@acme.com" })]);
      expect(t!.requests).toBe(5);
      expect(dailySum(t!)).toBe(4);
    });
  });
});

describe("evidence samples", () => {
  it("shows different records under different kinds when there are several", () => {
    const records = ["a@acme.com", "b@acme.com", "c@acme.com", "d@acme.com"].map((user, i) => mcp({ user, ts: `2026-11-02T08:0${i}:00Z` }));
    const [server] = groupServers(records);
    const samples = server!.evidence.map((e) => e.sample);
    expect(server!.evidence.length).toBeGreaterThan(1);
    // Each record carries every kind; still, no two kinds show the same record while another one is unused.
    expect(new Set(samples).size).toBe(Math.min(samples.length, records.length));
  });
});
