/**
 * Shadow-MCP detector: scores one traffic record with explainable evidence.
 *
 * A server becomes a finding only on evidence that MCP was *spoken* with it. Each piece of evidence
 * has a weight in 0…1, read as "how likely is this record MCP if this were all we saw".
 *
 * PROTOCOL evidence (MCP's own shapes; one of them can carry a finding):
 *   jsonrpc-initialize  0.90  initialize with a dated protocolVersion and clientInfo/capabilities, no LSP markers
 *                       0.70  … body cut after protocolVersion (no clientInfo/capabilities seen)
 *   jsonrpc-meta        0.90  params._meta with io.modelcontextprotocol/* keys (2026-07-28, every request)
 *   jsonrpc-method      0.85  tools/call with params.name, notifications/initialized, server/discover
 *                       0.75  tools/list;  0.70 resources/*, prompts/*, completion/complete, logging/setLevel, roots list_changed
 *                       0.60  tools/call whose params were cut off
 *   jsonrpc-client-response 0.8 sampling / roots results posted by the client, 0.6 elicitation
 *   header-protocol-version 0.90 MCP-Protocol-Version with a published revision (0.70 another date)
 *   header-mcp-method   0.80  Mcp-Method (2026-07-28)
 *   header-session-id   0.75  Mcp-Session-Id
 *   response-result     0.90  the answer is an initialize result (protocolVersion + serverInfo); 0.6 a tools list; 0.5 content + isError
 *   sse-endpoint-event  0.85  the answer is an event stream announcing `event: endpoint` (legacy HTTP+SSE)
 *   dlp-initialize      0.85  Gateway DLP: MCP Initialize Method *and* MCP Protocol Version in one request
 *   dlp-upload          0.60  Gateway DLP: one MCP method entry (0.55 only the catch-all; 0.4 another "MCP" entry)
 *   known-vendor-endpoint 0.85 a vendor's hosted MCP endpoint (curated list)
 *   oauth-resource-discovery 0.55 RFC 9728 metadata fetched for an MCP-looking resource path
 *   oauth-challenge     0.30  a POST to an MCP-looking path answered 401 (the first step of MCP's authorization flow)
 *   legacy-sse-stream / legacy-sse-messages 0.30 each, legacy-sse-pair 0.50 when one origin shows both halves
 *   method-sequence     0.50  (per server) several distinct MCP methods in separate requests: a session, not one document
 *
 * SUPPORTING evidence (shared with other traffic; together capped at WEAK_CAP = 0.3, so never enough alone):
 *   known-client 0.2 (user agent of a known MCP client), mcp-accept 0.15 (POST accepting both JSON and
 *   an event stream, as MCP's streamable HTTP requires), jsonrpc-generic 0.1–0.2 (ping, cancelled/progress:
 *   other JSON-RPC protocols have them), dlp-partial 0.1–0.15 (initialize without protocol version, version
 *   alone), dlp-download 0.15, known-vendor-host 0.2, mcp-in-host / mcp-in-path 0.15.
 *
 * COUNTER-evidence (weight 0, listed so a reader sees why a record did not count):
 *   mcp-as-data     the body's role is data, not a request to this host: a log-shipping, observability,
 *                   paste, webhook, chat or ticket upload, a non-JSON content type, NDJSON, a JSON-RPC
 *                   message mixed with log fields, a transcript (several messages with initialize, or a
 *                   server's answer in a request), a DLP match of several MCP messages in one body, a 200
 *                   answered with neither JSON nor an event stream. Its body evidence is dropped.
 *   other-protocol  JSON-RPC of another protocol: LSP's initialize (processId, rootUri, textDocument), an
 *                   initialize with a numeric protocolVersion (Agent Client Protocol).
 *
 * Confidence = 1 − (1 − P)(1 − S), P the noisy-OR of the protocol weights, S the noisy-OR of the
 * supporting weights capped at WEAK_CAP. A server's confidence combines the heaviest sighting of
 * each kind over all its records (servers.ts). At MCP_THRESHOLD (0.7) and above the server is a
 * finding; below it, a server with some protocol evidence is a candidate, kept and shown on request.
 * One protocol signal of 0.6 plus full support reaches 0.72; JSON-RPC 2.0 alone, initialize alone,
 * a path named /rpc or a body with the words give no protocol evidence at all.
 */
import { STATELESS_PROTOCOL_VERSION } from "@core/mcp/stateless";
import { R_ACTION, R_CONTENT, R_IS_ERROR, R_MODEL, R_PROTOCOL_VERSION, R_ROLE, R_ROOTS, R_SERVER_INFO, R_TOOLS, scanBody, type RpcMessage } from "./json-rpc-scan";
import { recordOrigin, type TrafficRecord } from "./records";

export type EvidenceKind =
  | "jsonrpc-initialize"
  | "jsonrpc-method"
  | "jsonrpc-meta"
  | "jsonrpc-client-response"
  | "jsonrpc-generic"
  | "header-protocol-version"
  | "header-session-id"
  | "header-mcp-method"
  | "response-result"
  | "sse-endpoint-event"
  | "legacy-sse-stream"
  | "legacy-sse-messages"
  | "legacy-sse-pair"
  | "method-sequence"
  | "oauth-resource-discovery"
  | "oauth-challenge"
  | "dlp-initialize"
  | "dlp-upload"
  | "dlp-partial"
  | "dlp-download"
  | "known-vendor-endpoint"
  | "known-vendor-host"
  | "known-client"
  | "mcp-accept"
  | "mcp-in-host"
  | "mcp-in-path"
  | "mcp-as-data"
  | "other-protocol";

export interface Evidence {
  kind: EvidenceKind;
  weight: number;
  /** Protocol evidence; supporting evidence counts at most WEAK_CAP in total; counter-evidence weighs 0. */
  strong: boolean;
  /** A sentence a security analyst can read. */
  sentence: string;
}

export interface Classification {
  /** confidence ≥ MCP_THRESHOLD. */
  mcp: boolean;
  /** 0…1, see the top of this file. */
  confidence: number;
  evidence: readonly Evidence[];
  /** MCP JSON-RPC methods seen in the body (request methods; "…:result" for client responses). */
  methods: readonly string[];
}

export const MCP_THRESHOLD = 0.7;
export const WEAK_CAP = 0.3;

/** Kinds that only support (capped), whatever their weight; every other kind with a weight is protocol evidence. */
export const SUPPORTING_KINDS: ReadonlySet<string> = new Set(["jsonrpc-generic", "dlp-partial", "dlp-download", "known-vendor-host", "known-client", "mcp-accept", "mcp-in-host", "mcp-in-path"]);

/**
 * The confidence of a list of evidence (one record's, or a server's heaviest per kind): the noisy-OR
 * of the protocol weights, combined with the noisy-OR of the supporting weights capped at WEAK_CAP.
 */
export function confidenceOf(evidence: readonly { kind: string; weight: number }[]): number {
  let notProtocol = 1;
  let notSupport = 1;
  for (const e of evidence) {
    if (e.weight <= 0) continue;
    if (SUPPORTING_KINDS.has(e.kind)) notSupport *= 1 - e.weight;
    else notProtocol *= 1 - e.weight;
  }
  const support = Math.min(WEAK_CAP, 1 - notSupport);
  return Math.round((1 - notProtocol * (1 - support)) * 1000) / 1000;
}

/** Session revisions published so far (what an initialize names); a header with another date-like value still counts, less. */
export const MCP_PROTOCOL_VERSIONS: readonly string[] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
const KNOWN_VERSIONS = new Set([...MCP_PROTOCOL_VERSIONS, STATELESS_PROTOCOL_VERSION]);
const DATE_VERSION = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Client-to-server MCP methods. `tasks/*` (MCP 2025-11-25) is left out on purpose: A2A uses the
 * same method names. ping and notifications/cancelled|progress are generic (weak, below).
 */
const MCP_METHOD_WEIGHT = new Map<string, number>([
  ["notifications/initialized", 0.85],
  ["server/discover", 0.85],
  ["tools/call", 0.85],
  ["tools/list", 0.75],
  ["resources/list", 0.7],
  ["resources/read", 0.7],
  ["resources/templates/list", 0.7],
  ["resources/subscribe", 0.7],
  ["resources/unsubscribe", 0.7],
  ["prompts/list", 0.7],
  ["prompts/get", 0.7],
  ["logging/setLevel", 0.7],
  ["completion/complete", 0.7],
  ["notifications/roots/list_changed", 0.7],
]);
const GENERIC_METHOD_WEIGHT = new Map<string, number>([
  ["ping", 0.1],
  ["notifications/cancelled", 0.2],
  ["notifications/progress", 0.2],
]);

/** DLP entries (Cloudflare's MCP profile, and the one Portcullis exports) by the method they detect. */
const DLP_METHOD = new Map<string, string>([
  ["mcp tools call", "tools/call"],
  ["mcp tools list", "tools/list"],
  ["mcp notifications initialized", "notifications/initialized"],
  ["mcp resources list", "resources/list"],
  ["mcp resources read", "resources/read"],
  ["mcp prompts list", "prompts/list"],
  ["mcp prompts get", "prompts/get"],
]);
const DLP_INITIALIZE = "mcp initialize method";
const DLP_VERSION = "mcp protocol version";
const DLP_ANY_METHOD = "mcp json-rpc method";
const DLP_MCP_NAME = /\bmcp\b/i;

/** User agents of MCP clients and bridges (supporting only: the same apps make other requests too). */
const KNOWN_CLIENT_UA = /\bmcp\b|modelcontextprotocol|claude-code|claude-ai|claude-user|cursor-vscode|mcp-inspector|gemini-cli|\bgoose\b|windsurf/i;

/**
 * Where a body is data for someone else, not a request to this host in its own protocol: log
 * intakes (Elasticsearch, Splunk HEC, Loki, Datadog, OTLP logs and traces, Loggly), LLM and error
 * observability (Langfuse, LangSmith, Sentry, PostHog), webhooks, uploads and attachments, pastes.
 * Segment-anchored so `/mcp` endpoints under other names are untouched.
 */
const PAYLOAD_PATH =
  /\/(?:_bulk|_doc|_create|services\/collector|loki\/api\/v1\/push|api\/v[12]\/logs|v1\/(?:logs|traces|metrics)|v1\/input|inputs?\/[0-9a-f-]{8,}|api\/public\/ingestion|runs\/(?:batch|multipart)|envelope|capture|webhooks?|hooks|attachments?|attachment\/file|uploads?(?:\.json)?|upload\/v\d|files\.upload|rooms\.upload|gists|channels\/\d+\/messages)(?:[/.?]|$)/i;
/** Hosts whose first label names a paste, webhook or log intake (hooks.slack.com, paste.rs, webhook.site, http-intake.logs.…). */
const PAYLOAD_HOST = /^(?:paste|pastebin|hastebin|dpaste|privatebin|termbin|webhook|webhooks|hooks|http-intake)\.|^(?:0x0\.st|ix\.io|sprunge\.us)$|\.m\.pipedream\.net$/;
const LOG_SHIPPER_UA = /fluent-?bit|fluentd|\bvector\/|filebeat|logstash|promtail|\balloy\/|datadog-agent|\botel|opentelemetry|splunk|nxlog|rsyslog|cribl|elastic-transport|beats\/|sentry\.|langsmith|langfuse/i;
/** What an MCP server answers a POST with (202/204 carry no body; errors may come as anything). */
const MCP_ANSWER_CT = /^(?:application\/(?:[\w.+-]*\+)?json|text\/event-stream)/;
/** Content types an MCP request body never has (MCP POSTs application/json). */
const NOT_JSON_CT = /^(?:multipart\/|application\/x-www-form-urlencoded|text\/plain|application\/x-ndjson|application\/octet-stream|application\/binary)/i;

/**
 * Known vendor-hosted MCP endpoints: a starting list, to be extended from the registry and from
 * findings. `paths` are path prefixes that are MCP endpoints ("/" = the whole host).
 */
export const KNOWN_MCP_ENDPOINTS: readonly { host: string; paths: readonly string[]; vendor: string }[] = [
  { host: "mcp.notion.com", paths: ["/mcp", "/sse"], vendor: "Notion" },
  { host: "mcp.linear.app", paths: ["/mcp", "/sse"], vendor: "Linear" },
  { host: "mcp.atlassian.com", paths: ["/v1/sse", "/v1/mcp"], vendor: "Atlassian" },
  { host: "api.githubcopilot.com", paths: ["/mcp"], vendor: "GitHub" },
  { host: "mcp.stripe.com", paths: ["/"], vendor: "Stripe" },
  { host: "mcp.sentry.dev", paths: ["/mcp", "/sse"], vendor: "Sentry" },
  { host: "mcp.asana.com", paths: ["/sse", "/v2/mcp"], vendor: "Asana" },
  { host: "mcp.paypal.com", paths: ["/mcp", "/sse"], vendor: "PayPal" },
  { host: "mcp.squareup.com", paths: ["/sse", "/mcp"], vendor: "Square" },
  { host: "mcp.intercom.com", paths: ["/mcp", "/sse"], vendor: "Intercom" },
  { host: "mcp.webflow.com", paths: ["/sse", "/mcp"], vendor: "Webflow" },
  { host: "mcp.wix.com", paths: ["/sse", "/mcp"], vendor: "Wix" },
  { host: "mcp.hubspot.com", paths: ["/"], vendor: "HubSpot" },
  { host: "mcp.zapier.com", paths: ["/api/mcp"], vendor: "Zapier" },
  { host: "mcp.deepwiki.com", paths: ["/mcp", "/sse"], vendor: "DeepWiki" },
  { host: "mcp.vercel.com", paths: ["/"], vendor: "Vercel" },
  { host: "mcp.supabase.com", paths: ["/mcp"], vendor: "Supabase" },
  { host: "mcp.figma.com", paths: ["/mcp"], vendor: "Figma" },
  { host: "mcp.canva.com", paths: ["/mcp"], vendor: "Canva" },
  { host: "mcp.monday.com", paths: ["/mcp", "/sse"], vendor: "monday.com" },
  { host: "mcp.box.com", paths: ["/"], vendor: "Box" },
  { host: "mcp.neon.tech", paths: ["/mcp", "/sse"], vendor: "Neon" },
  { host: "mcp.context7.com", paths: ["/mcp"], vendor: "Context7" },
  { host: "mcp.exa.ai", paths: ["/mcp"], vendor: "Exa" },
  { host: "huggingface.co", paths: ["/mcp"], vendor: "Hugging Face" },
  { host: "docs.mcp.cloudflare.com", paths: ["/sse", "/mcp"], vendor: "Cloudflare" },
  { host: "bindings.mcp.cloudflare.com", paths: ["/sse", "/mcp"], vendor: "Cloudflare" },
  { host: "observability.mcp.cloudflare.com", paths: ["/sse", "/mcp"], vendor: "Cloudflare" },
];
const VENDOR_BY_HOST = new Map(KNOWN_MCP_ENDPOINTS.map((e) => [e.host, e]));

/** Path prefix match on a segment boundary ("/mcp" matches "/mcp" and "/mcp/x", not "/mcpx"). */
export function pathHasPrefix(path: string, prefix: string): boolean {
  if (prefix === "/" || prefix === "") return true;
  const p = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  return path === p || (path.startsWith(p) && path.charCodeAt(p.length) === 47);
}

/** The vendor endpoint prefix a record falls under, if any. */
export function knownVendorEndpoint(host: string, path: string): { vendor: string; prefix: string } | null {
  const e = VENDOR_BY_HOST.get(host);
  if (e === undefined) return null;
  for (const p of e.paths) if (pathHasPrefix(path, p)) return { vendor: e.vendor, prefix: p };
  return null;
}

// "mcp" as its own label or dash/underscore-separated word, not "mcpherson" nor "mcp940".
const MCP_HOST_LABEL = /(?:^|[.-])mcp(?:[.-]|$)/;
const MCP_PATH_SEGMENT = /(?:^|\/)(?:[a-z0-9]+[-_])?mcp(?:[-_.][a-z0-9._-]*)?(?:\/|$)/i;
const SSE_LAST_SEGMENT = /\/sse\/?$/;
const MESSAGES_PATH = /\/messages?\/?$/;
const SESSION_QUERY = /(?:^|&)(?:sessionId|session_id)=/;
const OAUTH_PR = "/.well-known/oauth-protected-resource";

/** Whether a resource path looks like an MCP endpoint (for RFC 9728 discovery). */
export function isMcpLikePath(path: string): boolean {
  return MCP_PATH_SEGMENT.test(path) || SSE_LAST_SEGMENT.test(path);
}

export function isLegacySseStream(r: TrafficRecord): boolean {
  if (r.method !== "GET") return false;
  if (r.responseBodyPrefix !== "" && hasEndpointEvent(r.responseBodyPrefix)) return true;
  return SSE_LAST_SEGMENT.test(r.path) && (r.responseContentType === "" ? r.format === "cloudflare" || r.accept.includes("text/event-stream") : r.responseContentType.startsWith("text/event-stream"));
}

export function isLegacySseMessagesPost(r: TrafficRecord): boolean {
  return r.method === "POST" && r.query !== "" && MESSAGES_PATH.test(r.path) && SESSION_QUERY.test(r.query);
}

/** The legacy HTTP+SSE transport's first event: `event: endpoint` with the URI to POST to. */
const ENDPOINT_EVENT = /(?:^|\n)event:\s*endpoint\r?\ndata:\s*(?:\/|https?:\/\/)/;
function hasEndpointEvent(body: string): boolean {
  return body.indexOf("endpoint") >= 0 && ENDPOINT_EVENT.test(body);
}

const NO_METHODS: string[] = [];
const NOT_MCP: Classification = Object.freeze({ mcp: false, confidence: 0, evidence: Object.freeze([]) as readonly Evidence[], methods: Object.freeze([]) as readonly string[] });

function ev(kind: EvidenceKind, weight: number, strong: boolean, sentence: string): Evidence {
  return { kind, weight, strong, sentence };
}

/** Why a request's body is data carried for someone else rather than MCP spoken with its host; "" when nothing says so. */
export function payloadRole(r: TrafficRecord): string {
  // A host that answers an MCP request 200 with text or a page does not speak MCP back (generic logs record the answer's type).
  if ((r.status === 200 || r.status === 201) && r.responseContentType !== "" && !MCP_ANSWER_CT.test(r.responseContentType)) return `${r.host} answered ${r.responseContentType.split(";")[0]}, not MCP's JSON or event stream`;
  if (r.uploadedFiles.length > 0) return `a file upload (${r.uploadedFiles.slice(0, 3).join(", ")})`;
  // MCP's HTTP transports POST their messages; a PUT or PATCH body is a document being stored.
  if (r.method === "PUT" || r.method === "PATCH") return `a ${r.method} of a document`;
  if (r.requestContentType !== "" && NOT_JSON_CT.test(r.requestContentType)) return `the body is ${r.requestContentType.split(";")[0]}, not the application/json of an MCP request`;
  if (r.userAgent !== "" && LOG_SHIPPER_UA.test(r.userAgent)) return `sent by a log shipper (${r.userAgent.slice(0, 40)})`;
  if (PAYLOAD_PATH.test(r.path)) return `${r.path.length > 60 ? `${r.path.slice(0, 60)}…` : r.path} is a log-intake, webhook, upload or paste endpoint`;
  if (PAYLOAD_HOST.test(r.host)) return `${r.host} is a log-intake, webhook, file or paste host`;
  return "";
}

/** Why a scanned body is not one MCP request whatever its methods say; "" when it may be. */
function bodyShapeRole(msgs: readonly RpcMessage[]): string {
  let init = false;
  let serverAnswer = false;
  for (const m of msgs) {
    if (m.extraKeys && m.jsonrpc2) return "JSON-RPC fields mixed with other fields at the top level: a log event or record that carries MCP";
    if (m.trailing) return "several JSON documents one after another (NDJSON): a log stream or file";
    if (m.method === "initialize") init = true;
    if (m.result && (m.resultKeys & (R_SERVER_INFO | R_TOOLS | R_PROTOCOL_VERSION | R_IS_ERROR)) !== 0) serverAnswer = true;
  }
  if (serverAnswer) return "a request carrying a server's answer (serverInfo, tools): a transcript";
  if (init && msgs.length > 1) return "initialize together with other messages in one body (MCP never batches it): a transcript";
  return "";
}

function bodyEvidence(msgs: readonly RpcMessage[], out: Evidence[], methods: string[]): void {
  for (const m of msgs) {
    if (!m.jsonrpc2) continue;
    if (m.method !== "") {
      if (m.method === "initialize") {
        if (m.lspMarkers) {
          out.push(ev("other-protocol", 0, false, "initialize with processId / rootUri / textDocument capabilities: a language server's (LSP) handshake, not MCP's."));
          continue;
        }
        if (!DATE_VERSION.test(m.protocolVersion)) {
          if (m.paramsKind === 1 && !m.truncated) out.push(ev("other-protocol", 0, false, "initialize without a dated protocolVersion string: another JSON-RPC protocol's handshake (LSP, Agent Client Protocol)."));
          continue;
        }
        const form = m.clientInfo || m.capabilities;
        if (!form && !m.truncated) continue;
        methods.push("initialize");
        out.push(
          ev(
            "jsonrpc-initialize",
            form ? 0.9 : 0.7,
            true,
            `JSON-RPC initialize with protocolVersion "${m.protocolVersion}"${m.clientInfo ? " and clientInfo" : m.capabilities ? " and capabilities" : " (body cut before clientInfo)"}, MCP's handshake.`,
          ),
        );
        continue;
      }
      if (m.mcpMeta) out.push(ev("jsonrpc-meta", 0.9, true, `JSON-RPC "${m.method}" carrying io.modelcontextprotocol/* metadata in params._meta (MCP ${STATELESS_PROTOCOL_VERSION}).`));
      let w = MCP_METHOD_WEIGHT.get(m.method);
      if (w === undefined) {
        const g = GENERIC_METHOD_WEIGHT.get(m.method);
        // ping with array params is another protocol's ping (Bitcoin Core).
        if (g !== undefined && m.paramsKind !== 2) out.push(ev("jsonrpc-generic", g, false, `JSON-RPC "${m.method}": MCP has it, so do other JSON-RPC protocols.`));
        if (m.mcpMeta) methods.push(m.method);
        continue;
      }
      if (m.method === "tools/call" && !m.paramsName) {
        if (!m.truncated) continue; // tools/call without a tool name is not MCP's
        w = 0.6;
      }
      methods.push(m.method);
      out.push(ev("jsonrpc-method", w, true, `JSON-RPC 2.0 request with MCP method "${m.method}"${m.method === "tools/call" && m.paramsName ? " naming a tool" : ""} at the top level of the body.`));
    } else if (m.result && m.hasId) {
      const k = m.resultKeys;
      if ((k & (R_ROLE | R_CONTENT | R_MODEL)) === (R_ROLE | R_CONTENT | R_MODEL)) {
        methods.push("sampling/createMessage:result");
        out.push(ev("jsonrpc-client-response", 0.8, true, "JSON-RPC response from the client with role, content and model: an MCP sampling result."));
      } else if (k === R_ROOTS) {
        methods.push("roots/list:result");
        out.push(ev("jsonrpc-client-response", 0.8, true, "JSON-RPC response from the client listing roots: an MCP roots/list result."));
      } else if ((k & R_ACTION) !== 0 && (k & ~(R_ACTION | R_CONTENT)) === 0) {
        methods.push("elicitation/create:result");
        out.push(ev("jsonrpc-client-response", 0.6, true, "JSON-RPC response from the client with an action: an MCP elicitation result."));
      } else if (k === 0) {
        out.push(ev("jsonrpc-generic", 0.1, false, "JSON-RPC response from the client with an empty result (could answer an MCP ping)."));
      }
    }
  }
}

function dlpEvidence(up: readonly string[], out: Evidence[], methods: string[]): string {
  let init = false;
  let version = false;
  let any = false;
  let other = "";
  const found: string[] = [];
  for (let i = 0; i < up.length; i++) {
    const name = up[i]!.toLowerCase();
    const m = DLP_METHOD.get(name);
    if (m !== undefined) {
      if (!found.includes(m)) found.push(m);
    } else if (name === DLP_INITIALIZE) init = true;
    else if (name === DLP_VERSION) version = true;
    else if (name === DLP_ANY_METHOD) any = true;
    else if (other === "" && DLP_MCP_NAME.test(name)) other = up[i]!;
  }
  const initialize = init && version;
  // One MCP request is one method (initialize also trips the version entry): several in one body are a log or transcript.
  if ((initialize && found.length > 0) || found.length >= 3) return `Gateway DLP matched several MCP messages in one body (${[...(initialize ? ["initialize"] : []), ...found].join(", ")})`;
  if (initialize) {
    methods.push("initialize");
    out.push(ev("dlp-initialize", 0.85, true, "Gateway DLP matched MCP Initialize Method and MCP Protocol Version in the request body: MCP's handshake."));
  } else if (init) out.push(ev("dlp-partial", 0.1, false, "Gateway DLP matched MCP Initialize Method without MCP Protocol Version: initialize alone is also LSP's and other protocols'."));
  else if (version) out.push(ev("dlp-partial", 0.15, false, "Gateway DLP matched MCP Protocol Version alone."));
  if (found.length > 0) {
    for (const m of found) methods.push(m);
    out.push(ev("dlp-upload", 0.6, true, `Gateway DLP matched MCP ${found.join(" and ")} in the request body.`));
  } else if (any) out.push(ev("dlp-upload", 0.55, true, "Gateway DLP matched an MCP JSON-RPC method in the request body."));
  else if (other !== "") out.push(ev("dlp-upload", 0.4, true, `Gateway DLP matched "${other}" in the request body.`));
  return "";
}

function responseEvidence(r: TrafficRecord, add: (e: Evidence) => void): void {
  const body = r.responseBodyPrefix;
  if (hasEndpointEvent(body)) {
    add(ev("sse-endpoint-event", 0.85, true, `The answer is an event stream announcing \`event: endpoint\`: MCP's legacy HTTP+SSE transport.`));
    return;
  }
  if (body.indexOf('"jsonrpc"') < 0) return;
  // An SSE answer carries the JSON-RPC message in its first `data:` line.
  const c0 = body.charCodeAt(0);
  const data = c0 === 123 || c0 === 91 ? 0 : body.indexOf("data:");
  const start = data <= 0 ? data : body.indexOf("{", data);
  if (start < 0) return;
  for (const m of scanBody(start === 0 ? body : body.slice(start))) {
    if (!m.jsonrpc2 || !m.result) continue;
    const k = m.resultKeys;
    if ((k & (R_PROTOCOL_VERSION | R_SERVER_INFO)) === (R_PROTOCOL_VERSION | R_SERVER_INFO)) add(ev("response-result", 0.9, true, "The answer is an MCP initialize result (protocolVersion and serverInfo)."));
    else if ((k & R_TOOLS) !== 0) add(ev("response-result", 0.6, true, "The answer is a JSON-RPC result listing tools, as MCP's tools/list does."));
    else if ((k & (R_CONTENT | R_IS_ERROR)) === (R_CONTENT | R_IS_ERROR)) add(ev("response-result", 0.5, true, "The answer is a JSON-RPC result with content and isError, as MCP's tools/call returns."));
  }
}

/** Scores one record on its own (no cross-record patterns; see classifyRecords and ServerAggregator). */
export function classifyRecord(r: TrafficRecord): Classification {
  // Most traffic carries no evidence at all: allocate only once something is found.
  let out: Evidence[] | null = null;
  let methods: string[] = NO_METHODS;
  const add = (e: Evidence) => (out ??= []).push(e);

  // Body evidence first, then whether the body is a request to this host at all (checked only when it matters).
  const body = r.bodyPrefix;
  let dataRole = "";
  if (body.length >= 10 && body.indexOf('"jsonrpc"') >= 0) {
    const msgs = scanBody(body);
    const found: Evidence[] = [];
    const foundMethods: string[] = [];
    bodyEvidence(msgs, found, foundMethods);
    if (found.some((e) => e.weight > 0)) dataRole = bodyShapeRole(msgs) || payloadRole(r);
    if (dataRole === "") {
      if (found.length > 0) (out ??= []).push(...found);
      methods = foundMethods;
    }
  }
  const up = r.uploadDlpEntries;
  if (up.length > 0 && dataRole === "") {
    const found: Evidence[] = [];
    const foundMethods: string[] = [];
    dataRole = dlpEvidence(up, found, foundMethods);
    if (dataRole === "" && found.some((e) => e.strong)) dataRole = payloadRole(r);
    if (dataRole === "") {
      if (found.length > 0) (out ??= []).push(...found);
      methods = methods === NO_METHODS ? foundMethods : methods.concat(foundMethods);
    }
  }
  if (dataRole !== "") add(ev("mcp-as-data", 0, false, `MCP JSON carried as data, not spoken with ${r.host}: ${dataRole}.`));

  const pv = r.mcpProtocolVersion;
  if (pv !== "") {
    if (KNOWN_VERSIONS.has(pv)) add(ev("header-protocol-version", 0.9, true, `Request header MCP-Protocol-Version: ${pv}.`));
    else if (DATE_VERSION.test(pv)) add(ev("header-protocol-version", 0.7, true, `Request header MCP-Protocol-Version with an unpublished revision "${pv}".`));
  }
  if (r.mcpSessionId !== "") add(ev("header-session-id", 0.75, true, "Mcp-Session-Id header, MCP's streamable HTTP session."));
  if (r.mcpMethod !== "") add(ev("header-mcp-method", 0.8, true, `Request header Mcp-Method: ${r.mcpMethod.slice(0, 60)} (MCP ${STATELESS_PROTOCOL_VERSION}).`));
  if (r.responseBodyPrefix.length >= 10) responseEvidence(r, add);

  const down = r.downloadDlpEntries;
  for (let i = 0; i < down.length; i++) {
    const name = down[i]!;
    // Response bodies include documentation pages that quote MCP JSON: weak only.
    if (DLP_MCP_NAME.test(name)) add(ev("dlp-download", 0.15, false, `Gateway DLP matched "${name}" in the response body.`));
  }

  const path = r.path;
  const vendor = VENDOR_BY_HOST.get(r.host);
  if (vendor !== undefined) {
    const hit = knownVendorEndpoint(r.host, path);
    if (hit !== null) add(ev("known-vendor-endpoint", 0.85, true, `${r.host}${hit.prefix === "/" ? "" : hit.prefix} is ${hit.vendor}'s hosted MCP server.`));
    else add(ev("known-vendor-host", 0.2, false, `${r.host} hosts ${vendor.vendor}'s MCP server (this path is not its endpoint).`));
  }

  if (path.startsWith(OAUTH_PR)) {
    const resource = path.slice(OAUTH_PR.length);
    if (resource !== "" && resource !== "/" && isMcpLikePath(resource)) {
      add(ev("oauth-resource-discovery", 0.55, true, `RFC 9728 protected-resource metadata fetched for ${recordOrigin(r)}${resource}, an MCP-like endpoint.`));
    }
  } else if (r.method === "POST" && r.status === 401 && isMcpLikePath(path)) {
    // MCP's authorization flow: the first POST is answered 401 and the client then fetches the RFC 9728 metadata.
    add(ev("oauth-challenge", 0.3, true, `POST to ${path} answered 401, as an MCP server asks a client to authorize.`));
  } else if (r.path.length >= 2) {
    if (isLegacySseStream(r)) add(ev("legacy-sse-stream", 0.3, true, `GET ${path} opened an event stream, as MCP's legacy HTTP+SSE transport does.`));
    else if (isLegacySseMessagesPost(r)) add(ev("legacy-sse-messages", 0.3, true, `POST to ${path}?sessionId=…, as MCP's legacy HTTP+SSE transport does.`));
  }

  // Supporting evidence only where something else was seen (a browser's "mcp" page alone stays out of the way).
  if (out === null) {
    if (vendor === undefined && r.host.includes("mcp") && MCP_HOST_LABEL.test(r.host)) add(ev("mcp-in-host", 0.15, false, `Host name ${r.host} contains "mcp".`));
    if (MCP_PATH_SEGMENT.test(path)) add(ev("mcp-in-path", 0.15, false, `Path ${path} contains "mcp".`));
    if (out === null) return NOT_MCP;
    return finish(out, []);
  }
  if (vendor === undefined && r.host.includes("mcp") && MCP_HOST_LABEL.test(r.host)) add(ev("mcp-in-host", 0.15, false, `Host name ${r.host} contains "mcp".`));
  if (MCP_PATH_SEGMENT.test(path)) add(ev("mcp-in-path", 0.15, false, `Path ${path} contains "mcp".`));
  if (r.userAgent !== "" && KNOWN_CLIENT_UA.test(r.userAgent)) add(ev("known-client", 0.2, false, `User agent of an MCP client: ${r.userAgent.slice(0, 60)}.`));
  if (r.method === "POST" && r.accept.includes("text/event-stream") && r.accept.includes("application/json")) add(ev("mcp-accept", 0.15, false, "POST accepting both application/json and text/event-stream, as MCP's streamable HTTP requires."));
  return finish(out, methods === NO_METHODS ? [] : methods);
}

function finish(evidence: Evidence[], methods: string[]): Classification {
  const confidence = confidenceOf(evidence);
  return { mcp: confidence >= MCP_THRESHOLD, confidence, evidence, methods };
}

/** Whether a classification has protocol evidence (weight > 0, not supporting): what makes a server at least a candidate. */
export function hasProtocolEvidence(c: Classification): boolean {
  for (const e of c.evidence) if (e.strong && e.weight > 0) return true;
  return false;
}

export interface ClassifiedRecord {
  record: TrafficRecord;
  result: Classification;
}

/**
 * Classifies a batch and adds the cross-record legacy HTTP+SSE pattern: an origin that both
 * opened an event stream on …/sse and received POSTs to …/messages?sessionId= is MCP's legacy
 * transport; either half alone is not enough (generic SSE feeds exist).
 */
export function classifyRecords(records: readonly TrafficRecord[]): ClassifiedRecord[] {
  const out: ClassifiedRecord[] = new Array(records.length);
  const sseOrigins = new Set<string>();
  const msgOrigins = new Set<string>();
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const result = classifyRecord(r);
    out[i] = { record: r, result };
    if (result.evidence.length === 0) continue;
    for (const e of result.evidence) {
      if (e.kind === "legacy-sse-stream") sseOrigins.add(recordOrigin(r));
      else if (e.kind === "legacy-sse-messages") msgOrigins.add(recordOrigin(r));
    }
  }
  if (sseOrigins.size === 0 || msgOrigins.size === 0) return out;
  for (const c of out) {
    const ev0 = c.result.evidence;
    if (ev0.length === 0) continue;
    const isSse = ev0.some((e) => e.kind === "legacy-sse-stream");
    const isMsg = !isSse && ev0.some((e) => e.kind === "legacy-sse-messages");
    if (!isSse && !isMsg) continue;
    const origin = recordOrigin(c.record);
    if (!(isSse ? msgOrigins : sseOrigins).has(origin)) continue;
    const pair = ev(
      "legacy-sse-pair",
      0.5,
      true,
      isSse ? `The same origin ${origin} also received POSTs to /messages?sessionId=…: MCP's legacy HTTP+SSE transport.` : `The same origin ${origin} also served an event stream on …/sse: MCP's legacy HTTP+SSE transport.`,
    );
    c.result = finish([...ev0, pair], [...c.result.methods]);
  }
  return out;
}
