import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { BUNDLE_LIMITS, BUNDLE_SCHEMA_VERSION, ConfigBundle, upgradeStoredBundle } from "./schema";

const HASH_A = "a".repeat(64);
const HASH_B = "0123456789abcdef".repeat(4);

function sampleBundle(): ConfigBundle {
  const teamId = randomUUID();
  const userId = randomUUID();
  return {
    schemaVersion: BUNDLE_SCHEMA_VERSION,
    version: 7,
    issuedAt: "2026-03-01T12:00:00.000Z",
    issuer: "http://127.0.0.1:3000",
    servers: [
      {
        id: randomUUID(),
        slug: "github",
        name: "GitHub",
        url: "https://mcp.example.com/mcp",
        transport: "streamable-http",
        credential: { kid: "edge-2026-03", sealed: "eyJhbGciOiJFQ0RILUVTIn0..abc.def.ghi" },
        tools: [
          { name: "search_issues", hash: HASH_A, state: "enabled" },
          { name: "get_issue", hash: HASH_B, state: "enabled" },
        ],
        ownerTeamId: teamId,
      },
      { id: randomUUID(), slug: "memory", name: "Memory", url: "http://127.0.0.1:4001/sse", transport: "sse", credential: null, tools: [] },
    ],
    tokens: [{ id: randomUUID(), hash: HASH_A, userId, scopes: ["read", "write"], expiresAt: null }],
    users: [{ id: userId, email: "ada@example.com", role: "member", teamIds: [teamId], groups: [] }],
    teams: [{ id: teamId, slug: "platform" }],
    policies: {
      rules: [
        { id: randomUUID(), effect: "allow", subject: { type: "everyone" }, resource: { serverSlug: "*", tool: "*" }, priority: 0 },
        { id: randomUUID(), effect: "deny", subject: { type: "team", teamId }, resource: { serverSlug: "github", tool: "delete_*" }, priority: 10 },
        { id: randomUUID(), effect: "allow", subject: { type: "user", userId }, resource: { serverSlug: "github", tool: "delete_branch" }, priority: 20 },
      ],
    },
    limits: {
      rateLimits: [{ id: randomUUID(), name: "60 calls a minute", subject: { type: "everyone" }, per: "user", scope: { kind: "mcp" }, limit: 60, windowSeconds: 60 }],
      budgets: [{ id: randomUUID(), name: "Platform", subject: { type: "team", teamId }, metric: "usd", limit: 50_000_000, period: "month", onExceed: "block" }],
    },
    llm: {
      providers: [{ id: randomUUID(), slug: "openai", name: "OpenAI", kind: "openai", baseUrl: "https://api.openai.com/v1", credential: { kid: "edge-2026-03", sealed: "x.y.z" }, cacheTtlSeconds: 300, logBodies: false }],
      prices: [{ provider: "openai", model: "gpt-5*", inputPerMTok: 1.25, outputPerMTok: 10 }],
    },
    shadow: { blocklist: [{ id: randomUUID(), origin: "https://mcp.shadow.example", pathPrefix: "/mcp", reason: "Shadow MCP finding", findingId: randomUUID() }] },
  };
}

function issuesOf(value: unknown): string[] {
  const result = ConfigBundle.safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("ConfigBundle", () => {
  it("accepts a complete bundle and returns it unchanged", () => {
    const bundle = sampleBundle();
    expect(ConfigBundle.parse(bundle)).toEqual(bundle);
  });

  it("accepts an empty deployment (fail closed is the evaluator's job, not the schema's)", () => {
    const empty = { ...sampleBundle(), servers: [], tokens: [], users: [], teams: [], policies: { rules: [] }, limits: { rateLimits: [], budgets: [] }, llm: { providers: [], prices: [] } };
    expect(issuesOf(empty)).toEqual([]);
  });

  it("carries every policy subject and the conditions, exactly as given", () => {
    const b = sampleBundle();
    const tokenId = b.tokens[0]!.id;
    b.users[0]!.groups = ["eng", "oncall"];
    b.policies.rules.push(
      { id: randomUUID(), effect: "deny", subject: { type: "group", group: "contractors" }, resource: { serverSlug: "*", tool: "*" }, priority: 500 },
      { id: randomUUID(), effect: "allow", subject: { type: "emailDomain", domain: "acme.com" }, resource: { serverSlug: "github", tool: "get_*" }, priority: 100, conditions: { timeWindow: { days: [1, 2, 3, 4, 5], start: "08:00", end: "18:00" } } },
      { id: randomUUID(), effect: "allow", subject: { type: "token", tokenId }, resource: { serverSlug: "github", tool: "*" }, priority: 100, conditions: { clientCidrs: ["10.0.0.0/8", "2001:db8::/32"] } },
    );
    expect(ConfigBundle.parse(b)).toEqual(b);
  });

  it("refuses malformed conditions and subjects", () => {
    const withRule = (rule: Record<string, unknown>) => {
      const b = sampleBundle();
      return issuesOf({ ...b, policies: { rules: [{ ...b.policies.rules[0], ...rule }] } });
    };
    expect(withRule({ conditions: { clientCidrs: ["10.0.0.0/33"] } })).not.toEqual([]);
    expect(withRule({ conditions: { clientCidrs: [] } })).not.toEqual([]);
    expect(withRule({ conditions: { timeWindow: { start: "8:00", end: "18:00" } } })).not.toEqual([]);
    expect(withRule({ conditions: { timeWindow: { start: "09:00", end: "09:00" } } })).not.toEqual([]);
    expect(withRule({ conditions: { timeWindow: { days: [7], start: "09:00", end: "10:00" } } })).not.toEqual([]);
    expect(withRule({ conditions: { timeWindow: { days: [1, 1], start: "09:00", end: "10:00" } } })).not.toEqual([]);
    expect(withRule({ conditions: { geo: "EU" } })).not.toEqual([]);
    expect(withRule({ subject: { type: "emailDomain", domain: "Acme.COM" } })).not.toEqual([]);
    expect(withRule({ subject: { type: "group", group: "" } })).not.toEqual([]);
    expect(withRule({ subject: { type: "token", tokenId: "not-a-uuid" } })).not.toEqual([]);
  });

  it("reads a stored version-1 bundle as the current schema (users without groups)", () => {
    const { schemaVersion: _v, ...rest } = sampleBundle();
    const { limits: _l, llm: _m, ...v1Rest } = rest;
    const v1 = { ...v1Rest, schemaVersion: 1, users: rest.users.map(({ groups: _g, ...u }) => u) };
    expect(issuesOf(v1)).not.toEqual([]);
    const upgraded = upgradeStoredBundle(v1);
    expect(upgraded.schemaVersion).toBe(BUNDLE_SCHEMA_VERSION);
    expect(upgraded.users.map((u) => u.groups)).toEqual([[]]);
    expect(upgraded.limits).toEqual({ rateLimits: [], budgets: [] });
    expect(upgraded.llm).toEqual({ providers: [], prices: [] });
    expect(upgraded.shadow).toEqual({ blocklist: [] });
    expect(() => upgradeStoredBundle({ ...v1, servers: "nope" })).toThrow();
  });

  it("reads a stored version-2 bundle as the current schema (no block list)", () => {
    const { shadow: _s, ...v2 } = { ...sampleBundle(), schemaVersion: 2 };
    expect(issuesOf(v2)).not.toEqual([]);
    const upgraded = upgradeStoredBundle(v2);
    expect(upgraded.schemaVersion).toBe(BUNDLE_SCHEMA_VERSION);
    expect(upgraded.shadow).toEqual({ blocklist: [] });
    expect(upgraded.servers).toEqual(v2.servers);
  });

  it("takes block-list entries only as canonical origins and clean path prefixes", () => {
    const b = sampleBundle();
    const entry = b.shadow.blocklist[0]!;
    const withEntry = (e: Partial<typeof entry>) => issuesOf({ ...b, shadow: { blocklist: [{ ...entry, ...e }] } });
    expect(withEntry({})).toEqual([]);
    expect(withEntry({ pathPrefix: "" })).toEqual([]);
    expect(withEntry({ origin: "http://[::1]:8080" })).toEqual([]);
    for (const origin of ["https://MCP.shadow.example", "https://mcp.shadow.example:443", "https://mcp.shadow.example/", "ftp://x.example", "mcp.shadow.example"]) expect(withEntry({ origin })).not.toEqual([]);
    for (const pathPrefix of ["/mcp/", "mcp", "/a//b", "/mcp?x=1"]) expect(withEntry({ pathPrefix })).not.toEqual([]);
    expect(issuesOf({ ...b, shadow: { blocklist: [entry, entry] } })).toEqual([`shadow.blocklist.1: duplicate block entry id "${entry.id}"`]);
  });

  it("refuses limits and providers that name unknown teams or users, or repeat a provider slug", () => {
    const b = sampleBundle();
    const stranger = randomUUID();
    expect(issuesOf({ ...b, limits: { ...b.limits, budgets: [{ ...b.limits.budgets[0]!, subject: { type: "team", teamId: stranger } }] } })).toEqual([`limits.budgets.0.subject.teamId: unknown team "${stranger}"`]);
    expect(issuesOf({ ...b, limits: { ...b.limits, rateLimits: [{ ...b.limits.rateLimits[0]!, subject: { type: "user", userId: stranger } }] } })).toEqual([`limits.rateLimits.0.subject.userId: unknown user "${stranger}"`]);
    const p = b.llm.providers[0]!;
    expect(issuesOf({ ...b, llm: { ...b.llm, providers: [p, { ...p, id: randomUUID() }] } })).toEqual(['llm.providers.1: duplicate provider slug "openai"']);
    expect(issuesOf({ ...b, llm: { ...b.llm, providers: [{ ...p, baseUrl: "ftp://x" }] } })).not.toEqual([]);
  });

  it("refuses unknown keys at the top level and inside nested objects", () => {
    expect(issuesOf({ ...sampleBundle(), rateLimits: [] })).not.toEqual([]);
    const b = sampleBundle();
    expect(issuesOf({ ...b, servers: [{ ...b.servers[0], headers: {} }] })).not.toEqual([]);
    expect(issuesOf({ ...b, servers: [{ ...b.servers[0], credential: { kid: "k", sealed: "s", token: "clear" } }] })).not.toEqual([]);
    expect(issuesOf({ ...b, policies: { rules: [], defaults: "allow" } })).not.toEqual([]);
  });

  it("refuses a schemaVersion it does not understand, and a missing one", () => {
    expect(issuesOf({ ...sampleBundle(), schemaVersion: BUNDLE_SCHEMA_VERSION + 1 })).not.toEqual([]);
    expect(issuesOf({ ...sampleBundle(), schemaVersion: 1 })).not.toEqual([]);
    const { schemaVersion: _omitted, ...withoutVersion } = sampleBundle();
    expect(issuesOf(withoutVersion)).not.toEqual([]);
  });

  it("requires a positive whole version and an ISO timestamp", () => {
    for (const version of [0, -1, 1.5, "8", Number.MAX_SAFE_INTEGER + 2]) expect(issuesOf({ ...sampleBundle(), version })).not.toEqual([]);
    expect(issuesOf({ ...sampleBundle(), issuedAt: "yesterday" })).not.toEqual([]);
    expect(issuesOf({ ...sampleBundle(), issuedAt: "2026-03-01T12:00:00+01:00" })).toEqual([]);
  });

  it("publishes only enabled tools with a lowercase SHA-256 pin", () => {
    const b = sampleBundle();
    const withTool = (tool: unknown) => ({ ...b, servers: [{ ...b.servers[0], tools: [tool] }] });
    expect(issuesOf(withTool({ name: "t", hash: HASH_A, state: "quarantined" }))).not.toEqual([]);
    expect(issuesOf(withTool({ name: "t", hash: HASH_A, state: "disabled" }))).not.toEqual([]);
    expect(issuesOf(withTool({ name: "t", hash: HASH_A.toUpperCase(), state: "enabled" }))).not.toEqual([]);
    expect(issuesOf(withTool({ name: "t", hash: "a".repeat(63), state: "enabled" }))).not.toEqual([]);
    expect(issuesOf(withTool({ name: "t", hash: HASH_A, state: "enabled" }))).toEqual([]);
  });

  it("checks server slugs, URLs and transports", () => {
    const b = sampleBundle();
    const withServer = (patch: Record<string, unknown>) => ({ ...b, servers: [{ ...b.servers[0], ...patch }] });
    expect(issuesOf(withServer({ slug: "git_hub" }))).not.toEqual([]);
    expect(issuesOf(withServer({ slug: " github" }))).not.toEqual([]);
    expect(issuesOf(withServer({ url: "ftp://example.com" }))).not.toEqual([]);
    expect(issuesOf(withServer({ url: "not a url" }))).not.toEqual([]);
    expect(issuesOf(withServer({ transport: "stdio" }))).not.toEqual([]);
    expect(issuesOf(withServer({ ownerTeamId: null }))).toEqual([]);
  });

  it("refuses duplicates the edge would index by", () => {
    const b = sampleBundle();
    const [server] = b.servers;
    expect(issuesOf({ ...b, servers: [server, { ...server, id: randomUUID() }] })).toEqual([expect.stringMatching(/^servers\.1: duplicate server slug/)]);
    expect(issuesOf({ ...b, servers: [{ ...server, tools: [server!.tools[0], { ...server!.tools[0], hash: HASH_B }] }] })).toEqual([expect.stringMatching(/duplicate tool name/)]);
    expect(issuesOf({ ...b, tokens: [b.tokens[0], { ...b.tokens[0], id: randomUUID() }] })).toEqual([expect.stringMatching(/duplicate token hash/)]);
    expect(issuesOf({ ...b, teams: [b.teams[0], { ...b.teams[0], id: randomUUID() }] })).toEqual([expect.stringMatching(/duplicate team slug/)]);
  });

  it("refuses references that do not resolve inside the bundle", () => {
    const b = sampleBundle();
    expect(issuesOf({ ...b, tokens: [{ ...b.tokens[0], userId: randomUUID() }] })).toEqual([expect.stringMatching(/^tokens\.0\.userId: unknown user/)]);
    expect(issuesOf({ ...b, users: [{ ...b.users[0], teamIds: [randomUUID()] }], tokens: [], policies: { rules: [] } })).toEqual([
      expect.stringMatching(/^users\.0\.teamIds\.0: unknown team/),
    ]);
    expect(issuesOf({ ...b, servers: [{ ...b.servers[0], ownerTeamId: randomUUID() }] })).toEqual([expect.stringMatching(/unknown team/)]);
    const rule = b.policies.rules[0]!;
    expect(issuesOf({ ...b, policies: { rules: [{ ...rule, subject: { type: "user", userId: randomUUID() } }] } })).toEqual([expect.stringMatching(/unknown user/)]);
  });

  it("allows a rule for a server slug that is not (yet) in the bundle", () => {
    const b = sampleBundle();
    const rule = { ...b.policies.rules[0]!, resource: { serverSlug: "not-approved-yet", tool: "*" } };
    expect(issuesOf({ ...b, policies: { rules: [rule] } })).toEqual([]);
  });

  it("checks policy subjects and resources", () => {
    const b = sampleBundle();
    const withRule = (patch: Record<string, unknown>) => ({ ...b, policies: { rules: [{ ...b.policies.rules[0], ...patch }] } });
    expect(issuesOf(withRule({ effect: "maybe" }))).not.toEqual([]);
    expect(issuesOf(withRule({ subject: { type: "group", groupId: randomUUID() } }))).not.toEqual([]);
    expect(issuesOf(withRule({ subject: { type: "everyone", teamId: randomUUID() } }))).not.toEqual([]);
    expect(issuesOf(withRule({ resource: { serverSlug: "Bad Slug", tool: "*" } }))).not.toEqual([]);
    expect(issuesOf(withRule({ resource: { serverSlug: "*", tool: "" } }))).not.toEqual([]);
    expect(issuesOf(withRule({ priority: 1.5 }))).not.toEqual([]);
  });

  it("checks token scopes and expiry", () => {
    const b = sampleBundle();
    const withToken = (patch: Record<string, unknown>) => ({ ...b, tokens: [{ ...b.tokens[0], ...patch }] });
    expect(issuesOf(withToken({ scopes: [] }))).not.toEqual([]);
    expect(issuesOf(withToken({ scopes: ["read", "read"] }))).not.toEqual([]);
    expect(issuesOf(withToken({ scopes: ["admin"] }))).not.toEqual([]);
    expect(issuesOf(withToken({ expiresAt: "2027-01-01T00:00:00Z" }))).toEqual([]);
    expect(issuesOf(withToken({ expiresAt: 1767225600 }))).not.toEqual([]);
  });

  it("bounds array sizes", () => {
    const b = sampleBundle();
    const tools = Array.from({ length: BUNDLE_LIMITS.toolsPerServer + 1 }, (_, i) => ({ name: `t${i}`, hash: HASH_A, state: "enabled" }));
    expect(issuesOf({ ...b, servers: [{ ...b.servers[0], tools }] })).not.toEqual([]);
  });
});
