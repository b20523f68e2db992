import { describe, expect, it } from "vitest";
import { EVIDENCE_NEGATIVE_CLASSES, generateCorpus, HARD_NEGATIVE_CLASSES, HARD_POSITIVE_MODES, type LabeledCorpus } from "@/testing/corpora/shadow-traffic";
import { classifyRecord, classifyRecords, confidenceOf, MCP_THRESHOLD } from "./detect";
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

/** URLs the detector calls findings (servers at or above the finding threshold). */
function findingUrls(records: readonly TrafficRecord[]): string[] {
  return groupServers(records)
    .filter((s) => s.status === "finding")
    .map((s) => s.url);
}

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

    const predicted = new Set(findingUrls(records));
    const truth = new Set(c.positiveServers);
    const stp = [...predicted].filter((u) => truth.has(u)).length;
    const sfp = predicted.size - stp;
    const sfn = truth.size - stp;
    const stn = c.negativeServers.filter((u) => !predicted.has(u)).length;
    const serverLevel = pr(stp, sfp, sfn);
    const kindOf = new Map(c.lines.map((l) => [l.server, l.kind]));
    const missed = [...truth].filter((u) => !predicted.has(u)).map((u) => `${u} (${kindOf.get(u)})`);
    const extra = [...predicted].filter((u) => !truth.has(u)).map((u) => `${u} (${kindOf.get(u) ?? "?"})`);

    rows.push(
      `${format.padEnd(10)} servers TP ${String(stp).padStart(3)} FP ${String(sfp).padStart(3)} FN ${String(sfn).padStart(3)} TN ${String(stn).padStart(3)}  precision ${serverLevel.precision.toFixed(3)} recall ${serverLevel.recall.toFixed(3)} | records ${String(c.lines.length).padStart(5)} P ${recordLevel.precision.toFixed(3)} R ${recordLevel.recall.toFixed(3)} | ${Math.round((c.lines.length / ms) * 1000)} lines/s (cold, in-test; not a benchmark)`,
    );
    console.log(`shadow detector quality (server level: a finding is a predicted MCP server)\n${rows.join("\n")}${missed.length ? `\nmissed: ${missed.join(", ")}` : ""}${extra.length ? `\nfalse: ${extra.join(", ")}` : ""}`);
    expect(recordLevel.precision).toBeGreaterThanOrEqual(0.98);
    expect(serverLevel.precision).toBeGreaterThanOrEqual(0.98);
    expect(serverLevel.recall).toBeGreaterThanOrEqual(0.95);
  });

  it("is deterministic", () => {
    const again = generateCorpus("generic");
    expect(again.lines.map((l) => l.line)).toEqual(corpora.get("generic")!.lines.map((l) => l.line));
    expect(generateCorpus("generic", 7).lines[0]!.line).not.toBe(again.lines[0]!.line);
  });

  it("covers issue 17's hard positives and negatives in both formats", () => {
    for (const f of FORMATS) {
      const kinds = new Set(corpora.get(f)!.lines.map((l) => l.kind));
      for (const cls of EVIDENCE_NEGATIVE_CLASSES) expect(kinds).toContain(`neg:${cls}`);
      const modes = f === "generic" ? HARD_POSITIVE_MODES : (["nonstandard-path", "stateless"] as const);
      for (const m of modes) expect(kinds).toContain(`pos:${m}`);
    }
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
  const cases = FORMATS.flatMap((f) => [...HARD_NEGATIVE_CLASSES, ...EVIDENCE_NEGATIVE_CLASSES].map((cls) => [f, cls] as const));
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
    ["Bitcoin Core 28 ping (JSON-RPC 2.0, no params)", body({ jsonrpc: "2.0", id: 1, method: "ping" }, "http://bitcoind.acme.internal:8332/")],
    ["LSP initialize cut inside capabilities (capabilities first)", body('{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"capabilities":{"workspace":{"applyEdit":true},"textDocument":{"synchronization":{"dyn', "https://ide.acme.internal/lsp")],
    ["LSP initialize with a date-looking protocolVersion would still be LSP", body({ jsonrpc: "2.0", id: 0, method: "initialize", params: { processId: 1, protocolVersion: "2025-06-18", rootUri: "file:///r", capabilities: { textDocument: {} } } })],
    ["Agent Client Protocol initialize (numeric protocolVersion, clientInfo)", body({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: 1, clientCapabilities: { fs: { readTextFile: true } }, clientInfo: { name: "zed", version: "0.170.0" } } }, "https://agent.acme-labs.dev/acp")],
    ["pino log event in a Datadog batch (JSON-RPC merged into the event)", body([{ ddsource: "nodejs", service: "mcp-gateway", level: 30, jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "x", arguments: {} }, msg: "rpc" }], "https://logs.acme.internal/api/v2/logs")],
    ["Splunk HEC raw: NDJSON of MCP messages", body('{"jsonrpc":"2.0","id":1,"method":"tools/list"}\n{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x"}}', "https://splunk.acme.internal:8088/services/collector/raw")],
    ["one raw MCP message indexed into Elasticsearch", body({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "x", arguments: {} } }, "https://es.acme.internal:9200/mcp-audit/_doc")],
    ["an MCP request mirrored to webhook.site", body({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "claude-ai" } } }, "https://webhook.site/8f7c0d1e-0000-4000-a000-000000000000")],
    ["a paste as text/plain", gen({ url: "https://paste.rs/", request_headers: { "Content-Type": "text/plain" }, request_body_prefix: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}' })],
    ["a transcript file uploaded to a chat (requests and a server's answers)", body([{ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "x" } }, { jsonrpc: "2.0", id: 1, result: { content: [], isError: false } }], "https://chat.acme.internal/api/v1/rooms/GENERAL")],
    ["Gateway: a ticket attachment that trips the MCP DLP entries", cf({ URL: "https://acme.atlassian.net/rest/api/3/issue/OPS-1/attachments", HTTPMethod: "POST", UploadedFileNames: ["trace.json"], UploadMatchedDlpProfileEntries: ["MCP Tools Call"] })],
    ["Gateway: a Langfuse span with the MCP request as its input", cf({ URL: "https://langfuse.acme.internal/api/public/ingestion", HTTPMethod: "POST", UploadMatchedDlpProfileEntries: ["MCP Tools Call", "MCP JSON-RPC Method"] })],
    ["a host that answers an MCP-shaped POST with a page", gen({ url: "https://relay.acme.example/inbox", response_content_type: "text/html; charset=utf-8", request_body_prefix: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}' })],
    ["Gateway: several MCP messages in one body", cf({ URL: "https://intake.acme.internal/v2/events", HTTPMethod: "POST", UploadMatchedDlpProfileEntries: ["MCP Initialize Method", "MCP Protocol Version", "MCP Tools Call"] })],
  ];
  it.each(named)("%s", (_name, r) => {
    const c = classifyRecord(r);
    expect(c.mcp).toBe(false);
    expect(c.confidence).toBeLessThan(0.7);
  });
});

describe("MCP that is hard to see", () => {
  it("the stateless revision: _meta on every request, the Mcp-Method header", () => {
    const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientInfo": { name: "c", version: "1" } };
    const c = classifyRecord(gen({ url: "https://x.example/api/agent", request_body_prefix: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "server/discover", params: { _meta: meta } }) }));
    expect(c.mcp).toBe(true);
    expect(c.evidence.map((e) => e.kind)).toEqual(expect.arrayContaining(["jsonrpc-meta", "jsonrpc-method"]));
    expect(classifyRecord(gen({ url: "https://x.example/x", request_headers: { "Mcp-Method": "tools/call" } })).evidence.map((e) => e.kind)).toContain("header-mcp-method");
  });
  it("bodies logged as base64 are read; gzip bytes are not, the headers still count", () => {
    const b64 = Buffer.from('{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"c"}}}').toString("base64");
    expect(classifyRecord(gen({ url: "https://x.example/jsonrpc", request_body_prefix: b64, request_body_encoding: "base64" })).mcp).toBe(true);
    const gz = gen({ url: "https://x.example/jsonrpc", request_body_prefix: "H4sIAAAAAAAAA6tWyirOz1OyUlAqS8wpTVWqBQBTbJ+8EgAAAA==", request_body_encoding: "base64", request_headers: { "Mcp-Session-Id": "s" } });
    expect([gz.bodyPrefix, gz.requestContentEncoding]).toEqual(["", "gzip"]);
    expect(classifyRecord(gz).mcp).toBe(true);
  });
  it("an answer that is an MCP result", () => {
    const c = classifyRecord(gen({ url: "https://x.example/x", response_body_prefix: 'event: message\ndata: {"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"s"}}}' }));
    expect(c.evidence.map((e) => [e.kind, e.weight])).toEqual([["response-result", 0.9]]);
    const keysLater = classifyRecord(gen({ url: "https://x.example/x", response_body_prefix: 'id: 1\nevent: message\ndata: {"result":{"tools":[{"name":"t"}]},"jsonrpc":"2.0","id":1}\n\n' }));
    expect(keysLater.evidence.map((e) => [e.kind, e.weight])).toEqual([["response-result", 0.6]]);
  });
  it("legacy HTTP+SSE announced by its endpoint event on any path owns the /messages POSTs", () => {
    const rs = [
      gen({ method: "GET", url: "https://x.example/events", response_content_type: "text/event-stream", response_body_prefix: "event: endpoint\ndata: /rpc/messages?sessionId=1\n\n" }),
      gen({ url: "https://x.example/rpc/messages?sessionId=1", status: 202 }),
      gen({ url: "https://x.example/rpc/messages?sessionId=1", status: 202 }),
    ];
    expect(groupServers(rs).map((s) => [s.url, s.status, s.requests])).toEqual([["https://x.example/events", "finding", 3]]);
  });
  it("an MCP server whose host or path merely resembles a payload carrier is still one", () => {
    const call = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}';
    expect(classifyRecord(gen({ url: "https://hooks-mcp.acme.dev/mcp", request_body_prefix: call, response_content_type: "application/json" })).mcp).toBe(true);
    expect(classifyRecord(gen({ url: "https://tools.example.es/api/logs-mcp", request_body_prefix: call, response_content_type: "text/event-stream" })).mcp).toBe(true);
    expect(classifyRecord(gen({ url: "https://x.example/messages?sessionId=1", status: 202, response_content_type: "text/plain", request_body_prefix: call })).mcp).toBe(true);
  });
  it("a body cut mid-JSON still names its method", () => {
    expect(classifyRecord(gen({ url: "https://x.example/agent/v2/rpc", request_body_prefix: '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"search_is' })).mcp).toBe(true);
  });
});

describe("findings and candidates", () => {
  const dlp = (entries: string[], o: Record<string, unknown> = {}) => cf({ URL: "https://tools.acme.internal/agent", HTTPMethod: "POST", UploadMatchedDlpProfileEntries: entries, ...o });
  it("one DLP-matched request is a candidate with its evidence; separate MCP methods to the same server make a finding", () => {
    const [one] = groupServers([dlp(["MCP Tools Call"])]);
    expect(one).toMatchObject({ url: "https://tools.acme.internal/agent", status: "candidate", confidence: 0.6 });
    expect(one!.evidence.map((e) => e.kind)).toEqual(["dlp-upload"]);
    const [two] = groupServers([dlp(["MCP Tools List"]), dlp(["MCP Tools Call"])]);
    expect(two).toMatchObject({ status: "finding", confidence: 0.8 });
    expect(two!.evidence.map((e) => e.kind)).toEqual(["dlp-upload", "method-sequence"]);
  });
  it("the threshold: confidence 0.7 and above is a finding", () => {
    expect(MCP_THRESHOLD).toBe(0.7);
    expect(confidenceOf([{ kind: "dlp-upload", weight: 0.6 }])).toBe(0.6);
    expect(confidenceOf([{ kind: "dlp-upload", weight: 0.6 }, { kind: "known-client", weight: 0.2 }, { kind: "mcp-in-path", weight: 0.15 }])).toBe(0.72);
    // Supporting evidence alone never gets there, however much of it.
    expect(confidenceOf(["known-client", "mcp-accept", "mcp-in-host", "mcp-in-path", "dlp-download", "jsonrpc-generic"].map((kind) => ({ kind, weight: 0.9 })))).toBe(0.3);
  });
  it("a server with only counter-evidence or supporting evidence is neither", () => {
    const lsp = gen({ url: "https://ide.acme.internal/lsp", request_body_prefix: JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { processId: 1, rootUri: "file:///r", capabilities: {} } }) });
    const paste = gen({ url: "https://paste.rs/", request_headers: { "Content-Type": "text/plain" }, request_body_prefix: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}' });
    expect(classifyRecord(lsp).evidence.map((e) => e.kind)).toEqual(["other-protocol"]);
    expect(classifyRecord(paste).evidence.map((e) => e.kind)).toEqual(["mcp-as-data"]);
    expect(groupServers([lsp, paste, gen({ method: "GET", url: "https://mcp.mcpherson.edu/mcp" })])).toEqual([]);
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
    // One DLP method entry is protocol evidence short of a finding (a chat message can trip it); MCP's handshake is one.
    expect(classifyRecord(cf({ URL: "https://tools.acme.internal/rpc", HTTPMethod: "POST", UploadMatchedDlpProfileEntries: ["MCP Tools Call"] }))).toMatchObject({ mcp: false, confidence: 0.6 });
    expect(classifyRecord(cf({ URL: "https://tools.acme.internal/rpc", HTTPMethod: "POST", UploadMatchedDlpProfileEntries: ["MCP Initialize Method", "MCP Protocol Version"] })).mcp).toBe(true);
    // …and initialize alone (a looser profile's entry, LSP trips it) is not protocol evidence.
    expect(classifyRecord(cf({ URL: "https://tools.acme.internal/rpc", HTTPMethod: "POST", UploadMatchedDlpProfileEntries: ["MCP Initialize Method"] })).confidence).toBeLessThan(0.2);
    expect(classifyRecord(cf({ URL: "https://mcp.notion.com/mcp", HTTPMethod: "POST" })).mcp).toBe(true);
    expect(classifyRecord(cf({ URL: "https://api.githubcopilot.com/mcp/", HTTPMethod: "POST" })).mcp).toBe(true);
    expect(classifyRecord(cf({ URL: "https://api.githubcopilot.com/chat/completions", HTTPMethod: "POST" })).mcp).toBe(false);
  });
  it("RFC 9728 discovery of an MCP-like resource: a candidate alone, a finding with the 401 that asked for it and an MCP client", () => {
    const discovery = cf({ URL: "https://t.acme.dev/.well-known/oauth-protected-resource/api/mcp", UserAgent: "claude-code/1.0.61" });
    expect(classifyRecord(discovery)).toMatchObject({ mcp: false });
    expect(classifyRecord(cf({ URL: "https://t.acme.dev/.well-known/oauth-protected-resource/api/v2" })).confidence).toBe(0);
    expect(groupServers([discovery]).map((s) => [s.url, s.status])).toEqual([["https://t.acme.dev/api/mcp", "candidate"]]);
    const challenge = cf({ URL: "https://t.acme.dev/api/mcp", HTTPMethod: "POST", HTTPStatusCode: 401, UserAgent: "claude-code/1.0.61" });
    expect(groupServers([challenge, discovery]).map((s) => [s.url, s.status])).toEqual([["https://t.acme.dev/api/mcp", "finding"]]);
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
    expect(s!.evidence.find((e) => e.kind === "dlp-upload")!.sample).toBe(rs[0]);
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
