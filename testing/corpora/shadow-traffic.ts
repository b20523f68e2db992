/**
 * Deterministic labeled traffic corpus for the detector's quality test (test support).
 * Same seed → same lines. Positives span transports (streamable HTTP, legacy HTTP+SSE),
 * protocol revisions, vendor-hosted and self-hosted servers, headers-only and DLP-only evidence;
 * negatives are the hard cases the detector must not flag, plus ordinary background traffic.
 */
import { MCP_PROTOCOL_VERSIONS, KNOWN_MCP_ENDPOINTS } from "@core/shadow/detect";
import { type TrafficFormat } from "@core/shadow/records";
import { mcpDlpProfile } from "@core/shadow/exports";
import { seededRandom } from "@/testing/seeded-random.mjs";

const DLP_REGEXES = mcpDlpProfile().entries.map((e) => ({ name: e.name, re: new RegExp(e.pattern.regex) }));
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/**
 * A gzip member holding the bytes in stored (uncompressed) deflate blocks: valid gzip a proxy would log
 * as is, built without node:zlib so the benchmark's platform-neutral bundle of this file still builds.
 */
function gzipBytes(text: string): Uint8Array {
  const data = new TextEncoder().encode(text);
  const out: number[] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
  for (let at = 0; at < data.length || at === 0; at += 65_535) {
    const block = data.subarray(at, at + 65_535);
    const last = at + 65_535 >= data.length ? 1 : 0;
    out.push(last, block.length & 0xff, block.length >> 8, ~block.length & 0xff, (~block.length >> 8) & 0xff, ...block);
    if (last) break;
  }
  let crc = 0xffffffff;
  for (const b of data) crc = CRC_TABLE[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  crc = (crc ^ 0xffffffff) >>> 0;
  out.push(crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24, data.length & 0xff, (data.length >>> 8) & 0xff, (data.length >>> 16) & 0xff, data.length >>> 24);
  return Uint8Array.from(out);
}

/** The entries of the exported MCP DLP profile that match a body's first 1,024 bytes. */
function dlpMatches(body: string): string[] {
  const head = body.slice(0, 1024);
  return DLP_REGEXES.filter((e) => e.re.test(head)).map((e) => e.name);
}

export interface LabeledLine {
  line: string;
  mcp: boolean;
  /** Canonical URL of the server the line belongs to (negatives: the URL the line went to). */
  server: string;
  /** Positive mode ("pos:<mode>") or negative class ("neg:<class>"). */
  kind: string;
}

export interface LabeledCorpus {
  format: TrafficFormat;
  lines: LabeledLine[];
  positiveServers: string[];
  negativeServers: string[];
}

export const HARD_NEGATIVE_CLASSES = [
  "ethereum",
  "solana",
  "bitcoin",
  "lsp",
  "a2a",
  "llm-streaming",
  "generic-sse",
  "quoted-mcp",
  "mcp-lookalike-host",
  "mcp-docs",
  "minecraft-mcp",
  "vendor-non-endpoint",
] as const;

/**
 * Issue 17's hard negatives: JSON-RPC that is not MCP (language servers over HTTP and WebSocket,
 * blockchain nodes, other JSON-RPC APIs), and MCP JSON carried as data (log shipping, LLM and error
 * observability, pastes, webhooks, chat and ticket attachments).
 */
export const EVIDENCE_NEGATIVE_CLASSES = ["lsp-http", "lsp-ws", "chain-rpc", "jsonrpc-apis", "log-shipping", "observability", "paste", "webhook", "chat-attachment", "ticket-attachment"] as const;

/** Issue 17's hard positives: MCP that is hard to see. */
export const HARD_POSITIVE_MODES = ["nonstandard-path", "truncated", "base64-body", "gzip-body", "stateless", "sse-endpoint", "nonstandard-path"] as const;
type HardPositiveMode = (typeof HARD_POSITIVE_MODES)[number];

interface Req {
  method: string;
  url: string;
  status: number;
  reqHeaders: Record<string, string>;
  resHeaders: Record<string, string>;
  body?: string;
  resCt: string;
  upDlp?: string[];
  downDlp?: string[];
  /** Response body as a proxy that captures it logs it (generic only). */
  resBody?: string;
  /** How the proxy logged the request body: cut short, base64 of its bytes, or gzip bytes in base64. */
  bodyCap?: number;
  bodyEncoding?: "base64" | "gzip";
  /** Cloudflare: file names Gateway saw uploaded (multipart or file bodies). */
  files?: string[];
  /** Cloudflare: DLP entries computed by running the exported MCP profile's regexes over the body, as Gateway would. */
  autoDlp?: boolean;
}

type PosMode =
  | "full"
  | "headers-only"
  | "body-only"
  | "sse-full"
  | "sse-headers-only"
  | "vendor-full"
  | "vendor-bare"
  | "dlp"
  | "dlp-partial"
  | "sse-nodlp"
  | "oauth-only"
  | "vendor-nodlp";

const GENERIC_MODES: PosMode[] = ["full", "headers-only", "body-only", "sse-full", "sse-headers-only", "vendor-full", "vendor-bare"];
const CF_MODES: PosMode[] = ["dlp", "dlp-partial", "sse-nodlp", "oauth-only", "vendor-nodlp", "dlp"];

const CLIENTS = ["claude-ai", "cursor-vscode", "Visual Studio Code", "claude-code", "windsurf-client", "gemini-cli-mcp-client", "mcp-inspector", "goose"];
const ADJ = ["amber", "brisk", "cedar", "delta", "ember", "fjord", "granite", "harbor", "iris", "juniper", "kestrel", "lumen"];
const NOUN = ["tools", "agent", "bridge", "relay", "hub", "works", "ops", "data", "forge", "desk"];
const SELF_SUFFIX = ["acme.internal", "fly.dev", "workers.dev", "ngrok-free.app", "onrender.com", "acme-corp.com", "herokuapp.com"];
const STREAM_PATHS = ["/mcp", "/api/mcp", "/v1/mcp", "/", "/rpc", "/mcp/"];
const TOOLS = ["search_issues", "create_issue", "query_db", "send_email", "read_file", "deploy", "list_pages", "run_sql"];

// The DLP entry Cloudflare's MCP profile raises for a request body's method.
const DLP_FOR_METHOD: Record<string, string[]> = {
  initialize: ["MCP Initialize Method", "MCP Protocol Version"],
  "notifications/initialized": ["MCP Notifications Initialized"],
  "tools/call": ["MCP Tools Call"],
  "tools/list": ["MCP Tools List"],
  "resources/list": ["MCP Resources List"],
  "resources/read": ["MCP Resources Read"],
  "prompts/list": ["MCP Prompts List"],
};

const BASE_TIME = Date.UTC(2026, 10, 2, 8, 0, 0);

export function generateCorpus(format: TrafficFormat, seed = 20261126): LabeledCorpus {
  const rnd = seededRandom(seed ^ (format === "cloudflare" ? 0x5f3759df : 0));
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const hex = (n: number) => {
    let s = "";
    for (let i = 0; i < n; i++) s += "0123456789abcdef"[int(16)];
    return s;
  };
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  const users = Array.from({ length: 48 }, (_, i) => ({ email: `user${i}@acme.com`, id: uuid(), device: `LAPTOP-${1000 + i}`, deviceId: uuid(), ip: `10.20.${i >> 4}.${(i * 7) % 250}` }));

  const lines: LabeledLine[] = [];
  const positives = new Set<string>();
  const negatives = new Set<string>();
  let clock = BASE_TIME;

  const headerCase = (name: string): string => {
    const v = int(3);
    return v === 0 ? name.toLowerCase() : v === 1 ? name : name.toUpperCase();
  };

  const render = (q: Req, u: (typeof users)[number]): string => {
    clock += 50 + int(4000);
    const url = new URL(q.url);
    if (format === "generic") {
      const rh: Record<string, string> = {};
      for (const [k, v] of Object.entries(q.reqHeaders)) rh[headerCase(k)] = v;
      const o: Record<string, unknown> = {
        ts: new Date(clock).toISOString(),
        user: u.email,
        src_ip: u.ip,
        method: q.method,
        url: q.url,
        host: url.host,
        status: q.status,
        request_headers: rh,
        response_headers: q.resHeaders,
        response_content_type: q.resCt,
        bytes_out: (q.body?.length ?? 0) + 300,
        bytes_in: 200 + int(5000),
      };
      if (q.body !== undefined) {
        const cut = q.body.slice(0, q.bodyCap ?? 1024);
        if (q.bodyEncoding === "gzip") {
          rh[headerCase("Content-Encoding")] = "gzip";
          o.request_body_prefix = Buffer.from(gzipBytes(q.body)).toString("base64").slice(0, 1024);
          o.request_body_encoding = "base64";
        } else if (q.bodyEncoding === "base64") {
          o.request_body_prefix = Buffer.from(q.body.slice(0, 768)).toString("base64");
          o.request_body_encoding = "base64";
        } else o.request_body_prefix = cut;
      }
      if (q.resBody !== undefined) o.response_body_prefix = q.resBody.slice(0, 1024);
      return JSON.stringify(o);
    }
    const tf = int(3);
    const port = url.port !== "" ? Number(url.port) : url.protocol === "http:" ? 80 : 443;
    const up = q.upDlp ?? (q.autoDlp && q.body !== undefined ? dlpMatches(q.body) : []);
    const down = q.downDlp ?? [];
    return JSON.stringify({
      Datetime: tf === 0 ? new Date(clock).toISOString() : tf === 1 ? clock * 1_000_000 : String(clock),
      Email: u.email,
      UserID: u.id,
      DeviceID: u.deviceId,
      DeviceName: u.device,
      HTTPHost: url.host,
      HTTPMethod: q.method,
      HTTPStatusCode: q.status,
      HTTPVersion: "HTTP/2",
      URL: q.url,
      UserAgent: q.reqHeaders["User-Agent"] ?? "Mozilla/5.0",
      SourceIP: u.ip,
      DestinationIP: `203.0.113.${int(250)}`,
      DestinationPort: port,
      SessionID: hex(32),
      RequestID: hex(20),
      Action: "allow",
      UploadMatchedDlpProfiles: up.length > 0 ? ["MCP Traffic"] : [],
      UploadMatchedDlpProfileEntries: up,
      DownloadMatchedDlpProfiles: down.length > 0 ? ["MCP Traffic"] : [],
      DownloadMatchedDlpProfileEntries: down,
      ...(q.files !== undefined ? { UploadedFileNames: q.files } : {}),
    });
  };

  const emit = (q: Req, u: (typeof users)[number], mcp: boolean, server: string, kind: string) => {
    lines.push({ line: render(q, u), mcp, server, kind });
    (mcp ? positives : negatives).add(server);
  };

  // ------------------------------------------------------------------ positives
  const rpc = (id: number | null, method: string, params?: unknown) =>
    JSON.stringify(id === null ? { jsonrpc: "2.0", method, ...(params === undefined ? {} : { params }) } : { jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });

  const initBody = (version: string, client: string): string => {
    const style = int(4);
    const clientInfo = { name: client, version: `${1 + int(3)}.${int(20)}.${int(9)}` };
    const capabilities = { roots: { listChanged: true }, sampling: {}, ...(version >= "2025-06-18" ? { elicitation: {} } : {}) };
    if (style === 0) return `{"method":"initialize","params":{"clientInfo":${JSON.stringify(clientInfo)},"protocolVersion":"${version}","capabilities":${JSON.stringify(capabilities)}},"jsonrpc":"2.0","id":0}`;
    if (style === 1) {
      // Large capabilities push clientInfo past the 1,024-byte capture: truncated prefix.
      const experimental = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`x-vendor-feature-${i}`, { enabled: true }]));
      return JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: version, capabilities: { ...capabilities, experimental }, clientInfo } });
    }
    return rpc(0, "initialize", { protocolVersion: version, capabilities, clientInfo });
  };

  const callBody = (id: number, method: string): string => {
    switch (method) {
      case "tools/call":
        return rpc(id, method, { name: pick(TOOLS), arguments: { query: "x".repeat(int(1500)), limit: 10 } });
      case "resources/read":
        return rpc(id, method, { uri: `file:///repo/${hex(6)}.md` });
      case "prompts/get":
        return rpc(id, method, { name: "summarize", arguments: {} });
      case "completion/complete":
        return rpc(id, method, { ref: { type: "ref/prompt", name: "summarize" }, argument: { name: "topic", value: "se" } });
      case "logging/setLevel":
        return rpc(id, method, { level: "info" });
      case "ping":
        return rpc(id, method);
      default:
        return rpc(id, method, {});
    }
  };
  const CALLS = ["tools/list", "tools/call", "tools/call", "tools/call", "resources/list", "resources/read", "prompts/list", "prompts/get", "ping", "completion/complete", "logging/setLevel"];

  const withDlp = (q: Req, method: string, dlp: "all" | "partial" | "none"): Req => {
    if (dlp === "none") return q;
    const e = DLP_FOR_METHOD[method];
    if (e === undefined) return q;
    if (dlp === "partial" && method !== "initialize" && method !== "tools/call") return q;
    return { ...q, upDlp: e };
  };

  const streamableSession = (base: string, version: string, mode: PosMode, u: (typeof users)[number], server: string) => {
    const client = pick(CLIENTS);
    const ua = `${client}/1.0 (MCP)`;
    const bodies = mode !== "headers-only" && mode !== "vendor-bare";
    const mcpHeaders = mode !== "body-only" && mode !== "vendor-bare" && format === "generic";
    const dlp = mode === "dlp" ? "all" : mode === "dlp-partial" ? "partial" : "none";
    const sid = version >= "2025-03-26" ? uuid() : "";
    const kind = `pos:${mode}`;
    const baseHeaders = { "User-Agent": ua, "Content-Type": "application/json", Accept: "application/json, text/event-stream" };
    const sessHeaders = (): Record<string, string> => {
      if (!mcpHeaders) return { ...baseHeaders };
      const h: Record<string, string> = { ...baseHeaders };
      if (sid !== "") h["Mcp-Session-Id"] = sid;
      if (version >= "2025-06-18") h["MCP-Protocol-Version"] = version;
      return h;
    };
    const post = (method: string, body: string, status = 200, extraRes: Record<string, string> = {}) =>
      emit(
        withDlp({ method: "POST", url: base, status, reqHeaders: method === "initialize" ? { ...baseHeaders } : sessHeaders(), resHeaders: extraRes, body: bodies ? body : undefined, resCt: status === 202 ? "" : pick(["application/json", "text/event-stream"]) }, method, dlp),
        u,
        true,
        server,
        kind,
      );
    const url = new URL(base);
    const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
    if (mode === "oauth-only" || rnd() < 0.35) {
      emit({ method: "POST", url: base, status: 401, reqHeaders: { ...baseHeaders }, resHeaders: {}, body: bodies && mode !== "oauth-only" ? initBody(version, client) : undefined, resCt: "application/json" }, u, true, server, kind);
      emit({ method: "GET", url: `${url.origin}/.well-known/oauth-protected-resource${path}`, status: 200, reqHeaders: { "User-Agent": ua, Accept: "application/json" }, resHeaders: {}, resCt: "application/json" }, u, true, server, kind);
    }
    if (mode === "oauth-only") {
      // Nothing else visible at the gateway for this one: no DLP, no headers.
      for (let i = 0; i < 2 + int(4); i++) emit({ method: "POST", url: base, status: 200, reqHeaders: { "User-Agent": ua }, resHeaders: {}, resCt: "" }, u, true, server, kind);
      return;
    }
    post("initialize", initBody(version, client), 200, mcpHeaders && sid !== "" ? { "Mcp-Session-Id": sid, "Content-Type": "application/json" } : { "Content-Type": "application/json" });
    post("notifications/initialized", rpc(null, "notifications/initialized"), 202);
    const n = 2 + int(7);
    let id = 1;
    if (version === "2025-03-26" && bodies && rnd() < 0.3) {
      post("tools/list", `[${callBody(id++, "tools/list")},${callBody(id++, "prompts/list")}]`);
    }
    for (let i = 0; i < n; i++) {
      const m = pick(CALLS);
      post(m, callBody(id++, m));
    }
    if (rnd() < 0.3) {
      // Client answers a server request (sampling / roots) by POST.
      const res = rnd() < 0.5 ? { jsonrpc: "2.0", id: 7, result: { role: "assistant", content: { type: "text", text: "ok" }, model: "claude-sonnet-4", stopReason: "endTurn" } } : { jsonrpc: "2.0", id: 8, result: { roots: [{ uri: "file:///repo", name: "repo" }] } };
      post("response", JSON.stringify(res), 202);
    }
    if (rnd() < 0.4) emit({ method: "GET", url: base, status: 200, reqHeaders: { ...sessHeaders(), Accept: "text/event-stream" }, resHeaders: {}, resCt: "text/event-stream" }, u, true, server, kind);
    if (sid !== "" && rnd() < 0.3) emit({ method: "DELETE", url: base, status: 200, reqHeaders: sessHeaders(), resHeaders: {}, resCt: "" }, u, true, server, kind);
  };

  const sseSession = (origin: string, ssePath: string, version: string, mode: PosMode, u: (typeof users)[number], server: string) => {
    const client = pick(CLIENTS);
    const ua = `${client}/1.0`;
    const bodies = mode === "sse-full" || mode === "dlp" || mode === "dlp-partial" || mode === "vendor-full";
    const dlp = mode === "dlp" ? "all" : mode === "dlp-partial" ? "partial" : "none";
    const python = rnd() < 0.4;
    const dir = ssePath.slice(0, ssePath.lastIndexOf("/"));
    const msgUrl = python ? `${origin}${dir}/messages/?session_id=${hex(32)}` : `${origin}${dir}/messages?sessionId=${uuid()}`;
    const kind = `pos:${mode}`;
    emit({ method: "GET", url: origin + ssePath, status: 200, reqHeaders: { "User-Agent": ua, Accept: "text/event-stream" }, resHeaders: { "Content-Type": "text/event-stream" }, resCt: "text/event-stream" }, u, true, server, kind);
    const post = (method: string, body: string) =>
      emit(withDlp({ method: "POST", url: msgUrl, status: 202, reqHeaders: { "User-Agent": ua, "Content-Type": "application/json" }, resHeaders: {}, body: bodies ? body : undefined, resCt: "text/plain" }, method, dlp), u, true, server, kind);
    post("initialize", initBody(version, client));
    post("notifications/initialized", rpc(null, "notifications/initialized"));
    for (let i = 0, n = 1 + int(6); i < n; i++) {
      const m = pick(CALLS);
      post(m, callBody(i + 1, m));
    }
  };

  const selfHost = (i: number) => {
    const port = rnd() < 0.25 ? pick([8080, 8443, 3001, 9000]) : 0;
    const host = `${pick(ADJ)}-${pick(NOUN)}-${i}.${pick(SELF_SUFFIX)}`;
    const scheme = port === 8080 || port === 9000 ? "http" : "https";
    return `${scheme}://${host}${port ? `:${port}` : ""}`;
  };
  const canon = (origin: string, path: string) => origin + (path === "/" ? "" : path.replace(/\/+$/, ""));

  const modes = format === "generic" ? GENERIC_MODES : CF_MODES;
  const vendors = KNOWN_MCP_ENDPOINTS;
  let vendorIdx = 0;
  const serverCount = 70;
  for (let i = 0; i < serverCount; i++) {
    const mode = modes[i % modes.length]!;
    const isVendor = mode.startsWith("vendor");
    const isSse = mode.startsWith("sse") || ((mode === "dlp" || mode === "dlp-partial") && rnd() < 0.3);
    let version = MCP_PROTOCOL_VERSIONS[i % MCP_PROTOCOL_VERSIONS.length]!;
    let origin: string;
    let path: string;
    if (isVendor) {
      const v = vendors[vendorIdx++ % vendors.length]!;
      origin = `https://${v.host}`;
      path = v.paths[0] === "/" ? "/" : v.paths[0]!;
    } else {
      origin = selfHost(i);
      // A discovery-only server is recognizable only when its resource path looks like MCP.
      path = isSse ? pick(["/sse", "/mcp/sse", "/v1/sse"]) : mode === "oauth-only" ? pick(["/mcp", "/api/mcp", "/v1/mcp"]) : pick(STREAM_PATHS);
    }
    const vendorSse = isVendor && path.endsWith("/sse");
    if (isSse || vendorSse) {
      if (version === "2025-06-18" || version === "2025-11-25") version = "2024-11-05";
    } else if (mode === "headers-only" && version === "2024-11-05") version = "2025-03-26";
    const server = canon(origin, path);
    const sessions = 1 + int(6);
    for (let s = 0; s < sessions; s++) {
      const u = users[int(rnd() < 0.5 ? 6 : users.length)]!;
      if (isSse || vendorSse) sseSession(origin, path === "/" ? "/sse" : path, version, mode === "vendor-full" ? "vendor-full" : mode, u, server);
      else streamableSession(origin + path, version, mode, u, server);
    }
  }

  // ------------------------------------------------------------------ hard negatives
  const neg = (cls: string, q: Req, u = pick(users)) => {
    const url = new URL(q.url);
    emit(q, u, false, canon(url.origin, url.pathname), `neg:${cls}`);
  };
  const json = (body: unknown) => JSON.stringify(body);
  const browser = { "User-Agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15", Accept: "text/html" };
  const apiHeaders = { "User-Agent": "node-fetch/1.0", "Content-Type": "application/json", Accept: "application/json" };
  const POST = (url: string, body: string, resCt = "application/json", extra: Partial<Req> = {}): Req => ({ method: "POST", url, status: 200, reqHeaders: apiHeaders, resHeaders: {}, body, resCt, ...extra });
  const GET = (url: string, resCt = "text/html", extra: Partial<Req> = {}): Req => ({ method: "GET", url, status: 200, reqHeaders: browser, resHeaders: {}, resCt, ...extra });
  const mcpQuoted = rpc(3, "tools/call", { name: "create_issue", arguments: { title: "bug" } });
  const initQuoted = initBody("2025-06-18", "claude-ai");

  const generators: Record<(typeof HARD_NEGATIVE_CLASSES)[number], () => void> = {
    ethereum: () => {
      const url = pick([`https://mainnet.infura.io/v3/${hex(32)}`, `https://eth-mainnet.g.alchemy.com/v2/${hex(24)}`, "https://rpc.ankr.com/eth", "https://cloudflare-eth.com/"]);
      const m = pick(["eth_blockNumber", "eth_call", "eth_getBalance", "eth_sendRawTransaction", "net_version", "eth_subscribe"]);
      neg("ethereum", POST(url, rpc(int(100), m, m === "eth_getBalance" ? [`0x${hex(40)}`, "latest"] : [])));
    },
    solana: () => {
      const m = pick(["getBalance", "getBlock", "getLatestBlockhash", "getSignaturesForAddress", "sendTransaction", "getHealth"]);
      neg("solana", POST(pick(["https://api.mainnet-beta.solana.com/", `https://solana-mainnet.g.alchemy.com/v2/${hex(20)}`]), rpc(1, m, [hex(44)])));
    },
    bitcoin: () => {
      const m = pick(["getblock", "getblockchaininfo", "getrawtransaction", "ping", "uptime"]);
      const body = rnd() < 0.5 ? JSON.stringify({ jsonrpc: "1.0", id: "curltest", method: m, params: [] }) : rpc(1, m, []);
      neg("bitcoin", POST(pick(["http://btc-node.acme.internal:8332/", "https://btc.getblock.io/mainnet/"]), body));
    },
    lsp: () => {
      const url = "https://lsp.cloud-ide.example.com/lsp";
      const r = int(4);
      const body =
        r === 0
          ? rpc(0, "initialize", { processId: 4242, clientInfo: { name: "Visual Studio Code", version: "1.96.0" }, rootUri: "file:///repo", capabilities: { textDocument: { completion: {} } } })
          : r === 1
            ? rpc(null, "textDocument/didOpen", { textDocument: { uri: "file:///repo/a.ts", languageId: "typescript", version: 1, text: "let x" } })
            : r === 2
              ? rpc(5, "textDocument/completion", { textDocument: { uri: "file:///repo/a.ts" }, position: { line: 1, character: 3 } })
              : rpc(null, "initialized", {});
      neg("lsp", POST(url, body));
    },
    a2a: () => {
      const r = int(4);
      if (r === 3) return neg("a2a", GET("https://agents.partner.example/.well-known/agent-card.json", "application/json"));
      const m = r === 0 ? "message/send" : r === 1 ? "message/stream" : pick(["tasks/get", "tasks/cancel"]);
      const params = m.startsWith("message") ? { message: { role: "user", parts: [{ kind: "text", text: "hi" }], messageId: uuid() } } : { id: uuid() };
      neg("a2a", POST("https://agents.partner.example/a2a", rpc(1, m, params), m === "message/stream" ? "text/event-stream" : "application/json"));
    },
    "llm-streaming": () => {
      const r = int(4);
      if (r === 0) neg("llm-streaming", POST("https://api.openai.com/v1/chat/completions", json({ model: "gpt-4.1", stream: true, messages: [{ role: "user", content: "hello" }] }), "text/event-stream"));
      else if (r === 1)
        neg(
          "llm-streaming",
          POST("https://api.anthropic.com/v1/messages", json({ model: "claude-sonnet-4", stream: true, max_tokens: 512, mcp_servers: [{ type: "url", url: "https://mcp.linear.app/sse", name: "linear" }], messages: [{ role: "user", content: "hi" }] }), "text/event-stream", {
            reqHeaders: { ...apiHeaders, "anthropic-beta": "mcp-client-2025-04-04" },
          }),
        );
      else if (r === 2) neg("llm-streaming", POST("https://api.openai.com/v1/responses", json({ model: "gpt-4.1", stream: true, tools: [{ type: "mcp", server_label: "stripe", server_url: "https://mcp.stripe.com" }], input: "refund" }), "text/event-stream"));
      else neg("llm-streaming", POST("https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", json({ contents: [{ parts: [{ text: "hi" }] }] }), "text/event-stream"));
    },
    "generic-sse": () => {
      const r = int(4);
      if (r === 0) neg("generic-sse", GET("https://stream.wikimedia.org/v2/stream/recentchange", "text/event-stream", { reqHeaders: { ...browser, Accept: "text/event-stream" } }));
      else if (r === 1) neg("generic-sse", GET("https://live.newsdesk.example/sse", "text/event-stream", { reqHeaders: { ...browser, Accept: "text/event-stream" } }));
      else if (r === 2) neg("generic-sse", GET("https://chat.support-widget.example/api/sse", "text/event-stream", { reqHeaders: { ...browser, Accept: "text/event-stream" } }));
      else neg("generic-sse", POST("https://chat.support-widget.example/api/messages", json({ text: "hello", conversation: uuid() })));
    },
    "quoted-mcp": () => {
      const r = int(5);
      if (r === 0) neg("quoted-mcp", POST("https://chatgpt.com/backend-api/conversation", json({ action: "next", messages: [{ author: { role: "user" }, content: { parts: [`why does this fail? ${mcpQuoted}`] } }], model: "gpt-4o" })));
      else if (r === 1) neg("quoted-mcp", POST("https://slack.com/api/chat.postMessage", json({ channel: "C123", text: `repro: ${initQuoted}` })));
      else if (r === 2) neg("quoted-mcp", POST("https://api.github.com/gists", json({ description: "mcp repro", files: { "init.json": { content: initQuoted } } })));
      else if (r === 3) neg("quoted-mcp", POST("https://pastebin.example/api/paste", JSON.stringify(mcpQuoted)));
      else if (format === "generic")
        // Observability upload: the MCP request is a nested object, not the body's own top level.
        neg("quoted-mcp", POST("https://cloud.langfuse.com/api/public/ingestion", json({ batch: [{ type: "span-create", body: { input: JSON.parse(mcpQuoted) } }], metadata: { sdk: "js" } })));
      else neg("quoted-mcp", POST("https://api.notion.com/v1/pages", json({ properties: { title: [{ text: { content: mcpQuoted } }] } })));
    },
    "mcp-lookalike-host": () => {
      const url = pick(["https://www.mcpherson.edu/admissions/", "https://mcpherson.edu/athletics/schedule", "https://mcp.mcpherson.edu/login", "https://mcp-portal.contoso-partners.com/certifications", "https://www.mcphersonoil.com/"]);
      neg("mcp-lookalike-host", GET(url));
    },
    "mcp-docs": () => {
      const url = pick([
        "https://modelcontextprotocol.io/docs/getting-started/intro",
        "https://modelcontextprotocol.io/specification/2025-06-18/basic/transports",
        "https://modelcontextprotocol.io/docs/learn/architecture",
        "https://github.com/modelcontextprotocol/servers",
        "https://developers.notion.com/docs/mcp",
        "https://docs.anthropic.com/en/docs/mcp",
        "https://developers.cloudflare.com/agents/model-context-protocol/",
        "https://www.npmjs.com/package/@modelcontextprotocol/sdk",
      ]);
      // The spec's example JSON in the page trips the MCP DLP profile on download.
      neg("mcp-docs", GET(url, "text/html", url.includes("specification") || url.includes("architecture") ? { downDlp: ["MCP Initialize Method", "MCP Protocol Version"] } : {}));
    },
    "minecraft-mcp": () => {
      const url = pick([
        "http://www.modcoderpack.com/files/mcp940.zip",
        "https://maven.minecraftforge.net/de/oceanlabs/mcp/mcp_config/1.16.5/mcp_config-1.16.5.zip",
        "https://files.minecraftforge.net/maven/de/oceanlabs/mcp/mcp_snapshot/20171003-1.12/mcp_snapshot-20171003-1.12.zip",
        "https://www.curseforge.com/minecraft/mc-mods/mcp-mappings",
      ]);
      neg("minecraft-mcp", GET(url, "application/zip"));
    },
    "vendor-non-endpoint": () => {
      neg("vendor-non-endpoint", GET(pick(["https://huggingface.co/models?sort=trending", "https://huggingface.co/api/models/meta-llama/Llama-3.1-8B", "https://huggingface.co/docs/hub/mcp"]), "text/html"));
    },
  };
  const BACKGROUND = ["https://www.google.com/search?q=weather", "https://github.com/acme/app/pulls", "https://slack.com/api/conversations.history", "https://outlook.office.com/mail/", "https://api.segment.io/v1/batch", "https://www.youtube.com/watch?v=abc"];

  for (let i = 0; i < 1800; i++) {
    if (rnd() < 0.25) {
      const url = pick(BACKGROUND);
      neg("background", url.includes("api.") ? POST(url, json({ events: [{ type: "track" }] })) : GET(url));
    } else generators[HARD_NEGATIVE_CLASSES[i % HARD_NEGATIVE_CLASSES.length]!]();
  }


  // ------------------------------------------------------------------ issue 17: protocol evidence
  // Non-MCP JSON-RPC, MCP text carried as data, and MCP that is hard to see. Several requests per
  // destination, self-hosted destinations beside the well-known ones, the real fields and methods
  // of each protocol; in Cloudflare logs the body shows only as the DLP entries it trips.
  const auto = (q: Req): Req => ({ ...q, autoDlp: true });
  const negN = (cls: string, q: Req, u = pick(users)) => neg(cls, auto(q), u);
  const ua = {
    vscode: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Code/1.96.2 Chrome/128.0.6613.186 Electron/32.2.6 Safari/537.36",
    browser: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    curl: "curl/8.5.0",
  };
  const jsonPost = (url: string, body: string, h: Record<string, string> = {}, resCt = "application/json", extra: Partial<Req> = {}): Req => ({
    method: "POST",
    url,
    status: 200,
    reqHeaders: { "User-Agent": "node", "Content-Type": "application/json", Accept: "application/json", ...h },
    resHeaders: {},
    body,
    resCt,
    ...extra,
  });
  const sessionOf = (n: number, f: (k: number, u: (typeof users)[number]) => void) => {
    const u = pick(users);
    for (let k = 0; k < n; k++) f(k, u);
  };
  const mcpReq = (id: number, method: string, params: unknown = {}) => ({ jsonrpc: "2.0", id, method, params });
  const someMcpMessage = (id: number) => {
    const r = int(5);
    if (r === 0) return mcpReq(id, "initialize", { protocolVersion: pick(MCP_PROTOCOL_VERSIONS), capabilities: { sampling: {} }, clientInfo: { name: pick(CLIENTS), version: "1.2.0" } });
    if (r === 1) return mcpReq(id, "tools/list");
    if (r === 2) return { jsonrpc: "2.0", method: "notifications/initialized" };
    return mcpReq(id, "tools/call", { name: pick(TOOLS), arguments: { query: "status of OPS-12" } });
  };
  const mcpAnswer = (id: number) =>
    rnd() < 0.5
      ? { jsonrpc: "2.0", id, result: { protocolVersion: "2025-06-18", capabilities: { tools: { listChanged: true } }, serverInfo: { name: "acme-tools", version: "0.4.1" } } }
      : { jsonrpc: "2.0", id, result: { content: [{ type: "text", text: "3 open issues" }], isError: false } };
  const isoNow = () => new Date(clock).toISOString();

  const lspInit = () => {
    const caps = { workspace: { applyEdit: true, workspaceEdit: { documentChanges: true }, configuration: true, workspaceFolders: true }, textDocument: { synchronization: { dynamicRegistration: true, didSave: true }, completion: { completionItem: { snippetSupport: true } }, hover: { contentFormat: ["markdown", "plaintext"] } }, window: { workDoneProgress: true }, general: { positionEncodings: ["utf-16"] } };
    const order = int(3);
    const folder = pick(["api", "web", "infra"]);
    if (order === 0) return rpc(0, "initialize", { processId: 10000 + int(50000), clientInfo: { name: "Visual Studio Code", version: "1.96.2" }, locale: "en", rootPath: `/home/dev/${folder}`, rootUri: `file:///home/dev/${folder}`, capabilities: caps, trace: "off", workspaceFolders: [{ uri: `file:///home/dev/${folder}`, name: folder }] });
    // monaco-languageclient and others put capabilities first: a 1,024-byte capture may end inside them.
    if (order === 1) return rpc(0, "initialize", { capabilities: { ...caps, experimental: { serverStatusNotification: true, ...Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`x${i}`, true])) } }, processId: null, clientInfo: { name: "Monaco", version: "1.0" }, rootUri: null, workspaceFolders: null });
    return rpc(1, "initialize", { processId: null, rootUri: `file:///workspace/${folder}`, capabilities: caps, initializationOptions: { editorInfo: { name: "JetBrains-IC", version: "2024.3" }, editorPluginInfo: { name: "copilot-intellij", version: "1.5.29" } }, clientInfo: { name: "IntelliJ IDEA", version: "2024.3" } });
  };
  const lspOther = (id: number) => {
    const r = int(7);
    if (r === 0) return rpc(null, "initialized", {});
    if (r === 1) return rpc(null, "textDocument/didOpen", { textDocument: { uri: `file:///repo/src/${hex(4)}.ts`, languageId: "typescript", version: 1, text: "export const x = 1;" } });
    if (r === 2) return rpc(id, "textDocument/hover", { textDocument: { uri: "file:///repo/src/a.ts" }, position: { line: 3, character: 7 } });
    if (r === 3) return rpc(null, "$/cancelRequest", { id: id - 1 });
    if (r === 4) return JSON.stringify({ jsonrpc: "2.0", id, result: [{ "typescript.format.enable": true }] }); // workspace/configuration answer
    if (r === 5) return rpc(id, "shutdown");
    return rpc(null, "$/setTrace", { value: "off" });
  };
  // Cloudflare's documented MCP DLP entry for initialize matches the method alone: a language server trips it.
  const looseInitDlp = (body: string): Partial<Req> => (format === "cloudflare" && body.includes('"method":"initialize"') && rnd() < 0.5 ? { upDlp: ["MCP Initialize Method"] } : {});

  const EVIDENCE_GENERATORS: Record<(typeof EVIDENCE_NEGATIVE_CLASSES)[number], () => void> = {
    "lsp-http": () => {
      const url = pick([
        "https://lsp.cloud-ide.example.com/lsp",
        `https://ide-${hex(6)}.acme.internal/api/lsp/typescript`,
        "https://code.acme-dev.net/languageserver/pyright",
        "https://coder.acme.internal/@dev/ws/apps/code-server/rpc",
        "https://jupyter.acme.internal/lsp/ws/pylsp",
        "https://gitpod.acme-dev.net/jsonrpc",
      ]);
      sessionOf(2 + int(5), (k) => {
        const body = k === 0 ? lspInit() : lspOther(k);
        negN("lsp-http", jsonPost(url, body, { "User-Agent": ua.vscode, "Content-Type": pick(["application/json", "application/vscode-jsonrpc; charset=utf-8"]) }, "application/json", looseInitDlp(body)));
      });
    },
    "lsp-ws": () => {
      const url = pick(["https://lsp.cloud-ide.example.com/lsp", "https://pyright.acme.internal/", "https://ide.acme-dev.net/rpc", "https://jupyter.acme.internal/lsp/ws/pylsp", "https://codesandbox.io/api/v1/lsp/ts"]);
      sessionOf(1 + int(3), () =>
        negN("lsp-ws", { method: "GET", url, status: 101, reqHeaders: { "User-Agent": ua.browser, Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": hex(22) + "==", "Sec-WebSocket-Protocol": "jsonrpc" }, resHeaders: { Upgrade: "websocket" }, resCt: "" }),
      );
    },
    "chain-rpc": () => {
      const r = int(6);
      const dest =
        r === 0
          ? { url: "http://geth.acme.internal:8545/", m: () => pick([rpc(int(99), "eth_call", [{ to: `0x${hex(40)}`, data: `0x70a08231${hex(64)}` }, "latest"]), rpc(int(99), "eth_getBlockByNumber", ["latest", false]), `[${rpc(1, "eth_blockNumber", [])},${rpc(2, "eth_chainId", [])}]`, rpc(int(99), "eth_getLogs", [{ fromBlock: "0x1", topics: [`0x${hex(64)}`] }])]) }
          : r === 1
            ? { url: `https://base-mainnet.g.alchemy.com/v2/${hex(32)}`, m: () => rpc(int(99), pick(["eth_getTransactionReceipt", "eth_estimateGas", "eth_gasPrice"]), [`0x${hex(64)}`]) }
            : r === 2
              ? { url: "https://polkadot-rpc.publicnode.com/", m: () => rpc(int(99), pick(["chain_getBlock", "system_health", "state_getStorage", "chain_getFinalizedHead"]), []) }
              : r === 3
                ? // Bitcoin Core 28 speaks JSON-RPC 2.0; its `ping` takes no params, like MCP's.
                  { url: "http://bitcoind.acme.internal:8332/", m: () => (rnd() < 0.4 ? JSON.stringify({ jsonrpc: "2.0", id: int(99), method: "ping" }) : rpc(int(99), pick(["getblockcount", "getbestblockhash", "getblock", "getmempoolinfo"]), [])) }
                : r === 4
                  ? { url: "https://starknet-mainnet.public.blastapi.io/rpc/v0_7", m: () => rpc(int(99), pick(["starknet_getBlockWithTxHashes", "starknet_call", "starknet_chainId"]), { block_id: "latest" }) }
                  : { url: "https://api.mainnet-beta.solana.com/", m: () => rpc(int(99), pick(["getBlock", "getSlot", "getAccountInfo"]), [int(300000000), { encoding: "json" }]) };
      sessionOf(2 + int(5), () => negN("chain-rpc", jsonPost(dest.url, dest.m(), { "User-Agent": pick(["ethers/6.13.4", "web3.py/7.6.0", "bitcoin-cli/28.0", "node"]) })));
    },
    "jsonrpc-apis": () => {
      const r = int(7);
      const dest: { url: string; m: () => string; h: Record<string, string> } =
        r === 0
          ? { url: "http://kodi.home.lan:8080/jsonrpc", m: () => pick([JSON.stringify({ jsonrpc: "2.0", method: "JSONRPC.Ping", id: 1 }), rpc(1, "Player.GetActivePlayers"), rpc(2, "VideoLibrary.GetMovies", { properties: ["title", "year"], limits: { start: 0, end: 50 } }), rpc(3, "JSONRPC.Introspect", { filter: { id: "Player.Open", type: "method" } })]), h: {} }
          : r === 1
            ? { url: "http://nas.home.lan:9091/transmission/rpc", m: () => pick([JSON.stringify({ method: "torrent-get", arguments: { fields: ["id", "name", "percentDone"] }, tag: int(99) }), rpc(int(99), "torrent_get", { fields: ["id", "name", "status"] }), rpc(int(99), "session_get", {})]), h: { "X-Transmission-Session-Id": hex(48) } }
            : r === 2
              ? { url: "https://acme.odoo.com/jsonrpc", m: () => rpc(int(999), "call", { service: "object", method: "execute_kw", args: ["acme", 2, "••••", "res.partner", "search_read", [[["is_company", "=", true]]], { fields: ["name"], limit: 5 }] }), h: {} }
              : r === 3
                ? { url: `https://erp.acme.internal/web/dataset/call_kw/${pick(["sale.order", "res.partner"])}/search_read`, m: () => rpc(int(999), "call", { model: "sale.order", method: "search_read", args: [], kwargs: { domain: [], fields: ["name", "amount_total"], limit: 80, context: { lang: "en_US" } } }), h: {} }
                : r === 4
                  ? { url: "https://zabbix.acme.internal/api_jsonrpc.php", m: () => rpc(int(99), pick(["host.get", "problem.get", "apiinfo.version", "trigger.get"]), { output: "extend", limit: 10 }), h: { Authorization: `Bearer ${hex(64)}` } }
                  : r === 5
                    ? // OpenRPC's service discovery on a path named /rpc.
                      { url: "https://api.acme-services.com/rpc", m: () => (rnd() < 0.3 ? rpc(1, "rpc.discover", []) : rpc(int(99), pick(["inventory.list", "orders.create", "ping"]), { sku: hex(6) })), h: {} }
                    : // Agent Client Protocol (editors ↔ coding agents): initialize with a numeric protocolVersion and clientInfo; session/new lists MCP servers.
                      {
                        url: "https://agent.acme-labs.dev/acp",
                        m: () =>
                          pick([
                            rpc(0, "initialize", { protocolVersion: 1, clientCapabilities: { fs: { readTextFile: true, writeTextFile: true }, terminal: true }, clientInfo: { name: "zed", version: "0.170.0" } }),
                            rpc(1, "session/new", { cwd: "/home/dev/api", mcpServers: [{ name: "filesystem", command: "/usr/local/bin/mcp-fs", args: ["--stdio"], env: [] }] }),
                            rpc(2, "session/prompt", { sessionId: `sess_${hex(12)}`, prompt: [{ type: "text", text: "fix the failing test" }] }),
                          ]),
                        h: { "User-Agent": "Zed/0.170.0" },
                      };
      sessionOf(2 + int(5), () => {
        const body = dest.m();
        negN("jsonrpc-apis", jsonPost(dest.url, body, dest.h, "application/json", looseInitDlp(body)));
      });
    },
    "log-shipping": () => {
      // An MCP gateway's own logs: pino merges the JSON-RPC message into the log event's top level.
      const pino = (id: number) => ({ level: 30, time: clock, pid: 4100 + int(50), hostname: `mcp-gw-${int(4)}`, ...someMcpMessage(id), msg: "rpc request" });
      const r = int(8);
      const shipperUa = pick(["fluent-bit/3.1.9", "Vector/0.43.1 (x86_64-unknown-linux-gnu)", "datadog-agent/7.59.0", "Filebeat/8.15.3", "Go-http-client/1.1", "node"]);
      const q: () => Req =
        r === 0
          ? () => jsonPost(pick(["https://http-intake.logs.datadoghq.com/api/v2/logs", "https://http-intake.logs.datadoghq.eu/api/v2/logs"]), json(Array.from({ length: 1 + int(3) }, (_, i) => ({ ddsource: "nodejs", ddtags: "env:prod,team:platform", service: "mcp-gateway", ...pino(i) }))), { "User-Agent": shipperUa, "DD-API-KEY": hex(32) }, "application/json", { status: 202 })
          : r === 1
            ? () => jsonPost(pick(["https://es.acme.internal:9200/_bulk", "https://acme-prod.es.us-east-1.aws.found.io/logs-mcp/_bulk"]), Array.from({ length: 2 }, (_, i) => `${json({ create: { _index: "logs-mcp-gateway" } })}\n${json({ "@timestamp": isoNow(), ...someMcpMessage(i) })}`).join("\n") + "\n", { "User-Agent": pick(["Filebeat/8.15.3", "elastic-transport-js/8.7.0", "Logstash/8.15.3"]), "Content-Type": "application/x-ndjson" })
            : r === 2
              ? // One document per request, the JSON-RPC message as it was, indexed by the gateway's audit hook.
                () => jsonPost(`https://es.acme.internal:9200/mcp-audit/_doc`, json(someMcpMessage(int(99))), { "User-Agent": "elastic-transport-js/8.7.0" }, "application/json", { status: 201 })
              : r === 3
                ? () => jsonPost(pick(["https://splunk.acme.internal:8088/services/collector/event", "https://http-inputs-acme.splunkcloud.com/services/collector"]), json({ time: clock / 1000, host: "mcp-gw-1", source: "mcp-gateway", sourcetype: "_json", event: someMcpMessage(int(99)) }), { "User-Agent": shipperUa, Authorization: `Splunk ${uuid()}` })
                : r === 4
                  ? // HEC's raw endpoint: the lines as they were written, NDJSON.
                    () => jsonPost(`https://splunk.acme.internal:8088/services/collector/raw?channel=${uuid()}`, Array.from({ length: 1 + int(3) }, (_, i) => json(someMcpMessage(i))).join("\n"), { "User-Agent": shipperUa, Authorization: `Splunk ${uuid()}`, "Content-Type": "text/plain" })
                  : r === 5
                    ? () => jsonPost(pick(["https://logs-prod-012.grafana.net/loki/api/v1/push", "http://loki.monitoring.acme.internal:3100/loki/api/v1/push"]), json({ streams: [{ stream: { app: "mcp-gateway", env: "prod" }, values: [[`${clock}000000`, json(someMcpMessage(1))], [`${clock}000001`, json(someMcpMessage(2))]] }] }), { "User-Agent": pick(["promtail/2.9.8", "Alloy/v1.4.3", "fluent-bit/3.1.9"]) }, "application/json", { status: 204 })
                    : r === 6
                      ? () => jsonPost(`https://logs.acme.internal/v1/logs`, json({ resourceLogs: [{ resource: { attributes: [{ key: "service.name", value: { stringValue: "mcp-gateway" } }] }, scopeLogs: [{ logRecords: [{ timeUnixNano: `${clock}000000`, body: { kvlistValue: { values: [{ key: "jsonrpc", value: { stringValue: "2.0" } }, { key: "method", value: { stringValue: "tools/call" } }] } } }] }] }] }), { "User-Agent": "OTel-OTLP-Exporter-Go/1.32.0" })
                      : // A self-hosted Datadog-compatible intake (Vector's datadog_logs source), found by nothing but its path and body.
                        () => jsonPost(`https://logs.acme.internal/api/v2/logs`, json([{ ddsource: "nodejs", service: "mcp-gateway", ...pino(int(99)) }]), { "User-Agent": "datadog-agent/7.59.0" }, "application/json", { status: 202 });
      sessionOf(2 + int(4), () => negN("log-shipping", q()));
    },
    observability: () => {
      // LLM and error observability SDKs record each MCP call they see, the JSON-RPC message as the span's or event's input.
      const r = int(5);
      const m = someMcpMessage(int(9));
      const q =
        r === 0
          ? jsonPost(pick(["https://cloud.langfuse.com/api/public/ingestion", "https://langfuse.acme.internal/api/public/ingestion"]), json({ batch: [{ id: uuid(), type: "span-create", timestamp: isoNow(), body: { id: uuid(), traceId: uuid(), name: `mcp.${"method" in m ? m.method : "message"}`, input: m, startTime: isoNow() } }], metadata: { sdk_name: "langfuse-js", sdk_version: "3.32.0" } }), { "User-Agent": "langfuse-js/3.32.0" }, "application/json", { status: 207 })
          : r === 1
            ? jsonPost("https://api.smith.langchain.com/runs/batch", json({ post: [{ id: uuid(), name: "mcp_call", run_type: "tool", start_time: isoNow(), inputs: m, trace_id: uuid(), dotted_order: `${clock}Z${uuid()}` }] }), { "User-Agent": "langsmith-js/0.3.7", "x-api-key": `lsv2_pt_${hex(32)}` }, "application/json", { status: 202 })
            : r === 2
              ? jsonPost(`https://o${100000 + int(899999)}.ingest.us.sentry.io/api/${4500000 + int(99999)}/envelope/`, `${json({ event_id: hex(32), sent_at: isoNow() })}\n${json({ type: "event" })}\n${json({ level: "error", message: "MCP tool call failed", breadcrumbs: { values: [{ category: "mcp", data: m }] } })}`, { "User-Agent": "sentry.javascript.node/8.42.0", "Content-Type": "application/x-sentry-envelope" })
              : r === 3
                ? jsonPost("https://us.i.posthog.com/capture/", json({ api_key: `phc_${hex(32)}`, event: "mcp_request", distinct_id: uuid(), properties: { ...m, $lib: "posthog-node" } }), { "User-Agent": "posthog-node/4.3.1" })
                : jsonPost("https://otel.acme.internal:4318/v1/traces", json({ resourceSpans: [{ resource: { attributes: [{ key: "service.name", value: { stringValue: "agent" } }] }, scopeSpans: [{ spans: [{ name: "tools/call", attributes: [{ key: "mcp.method.name", value: { stringValue: "tools/call" } }, { key: "mcp.request", value: { stringValue: json(m) } }] }] }] }] }), { "User-Agent": "OTel-OTLP-Exporter-JavaScript/0.57.0" });
      negN("observability", q);
    },
    paste: () => {
      const msg = json(someMcpMessage(1));
      const transcript = `${json(someMcpMessage(0))}\n${json(mcpAnswer(0))}\n${json(someMcpMessage(1))}`;
      const r = int(6);
      const q =
        r === 0
          ? jsonPost("https://hastebin.com/documents", rnd() < 0.5 ? msg : transcript, { "User-Agent": ua.curl, "Content-Type": "text/plain; charset=utf-8" })
          : r === 1
            ? jsonPost("https://paste.rs/", msg, { "User-Agent": ua.curl, "Content-Type": "text/plain" }, "text/plain", { status: 201 })
            : r === 2
              ? jsonPost("https://paste.acme.internal/documents", msg, { "User-Agent": ua.browser, "Content-Type": "application/json" })
              : r === 3
                ? jsonPost("https://pastebin.com/api/api_post.php", `api_dev_key=${hex(32)}&api_option=paste&api_paste_format=json&api_paste_code=${encodeURIComponent(transcript)}`, { "User-Agent": ua.curl, "Content-Type": "application/x-www-form-urlencoded" }, "text/plain")
                : r === 4
                  ? jsonPost("https://api.github.com/gists", json({ description: "mcp session that hangs", public: false, files: { "session.jsonl": { content: transcript } } }), { "User-Agent": "gh/2.63.0" }, "application/json", { status: 201 })
                  : jsonPost("https://0x0.st/", `--${hex(16)}\r\nContent-Disposition: form-data; name="file"; filename="mcp.json"\r\nContent-Type: application/json\r\n\r\n${transcript}`, { "User-Agent": ua.curl, "Content-Type": `multipart/form-data; boundary=${hex(16)}` }, "text/plain", { files: ["mcp.json"] });
      negN("paste", q);
    },
    webhook: () => {
      // A proxy that mirrors each MCP request to a webhook (audit, debugging): the raw JSON-RPC message as the body.
      const r = int(6);
      const url =
        r === 0
          ? `https://webhook.site/${uuid()}`
          : r === 1
            ? `https://eo${hex(14)}.m.pipedream.net/`
            : r === 2
              ? `https://hooks.zapier.com/hooks/catch/${10000 + int(9999)}/${hex(6)}/`
              : r === 3
                ? `https://n8n.acme.internal/webhook/${uuid()}`
                : r === 4
                  ? `https://hooks.slack.com/services/T0${hex(8)}/B0${hex(8)}/${hex(24)}`
                  : `https://discord.com/api/webhooks/${1000000 + int(999999)}/${hex(30)}`;
      sessionOf(1 + int(4), (k) => {
        const m = k === 0 ? mcpReq(0, "initialize", { protocolVersion: "2025-06-18", capabilities: { roots: {} }, clientInfo: { name: pick(CLIENTS), version: "1.0.0" } }) : someMcpMessage(k);
        const body = r >= 4 ? json(r === 4 ? { text: `MCP call from gateway: ${json(m)}` } : { content: `\`\`\`json\n${json(m)}\n\`\`\`` }) : r === 2 ? json({ event: "mcp.request", at: isoNow(), request: m }) : json(m);
        negN("webhook", jsonPost(url, body, { "User-Agent": pick(["axios/1.7.7", "node", "python-requests/2.32.3"]) }, "text/plain"));
      });
    },
    "chat-attachment": () => {
      const transcript = `[${json(someMcpMessage(0))},${json(mcpAnswer(0))},${json(someMcpMessage(1))}]`;
      const name = pick(["mcp-trace.json", "session.json", "tools-call.json"]);
      const r = int(4);
      const q =
        r === 0
          ? jsonPost(`https://files.slack.com/upload/v1/${hex(40)}`, transcript, { "User-Agent": ua.browser, "Content-Type": "application/json" }, "text/plain", { files: [name] })
          : r === 1
            ? { ...jsonPost(`https://graph.microsoft.com/v1.0/drives/b!${hex(20)}/items/root:/Microsoft%20Teams%20Chat%20Files/${name}:/content`, transcript, { "User-Agent": ua.browser, "Content-Type": "application/json" }, "application/json", { status: 201, files: [name] }), method: "PUT" }
            : r === 2
              ? jsonPost(`https://discord.com/api/v10/channels/${1000000 + int(999999)}/messages`, `--${hex(16)}\r\nContent-Disposition: form-data; name="files[0]"; filename="${name}"\r\nContent-Type: application/json\r\n\r\n${transcript}`, { "User-Agent": ua.browser, "Content-Type": `multipart/form-data; boundary=${hex(16)}` }, "application/json", { files: [name] })
              : jsonPost("https://chat.acme.internal/api/v1/rooms.upload/GENERAL", `--${hex(16)}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n\r\n${json(someMcpMessage(2))}`, { "User-Agent": ua.browser, "Content-Type": `multipart/form-data; boundary=${hex(16)}` }, "application/json", { files: [name] });
      negN("chat-attachment", q);
    },
    "ticket-attachment": () => {
      const file = json(someMcpMessage(int(9)));
      const r = int(5);
      const q =
        r === 0
          ? jsonPost(`https://acme.atlassian.net/rest/api/3/issue/OPS-${100 + int(900)}/attachments`, `--${hex(16)}\r\nContent-Disposition: form-data; name="file"; filename="request.json"\r\nContent-Type: application/json\r\n\r\n${file}`, { "User-Agent": ua.browser, "Content-Type": `multipart/form-data; boundary=${hex(16)}`, "X-Atlassian-Token": "no-check" }, "application/json", { files: ["request.json"] })
          : r === 1
            ? jsonPost(`https://acme.zendesk.com/api/v2/uploads.json?filename=mcp-request.json`, file, { "User-Agent": ua.browser, "Content-Type": "application/binary" }, "application/json", { status: 201, files: ["mcp-request.json"] })
            : r === 2
              ? jsonPost(`https://acme.service-now.com/api/now/attachment/file?table_name=incident&table_sys_id=${hex(32)}&file_name=trace.json`, file, { "User-Agent": ua.browser }, "application/json", { status: 201 })
              : r === 3
                ? jsonPost(`https://api.github.com/repos/acme/gateway/issues/${int(900)}/comments`, json({ body: `Repro:\n\`\`\`json\n${file}\n\`\`\`` }), { "User-Agent": "gh/2.63.0" }, "application/json", { status: 201 })
                : jsonPost("https://api.linear.app/graphql", json({ query: "mutation IssueCreate($input: IssueCreateInput!) { issueCreate(input: $input) { success } }", variables: { input: { teamId: uuid(), title: "MCP tools/call fails", description: `\`\`\`json\n${file}\n\`\`\`` } } }), { "User-Agent": ua.browser });
      negN("ticket-attachment", q);
    },
  };
  for (let i = 0; i < 300; i++) EVIDENCE_GENERATORS[EVIDENCE_NEGATIVE_CLASSES[i % EVIDENCE_NEGATIVE_CLASSES.length]!]();

  // Hard-to-see MCP: non-standard paths, bodies logged short / as base64 / gzip, the stateless revision, SSE announced by an endpoint event.
  const hardModes: readonly HardPositiveMode[] = format === "generic" ? HARD_POSITIVE_MODES : ["nonstandard-path", "stateless", "nonstandard-path"];
  for (let i = 0; i < 21; i++) {
    const mode = hardModes[i % hardModes.length]!;
    const origin = selfHost(200 + i);
    const kind = `pos:${mode}`;
    const u0 = pick(users);
    const client = pick(CLIENTS);
    const uaMcp = pick([`${client}/1.0 (MCP)`, "node", "python-httpx/0.28.1", "mcp-remote/0.1.18"]);
    if (mode === "sse-endpoint") {
      const streamPath = pick(["/events", "/stream", "/v1/connect"]);
      const server = canon(origin, streamPath);
      for (let s = 0, n = 1 + int(3); s < n; s++) {
        const u = s === 0 ? u0 : pick(users);
        const sid = uuid();
        const msgPath = `${pick(["/rpc", "", "/v1"])}/messages`;
        emit({ method: "GET", url: origin + streamPath, status: 200, reqHeaders: { "User-Agent": uaMcp, Accept: "text/event-stream" }, resHeaders: { "Content-Type": "text/event-stream" }, resCt: "text/event-stream", resBody: `event: endpoint\ndata: ${msgPath}?sessionId=${sid}\n\n` }, u, true, server, kind);
        for (let k = 0, m = 2 + int(4); k < m; k++) emit({ method: "POST", url: `${origin}${msgPath}?sessionId=${sid}`, status: 202, reqHeaders: { "User-Agent": uaMcp, "Content-Type": "application/json" }, resHeaders: {}, resCt: "text/plain" }, u, true, server, kind);
      }
      continue;
    }
    const path = mode === "stateless" ? pick(["/mcp", "/", "/api/agent"]) : pick(["/agent/v2/rpc", "/jsonrpc", "/api/ai/tools", "/x", "/rpc/v1", "/tools-gateway"]);
    const server = canon(origin, path);
    const version = mode === "gzip-body" ? pick(["2025-06-18", "2025-11-25"]) : pick(["2024-11-05", "2025-03-26", "2025-06-18"]);
    for (let s = 0, n = 1 + int(4); s < n; s++) {
      const u = s === 0 ? u0 : pick(users);
      const sid = uuid();
      const req = (body: string, method: string, resBody?: string, status = 200): Req => {
        const h: Record<string, string> = { "User-Agent": uaMcp, "Content-Type": "application/json", Accept: "application/json, text/event-stream" };
        if (mode === "gzip-body" && rnd() < 0.6) {
          h["MCP-Protocol-Version"] = version;
          h["Mcp-Session-Id"] = sid;
        }
        if (mode === "stateless" && rnd() < 0.5) {
          h["MCP-Protocol-Version"] = "2026-07-28";
          h["Mcp-Method"] = method;
        }
        const q: Req = { method: "POST", url: origin + path, status, reqHeaders: h, resHeaders: {}, body, resCt: status === 202 ? "" : "application/json", autoDlp: true };
        if (mode === "truncated") q.bodyCap = 48 + int(150);
        if (mode === "base64-body") q.bodyEncoding = "base64";
        if (mode === "gzip-body") {
          q.bodyEncoding = "gzip";
          if (resBody !== undefined) q.resBody = resBody;
        }
        return q;
      };
      if (mode === "stateless") {
        const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientInfo": { name: client, version: "2.4.0" }, "io.modelcontextprotocol/clientCapabilities": { sampling: {} } };
        emit(req(rpc(0, "server/discover", { _meta: meta }), "server/discover"), u, true, server, kind);
        for (let k = 1, m = 2 + int(4); k <= m; k++) {
          const method = pick(["tools/list", "tools/call", "tools/call"]);
          emit(req(rpc(k, method, method === "tools/call" ? { name: pick(TOOLS), arguments: { q: "open incidents" }, _meta: meta } : { _meta: meta }), method), u, true, server, kind);
        }
        continue;
      }
      emit(req(initBody(version, client), "initialize", json({ jsonrpc: "2.0", id: 0, result: { protocolVersion: version, capabilities: { tools: { listChanged: true } }, serverInfo: { name: `${pick(ADJ)}-server`, version: "0.3.0" } } })), u, true, server, kind);
      emit(req(rpc(null, "notifications/initialized"), "notifications/initialized", undefined, 202), u, true, server, kind);
      for (let k = 1, m = 2 + int(5); k <= m; k++) {
        const method = pick(["tools/list", "tools/call", "tools/call", "resources/list"]);
        emit(req(callBody(k, method), method, method === "tools/list" ? json({ jsonrpc: "2.0", id: k, result: { tools: [{ name: pick(TOOLS), inputSchema: { type: "object" } }] } }) : undefined), u, true, server, kind);
      }
    }
  }

  return { format, lines, positiveServers: [...positives].sort(), negativeServers: [...negatives].filter((s) => !positives.has(s)).sort() };
}
