/**
 * The policy simulator: "can alice@acme.com call github_create_issue from 10.1.2.3 now?". It runs
 * the edge's own checks (lib/core/bundle/bundle-index.ts, lib/core/policy/evaluate.ts) — for MCP tools, and for
 * LLM models (`openai/gpt-5`: provider slug and model) — against the bundle the
 * next publish would produce (draft) or the latest published one (deployed), and names what
 * decided: the user, the server, the tool, or the policy rule.
 */
import { eq, sql } from "drizzle-orm";
import { policies, servers, users } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { authorize } from "../auth/actor";
import { indexBundle, llmAccess, toolAccess, type BundleIndex } from "@core/bundle/bundle-index";
import type { ConfigBundle } from "@core/bundle/schema";
import { draftBundle } from "../config/compile-bundle";
import { latestDeployment, storedBundle } from "../config/record-deployment";
import type { Ctx } from "../context";
import { ValidationError } from "../errors";
import { parseIp } from "@core/net/cidr";
import { describeRule, type PolicyDecision } from "@core/policy/evaluate";
import { SimulateInput, type SimulateOutput } from "./schemas";

export interface Target {
  server: string;
  tool: string;
}

/** `github_create_issue` (the portal's name: slugs have no underscore) or `github/create_issue`. */
export function parseToolTarget(text: string): Target | null {
  const slash = text.indexOf("/");
  const cut = slash > 0 ? slash : text.indexOf("_");
  if (cut <= 0 || cut === text.length - 1) return null;
  return { server: text.slice(0, cut), tool: text.slice(cut + 1) };
}

/** The bundle to evaluate: the draft, or the latest published (null when nothing was published). */
export async function bundleFor(db: Queryable, against: "draft" | "deployed", now: Date): Promise<ConfigBundle | null> {
  if (against === "draft") return draftBundle(db, now);
  const latest = await latestDeployment(db);
  return latest ? storedBundle(latest) : null;
}

/** A rule's name for people: the policy's name, or which server access grant it came from. */
export async function ruleLabel(db: Queryable, index: BundleIndex, ruleId: string): Promise<NonNullable<SimulateOutput["rule"]>> {
  const rule = index.bundle.policies.rules.find((r) => r.id === ruleId);
  const description = rule ? describeRule(rule) : ruleId;
  const [policy] = await db.select({ name: policies.name }).from(policies).where(eq(policies.id, ruleId));
  if (policy) return { id: ruleId, name: policy.name, kind: "policy", description };
  const who = rule?.subject.type === "team" ? (index.teamSlugs.get(rule.subject.teamId) ?? "a team") : "everyone";
  return { id: ruleId, name: `Access to ${rule?.resource.serverSlug ?? "a server"}: ${who}`, kind: "server access", description };
}

export async function simulatePolicy({ db, actor }: Ctx, rawInput: unknown): Promise<SimulateOutput> {
  authorize(actor, "policies.read");
  const input = SimulateInput.parse(rawInput);
  const at = input.at ? new Date(input.at) : new Date();
  if (input.clientIp && !parseIp(input.clientIp)) throw new ValidationError("Not an IPv4 or IPv6 address", { clientIp: "not an IP address" });
  const target = parseToolTarget(input.tool);
  if (!target) throw new ValidationError("Write the tool as <server>_<tool> (e.g. github_create_issue) or <server>/<tool>", { tool: "expected <server>_<tool>" });

  const bundle = await bundleFor(db, input.against, at);
  if (!bundle) throw new ValidationError("Nothing has been published yet: simulate against the draft", { against: "nothing deployed" });
  const index = indexBundle(bundle);
  const base = { against: input.against, bundleVersion: input.against === "deployed" ? bundle.version : null, at: at.toISOString(), server: target.server, tool: target.tool };
  const deny = (stage: SimulateOutput["stage"], reason: string, user: SimulateOutput["user"] = null): SimulateOutput => ({ ...base, decision: "deny", stage, reason, rule: null, user });

  const who = input.user.toLowerCase();
  const user = index.bundle.users.find((u) => u.id === input.user || u.email.toLowerCase() === who);
  if (!user) {
    const [row] = await db.select({ disabledAt: users.disabledAt }).from(users).where(sql`lower(${users.email}) = ${who}`);
    const why = !row ? "there is no such user" : row.disabledAt ? "the user is disabled" : "the user is not in the deployed bundle yet (the next identity sync or publish adds them)";
    return deny("user", `Denied: ${why}.`);
  }
  const person = { id: user.id, email: user.email };
  const policyAnswer = async (decision: PolicyDecision): Promise<SimulateOutput> => {
    const rule = decision.ruleId ? await ruleLabel(db, index, decision.ruleId) : null;
    const reason = rule
      ? `${decision.effect === "allow" ? "Allowed" : "Denied"} by ${rule.kind === "policy" ? `policy "${rule.name}"` : rule.name}.`
      : "Denied: no rule allows it (default deny).";
    return { ...base, decision: decision.effect, stage: "policy", reason, rule, user: person };
  };
  if (input.tokenId && !index.tokenIds.has(input.tokenId)) return deny("user", "Denied: that API token is revoked, expired or unknown.", person);
  if (input.tokenId && !index.bundle.tokens.some((t) => t.id === input.tokenId && t.userId === user.id)) return deny("user", `Denied: that API token is not ${user.email}'s.`, person);

  const caller = { user, tokenId: input.tokenId ?? null, clientIp: input.clientIp ?? null, at };
  // An LLM provider is its own "server" to policies, and the model its "tool" (lib/core/bundle/bundle-index.ts llmAccess).
  const provider = index.bundle.llm.providers.find((p) => p.slug === target.server);
  if (provider) {
    return policyAnswer(llmAccess(index, caller, provider.slug, target.tool));
  }
  const server = index.serversBySlug.get(target.server);
  if (!server) {
    const [row] = await db.select({ status: servers.status }).from(servers).where(eq(servers.slug, target.server));
    const why = !row ? `there is no server "${target.server}"` : row.status === "approved" ? `server "${target.server}" was left out of the bundle (its credential could not be prepared)` : `server "${target.server}" is ${row.status}, not approved`;
    return deny("server", `Denied: ${why}.`, person);
  }
  const access = toolAccess(index, caller, server, target.tool);
  if (!access.ok && access.code === "TOOL_NOT_APPROVED") {
    return deny("tool", `Denied: "${target.tool}" is not an approved, enabled tool of ${server.slug} (new, disabled, quarantined or removed).`, person);
  }
  if (!access.ok && access.code === "SERVER_BLOCKED") return deny("server", `Denied: ${server.slug}'s URL is on the shadow-MCP block list; the edge refuses it whatever policies say.`, person);
  return policyAnswer(access.decision!);
}
