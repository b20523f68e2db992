/**
 * Findings in the database: merging what a traffic upload or a laptop scan saw into one finding per
 * server, bounded lists, recomputed severity, and a timeline row for each sighting.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import { servers, shadowFindingEvents, shadowFindings, shadowSightings, type FindingEvidence, type ShadowFinding } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { actorLabel, type Actor } from "@/lib/auth/actor";
import { portalPublicUrl, portalUrls } from "@/lib/config/edge-keys";
import { redactUrl } from "@core/net/redact-url";
import { storableText } from "@core/text/storable";
import type { TrafficRecord } from "@core/shadow/records";
import { confidenceOf, MCP_THRESHOLD } from "@core/shadow/detect";
import { assessSeverity } from "@core/shadow/severity";
import { isShadow, MAX_EVIDENCE, mergeEvidence, methodSequenceEvidence, type ServerSummary, type ShadowContext } from "@core/shadow/servers";

export const MAX_LISTED_PEOPLE = 200;
const MAX_TOOLS = 100;
const MAX_NAMES = 20;
const MAX_BODY_SAMPLE = 512;

/** Approved registry URLs (as registered and as discovered) and the portal's own origins. */
export async function shadowContext(db: Queryable, env: Record<string, string | undefined> = process.env): Promise<ShadowContext> {
  const rows = await db.select({ url: servers.url, endpointUrl: servers.endpointUrl }).from(servers).where(eq(servers.status, "approved"));
  return {
    approvedUrls: rows.flatMap((r) => [r.url, r.endpointUrl]),
    portalOrigins: [portalPublicUrl(env), ...portalUrls(env)],
  };
}

/** A sample record as stored with a finding: query values and secret-looking path parts redacted, body clipped. */
export function sampleOf(r: TrafficRecord): Record<string, unknown> {
  const port = r.port === 0 ? "" : `:${r.port}`;
  const url = redactUrl(`${r.scheme}://${r.host}${port}${r.path}${r.query ? `?${r.query}` : ""}`).value;
  const out: Record<string, unknown> = { format: r.format, method: r.method, url };
  if (!Number.isNaN(r.time)) out.time = new Date(r.time).toISOString();
  if (r.user) out.user = r.user;
  if (r.device) out.device = r.device;
  if (r.status) out.status = r.status;
  if (r.mcpProtocolVersion) out.mcpProtocolVersion = r.mcpProtocolVersion;
  if (r.mcpSessionId) out.mcpSessionId = `${r.mcpSessionId.slice(0, 8)}…`;
  if (r.responseContentType) out.responseContentType = r.responseContentType;
  if (r.userAgent) out.userAgent = r.userAgent.slice(0, 200);
  if (r.bodyPrefix) out.bodyPrefix = r.bodyPrefix.length > MAX_BODY_SAMPLE ? `${r.bodyPrefix.slice(0, MAX_BODY_SAMPLE)}…` : r.bodyPrefix;
  if (r.uploadDlpEntries.length) out.uploadDlpEntries = r.uploadDlpEntries;
  if (r.downloadDlpEntries.length) out.downloadDlpEntries = r.downloadDlpEntries;
  return out;
}

function mergeCounts(a: Record<string, number>, b: Record<string, number>, cap = Number.POSITIVE_INFINITY): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) if (k in out || Object.keys(out).length < cap) out[k] = (out[k] ?? 0) + v;
  return out;
}

function unionCapped(a: readonly string[], b: readonly string[], cap: number): string[] {
  const set = new Set(a);
  for (const x of b) {
    if (set.size >= cap) break;
    set.add(x);
  }
  return [...set].sort();
}

function mergedEvidence(a: readonly FindingEvidence[], b: readonly FindingEvidence[]): FindingEvidence[] {
  const out = a.map((e) => ({ ...e }));
  for (const e of b) mergeEvidence(out, [e], e.sample, e.count);
  return out.sort((x, y) => y.weight - x.weight);
}

/** What one upload or scan contributes to a finding. */
export interface Sighting {
  key: string;
  kind: "remote" | "stdio";
  url: string | null;
  origin: string | null;
  host: string | null;
  command: string | null;
  names: string[];
  vendor: string | null;
  firstSeen: Date;
  lastSeen: Date;
  requests: number;
  methods: Record<string, number>;
  tools: Record<string, number>;
  users: string[];
  userCount: number;
  devices: string[];
  clients: Record<string, string[]>;
  evidence: FindingEvidence[];
  /** The detector's confidence (traffic); null for laptop scans, whose config names the server as MCP. */
  confidence: number | null;
  daily: { day: string; user: string; requests: number }[];
  source: "traffic" | "scan";
}

/**
 * Traffic logs are anyone's text: a NUL or an unpaired surrogate (a JSON escape such as `\ud800`
 * parses into one) cannot be stored in text or jsonb, so it is stored as U+FFFD instead of failing
 * the whole upload or batch.
 */
function storable<T>(value: T): T {
  if (typeof value === "string") return storableText(value) as T;
  if (Array.isArray(value)) return value.map(storable) as T;
  if (value === null || typeof value !== "object" || value instanceof Date) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storable(v)])) as T;
}

export function sightingFromSummary(s: ServerSummary, fallbackTime: Date): Sighting {
  const first = Number.isNaN(s.firstSeen) ? fallbackTime : new Date(s.firstSeen);
  const last = Number.isNaN(s.lastSeen) ? fallbackTime : new Date(s.lastSeen);
  return storable({
    key: s.url,
    kind: "remote",
    url: s.url,
    origin: s.origin,
    host: s.host,
    command: null,
    names: [],
    vendor: s.vendor,
    firstSeen: first,
    lastSeen: last,
    requests: s.requests,
    methods: s.methods,
    tools: s.tools,
    users: s.users,
    userCount: s.userCount,
    devices: s.devices,
    clients: {},
    evidence: s.evidence.map((e) => ({ kind: e.kind, sentence: e.sentence, weight: e.weight, count: e.count, sample: sampleOf(e.sample) })),
    confidence: s.confidence,
    daily: s.daily,
    source: "traffic",
  } satisfies Sighting);
}

/**
 * The servers of one aggregate, sorted for storing: the MCP servers (findings' evidence), of those the
 * shadow ones and the approved ones (or the portal itself), and the shadow candidates (evidence below
 * the threshold, stored for review, never counted as findings).
 */
export function splitServers(servers: readonly ServerSummary[], context: ShadowContext) {
  const found = servers.filter((s) => s.status === "finding");
  const shadow = found.filter((s) => isShadow(s.url, context));
  const candidates = servers.filter((s) => s.status === "candidate" && isShadow(s.url, context));
  return {
    found,
    shadow,
    candidates,
    approved: found.filter((s) => !shadow.includes(s)).map((s) => s.url),
    mcpRecords: found.reduce((n, s) => n + s.requests, 0),
    sightings: (now: Date) => [...shadow, ...candidates].map((s) => sightingFromSummary(s, now)),
  };
}

function severityOf(f: Pick<ShadowFinding, "kind" | "url" | "vendor" | "command" | "methods" | "tools" | "userCount" | "devices">) {
  return assessSeverity({ kind: f.kind, url: f.url, vendor: f.vendor, command: f.command, methods: f.methods, tools: f.tools, userCount: f.userCount, deviceCount: f.devices.length });
}

/** A traffic sighting below the detector's threshold is a candidate; a laptop scan names an MCP server outright. */
function isCandidate(confidence: number | null): boolean {
  return confidence !== null && confidence < MCP_THRESHOLD;
}

/**
 * Merges sightings into findings (call inside the upload's or scan's transaction). A finding that
 * was resolved keeps its resolution: a blocked server seen again stays blocked, and the sighting
 * goes on its timeline. A candidate becomes a finding once the evidence of all its sightings
 * together reaches the threshold (or a laptop scan reports it); a finding never goes back.
 */
export async function mergeSightings(tx: Queryable, actor: Actor, sightings: readonly Sighting[], context: Record<string, unknown>): Promise<{ id: string; key: string; created: boolean; candidate: boolean }[]> {
  if (sightings.length === 0) return [];
  const existing = await tx.select().from(shadowFindings).where(inArray(shadowFindings.key, sightings.map((s) => s.key))).for("update");
  const byKey = new Map(existing.map((f) => [f.key, f]));
  const out: { id: string; key: string; created: boolean; candidate: boolean }[] = [];
  const label = actorLabel(actor);
  for (const s of sightings) {
    const have = byKey.get(s.key);
    const traffic = s.source === "traffic" ? 1 : 0;
    let id: string;
    if (!have) {
      const base = {
        key: s.key,
        kind: s.kind,
        url: s.url,
        origin: s.origin,
        host: s.host,
        command: s.command,
        names: s.names.slice(0, MAX_NAMES),
        vendor: s.vendor,
        firstSeen: s.firstSeen,
        lastSeen: s.lastSeen,
        requests: s.requests,
        methods: s.methods,
        tools: s.tools,
        users: s.users.slice(0, MAX_LISTED_PEOPLE),
        userCount: s.userCount,
        devices: s.devices.slice(0, MAX_LISTED_PEOPLE),
        clients: s.clients,
        evidence: s.evidence.slice(0, MAX_EVIDENCE),
        confidence: s.confidence,
        candidate: isCandidate(s.confidence),
        seenInTraffic: traffic,
        seenInScans: 1 - traffic,
      };
      const sev = severityOf(base);
      const [row] = await tx.insert(shadowFindings).values({ ...base, severity: sev.severity, severityReasons: sev.reasons, score: sev.score }).returning({ id: shadowFindings.id });
      id = row!.id;
      await tx.insert(shadowFindingEvents).values({ findingId: id, kind: base.candidate ? "candidate" : "detected", actorId: actor.userId, actorLabel: label, details: { ...context, requests: s.requests, users: s.userCount, confidence: s.confidence } });
      out.push({ id, key: s.key, created: true, candidate: base.candidate });
    } else {
      id = have.id;
      const users = unionCapped(have.users, s.users, MAX_LISTED_PEOPLE);
      const methods = mergeCounts(have.methods, s.methods);
      const evidence = mergedEvidence(have.evidence, s.evidence);
      // Methods seen by different uploads make a session too (one upload may hold only tools/list, the next tools/call).
      const seq = s.source === "traffic" && evidence.length > 0 ? methodSequenceEvidence(Object.keys(methods), have.requests + s.requests) : null;
      if (seq !== null && !evidence.some((e) => e.kind === seq.kind)) mergeEvidence(evidence, [seq], evidence[0]!.sample, 1);
      // Evidence of every upload together: the heaviest sighting of each kind (as within one upload).
      const confidence = s.confidence === null && have.confidence === null ? null : Math.max(have.confidence ?? 0, s.confidence ?? 0, s.confidence === null ? 0 : confidenceOf(evidence));
      const candidate = have.candidate && s.source === "traffic" && isCandidate(confidence);
      const merged = {
        names: unionCapped(have.names, s.names, MAX_NAMES),
        vendor: have.vendor ?? s.vendor,
        firstSeen: s.firstSeen < have.firstSeen ? s.firstSeen : have.firstSeen,
        lastSeen: s.lastSeen > have.lastSeen ? s.lastSeen : have.lastSeen,
        requests: have.requests + s.requests,
        methods,
        tools: mergeCounts(have.tools, s.tools, MAX_TOOLS),
        users,
        // Exact while the lists are under their bound; beyond it a lower bound.
        userCount: Math.max(users.length, have.userCount, s.userCount),
        devices: unionCapped(have.devices, s.devices, MAX_LISTED_PEOPLE),
        clients: Object.fromEntries(
          [...new Set([...Object.keys(have.clients), ...Object.keys(s.clients)])].map((c) => [c, unionCapped(have.clients[c] ?? [], s.clients[c] ?? [], 20)]),
        ),
        evidence,
        confidence,
        candidate,
        seenInTraffic: have.seenInTraffic + traffic,
        seenInScans: have.seenInScans + 1 - traffic,
      };
      const sev = severityOf({ ...have, ...merged });
      await tx
        .update(shadowFindings)
        .set({ ...merged, severity: sev.severity, severityReasons: sev.reasons, score: sev.score, updatedAt: new Date() })
        .where(eq(shadowFindings.id, id));
      const promoted = have.candidate && !candidate;
      await tx.insert(shadowFindingEvents).values({ findingId: id, kind: promoted ? "detected" : "seen", actorId: actor.userId, actorLabel: label, details: { ...context, requests: s.requests, users: s.userCount, confidence, ...(promoted ? { wasCandidate: true } : {}) } });
      out.push({ id, key: s.key, created: promoted, candidate });
    }
    if (s.daily.length > 0) {
      for (let i = 0; i < s.daily.length; i += 500) {
        const chunk = s.daily.slice(i, i + 500).map((d) => ({ findingId: id, day: d.day, user: d.user, requests: d.requests }));
        await tx
          .insert(shadowSightings)
          .values(chunk)
          .onConflictDoUpdate({ target: [shadowSightings.findingId, shadowSightings.day, shadowSightings.user], set: { requests: sql`${shadowSightings.requests} + excluded.requests` } });
      }
    }
  }
  return out;
}

/** Findings by id, for callers that just wrote them. */
export async function findingsByIds(db: Queryable, ids: readonly string[]): Promise<ShadowFinding[]> {
  if (ids.length === 0) return [];
  return db.select().from(shadowFindings).where(and(inArray(shadowFindings.id, [...ids])));
}
