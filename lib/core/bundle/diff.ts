import { canonicalJson } from "@core/tools/tool-hash";
import type { BundleServer, ConfigBundle, PolicyRule } from "./schema";

/**
 * What changed between two config bundles, for people: servers and their tools by id and name,
 * policy rules by id, and counts for tokens, users and teams (whose contents are identities and
 * hashes, not something to read through). Pure, so it runs wherever bundles are compared.
 */
export interface ServerChange {
  id: string;
  slug: string;
  /** Top-level fields that differ: name, slug, url, transport, ownerTeamId, credential. */
  fields: string[];
  tools: { added: string[]; removed: string[]; hashChanged: string[] };
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
  };
  if (fields.length === 0 && tools.added.length + tools.removed.length + tools.hashChanged.length === 0) return null;
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
  const tokens = countChange(from.tokens, to.tokens);
  const users = countChange(from.users, to.users);
  const teams = countChange(from.teams, to.teams);
  const unchanged = (c: CountChange) => c.added + c.removed + c.changed === 0;
  const identical =
    servers.added.length + servers.removed.length + servers.changed.length === 0 &&
    rules.added.length + rules.removed.length + rules.changed.length === 0 &&
    unchanged(tokens) &&
    unchanged(users) &&
    unchanged(teams);
  return { from: from.version, to: to.version, identical, servers, tokens, users, teams, rules };
}
