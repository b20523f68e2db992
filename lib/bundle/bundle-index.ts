/**
 * A config bundle indexed for enforcement: what the portal looks up on every request. Built once
 * per bundle version (the Worker caches it per isolate), pure, shared with the console so a
 * simulator sees exactly what the edge sees.
 */
import { compilePolicy, decide, type CompiledPolicy, type PolicyDecision, type PolicyPrincipal, type PolicyRequest } from "../policy/evaluate";
import type { BundleServer, BundleTool, BundleUser, ConfigBundle } from "./schema";

export interface BundleIndex {
  bundle: ConfigBundle;
  serversBySlug: Map<string, BundleServer>;
  toolsByServer: Map<string, Map<string, BundleTool>>;
  usersById: Map<string, BundleUser>;
  tokensByHash: Map<string, ConfigBundle["tokens"][number]>;
  tokenIds: Set<string>;
  teamSlugs: Map<string, string>;
  policy: CompiledPolicy;
}

export function indexBundle(bundle: ConfigBundle): BundleIndex {
  return {
    bundle,
    serversBySlug: new Map(bundle.servers.map((s) => [s.slug, s])),
    toolsByServer: new Map(bundle.servers.map((s) => [s.id, new Map(s.tools.map((t) => [t.name, t]))])),
    usersById: new Map(bundle.users.map((u) => [u.id, u])),
    tokensByHash: new Map(bundle.tokens.map((t) => [t.hash, t])),
    tokenIds: new Set(bundle.tokens.map((t) => t.id)),
    teamSlugs: new Map(bundle.teams.map((t) => [t.id, t.slug])),
    policy: compilePolicy(bundle.policies.rules),
  };
}

/**
 * Who asks, and the facts the policy's conditions look at. `at` and `clientIp` are the request's;
 * without them, conditional allows do not match and conditional denies do (fail closed).
 */
export interface Caller {
  user: BundleUser;
  /** The API token the request came with; null for OAuth callers. */
  tokenId?: string | null;
  clientIp?: string | null;
  at?: Date;
}

function principal(caller: Caller): PolicyPrincipal {
  const { user } = caller;
  return { userId: user.id, teamIds: user.teamIds, groups: user.groups, email: user.email, tokenId: caller.tokenId ?? null };
}

function facts(caller: Caller, serverSlug: string, tool: string | null): PolicyRequest {
  return { serverSlug, tool, at: caller.at, clientIp: caller.clientIp ?? null };
}

export type ToolAccess =
  | { ok: true; tool: BundleTool; decision: PolicyDecision }
  | { ok: false; code: "TOOL_NOT_APPROVED" | "POLICY_DENIED"; reason: string; decision: PolicyDecision | null };

/**
 * May this user call this upstream tool of this server? Approved server (it is in the bundle),
 * enabled tool (only enabled tools are published), then the policy. The hash pin is checked
 * separately, against the live definition the portal sees.
 */
export function toolAccess(index: BundleIndex, caller: Caller, server: BundleServer, toolName: string): ToolAccess {
  const tool = index.toolsByServer.get(server.id)?.get(toolName);
  if (!tool) return { ok: false, code: "TOOL_NOT_APPROVED", reason: "tool is not approved and enabled (new, disabled, quarantined or removed)", decision: null };
  const decision = decide(index.policy, principal(caller), facts(caller, server.slug, toolName));
  if (decision.effect === "deny") return { ok: false, code: "POLICY_DENIED", reason: decision.reason, decision };
  return { ok: true, tool, decision };
}

/** Server-level access (prompts, resources, completion): a whole-server rule must allow it. */
export function serverAccess(index: BundleIndex, caller: Caller, server: BundleServer): PolicyDecision {
  return decide(index.policy, principal(caller), facts(caller, server.slug, null));
}

/** Whether the user may use the server at all (any tool or the server itself) — to decide what a caller may see. */
export function visibleServers(index: BundleIndex, caller: Caller): BundleServer[] {
  return index.bundle.servers.filter(
    (s) => serverAccess(index, caller, s).effect === "allow" || s.tools.some((t) => toolAccess(index, caller, s, t.name).ok),
  );
}

/**
 * May this caller use this model of this LLM provider? Policies treat a provider like a server
 * (its slug) and the model like a tool name, so `deny team:interns → openai/gpt-5*` reads as it
 * says; a request that names no model (listing models) needs a whole-provider rule.
 */
export function llmAccess(index: BundleIndex, caller: Caller, providerSlug: string, model: string | null): PolicyDecision {
  return decide(index.policy, principal(caller), facts(caller, providerSlug, model));
}
