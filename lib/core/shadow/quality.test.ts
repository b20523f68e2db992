import { describe, expect, it } from "vitest";
import { generateCorpus, HARD_NEGATIVE_CLASSES, type LabeledCorpus } from "@/testing/corpora/shadow-traffic";
import { classifyRecord, classifyRecords } from "./detect";
import { parseLine, parseTime, detectFormat, type TrafficFormat, type TrafficRecord } from "./records";
import { canonicalServerUrl, groupServers, isShadow } from "./servers";
import { seededRandom } from "@/testing/seeded-random.mjs";

const FORMATS: TrafficFormat[] = ["generic", "cloudflare"];
const corpora = new Map<TrafficFormat, LabeledCorpus>(FORMATS.map((f) => [f, generateCorpus(f)]));

function parseAll(c: LabeledCorpus): TrafficRecord[] {
  return c.lines.map((l, i) => {
    const p = parseLine(l.line);
    if (!p.ok) throw new Error(`line ${i + 1}: ${p.error}`);
    return p.record;
  });
}

function rec(line: Record<string, unknown>): TrafficRecord {
  const p = parseLine(JSON.stringify(line));
  if (!p.ok) throw new Error(p.error);
  return p.record;
}

const gen = (o: Record<string, unknown>) => rec({ ts: "2026-11-02T08:00:00Z", user: "a@acme.com", method: "POST", status: 200, ...o });
const cf = (o: Record<string, unknown>) => rec({ Datetime: "2026-11-02T08:00:00Z", Email: "a@acme.com", HTTPMethod: "GET", HTTPStatusCode: 200, ...o });

function pr(tp: number, fp: number, fn: number) {
  return { precision: tp + fp === 0 ? 1 : tp / (tp + fp), recall: tp + fn === 0 ? 1 : tp / (tp + fn) };
}

describe("detector quality on the generated corpus", () => {
  const rows: string[] = [];
  it.each(FORMATS)("%s: server-level precision ≥ 0.98 and recall ≥ 0.95", (format) => {
    const c = corpora.get(format)!;
    expect(c.lines.length).toBeGreaterThan(2000);
    expect(c.positiveServers.length).toBeGreaterThanOrEqual(60);
    const t0 = performance.now();
    const records = parseAll(c);
    const classified = classifyRecords(records);
    const ms = performance.now() - t0;

    let tp = 0,
      fp = 0,
      fn = 0;
    classified.forEach((x, i) => {
      const truth = c.lines[i]!.mcp;
      if (x.result.mcp && truth) tp++;
      else if (x.result.mcp) fp++;
      else if (truth) fn++;
    });
    const recordLevel = pr(tp, fp, fn);

    const predicted = new Set(groupServers(records).map((s) => s.url));
    const truth = new Set(c.positiveServers);
    const stp = [...predicted].filter((u) => truth.has(u)).length;
    const serverLevel = pr(stp, predicted.size - stp, truth.size - stp);
    const missed = [...truth].filter((u) => !predicted.has(u));
    const extra = [...predicted].filter((u) => !truth.has(u));

    rows.push(
      `${format.padEnd(10)} records ${String(c.lines.length).padStart(5)}  P ${recordLevel.precision.toFixed(3)} R ${recordLevel.recall.toFixed(3)} | servers ${truth.size}+/${c.negativeServers.length}-  P ${serverLevel.precision.toFixed(3)} R ${serverLevel.recall.toFixed(3)} | ${Math.round((c.lines.length / ms) * 1000)} lines/s (cold, in-test; not a benchmark)`,
    );
    console.log(`shadow detector quality\n${rows.join("\n")}${missed.length ? `\nmissed: ${missed.join(", ")}` : ""}${extra.length ? `\nfalse: ${extra.join(", ")}` : ""}`);
    expect(recordLevel.precision).toBeGreaterThanOrEqual(0.98);
    expect(serverLevel.precision).toBeGreaterThanOrEqual(0.98);
    expect(serverLevel.recall).toBeGreaterThanOrEqual(0.95);
  });

  it("is deterministic", () => {
    const again = generateCorpus("generic");
    expect(again.lines.map((l) => l.line)).toEqual(corpora.get("generic")!.lines.map((l) => l.line));
    expect(generateCorpus("generic", 7).lines[0]!.line).not.toBe(again.lines[0]!.line);
  });

  it("covers protocol versions, transports, vendor and self-hosted servers, in both formats", () => {
    for (const f of FORMATS) {
      const text = corpora.get(f)!.lines.filter((l) => l.mcp);
      const all = text.map((l) => l.line).join("\n");
      if (f === "generic") for (const v of ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]) expect(all).toContain(v);
      expect(all).toMatch(/messages\/?\?session(Id|_id)=/);
      expect(all).toContain("mcp.notion.com");
      expect(new Set(text.map((l) => l.kind)).size).toBeGreaterThanOrEqual(5);
    }
  });
});

describe("hard negatives are never flagged", () => {
  const cases = FORMATS.flatMap((f) => HARD_NEGATIVE_CLASSES.map((cls) => [f, cls] as const));
  it.each(cases)("%s corpus: %s", (format, cls) => {
    const c = corpora.get(format)!;
    const lines = c.lines.filter((l) => l.kind === `neg:${cls}`);
    expect(lines.length).toBeGreaterThan(10);
    const flagged = classifyRecords(lines.map((l) => rec(JSON.parse(l.line)))).filter((x) => x.result.mcp);
    expect(flagged.map((x) => `${x.record.host}${x.record.path}`)).toEqual([]);
  });

  const body = (b: unknown, url = "https://rpc.example.com/") => gen({ url, request_body_prefix: typeof b === "string" ? b : JSON.stringify(b) });
  const named: [string, TrafficRecord][] = [
    ["Ethereum eth_call", body({ jsonrpc: "2.0", id: 1, method: "eth_call", params: [{ to: "0x0" }, "latest"] })],
    ["Solana getBalance", body({ jsonrpc: "2.0", id: 1, method: "getBalance", params: ["83astB"] })],
    ["Bitcoin ping with array params", body({ jsonrpc: "2.0", id: 1, method: "ping", params: [] })],
    ["Bitcoin getblock (JSON-RPC 1.0)", body({ jsonrpc: "1.0", id: "x", method: "getblock", params: ["00ab"] })],
    ["LSP initialize (clientInfo, no protocolVersion)", body({ jsonrpc: "2.0", id: 0, method: "initialize", params: { processId: 1, clientInfo: { name: "vscode" }, rootUri: "file:///r", capabilities: {} } })],
    ["LSP textDocument/didOpen", body({ jsonrpc: "2.0", method: "textDocument/didOpen", params: { textDocument: { uri: "file:///a" } } })],
    ["A2A message/send", body({ jsonrpc: "2.0", id: 1, method: "message/send", params: { message: { role: "user", parts: [] } } }, "https://agent.example/a2a")],
    ["A2A tasks/get", body({ jsonrpc: "2.0", id: 1, method: "tasks/get", params: { id: "t1" } }, "https://agent.example/a2a")],
    ["OpenAI streaming", gen({ url: "https://api.openai.com/v1/chat/completions", response_content_type: "text/event-stream", request_body_prefix: '{"model":"gpt-4.1","stream":true}' })],
    ["generic SSE feed on /sse", gen({ method: "GET", url: "https://news.example/sse", response_content_type: "text/event-stream" })],
    ["MCP request quoted in a chat message", body({ messages: [{ role: "user", content: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}' }] }, "https://chatgpt.com/backend-api/conversation")],
    ["MCP request as a JSON string body", body(JSON.stringify('{"jsonrpc":"2.0","method":"initialize","params":{"protocolVersion":"2025-06-18","clientInfo":{}}}'))],
    ["MCP request nested as an object", body({ span: { jsonrpc: "2.0", id: 1, method: "tools/call" } }, "https://cloud.langfuse.com/api/public/ingestion")],
    ["key named jsonrpc inside a string value", body('{"note":"\\"jsonrpc\\":\\"2.0\\",\\"method\\":\\"tools/list\\"","x":1}')],
    ["mcpherson.edu", gen({ method: "GET", url: "https://mcp.mcpherson.edu/login" })],
    ["MCP documentation page", cf({ URL: "https://modelcontextprotocol.io/specification/2025-06-18/basic", HTTPHost: "modelcontextprotocol.io", DownloadMatchedDlpProfileEntries: ["MCP Initialize Method", "MCP Protocol Version"] })],
    ["Minecraft Mod Coder Pack", cf({ URL: "https://maven.minecraftforge.net/de/oceanlabs/mcp/mcp_config/1.16.5/mcp_config-1.16.5.zip", HTTPHost: "maven.minecraftforge.net" })],
    ["mcp in host and path together", gen({ method: "GET", url: "https://mcp-portal.contoso.com/mcp/certifications" })],
  ];
  it.each(named)("%s", (_name, r) => {
    const c = classifyRecord(r);
    expect(c.mcp).toBe(false);
    expect(c.score).toBeLessThan(0.6);
  });
});

describe("MCP evidence, one kind at a time", () => {
  it("initialize with protocolVersion and clientInfo, in any key order", () => {
    const r = gen({ url: "https://x.example/mcp", request_body_prefix: '{"method":"initialize","params":{"clientInfo":{"name":"c"},"protocolVersion":"2025-11-25"},"jsonrpc":"2.0","id":0}' });
    const c = classifyRecord(r);
    expect(c.mcp).toBe(true);
    expect(c.evidence[0]!.kind).toBe("jsonrpc-initialize");
    expect(c.evidence[0]!.sentence).toContain("2025-11-25");
  });
  it("a body truncated at 1,024 bytes after protocolVersion", () => {
    const full = JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-03-26", capabilities: { experimental: { pad: "x".repeat(2000) } }, clientInfo: { name: "c" } } });
    expect(classifyRecord(gen({ url: "https://x.example/mcp", request_body_prefix: full.slice(0, 1024) })).mcp).toBe(true);
  });
  it("batched tools/call", () => {
    const c = classifyRecord(gen({ url: "https://x.example/mcp", request_body_prefix: '[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x"}}]' }));
    expect(c.methods).toEqual(["tools/list", "tools/call"]);
  });
  it("a sampling result posted by the client", () => {
    const b = JSON.stringify({ jsonrpc: "2.0", id: 4, result: { role: "assistant", content: { type: "text", text: "hi" }, model: "m", stopReason: "endTurn" } });
    expect(classifyRecord(gen({ url: "https://x.example/mcp", request_body_prefix: b })).mcp).toBe(true);
  });
  it("headers only, in any header-name case", () => {
    expect(classifyRecord(gen({ url: "https://x.example/rpc", request_headers: { "MCP-PROTOCOL-VERSION": "2025-06-18" } })).mcp).toBe(true);
    expect(classifyRecord(gen({ url: "https://x.example/rpc", response_headers: { "mcp-session-id": "abc" } })).mcp).toBe(true);
  });
  it("Cloudflare DLP upload entries, and known vendor endpoints", () => {
    expect(classifyRecord(cf({ URL: "https://tools.acme.internal/rpc", HTTPMethod: "POST", UploadMatchedDlpProfileEntries: ["MCP Tools Call"] })).mcp).toBe(true);
    expect(classifyRecord(cf({ URL: "https://mcp.notion.com/mcp", HTTPMethod: "POST" })).mcp).toBe(true);
    expect(classifyRecord(cf({ URL: "https://api.githubcopilot.com/mcp/", HTTPMethod: "POST" })).mcp).toBe(true);
    expect(classifyRecord(cf({ URL: "https://api.githubcopilot.com/chat/completions", HTTPMethod: "POST" })).mcp).toBe(false);
  });
  it("RFC 9728 discovery of an MCP-like resource", () => {
    expect(classifyRecord(cf({ URL: "https://t.acme.dev/.well-known/oauth-protected-resource/api/mcp" })).mcp).toBe(true);
    expect(classifyRecord(cf({ URL: "https://t.acme.dev/.well-known/oauth-protected-resource/api/v2" })).mcp).toBe(false);
  });
});

describe("parsers", () => {
  const bad = ["", "   ", "not json", "[]", "null", "42", '"str"', "{}", '{"foo":1}', '{"url":5}', '{"url":"/x"}', '{"URL":"","HTTPHost":""}', '{"ts":"2026', "\u0000"];
  it.each(bad)("bad line %j gives an error, never throws", (line) => {
    const r = parseLine(line);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.length).toBeGreaterThan(0);
  });
  it("detects the format per line and honours a fixed format", () => {
    expect(detectFormat({ Datetime: "x", HTTPHost: "a" })).toBe("cloudflare");
    expect(detectFormat({ ts: "x", url: "https://a" })).toBe("generic");
    expect(detectFormat([1])).toBeNull();
    expect(parseLine('{"url":"https://a.example/x"}', "cloudflare").ok).toBe(false);
  });
  it("reads Logpush Datetime as RFC3339, unix seconds, milliseconds and nanoseconds", () => {
    const t = Date.UTC(2026, 10, 2, 8, 0, 0);
    expect(parseTime("2026-11-02T08:00:00Z")).toBe(t);
    expect(parseTime(t / 1000)).toBe(t);
    expect(parseTime(String(t))).toBe(t);
    expect(parseTime(t * 1e6)).toBe(t);
    expect(parseTime(`${t}000000`)).toBe(t);
    expect(parseTime("yesterday")).toBeNaN();
  });
  it("normalizes generic records: header case, host case, ports, query", () => {
    const r = gen({ url: "HTTPS://Tools.Example.COM:8443/mcp/?x=1", request_headers: { "Mcp-Session-ID": "s1", ACCEPT: "text/event-stream" }, request_body_prefix: "{}" });
    expect([r.scheme, r.host, r.port, r.path, r.query, r.mcpSessionId, r.accept]).toEqual(["https", "tools.example.com", 8443, "/mcp/", "x=1", "s1", "text/event-stream"]);
    expect(gen({ url: "https://a.example:443/x" }).port).toBe(0);
    expect(gen({ url: "/x", host: "a.example:8080" }).port).toBe(8080);
  });
  it("normalizes Cloudflare records: DLP entries, device, DestinationPort", () => {
    const r = cf({ URL: "https://a.example/x", HTTPHost: "a.example", DeviceName: "LAPTOP-1", UploadMatchedDlpProfileEntries: ["MCP Tools Call"], DestinationPort: 8443 });
    expect([r.device, r.uploadDlpEntries, r.port]).toEqual(["LAPTOP-1", ["MCP Tools Call"], 8443]);
  });
});

describe("servers", () => {
  it("canonical URL: lower-case host, non-default port kept, no query, no trailing slash", () => {
    expect(canonicalServerUrl(gen({ url: "https://MCP.Example.com:443/api/mcp/?a=1" }))).toBe("https://mcp.example.com/api/mcp");
    expect(canonicalServerUrl(gen({ url: "http://h.example:8080//v1//mcp/" }))).toBe("http://h.example:8080/v1/mcp");
    expect(canonicalServerUrl(gen({ url: "https://mcp.stripe.com/" }))).toBe("https://mcp.stripe.com");
    expect(canonicalServerUrl(cf({ URL: "https://h.example/.well-known/oauth-protected-resource/mcp" }))).toBe("https://h.example/mcp");
  });

  it("the legacy SSE endpoint owns its /messages POSTs (per origin, closest path)", () => {
    const init = '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2024-11-05","clientInfo":{"name":"c"}}}';
    const records = [
      gen({ method: "GET", url: "https://h.example:8443/a/sse", response_content_type: "text/event-stream", user: "u1" }),
      gen({ method: "GET", url: "https://h.example:8443/b/sse", response_content_type: "text/event-stream", user: "u2" }),
      gen({ url: "https://h.example:8443/a/messages?sessionId=1", request_body_prefix: init, user: "u1" }),
      gen({ url: "https://h.example:8443/b/messages/?session_id=2", user: "u2" }),
      gen({ url: "https://other.example/messages?sessionId=3", request_body_prefix: init }),
    ];
    const servers = groupServers(records);
    const byUrl = Object.fromEntries(servers.map((s) => [s.url, s]));
    expect(Object.keys(byUrl).sort()).toEqual(["https://h.example:8443/a/sse", "https://h.example:8443/b/sse", "https://other.example/messages"]);
    expect(byUrl["https://h.example:8443/a/sse"]!.requests).toBe(2);
    expect(byUrl["https://h.example:8443/a/sse"]!.methods.initialize).toBe(1);
    expect(byUrl["https://h.example:8443/b/sse"]!.users).toEqual(["u2"]);
    expect(byUrl["https://h.example:8443/b/sse"]!.evidence.map((e) => e.kind)).toContain("legacy-sse-pair");
  });

  it("a lone event stream on /sse, or /messages without a stream, is not MCP", () => {
    const only = classifyRecords([gen({ method: "GET", url: "https://feed.example/sse", response_content_type: "text/event-stream" }), gen({ url: "https://chat.example/messages?sessionId=1" })]);
    expect(only.map((x) => x.result.mcp)).toEqual([false, false]);
  });

  it("summarizes users, devices, first/last seen and evidence samples", () => {
    const rs = [
      cf({ URL: "https://mcp.linear.app/mcp", Email: "b@acme.com", DeviceName: "D2", Datetime: "2026-11-03T00:00:00Z", UploadMatchedDlpProfileEntries: ["MCP Tools Call"] }),
      cf({ URL: "https://mcp.linear.app/mcp", Email: "a@acme.com", DeviceName: "D1", Datetime: "2026-11-01T00:00:00Z" }),
    ];
    const [s] = groupServers(rs);
    expect(s!.users).toEqual(["a@acme.com", "b@acme.com"]);
    expect(s!.devices).toEqual(["D1", "D2"]);
    expect(new Date(s!.firstSeen).toISOString()).toBe("2026-11-01T00:00:00.000Z");
    expect(new Date(s!.lastSeen).toISOString()).toBe("2026-11-03T00:00:00.000Z");
    expect(s!.evidence[0]!.sample).toBe(rs[0]);
  });

  it("isShadow matches the full origin including port, and approved path prefixes", () => {
    const ctx = { approvedUrls: ["https://mcp.linear.app/mcp", "https://tools.acme.dev:8443/"], portalOrigins: ["https://portal.acme.dev"] };
    expect(isShadow("https://mcp.linear.app/mcp", ctx)).toBe(false);
    expect(isShadow("https://mcp.linear.app/mcp/v2", ctx)).toBe(false);
    expect(isShadow("https://mcp.linear.app/mcpx", ctx)).toBe(true);
    expect(isShadow("https://mcp.linear.app/sse", ctx)).toBe(true);
    expect(isShadow("http://mcp.linear.app/mcp", ctx)).toBe(true);
    expect(isShadow("https://mcp.linear.app:444/mcp", ctx)).toBe(true);
    expect(isShadow("https://tools.acme.dev:8443/anything", ctx)).toBe(false);
    expect(isShadow("https://tools.acme.dev/anything", ctx)).toBe(true);
    expect(isShadow("https://portal.acme.dev/mcp/github", ctx)).toBe(false);
    expect(isShadow("https://portal.acme.dev:8787/mcp/github", ctx)).toBe(true);
    expect(isShadow("not a url", ctx)).toBe(true);
  });
});

describe("parseTime", () => {
  it("reads UTC timestamps without Date.parse exactly as Date.parse does, and hands every other shape to it", () => {
    const iso = ["2026-11-24T09:01:00Z", "2026-11-24T09:01:00.123Z", "2026-11-24T09:01:00.1Z", "2026-11-24T09:01:00.123456789Z", "2024-02-29T00:00:00Z", "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-24T24:00:00Z", "2026-11-24T09:01:60Z", "2026-11-24T09:01:00+02:00", "2026-11-24T09:01:00.5+00:00", "2026-11-24 09:01:00Z", "2026-11-24T09:01:0xZ"];
    for (const v of iso) {
      const expected = Date.parse(v);
      expect([v, parseTime(v)]).toEqual([v, Number.isNaN(expected) ? Number.NaN : expected]);
    }
    expect(parseTime("1732435200")).toBe(1_732_435_200_000);
  });

  it("agrees with Date.parse across centuries, leap days and impossible dates", () => {
    const random = seededRandom(20261127);
    const pad = (n: number, width: number) => String(n).padStart(width, "0");
    const cases = ["1900-02-29T00:00:00Z", "2000-02-29T12:00:00Z", "2100-02-29T00:00:00Z", "1969-12-31T23:59:59.999Z", "1600-03-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-04-31T00:00:00Z", "2026-06-30T23:59:59Z"];
    for (let i = 0; i < 3_000; i++) {
      const year = 1000 + Math.floor(random() * 9000);
      const month = 1 + Math.floor(random() * 12);
      const day = 1 + Math.floor(random() * 31);
      const fraction = random() < 0.5 ? "" : `.${pad(Math.floor(random() * 1000), 3)}`;
      cases.push(`${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(Math.floor(random() * 24), 2)}:${pad(Math.floor(random() * 60), 2)}:${pad(Math.floor(random() * 60), 2)}${fraction}Z`);
    }
    const disagreements = cases.filter((v) => !Object.is(parseTime(v), Date.parse(v)));
    expect(disagreements).toEqual([]);
  });
});
