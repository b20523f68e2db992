/**
 * The access decision, shared by the console (simulator, previews) and the portal Worker
 * (every request). Pure: no I/O, no clock unless given.
 *
 * Contract (issue 4; issue 5 extends subjects and conditions):
 * - A request names a server slug and either a tool (its upstream name) or `null` for server-level
 *   requests (prompts, resources, completion): those need a rule whose tool pattern is `*`, because
 *   a rule allowing `read_*` grants those tools, not the whole server.
 * - Rules match by subject (everyone / team / user) and resource (server slug or `*`, tool glob
 *   with `*` and `?`). The highest priority among matching rules decides; at equal priority deny
 *   wins over allow. No matching rule → deny (default deny).
 * - Every decision names the rule that made it (`ruleId`), or `null` for the default deny.
 */
import type { PolicyRule } from "../bundle/schema";

export interface PolicyPrincipal {
  userId: string;
  teamIds: readonly string[];
}

export interface PolicyRequest {
  serverSlug: string;
  /** The upstream tool name, or null for a server-level request (prompts, resources, completion). */
  tool: string | null;
}

export interface PolicyDecision {
  effect: "allow" | "deny";
  /** The deciding rule, or null when nothing matched (default deny). */
  ruleId: string | null;
  reason: string;
}

/** Rules pre-sorted by priority (descending), deny before allow at the same priority. */
export interface CompiledPolicy {
  rules: readonly { rule: PolicyRule; tool: RegExp | null }[];
}

/** `*` any run of characters, `?` one character; everything else literal. `*` alone → matches all (null). */
export function globToRegExp(glob: string): RegExp | null {
  if (glob === "*") return null;
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "s");
}

export function compilePolicy(rules: readonly PolicyRule[]): CompiledPolicy {
  const sorted = [...rules].sort((a, b) => b.priority - a.priority || (a.effect === b.effect ? a.id.localeCompare(b.id) : a.effect === "deny" ? -1 : 1));
  return { rules: sorted.map((rule) => ({ rule, tool: globToRegExp(rule.resource.tool) })) };
}

function subjectMatches(rule: PolicyRule, who: PolicyPrincipal): boolean {
  switch (rule.subject.type) {
    case "everyone":
      return true;
    case "team":
      return who.teamIds.includes(rule.subject.teamId);
    case "user":
      return who.userId === rule.subject.userId;
  }
}

function resourceMatches(entry: CompiledPolicy["rules"][number], request: PolicyRequest): boolean {
  const { serverSlug } = entry.rule.resource;
  if (serverSlug !== "*" && serverSlug !== request.serverSlug) return false;
  // A server-level request is covered only by a whole-server rule.
  if (request.tool === null) return entry.tool === null;
  return entry.tool === null || entry.tool.test(request.tool);
}

export function decide(policy: CompiledPolicy, who: PolicyPrincipal, request: PolicyRequest): PolicyDecision {
  // Sorted so the first match is the decision: higher priority first, deny first within a priority.
  for (const entry of policy.rules) {
    if (!subjectMatches(entry.rule, who) || !resourceMatches(entry, request)) continue;
    const { rule } = entry;
    return { effect: rule.effect, ruleId: rule.id, reason: `${rule.effect === "allow" ? "allowed" : "denied"} by rule ${describeRule(rule)}` };
  }
  return { effect: "deny", ruleId: null, reason: "no rule allows this (default deny)" };
}

/** "3f2a1b4c (everyone → github/*, priority 100)": enough to find the rule and see what it says. */
export function describeRule(rule: PolicyRule): string {
  const who = rule.subject.type === "everyone" ? "everyone" : rule.subject.type === "team" ? `team ${rule.subject.teamId.slice(0, 8)}` : `user ${rule.subject.userId.slice(0, 8)}`;
  return `${rule.id.slice(0, 8)} (${who} → ${rule.resource.serverSlug}/${rule.resource.tool}, priority ${rule.priority})`;
}
