/**
 * The access decision, shared by the console (simulator, previews) and the portal Worker (every
 * request), so both decide alike. Pure: no I/O, and no clock unless the request carries one. Default
 * deny, deny wins ties, conditions fail closed; the rules in full: docs/policy.md.
 */
import { cidrContains, parseCidr, parseIp, type Cidr } from "@core/net/cidr";
import { subjectLabel } from "./subject";

export type PolicySubjectSpec =
  | { type: "everyone" }
  | { type: "user"; userId: string }
  | { type: "team"; teamId: string }
  | { type: "group"; group: string }
  | { type: "emailDomain"; domain: string }
  | { type: "token"; tokenId: string };

export interface PolicyConditions {
  /** UTC. `days`: 0 = Sunday … 6 = Saturday (all days when absent); `start`/`end` "HH:MM", end exclusive; start > end wraps past midnight. */
  timeWindow?: { days?: readonly number[]; start: string; end: string };
  /** The client's IP must be in one of these. */
  clientCidrs?: readonly string[];
}

export interface PolicyRuleSpec {
  id: string;
  effect: "allow" | "deny";
  subject: PolicySubjectSpec;
  resource: { serverSlug: string; tool: string };
  priority: number;
  conditions?: PolicyConditions;
}

export interface PolicyPrincipal {
  userId: string;
  teamIds: readonly string[];
  /** IdP group names (case-sensitive, as the IdP sends them). */
  groups?: readonly string[];
  email?: string | null;
  /**
   * Whether the identity provider (or an administrator) vouched for the e-mail address. Subjects
   * that name a person by address — `user:` and `domain:` — match only a verified one, so nobody
   * gets another person's or another company's rules by typing an address their IdP did not check.
   */
  emailVerified: boolean;
  /** The API token used, if any. */
  tokenId?: string | null;
}

export interface PolicyRequest {
  serverSlug: string;
  /** The upstream tool name, or null for a server-level request (prompts, resources, completion). */
  tool: string | null;
  /** When the request happens (for time windows). */
  at?: Date;
  clientIp?: string | null;
}

export interface PolicyDecision {
  effect: "allow" | "deny";
  /** The deciding rule, or null when nothing matched (default deny). */
  ruleId: string | null;
  reason: string;
}

interface CompiledRule {
  rule: PolicyRuleSpec;
  /** Position in the global order: priority desc, deny first, id asc. Lower decides first. */
  rank: number;
  tool: RegExp | null;
  cidrs: Cidr[] | null;
  window: { days: Set<number> | null; start: number; end: number } | null;
}

/**
 * Rules indexed by server (exact slug, and `*`) and by subject key, each list in decision order.
 * A decision looks only at the lists for the request's server and the principal's subject keys, and
 * merges them in order until the first rule that matches — so thousands of rules for other servers
 * or other people cost nothing.
 */
export interface CompiledPolicy {
  size: number;
  buckets: Map<string, Map<string, CompiledRule[]>>;
}

/** `*` any run of characters, `?` one character; everything else literal. `*` alone → matches all (null). */
export function globToRegExp(glob: string): RegExp | null {
  if (glob === "*") return null;
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "s");
}

function minutes(hhmm: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (!m) throw new TypeError(`time must be HH:MM (UTC), got ${JSON.stringify(hhmm)}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

function subjectKey(subject: PolicySubjectSpec): string {
  switch (subject.type) {
    case "everyone":
      return "everyone";
    case "user":
      return `user:${subject.userId}`;
    case "team":
      return `team:${subject.teamId}`;
    case "group":
      return `group:${subject.group}`;
    case "emailDomain":
      return `domain:${subject.domain.toLowerCase()}`;
    case "token":
      return `token:${subject.tokenId}`;
  }
}

/** The subject keys a principal answers to. */
function principalKeys(who: PolicyPrincipal): string[] {
  const keys = ["everyone"];
  if (who.emailVerified) keys.push(`user:${who.userId}`);
  for (const t of who.teamIds) keys.push(`team:${t}`);
  for (const g of who.groups ?? []) keys.push(`group:${g}`);
  const at = who.email?.lastIndexOf("@") ?? -1;
  if (who.emailVerified && who.email && at > 0) keys.push(`domain:${who.email.slice(at + 1).toLowerCase()}`);
  if (who.tokenId) keys.push(`token:${who.tokenId}`);
  return keys;
}

/** Throws a TypeError naming the rule when a condition is malformed (the console validates before it gets here). */
export function compilePolicy(rules: readonly PolicyRuleSpec[]): CompiledPolicy {
  const ordered = [...rules].sort((a, b) => b.priority - a.priority || (a.effect === b.effect ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.effect === "deny" ? -1 : 1));
  const buckets = new Map<string, Map<string, CompiledRule[]>>();
  ordered.forEach((rule, rank) => {
    let cidrs: Cidr[] | null = null;
    let window: CompiledRule["window"] = null;
    const c = rule.conditions;
    if (c?.clientCidrs) {
      cidrs = c.clientCidrs.map((text) => {
        const cidr = parseCidr(text);
        if (!cidr) throw new TypeError(`rule ${rule.id}: not a CIDR: ${JSON.stringify(text)}`);
        return cidr;
      });
    }
    if (c?.timeWindow) window = { days: c.timeWindow.days ? new Set(c.timeWindow.days) : null, start: minutes(c.timeWindow.start), end: minutes(c.timeWindow.end) };
    const compiled: CompiledRule = { rule, rank, tool: globToRegExp(rule.resource.tool), cidrs, window };
    let bySubject = buckets.get(rule.resource.serverSlug);
    if (!bySubject) buckets.set(rule.resource.serverSlug, (bySubject = new Map()));
    const key = subjectKey(rule.subject);
    const list = bySubject.get(key);
    if (list) list.push(compiled);
    else bySubject.set(key, [compiled]);
  });
  return { size: rules.length, buckets };
}

function conditionsHold(entry: CompiledRule, request: PolicyRequest): boolean {
  // Unknown facts fail closed: an allow needs them proven, a deny applies without them.
  const unknown = entry.rule.effect === "deny";
  if (entry.cidrs) {
    const ip = request.clientIp ? parseIp(request.clientIp) : null;
    if (!ip) {
      if (!unknown) return false;
    } else if (!entry.cidrs.some((c) => cidrContains(c, ip))) return false;
  }
  if (entry.window) {
    if (!request.at) {
      if (!unknown) return false;
    } else {
      const { days, start, end } = entry.window;
      const day = request.at.getUTCDay();
      const now = request.at.getUTCHours() * 60 + request.at.getUTCMinutes();
      const inside = start <= end ? now >= start && now < end : now >= start || now < end;
      // A window that wraps past midnight belongs to the day it started on.
      const windowDay = start > end && now < end ? (day + 6) % 7 : day;
      if (!inside || (days && !days.has(windowDay))) return false;
    }
  }
  return true;
}

function resourceMatches(entry: CompiledRule, request: PolicyRequest): boolean {
  if (request.tool === null) return entry.tool === null;
  return entry.tool === null || entry.tool.test(request.tool);
}

export function decide(policy: CompiledPolicy, who: PolicyPrincipal, request: PolicyRequest): PolicyDecision {
  const lists: CompiledRule[][] = [];
  const keys = principalKeys(who);
  for (const slug of [request.serverSlug, "*"]) {
    const bySubject = policy.buckets.get(slug);
    if (!bySubject) continue;
    for (const key of keys) {
      const list = bySubject.get(key);
      if (list) lists.push(list);
    }
  }
  // Merge the few candidate lists in global order; the first rule that matches decides.
  const heads = lists.map(() => 0);
  for (;;) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      const entry = lists[i]![heads[i]!];
      if (entry && (best < 0 || entry.rank < lists[best]![heads[best]!]!.rank)) best = i;
    }
    if (best < 0) break;
    const entry = lists[best]![heads[best]!]!;
    heads[best]! += 1;
    if (!resourceMatches(entry, request) || !conditionsHold(entry, request)) continue;
    const { rule } = entry;
    return { effect: rule.effect, ruleId: rule.id, reason: `${rule.effect === "allow" ? "allowed" : "denied"} by rule ${describeRule(rule)}` };
  }
  return { effect: "deny", ruleId: null, reason: "no rule allows this (default deny)" };
}

/** "3f2a1b4c (everyone → github/*, priority 100)": enough to find the rule and see what it says. */
export function describeRule(rule: PolicyRuleSpec): string {
  const who = subjectLabel(rule.subject);
  const when = [rule.conditions?.timeWindow ? `${rule.conditions.timeWindow.start}–${rule.conditions.timeWindow.end} UTC` : null, rule.conditions?.clientCidrs ? `from ${rule.conditions.clientCidrs.join(", ")}` : null].filter(Boolean);
  return `${rule.id.slice(0, 8)} (${who} → ${rule.resource.serverSlug}/${rule.resource.tool}${when.length ? `, ${when.join(", ")}` : ""}, priority ${rule.priority})`;
}
