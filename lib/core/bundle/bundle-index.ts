/**
 * A config bundle indexed for enforcement: what the portal looks up on every request. Built once
 * per bundle version (the Worker caches it per isolate), pure, shared with the console so a
 * simulator sees exactly what the edge sees.
 */
import { compilePolicy, decide, type CompiledPolicy, type PolicyDecision, type PolicyPrincipal, type PolicyRequest } from "@core/policy/evaluate";
import { blockedBy, blockModeAt } from "@core/shadow/blocklist";
import { roleAllows, TOKEN_SCOPES, type TokenScope } from "@core/auth/roles";
import type { BundleBlockEntry, BundleServer, BundleToken, BundleTool, BundleUser, ConfigBundle } from "./schema";

export interface BundleIndex {
  bundle: ConfigBundle;
  serversBySlug: Map<string, BundleServer>;
  toolsByServer: Map<string, Map<string, BundleTool>>;
  usersById: Map<string, BundleUser>;
  tokensByHash: Map<string, BundleToken>;
  tokensById: Map<string, BundleToken>;
  tokenIds: Set<string>;
  teamSlugs: Map<string, string>;
  policy: CompiledPolicy;
  /**
   * Servers and LLM providers (by slug) whose upstream URL is on the shadow-MCP block list, whatever
   * the entry's mode: whether it refuses a call depends on the time ({@link blockingEntry}).
   */
  coveredSlugs: Map<string, BundleBlockEntry>;
}

export function indexBundle(bundle: ConfigBundle): BundleIndex {
  return {
    bundle,
    serversBySlug: new Map(bundle.servers.map((s) => [s.slug, s])),
    toolsByServer: new Map(bundle.servers.map((s) => [s.id, new Map(s.tools.map((t) => [t.name, t]))])),
    usersById: new Map(bundle.users.map((u) => [u.id, u])),
    tokensByHash: new Map(bundle.tokens.map((t) => [t.hash, t])),
    tokensById: new Map(bundle.tokens.map((t) => [t.id, t])),
    tokenIds: new Set(bundle.tokens.map((t) => t.id)),
    teamSlugs: new Map(bundle.teams.map((t) => [t.id, t.slug])),
    policy: compilePolicy(bundle.policies.rules),
    coveredSlugs: coveredUpstreams(bundle),
  };
}

/**
 * The block list wins over approval: a server or provider whose URL falls under an entry in block
 * mode is refused at the edge whatever policies say (security blocked its host after it was
 * approved); under an entry in log mode its calls go on, marked `wouldBlock` ({@link blockMarks}).
 */
function coveredUpstreams(bundle: ConfigBundle): Map<string, BundleBlockEntry> {
  const out = new Map<string, BundleBlockEntry>();
  const list = bundle.shadow.blocklist;
  if (list.length === 0) return out;
  for (const s of bundle.servers) {
    const e = blockedBy(s.url, list);
    if (e) out.set(s.slug, e);
  }
  for (const p of bundle.llm.providers) {
    const e = blockedBy(p.baseUrl, list);
    if (e) out.set(p.slug, e);
  }
  return out;
}

/**
 * The entry that refuses calls to `slug` at `at` (ms; default now): a block entry, or a log entry
 * whose `enforceAt` has come — so a rollout turns into a block at the edge without a new publish.
 * Null when nothing covers the upstream or its entry is still logging.
 */
export function blockingEntry(index: BundleIndex, slug: string, at: number = Date.now()): BundleBlockEntry | null {
  const entry = index.coveredSlugs.get(slug);
  return entry && blockModeAt(entry, at) === "block" ? entry : null;
}

const BLOCKED_REASON = "SERVER_BLOCKED:";

/** Whether a decision's reason is the block list's (not a policy's or a role's). */
export const isBlockedReason = (reason: string | null | undefined): boolean => reason?.startsWith(BLOCKED_REASON) === true;

/**
 * The block-list marks of an event about `slug`: an allowed call to a covered upstream went through
 * an entry in log mode (`wouldBlock`); a call refused by the block list names the entry. Events of
 * uncovered upstreams, and of calls refused for another reason, carry none.
 */
export function blockMarks(index: BundleIndex, slug: string | null | undefined, decision: "allowed" | "denied", reason: string | null | undefined): { blockId: string; wouldBlock: boolean } | null {
  const entry = slug ? index.coveredSlugs.get(slug) : undefined;
  if (!entry) return null;
  if (decision === "allowed") return { blockId: entry.id, wouldBlock: true };
  return isBlockedReason(reason) ? { blockId: entry.id, wouldBlock: false } : null;
}

/** The decision for an upstream on the block list (no policy rule decided it). */
export function blockedDecision(entry: BundleBlockEntry): PolicyDecision {
  return { effect: "deny", ruleId: null, reason: `${BLOCKED_REASON} ${entry.origin}${entry.pathPrefix} is on the shadow-MCP block list (${entry.reason})` };
}

/**
 * Who asks, and the facts the policy's conditions look at. `at` and `clientIp` are the request's;
 * without them, conditional allows do not match and conditional denies do (fail closed).
 */
export interface Caller {
  user: BundleUser;
  /** The API token the request came with; null for OAuth callers. */
  tokenId?: string | null;
  /** What the credential may do (the API token's scopes, or the OAuth grant's); absent: read and write. */
  scopes?: readonly TokenScope[];
  clientIp?: string | null;
  at?: Date;
}

export type PortalRefusal = { code: "ROLE_NOT_ALLOWED" | "MISSING_SCOPE"; reason: string };

/**
 * Before any policy: may this person use the portal at all (`portal.use`: viewers never), and,
 * for `write`, does the credential carry the `write` scope? Null when allowed.
 */
export function portalRefusal(caller: Caller, need: TokenScope = "read"): PortalRefusal | null {
  const { role } = caller.user;
  if (!roleAllows(role, "portal.use")) return { code: "ROLE_NOT_ALLOWED", reason: `ROLE_NOT_ALLOWED: the ${role} role may not use the portal (members and above may)` };
  if (!(caller.scopes ?? TOKEN_SCOPES).includes(need)) return { code: "MISSING_SCOPE", reason: `MISSING_SCOPE: this credential does not carry the ${need} scope` };
  return null;
}

/** The request's time, for the block list's rollouts: the caller's `at`, else now. */
const callerTime = (caller: Caller): number => caller.at?.getTime() ?? Date.now();

const refusedDecision = (refusal: PortalRefusal): PolicyDecision => ({ effect: "deny", ruleId: null, reason: refusal.reason });

function principal(caller: Caller): PolicyPrincipal {
  const { user } = caller;
  return { userId: user.id, teamIds: user.teamIds, groups: user.groups, email: user.email, emailVerified: user.emailVerified === true, tokenId: caller.tokenId ?? null };
}

function facts(caller: Caller, serverSlug: string, tool: string | null): PolicyRequest {
  return { serverSlug, tool, at: caller.at, clientIp: caller.clientIp ?? null };
}

export type ToolAccess =
  | { ok: true; tool: BundleTool; decision: PolicyDecision }
  | { ok: false; code: "TOOL_NOT_APPROVED" | "POLICY_DENIED" | "SERVER_BLOCKED" | PortalRefusal["code"]; reason: string; decision: PolicyDecision | null };

/**
 * May this user call this upstream tool of this server? Approved server (it is in the bundle),
 * enabled tool (only enabled tools are published), the caller's role and credential (a read-only
 * credential calls only read-only tools), then the policy. The hash pin is checked separately,
 * against the live definition the portal sees.
 */
export function toolAccess(index: BundleIndex, caller: Caller, server: BundleServer, toolName: string): ToolAccess {
  const blocked = blockingEntry(index, server.slug, callerTime(caller));
  if (blocked) {
    const decision = blockedDecision(blocked);
    return { ok: false, code: "SERVER_BLOCKED", reason: decision.reason, decision };
  }
  const tool = index.toolsByServer.get(server.id)?.get(toolName);
  if (!tool) return { ok: false, code: "TOOL_NOT_APPROVED", reason: "tool is not approved and enabled (new, disabled, quarantined or removed)", decision: null };
  const refusal = portalRefusal(caller, tool.readOnly ? "read" : "write");
  if (refusal) return { ok: false, ...refusal, decision: refusedDecision(refusal) };
  const decision = decide(index.policy, principal(caller), facts(caller, server.slug, toolName));
  if (decision.effect === "deny") return { ok: false, code: "POLICY_DENIED", reason: decision.reason, decision };
  return { ok: true, tool, decision };
}

/** Server-level access (prompts, resources, completion): a whole-server rule must allow it. */
export function serverAccess(index: BundleIndex, caller: Caller, server: BundleServer): PolicyDecision {
  const blocked = blockingEntry(index, server.slug, callerTime(caller));
  if (blocked) return blockedDecision(blocked);
  const refusal = portalRefusal(caller);
  if (refusal) return refusedDecision(refusal);
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
 * says; a request that names no model (listing models) needs a whole-provider rule. Calls spend
 * budget, so the credential needs `write`.
 */
export function llmAccess(index: BundleIndex, caller: Caller, providerSlug: string, model: string | null): PolicyDecision {
  const blocked = blockingEntry(index, providerSlug, callerTime(caller));
  if (blocked) return blockedDecision(blocked);
  const refusal = portalRefusal(caller, "write");
  if (refusal) return refusedDecision(refusal);
  return decide(index.policy, principal(caller), facts(caller, providerSlug, model));
}
