import { canonicalJson } from "@core/tools/tool-hash";
import type { BundleCodemode, BundleServer, ConfigBundle, PolicyRule } from "./schema";

/**
 * What changed between two config bundles, for people, section by section: servers and their tools
 * by id and name, policy rules by id, the block list, rate limits, budgets, LLM providers and
 * prices, Code Mode's setting, and counts for tokens, users and teams (whose contents are
 * identities and hashes, not something to read through). `identical` only when every section is.
 * Pure, so it runs wherever bundles are compared.
 */
export interface ServerChange {
  id: string;
  slug: string;
  /** Top-level fields that differ: name, slug, url, transport, ownerTeamId, credential. */
  fields: string[];
  /** approvalChanged: Code Mode's approval mark; readOnlyChanged: the approved definition's read-only hint. */
  tools: { added: string[]; removed: string[]; hashChanged: string[]; approvalChanged: string[]; readOnlyChanged: string[] };
}

/** Items of a section compared by id, named for people. */
export interface NamedChange {
  added: { id: string; name: string }[];
  removed: { id: string; name: string }[];
  changed: { id: string; name: string }[];
}

export interface CountChange {
  from: number;
  to: number;
  added: number;
  removed: number;
  /** Present in both but different (e.g. a user's role or teams, a token's scopes). */
  changed: number;
}

export interface BundleDiff {
  from: number;
  to: number;
  identical: boolean;
  servers: { added: { id: string; slug: string; name: string; tools: number }[]; removed: { id: string; slug: string; name: string }[]; changed: ServerChange[] };
  tokens: CountChange;
  users: CountChange;
  teams: CountChange;
  rules: { added: PolicyRule[]; removed: PolicyRule[]; changed: { before: PolicyRule; after: PolicyRule }[] };
  /** The shadow-MCP block list: entries named by origin and path. A removed entry lifts a block. */
  blocklist: NamedChange;
  rateLimits: NamedChange;
  budgets: NamedChange;
  llmProviders: NamedChange;
  /** The price table, by provider and model. */
  prices: NamedChange;
  /** Code Mode's setting when it differs (null: off). */
  codemode: { from: BundleCodemode | null; to: BundleCodemode | null } | null;
}

const SERVER_FIELDS = ["name", "slug", "url", "transport", "ownerTeamId"] as const;

function byKey<T>(items: readonly T[], key: (item: T) => string): Map<string, T> {
  return new Map(items.map((item) => [key(item), item]));
}

function countChange<T extends { id: string }>(before: readonly T[], after: readonly T[]): CountChange {
  const a = byKey(before, (x) => x.id);
  const b = byKey(after, (x) => x.id);
  let added = 0;
  let removed = 0;
  let changed = 0;
  for (const [id, item] of b) {
    const old = a.get(id);
    if (!old) added++;
    else if (canonicalJson(old) !== canonicalJson(item)) changed++;
  }
  for (const id of a.keys()) if (!b.has(id)) removed++;
  return { from: before.length, to: after.length, added, removed, changed };
}

function serverChange(before: BundleServer, after: BundleServer): ServerChange | null {
  const fields: string[] = SERVER_FIELDS.filter((f) => (before[f] ?? null) !== (after[f] ?? null));
  // Sealed credentials are compared as sealed text: the console reuses the sealed text while the
  // credential and the edge secret stay the same, so a difference means one of them changed.
  if (canonicalJson(before.credential) !== canonicalJson(after.credential)) fields.push("credential");
  const oldTools = byKey(before.tools, (t) => t.name);
  const newTools = byKey(after.tools, (t) => t.name);
  const tools = {
    added: [...newTools.keys()].filter((n) => !oldTools.has(n)).sort(),
    removed: [...oldTools.keys()].filter((n) => !newTools.has(n)).sort(),
    hashChanged: [...newTools.values()].filter((t) => oldTools.has(t.name) && oldTools.get(t.name)!.hash !== t.hash).map((t) => t.name).sort(),
    approvalChanged: [...newTools.values()].filter((t) => oldTools.has(t.name) && (oldTools.get(t.name)!.approval ?? false) !== (t.approval ?? false)).map((t) => t.name).sort(),
    readOnlyChanged: [...newTools.values()].filter((t) => oldTools.has(t.name) && (oldTools.get(t.name)!.readOnly ?? false) !== (t.readOnly ?? false)).map((t) => t.name).sort(),
  };
  if (fields.length === 0 && Object.values(tools).every((list) => list.length === 0)) return null;
  return { id: after.id, slug: after.slug, fields, tools };
}

export function diffBundles(from: ConfigBundle, to: ConfigBundle): BundleDiff {
  const oldServers = byKey(from.servers, (s) => s.id);
  const newServers = byKey(to.servers, (s) => s.id);
  const servers: BundleDiff["servers"] = {
    added: to.servers.filter((s) => !oldServers.has(s.id)).map((s) => ({ id: s.id, slug: s.slug, name: s.name, tools: s.tools.length })),
    removed: from.servers.filter((s) => !newServers.has(s.id)).map((s) => ({ id: s.id, slug: s.slug, name: s.name })),
    changed: to.servers.flatMap((s) => {
      const old = oldServers.get(s.id);
      const change = old ? serverChange(old, s) : null;
      return change ? [change] : [];
    }),
  };
  const oldRules = byKey(from.policies.rules, (r) => r.id);
  const newRules = byKey(to.policies.rules, (r) => r.id);
  const rules: BundleDiff["rules"] = {
    added: to.policies.rules.filter((r) => !oldRules.has(r.id)),
    removed: from.policies.rules.filter((r) => !newRules.has(r.id)),
    changed: to.policies.rules.flatMap((after) => {
      const before = oldRules.get(after.id);
      return before && canonicalJson(before) !== canonicalJson(after) ? [{ before, after }] : [];
    }),
  };
  const named = <T>(before: readonly T[], after: readonly T[], id: (item: T) => string, name: (item: T) => string): NamedChange => {
    const a = byKey(before, id);
    const b = byKey(after, id);
    return {
      added: after.filter((x) => !a.has(id(x))).map((x) => ({ id: id(x), name: name(x) })),
      removed: before.filter((x) => !b.has(id(x))).map((x) => ({ id: id(x), name: name(x) })),
      changed: after.filter((x) => a.has(id(x)) && canonicalJson(a.get(id(x))) !== canonicalJson(x)).map((x) => ({ id: id(x), name: name(x) })),
    };
  };
  const blocklist = named(from.shadow.blocklist, to.shadow.blocklist, (e) => e.id, (e) => `${e.origin}${e.pathPrefix}`);
  const rateLimits = named(from.limits.rateLimits, to.limits.rateLimits, (l) => l.id, (l) => l.name);
  const budgets = named(from.limits.budgets, to.limits.budgets, (b) => b.id, (b) => b.name);
  const llmProviders = named(from.llm.providers, to.llm.providers, (p) => p.id, (p) => p.slug);
  const prices = named(from.llm.prices, to.llm.prices, (p) => `${p.provider}/${p.model}`, (p) => `${p.provider}/${p.model}`);
  const codemode = canonicalJson(from.codemode ?? null) === canonicalJson(to.codemode ?? null) ? null : { from: from.codemode ?? null, to: to.codemode ?? null };
  const tokens = countChange(from.tokens, to.tokens);
  const users = countChange(from.users, to.users);
  const teams = countChange(from.teams, to.teams);
  const unchanged = (c: CountChange) => c.added + c.removed + c.changed === 0;
  const identical =
    servers.added.length + servers.removed.length + servers.changed.length === 0 &&
    rules.added.length + rules.removed.length + rules.changed.length === 0 &&
    unchanged(tokens) &&
    unchanged(users) &&
    unchanged(teams) &&
    [blocklist, rateLimits, budgets, llmProviders, prices].every((c) => c.added.length + c.removed.length + c.changed.length === 0) &&
    codemode === null;
  return { from: from.version, to: to.version, identical, servers, tokens, users, teams, rules, blocklist, rateLimits, budgets, llmProviders, prices, codemode };
}
