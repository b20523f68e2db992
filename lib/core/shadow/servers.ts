/**
 * Groups classified records into MCP servers by canonical base URL, and tells shadow servers
 * from approved ones. Pure.
 */
import { type Classification, classifyRecord, confidenceOf, type Evidence, hasProtocolEvidence, isLegacySseMessagesPost, isLegacySseStream, knownVendorEndpoint, MCP_THRESHOLD } from "./detect";
import { recordOrigin, type TrafficRecord } from "./records";

const OAUTH_PR = "/.well-known/oauth-protected-resource";

/** Normalizes a path: collapses repeated slashes, drops a trailing slash ("/" stays ""). */
export function normalizePath(path: string): string {
  let p = path.includes("//") ? path.replace(/\/{2,}/g, "/") : path;
  while (p.length > 0 && p.charCodeAt(p.length - 1) === 47) p = p.slice(0, -1);
  return p;
}

/**
 * The server a record belongs to: `scheme://host[:port]/path` with the query and trailing slash
 * dropped. RFC 9728 discovery of `<path>` belongs to the server at `<path>`. (A legacy `/messages`
 * POST belongs to the SSE endpoint of the same origin when one is known: `ServerAggregator`.)
 */
export function canonicalServerUrl(r: TrafficRecord): string {
  const origin = recordOrigin(r);
  let path = r.path;
  if (path.startsWith(OAUTH_PR) && (path.length === OAUTH_PR.length || path.charCodeAt(OAUTH_PR.length) === 47)) {
    path = path.slice(OAUTH_PR.length);
  }
  return origin + normalizePath(path);
}

function closestSsePath(messagesPath: string, ssePaths: readonly string[]): string {
  const dir = messagesPath.slice(0, messagesPath.lastIndexOf("/") + 1);
  let best = ssePaths[0]!;
  let bestLen = -1;
  for (const p of ssePaths) {
    let n = 0;
    while (n < dir.length && n < p.length && dir.charCodeAt(n) === p.charCodeAt(n)) n++;
    if (n > bestLen) {
      best = p;
      bestLen = n;
    }
  }
  return best;
}

export interface ServerSummary {
  url: string;
  origin: string;
  host: string;
  /** Vendor of a known hosted MCP endpoint, else null (self-hosted or unknown). */
  vendor: string | null;
  firstSeen: number;
  lastSeen: number;
  /** Distinct users (at most maxPeople, sorted); userCount counts them all up to maxTracked. */
  users: string[];
  userCount: number;
  devices: string[];
  requests: number;
  /** Records classified MCP. */
  mcpRequests: number;
  /** Counts by MCP method ("http:GET" etc. when a record showed no method). */
  methods: Record<string, number>;
  /** Tool names seen in `tools/call` bodies (generic logs with body prefixes), with counts (bounded). */
  tools: Record<string, number>;
  /** Requests per UTC day and user ("" when the log named none), for charts (bounded). */
  daily: { day: string; user: string; requests: number }[];
  totalScore: number;
  /** 0…1 from the heaviest evidence of each kind over all its records (detect.ts, confidenceOf). */
  confidence: number;
  /** "finding" at MCP_THRESHOLD and above; "candidate": some protocol evidence, not enough (kept, shown on request). */
  status: "finding" | "candidate";
  /** Distinct evidence kinds with one sample each (bounded). */
  evidence: { kind: Evidence["kind"]; sentence: string; weight: number; count: number; sample: TrafficRecord }[];
}

export interface GroupOptions {
  /** Bound on users/devices listed per server (default 200). */
  maxPeople?: number;
  /** Bound on distinct users counted (and kept per day) per server (default 5,000). */
  maxTracked?: number;
}

const MAX_TOOLS = 100;
/** Evidence kinds kept per server (and per shadow finding), one entry each. */
export const MAX_EVIDENCE = 16;
const TOOL_NAME = /"name"\s*:\s*"([^"\\]{1,128})"/;

/** The tool a `tools/call` body prefix names (the first "name" after "params"), if readable. */
function toolNameOf(body: string): string | null {
  const at = body.indexOf('"params"');
  if (at < 0) return null;
  const m = TOOL_NAME.exec(body.slice(at, at + 400));
  return m === null ? null : m[1]!;
}

/** One (origin, path) group before SSE paths are known; merged into servers by `finish`. */
interface Partial {
  origin: string;
  host: string;
  /** Canonical URL without the legacy SSE remapping. */
  url: string;
  path: string;
  /** A legacy `/messages` POST: belongs to the origin's closest SSE stream path once known. */
  messages: boolean;
  /** Only MCP when its origin shows both halves of the legacy HTTP+SSE transport. */
  needsPair: boolean;
  /** Records with legacy-transport evidence (they gain the pairing evidence when paired). */
  legacy: number;
  legacySample: TrafficRecord | null;
  firstSeen: number;
  lastSeen: number;
  requests: number;
  methods: Map<string, number>;
  tools: Map<string, number>;
  users: Map<string, number>;
  /** day → user → requests */
  daily: Map<string, Map<string, number>>;
  devices: Set<string>;
  score: number;
  evidence: ServerSummary["evidence"];
}

const DAY_MS = 86_400_000;
const PAIR_WEIGHT = { kind: "legacy-sse-pair", weight: 0.5 };
/** Methods that say nothing about a session on their own. */
const NOT_SEQUENCE = /:result$|^http:|^ping$|^notifications\/(?:cancelled|progress)$/;

/**
 * Streams classified traffic into MCP servers in bounded memory: state grows with the number of
 * MCP endpoints (and their users), never with the number of lines. The legacy HTTP+SSE pattern
 * needs both halves of an origin, which may be far apart in a log (or in different upload chunks):
 * records that are MCP only when paired wait in their own group until `finish`.
 */
export class ServerAggregator {
  private readonly partials = new Map<string, Partial>();
  private readonly ssePaths = new Map<string, string[]>();
  private readonly sseOrigins = new Set<string>();
  private readonly msgOrigins = new Set<string>();
  private readonly maxPeople: number;
  private readonly maxTracked: number;

  constructor(opts: GroupOptions = {}) {
    this.maxPeople = opts.maxPeople ?? 200;
    this.maxTracked = opts.maxTracked ?? 5_000;
  }

  push(r: TrafficRecord): Classification {
    const result = classifyRecord(r);
    if (result.evidence.length === 0 || !hasProtocolEvidence(result)) return result;
    let isSse = false;
    let isMsg = false;
    for (const e of result.evidence) {
      if (e.kind === "legacy-sse-stream") isSse = true;
      else if (e.kind === "legacy-sse-messages") isMsg = true;
    }
    const origin = recordOrigin(r);
    if (isSse) {
      this.sseOrigins.add(origin);
      if (isLegacySseStream(r)) {
        const p = normalizePath(r.path);
        const list = this.ssePaths.get(origin);
        if (list === undefined) this.ssePaths.set(origin, [p]);
        else if (!list.includes(p)) list.push(p);
      }
    } else if (isMsg) this.msgOrigins.add(origin);
    // Records whose only protocol evidence is half of the legacy HTTP+SSE pattern count once their origin shows both halves.
    const needsPair = (isSse || isMsg) && !result.mcp && !result.evidence.some((e) => e.strong && e.weight > 0 && !e.kind.startsWith("legacy-sse"));
    const messages = isLegacySseMessagesPost(r);
    const url = canonicalServerUrl(r);
    const key = `${url}\u0000${messages ? "m" : ""}${needsPair ? "p" : ""}`;
    let g = this.partials.get(key);
    if (g === undefined) {
      g = {
        origin,
        host: r.host,
        url,
        path: url.slice(origin.length),
        messages,
        needsPair,
        legacy: 0,
        legacySample: null,
        firstSeen: Number.POSITIVE_INFINITY,
        lastSeen: Number.NEGATIVE_INFINITY,
        requests: 0,
        methods: new Map(),
        tools: new Map(),
        users: new Map(),
        daily: new Map(),
        devices: new Set(),
        score: 0,
        evidence: [],
      };
      this.partials.set(key, g);
    }
    g.requests++;
    if (isSse || isMsg) {
      g.legacy++;
      g.legacySample ??= r;
    }
    if (!Number.isNaN(r.time)) {
      if (r.time < g.firstSeen) g.firstSeen = r.time;
      if (r.time > g.lastSeen) g.lastSeen = r.time;
    }
    if (r.user !== "" && (g.users.has(r.user) || g.users.size < this.maxTracked)) g.users.set(r.user, (g.users.get(r.user) ?? 0) + 1);
    if (r.device !== "" && g.devices.size < this.maxPeople) g.devices.add(r.device);
    if (!Number.isNaN(r.time) && (r.user === "" || g.users.has(r.user))) {
      const day = this.dayOf(r.time);
      let d = g.daily.get(day);
      if (d === undefined) g.daily.set(day, (d = new Map()));
      d.set(r.user, (d.get(r.user) ?? 0) + 1);
    }
    if (result.methods.length === 0) bump(g.methods, `http:${r.method || "?"}`, 1);
    else
      for (const m of result.methods) {
        bump(g.methods, m, 1);
        if (m === "tools/call" && r.bodyPrefix !== "") {
          const tool = toolNameOf(r.bodyPrefix);
          if (tool !== null && (g.tools.has(tool) || g.tools.size < MAX_TOOLS)) bump(g.tools, tool, 1);
        }
      }
    g.score += needsPair ? confidenceOf([...result.evidence, PAIR_WEIGHT]) : result.confidence;
    mergeEvidence(g.evidence, result.evidence, r, 1);
    return result;
  }

  private lastDay = Number.NaN;
  private lastDayText = "";

  /** `YYYY-MM-DD` (UTC) of a time; logs are mostly in order, so the last answer is kept. */
  private dayOf(time: number): string {
    const day = Math.floor(time / DAY_MS);
    if (day !== this.lastDay) {
      this.lastDay = day;
      this.lastDayText = new Date(day * DAY_MS).toISOString().slice(0, 10);
    }
    return this.lastDayText;
  }

  /** The servers seen so far (the aggregator stays usable; call again after more records). */
  finish(): ServerSummary[] {
    const byUrl = new Map<string, Partial & { userAll: Map<string, number> }>();
    for (const g of this.partials.values()) {
      const paired = this.sseOrigins.has(g.origin) && this.msgOrigins.has(g.origin);
      if (g.needsPair && !paired) continue;
      const sse = this.ssePaths.get(g.origin);
      const url = g.messages && sse !== undefined && sse.length > 0 ? g.origin + closestSsePath(g.path, sse) : g.url;
      let s = byUrl.get(url);
      if (s === undefined) {
        // The path is the merged server's (a /messages group remapped to its SSE URL must not lend
        // its own path: the vendor lookup below reads it), whichever group came first.
        s = { ...g, url, path: url.slice(g.origin.length), methods: new Map(), tools: new Map(), users: new Map(), daily: new Map(), devices: new Set(), evidence: [], requests: 0, score: 0, legacy: 0, userAll: new Map() };
        s.firstSeen = Number.POSITIVE_INFINITY;
        s.lastSeen = Number.NEGATIVE_INFINITY;
        byUrl.set(url, s);
      }
      s.requests += g.requests;
      s.score += g.score;
      s.firstSeen = Math.min(s.firstSeen, g.firstSeen);
      s.lastSeen = Math.max(s.lastSeen, g.lastSeen);
      for (const [k, v] of g.methods) bump(s.methods, k, v);
      for (const [k, v] of g.tools) if (s.tools.has(k) || s.tools.size < MAX_TOOLS) bump(s.tools, k, v);
      for (const [k, v] of g.users) if (s.users.has(k) || s.users.size < this.maxTracked) bump(s.users, k, v);
      for (const [day, m] of g.daily) {
        let d = s.daily.get(day);
        if (d === undefined) s.daily.set(day, (d = new Map()));
        for (const [u, n] of m) bump(d, u, n);
      }
      for (const d of g.devices) if (s.devices.size < this.maxPeople) s.devices.add(d);
      for (const e of g.evidence) mergeEvidence(s.evidence, [e], e.sample, e.count);
      if (paired && g.legacy > 0) {
        const pair: Evidence = {
          kind: "legacy-sse-pair",
          weight: 0.5,
          strong: true,
          sentence: `The same origin ${g.origin} served an event stream on …/sse and received POSTs to /messages?sessionId=…: MCP's legacy HTTP+SSE transport.`,
        };
        mergeEvidence(s.evidence, [pair], g.legacySample!, g.legacy);
      }
    }
    const out: ServerSummary[] = [];
    for (const s of byUrl.values()) {
      const users = [...s.users.keys()].sort();
      const daily: ServerSummary["daily"] = [];
      for (const [day, m] of [...s.daily].sort((a, b) => (a[0] < b[0] ? -1 : 1))) for (const [user, requests] of m) daily.push({ day, user, requests });
      const seq = methodSequenceEvidence(s.methods.keys(), s.requests);
      if (seq !== null) mergeEvidence(s.evidence, [seq], s.evidence[0]!.sample, 1);
      const evidence = [...s.evidence].sort((a, b) => b.weight - a.weight);
      const confidence = confidenceOf(evidence);
      const finite = s.firstSeen !== Number.POSITIVE_INFINITY;
      out.push({
        url: s.url,
        origin: s.origin,
        host: s.host,
        vendor: knownVendorEndpoint(s.host, s.path)?.vendor ?? null,
        firstSeen: finite ? s.firstSeen : Number.NaN,
        lastSeen: finite ? s.lastSeen : Number.NaN,
        users: users.slice(0, this.maxPeople),
        userCount: users.length,
        devices: [...s.devices].sort(),
        requests: s.requests,
        mcpRequests: s.requests,
        methods: Object.fromEntries(s.methods),
        tools: Object.fromEntries(s.tools),
        daily,
        totalScore: Math.round(s.score * 1000) / 1000,
        confidence,
        status: confidence >= MCP_THRESHOLD ? "finding" : "candidate",
        evidence,
      });
    }
    out.sort((a, b) => (a.status === b.status ? 0 : a.status === "finding" ? -1 : 1) || b.totalScore - a.totalScore || (a.url < b.url ? -1 : 1));
    return out;
  }
}

/**
 * Per server: initialize, then tools/list, then tools/call, each its own request, is a conversation,
 * not one document that mentions them (several MCP messages in one body are dropped as data before
 * they get here). Null when the methods seen say nothing of a session.
 */
export function methodSequenceEvidence(methods: Iterable<string>, requests: number): Evidence | null {
  const distinct = [...methods].filter((m) => !NOT_SEQUENCE.test(m));
  if (distinct.length < 2 || requests < 2) return null;
  return { kind: "method-sequence", weight: 0.5, strong: true, sentence: `${distinct.length} distinct MCP methods in separate requests (${distinct.slice(0, 4).join(", ")}${distinct.length > 4 ? ", …" : ""}): an MCP session.` };
}

function bump(m: Map<string, number>, k: string, n: number): void {
  m.set(k, (m.get(k) ?? 0) + n);
}

/**
 * Adds `count` sightings of each piece of evidence, seen in `sample`, to a list that keeps one entry
 * per kind: counts add up, the heaviest sighting's sentence and sample stay (a sample another kind
 * already shows gives way to an unused record of equal weight), and at most MAX_EVIDENCE kinds are kept. Serves the aggregator here and the findings in the database.
 */
export function mergeEvidence<Kind extends string, Sample>(
  into: { kind: Kind; sentence: string; weight: number; count: number; sample: Sample }[],
  evidence: readonly { kind: Kind; sentence: string; weight: number }[],
  sample: Sample,
  count: number,
): void {
  for (const e of evidence) {
    const have = into.find((x) => x.kind === e.kind);
    if (have !== undefined) {
      have.count += count;
      if (e.weight > have.weight) Object.assign(have, { sentence: e.sentence, weight: e.weight, sample });
      // One record usually carries several kinds (method, header, content type): show another record
      // where one is at hand, rather than the same one under every kind.
      else if (e.weight === have.weight && sample !== have.sample && !into.some((x) => x.sample === sample) && into.some((x) => x !== have && x.sample === have.sample)) have.sample = sample;
    } else if (into.length < MAX_EVIDENCE) into.push({ kind: e.kind, sentence: e.sentence, weight: e.weight, count, sample });
  }
}

/** Groups records into MCP servers (one aggregator over the whole list). */
export function groupServers(records: Iterable<TrafficRecord>, opts: GroupOptions = {}): ServerSummary[] {
  const agg = new ServerAggregator(opts);
  for (const r of records) agg.push(r);
  return agg.finish();
}

export interface ShadowContext {
  /** Registry URLs of approved servers: same origin (incl. port) and path prefix. */
  approvedUrls: readonly string[];
  /** The portal's own origins (any path). */
  portalOrigins: readonly string[];
}

interface ParsedUrl {
  origin: string;
  path: string;
}

function parseUrl(u: string): ParsedUrl | null {
  try {
    const x = new URL(u);
    // URL.origin already drops default ports and lower-cases the host.
    return { origin: x.origin, path: normalizePath(x.pathname) };
  } catch {
    return null;
  }
}

/**
 * Whether traffic to serverUrl is shadow MCP. The full origin (scheme, host, port) must match:
 * a server on another port of an approved host is a different server.
 */
export function isShadow(serverUrl: string, ctx: ShadowContext): boolean {
  const s = parseUrl(serverUrl);
  if (s === null) return true;
  for (const p of ctx.portalOrigins) {
    const o = parseUrl(p);
    if (o !== null && o.origin === s.origin) return false;
  }
  for (const a of ctx.approvedUrls) {
    const o = parseUrl(a);
    if (o === null || o.origin !== s.origin) continue;
    if (o.path === "" || s.path === o.path || s.path.startsWith(o.path + "/")) return false;
  }
  return true;
}
