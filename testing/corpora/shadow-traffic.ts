/**
 * Deterministic labeled traffic corpus for the detector's quality test (test support).
 * Same seed → same lines. Positives span transports (streamable HTTP, legacy HTTP+SSE),
 * protocol revisions, vendor-hosted and self-hosted servers, headers-only and DLP-only evidence;
 * negatives are the hard cases the detector must not flag, plus ordinary background traffic.
 */
import { MCP_PROTOCOL_VERSIONS, KNOWN_MCP_ENDPOINTS } from "@core/shadow/detect";
import { type TrafficFormat } from "@core/shadow/records";
import { seededRandom } from "@/testing/seeded-random.mjs";

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
      if (q.body !== undefined) o.request_body_prefix = q.body.slice(0, 1024);
      return JSON.stringify(o);
    }
    const tf = int(3);
    const port = url.port !== "" ? Number(url.port) : url.protocol === "http:" ? 80 : 443;
    const up = q.upDlp ?? [];
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

  return { format, lines, positiveServers: [...positives].sort(), negativeServers: [...negatives].filter((s) => !positives.has(s)).sort() };
}
