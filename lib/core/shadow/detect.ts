/**
 * Shadow-MCP detector: scores one traffic record with explainable evidence.
 *
 * Strong evidence is specific to MCP (its JSON-RPC shapes, its headers, its DLP matches, its
 * transport patterns, known vendor endpoints). Weak evidence ("mcp" in a host or path, a download
 * DLP match) is capped below the threshold, so it never decides alone: such rules drown in false
 * positives (mcpherson.edu, MCP documentation, Minecraft's Mod Coder Pack).
 */
import { R_ACTION, R_CONTENT, R_MODEL, R_ROLE, R_ROOTS, scanBody } from "./json-rpc-scan";
import { recordOrigin, type TrafficRecord } from "./records";

export type EvidenceKind =
  | "jsonrpc-initialize"
  | "jsonrpc-method"
  | "jsonrpc-client-response"
  | "header-protocol-version"
  | "header-session-id"
  | "legacy-sse-stream"
  | "legacy-sse-messages"
  | "legacy-sse-pair"
  | "oauth-resource-discovery"
  | "dlp-upload"
  | "dlp-download"
  | "known-vendor-endpoint"
  | "known-vendor-host"
  | "mcp-in-host"
  | "mcp-in-path";

export interface Evidence {
  kind: EvidenceKind;
  weight: number;
  /** Weak evidence counts at most WEAK_CAP in total. */
  strong: boolean;
  /** A sentence a security analyst can read. */
  sentence: string;
}

export interface Classification {
  mcp: boolean;
  /** 0…1: strong weights plus capped weak weights. */
  score: number;
  evidence: readonly Evidence[];
  /** MCP JSON-RPC methods seen in the body (request methods; "result" for client responses). */
  methods: readonly string[];
}

export const MCP_THRESHOLD = 0.6;
export const WEAK_CAP = 0.3;

/** Protocol revisions published so far; a header with another date-like value still counts, less. */
export const MCP_PROTOCOL_VERSIONS: readonly string[] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
const KNOWN_VERSIONS = new Set(MCP_PROTOCOL_VERSIONS);
const DATE_VERSION = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Client-to-server MCP methods and notifications. `tasks/*` (MCP 2025-11-25) is left out on
 * purpose: A2A uses the same method names, so they are not MCP-specific.
 */
const MCP_METHOD_WEIGHT = new Map<string, number>([
  ["notifications/initialized", 0.95],
  ["tools/list", 0.9],
  ["tools/call", 0.9],
  ["resources/list", 0.9],
  ["resources/read", 0.9],
  ["resources/templates/list", 0.9],
  ["resources/subscribe", 0.9],
  ["resources/unsubscribe", 0.9],
  ["prompts/list", 0.9],
  ["prompts/get", 0.9],
  ["logging/setLevel", 0.9],
  ["completion/complete", 0.9],
  ["notifications/roots/list_changed", 0.9],
  ["notifications/cancelled", 0.7],
  ["notifications/progress", 0.7],
  ["ping", 0.6],
]);

/**
 * Entries of Cloudflare's "Detect MCP traffic in Gateway logs" DLP profile, and of the profile
 * Portcullis exports. Other entries whose name mentions MCP count less.
 */
const DLP_ENTRY_WEIGHT = new Map<string, number>([
  ["mcp initialize method", 0.95],
  ["mcp tools call", 0.9],
  ["mcp tools list", 0.9],
  ["mcp protocol version", 0.8],
  ["mcp notifications initialized", 0.95],
  ["mcp resources list", 0.9],
  ["mcp resources read", 0.9],
  ["mcp prompts list", 0.9],
  ["mcp prompts get", 0.9],
  ["mcp json-rpc method", 0.9],
]);
const DLP_MCP_NAME = /\bmcp\b/i;

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
  return (
    r.method === "GET" &&
    SSE_LAST_SEGMENT.test(r.path) &&
    (r.responseContentType === "" ? r.format === "cloudflare" || r.accept.includes("text/event-stream") : r.responseContentType.startsWith("text/event-stream"))
  );
}

export function isLegacySseMessagesPost(r: TrafficRecord): boolean {
  return r.method === "POST" && r.query !== "" && MESSAGES_PATH.test(r.path) && SESSION_QUERY.test(r.query);
}

const NO_METHODS: string[] = [];
const NOT_MCP: Classification = Object.freeze({ mcp: false, score: 0, evidence: Object.freeze([]) as readonly Evidence[], methods: Object.freeze([]) as readonly string[] });

function ev(kind: EvidenceKind, weight: number, strong: boolean, sentence: string): Evidence {
  return { kind, weight, strong, sentence };
}

function bodyEvidence(r: TrafficRecord, out: Evidence[], methods: string[]): void {
  const body = r.bodyPrefix;
  // Cheap rule-out before any scanning: JSON-RPC 2.0 bodies always name their version.
  if (body.length < 10 || body.indexOf('"jsonrpc"') < 0) return;
  const msgs = scanBody(body);
  for (const m of msgs) {
    if (!m.jsonrpc2) continue;
    if (m.method !== "") {
      if (m.method === "initialize") {
        const versionOk = DATE_VERSION.test(m.protocolVersion);
        if (versionOk && (m.clientInfo || m.truncated)) {
          methods.push("initialize");
          out.push(
            ev(
              "jsonrpc-initialize",
              m.clientInfo ? 1 : 0.8,
              true,
              `JSON-RPC initialize with protocolVersion "${m.protocolVersion}"${m.clientInfo ? " and clientInfo" : " (body truncated before clientInfo)"}, MCP's handshake.`,
            ),
          );
        }
        // initialize without the pair is LSP or another JSON-RPC protocol: no evidence.
        continue;
      }
      const w = MCP_METHOD_WEIGHT.get(m.method);
      if (w === undefined) continue;
      // ping with array params is another protocol's ping (e.g. Bitcoin Core).
      if (m.method === "ping" && m.paramsKind === 2) continue;
      methods.push(m.method);
      out.push(ev("jsonrpc-method", w, true, `JSON-RPC 2.0 request with MCP method "${m.method}" at the top level of the body.`));
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
        out.push(ev("jsonrpc-client-response", 0.7, true, "JSON-RPC response from the client with an action: an MCP elicitation result."));
      } else if (k === 0) {
        out.push(ev("jsonrpc-client-response", 0.2, false, "JSON-RPC response from the client with an empty result (could answer an MCP ping)."));
      }
    }
  }
}

/** Scores one record on its own (no cross-record patterns; see classifyRecords). */
export function classifyRecord(r: TrafficRecord): Classification {
  // Most traffic carries no evidence at all: allocate only once something is found.
  let out: Evidence[] | null = null;
  let methods: string[] = NO_METHODS;
  const add = (e: Evidence) => (out ??= []).push(e);

  if (r.bodyPrefix.length >= 10 && r.bodyPrefix.indexOf('"jsonrpc"') >= 0) {
    out = [];
    methods = [];
    bodyEvidence(r, out, methods);
  }

  const pv = r.mcpProtocolVersion;
  if (pv !== "") {
    if (KNOWN_VERSIONS.has(pv)) add(ev("header-protocol-version", 1, true, `Request header MCP-Protocol-Version: ${pv}.`));
    else if (DATE_VERSION.test(pv)) add(ev("header-protocol-version", 0.8, true, `Request header MCP-Protocol-Version with an unpublished revision "${pv}".`));
  }
  if (r.mcpSessionId !== "") add(ev("header-session-id", 0.8, true, "Mcp-Session-Id header, MCP's streamable HTTP session."));

  const up = r.uploadDlpEntries;
  for (let i = 0; i < up.length; i++) {
    const name = up[i]!;
    const w = DLP_ENTRY_WEIGHT.get(name.toLowerCase()) ?? (DLP_MCP_NAME.test(name) ? 0.6 : 0);
    if (w > 0) add(ev("dlp-upload", w, true, `Gateway DLP matched "${name}" in the request body.`));
  }
  const down = r.downloadDlpEntries;
  for (let i = 0; i < down.length; i++) {
    const name = down[i]!;
    // Response bodies include documentation pages that quote MCP JSON: weak only.
    if (DLP_ENTRY_WEIGHT.has(name.toLowerCase()) || DLP_MCP_NAME.test(name)) add(ev("dlp-download", 0.2, false, `Gateway DLP matched "${name}" in the response body.`));
  }

  const path = r.path;
  const vendor = VENDOR_BY_HOST.get(r.host);
  if (vendor !== undefined) {
    const hit = knownVendorEndpoint(r.host, path);
    if (hit !== null) add(ev("known-vendor-endpoint", 0.8, true, `${r.host}${hit.prefix === "/" ? "" : hit.prefix} is ${hit.vendor}'s hosted MCP server.`));
    else add(ev("known-vendor-host", 0.25, false, `${r.host} hosts ${vendor.vendor}'s MCP server (this path is not its endpoint).`));
  }

  if (path.startsWith(OAUTH_PR)) {
    const resource = path.slice(OAUTH_PR.length);
    if (resource !== "" && resource !== "/" && isMcpLikePath(resource)) {
      add(ev("oauth-resource-discovery", 0.6, true, `RFC 9728 protected-resource metadata fetched for ${recordOrigin(r)}${resource}, an MCP-like endpoint.`));
    }
  } else if (r.path.length >= 4) {
    if (isLegacySseStream(r)) add(ev("legacy-sse-stream", 0.3, true, `GET ${path} opened an event stream, as MCP's legacy HTTP+SSE transport does.`));
    else if (isLegacySseMessagesPost(r)) add(ev("legacy-sse-messages", 0.3, true, `POST to ${path}?sessionId=…, as MCP's legacy HTTP+SSE transport does.`));
  }

  if (vendor === undefined && r.host.includes("mcp") && MCP_HOST_LABEL.test(r.host)) add(ev("mcp-in-host", 0.2, false, `Host name ${r.host} contains "mcp".`));
  if (MCP_PATH_SEGMENT.test(path)) add(ev("mcp-in-path", 0.2, false, `Path ${path} contains "mcp".`));

  if (out === null || (out as Evidence[]).length === 0) return NOT_MCP;
  return finish(out, methods === NO_METHODS ? [] : methods);
}

function finish(evidence: Evidence[], methods: string[]): Classification {
  let strong = 0;
  let weak = 0;
  for (const e of evidence) {
    if (e.strong) strong += e.weight;
    else weak += e.weight;
  }
  const score = Math.min(1, strong + Math.min(weak, WEAK_CAP));
  return { mcp: score >= MCP_THRESHOLD, score: Math.round(score * 1000) / 1000, evidence, methods };
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
