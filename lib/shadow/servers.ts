/**
 * Groups classified records into MCP servers by canonical base URL, and tells shadow servers
 * from approved ones. Pure.
 */
import { type ClassifiedRecord, type Evidence, isLegacySseStream, isLegacySseMessagesPost } from "./detect";
import { recordOrigin, type TrafficRecord } from "./records";

const OAUTH_PR = "/.well-known/oauth-protected-resource";

/** Normalizes a path: collapses repeated slashes, drops a trailing slash ("/" stays ""). */
export function normalizePath(path: string): string {
  let p = path.includes("//") ? path.replace(/\/{2,}/g, "/") : path;
  while (p.length > 0 && p.charCodeAt(p.length - 1) === 47) p = p.slice(0, -1);
  return p;
}

export interface CanonicalContext {
  /** origin → SSE stream paths seen there (normalized). */
  ssePathsByOrigin?: ReadonlyMap<string, readonly string[]>;
}

/**
 * The server a record belongs to: `scheme://host[:port]/path` with the query and trailing slash
 * dropped. RFC 9728 discovery of `<path>` belongs to the server at `<path>`; a legacy `/messages`
 * POST belongs to the SSE endpoint of the same origin when one is known (longest shared prefix).
 */
export function canonicalServerUrl(r: TrafficRecord, ctx?: CanonicalContext): string {
  const origin = recordOrigin(r);
  let path = r.path;
  if (path.startsWith(OAUTH_PR) && (path.length === OAUTH_PR.length || path.charCodeAt(OAUTH_PR.length) === 47)) {
    path = path.slice(OAUTH_PR.length);
  }
  path = normalizePath(path);
  const sse = ctx?.ssePathsByOrigin?.get(origin);
  if (sse !== undefined && sse.length > 0 && isLegacySseMessagesPost(r)) path = closestSsePath(path, sse);
  return origin + path;
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
  firstSeen: number;
  lastSeen: number;
  users: string[];
  devices: string[];
  requests: number;
  /** Records classified MCP. */
  mcpRequests: number;
  /** Counts by MCP method ("http:GET" etc. when a record showed no method). */
  methods: Record<string, number>;
  totalScore: number;
  /** Distinct evidence kinds with one sample each (bounded). */
  evidence: { kind: Evidence["kind"]; sentence: string; weight: number; count: number; sample: TrafficRecord }[];
}

export interface GroupOptions {
  /** Also keep servers none of whose records were classified MCP (default false). */
  includeNonMcp?: boolean;
  /** Bound on users/devices listed per server (default 200). */
  maxPeople?: number;
}

/** Origin → SSE stream paths, from records whose stream is MCP evidence. */
export function collectSsePaths(items: readonly ClassifiedRecord[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const { record, result } of items) {
    if (result.evidence.length === 0 || !isLegacySseStream(record)) continue;
    const origin = recordOrigin(record);
    const p = normalizePath(record.path);
    const list = m.get(origin);
    if (list === undefined) m.set(origin, [p]);
    else if (!list.includes(p)) list.push(p);
  }
  return m;
}

/** Groups classified records into servers (two passes: SSE endpoints first, then every record). */
export function groupServers(items: readonly ClassifiedRecord[], opts: GroupOptions = {}): ServerSummary[] {
  const maxPeople = opts.maxPeople ?? 200;
  const ctx: CanonicalContext = { ssePathsByOrigin: collectSsePaths(items) };
  const byUrl = new Map<string, ServerSummary & { userSet: Set<string>; deviceSet: Set<string> }>();
  for (const { record: r, result } of items) {
    if (!result.mcp && !opts.includeNonMcp) continue;
    const url = canonicalServerUrl(r, ctx);
    let s = byUrl.get(url);
    if (s === undefined) {
      s = {
        url,
        origin: recordOrigin(r),
        host: r.host,
        firstSeen: Number.POSITIVE_INFINITY,
        lastSeen: Number.NEGATIVE_INFINITY,
        users: [],
        devices: [],
        requests: 0,
        mcpRequests: 0,
        methods: {},
        totalScore: 0,
        evidence: [],
        userSet: new Set(),
        deviceSet: new Set(),
      };
      byUrl.set(url, s);
    }
    s.requests++;
    if (result.mcp) s.mcpRequests++;
    if (!Number.isNaN(r.time)) {
      if (r.time < s.firstSeen) s.firstSeen = r.time;
      if (r.time > s.lastSeen) s.lastSeen = r.time;
    }
    if (r.user !== "" && s.userSet.size < maxPeople) s.userSet.add(r.user);
    if (r.device !== "" && s.deviceSet.size < maxPeople) s.deviceSet.add(r.device);
    if (result.methods.length === 0) {
      const k = `http:${r.method || "?"}`;
      s.methods[k] = (s.methods[k] ?? 0) + 1;
    } else for (const m of result.methods) s.methods[m] = (s.methods[m] ?? 0) + 1;
    s.totalScore += result.score;
    for (const e of result.evidence) {
      const have = s.evidence.find((x) => x.kind === e.kind);
      if (have !== undefined) {
        have.count++;
        if (e.weight > have.weight) Object.assign(have, { sentence: e.sentence, weight: e.weight, sample: r });
      } else if (s.evidence.length < 16) s.evidence.push({ kind: e.kind, sentence: e.sentence, weight: e.weight, count: 1, sample: r });
    }
  }
  const out: ServerSummary[] = [];
  for (const s of byUrl.values()) {
    const { userSet, deviceSet, ...rest } = s;
    rest.users = [...userSet].sort();
    rest.devices = [...deviceSet].sort();
    rest.totalScore = Math.round(rest.totalScore * 1000) / 1000;
    rest.evidence.sort((a, b) => b.weight - a.weight);
    if (rest.firstSeen === Number.POSITIVE_INFINITY) rest.firstSeen = rest.lastSeen = Number.NaN;
    out.push(rest);
  }
  out.sort((a, b) => b.totalScore - a.totalScore || (a.url < b.url ? -1 : 1));
  return out;
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
