import { describe, expect, it } from "vitest";
import { diffBundles } from "./diff";
import type { ConfigBundle } from "./schema";

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const hash = (c: string) => c.repeat(64);

function base(): ConfigBundle {
  return {
    schemaVersion: 3,
    version: 1,
    issuedAt: "2026-03-01T12:00:00.000Z",
    issuer: "http://localhost:3000",
    servers: [
      {
        id: id(1),
        slug: "weather",
        name: "Weather",
        url: "https://weather.example.com/mcp",
        transport: "streamable-http",
        credential: { kid: "k1", sealed: "iv.ct" },
        tools: [
          { name: "get_weather", hash: hash("a"), state: "enabled" },
          { name: "list_forecasts", hash: hash("b"), state: "enabled" },
        ],
        ownerTeamId: id(10),
      },
      { id: id(2), slug: "docs", name: "Docs", url: "https://docs.example.com/mcp", transport: "sse", credential: null, tools: [], ownerTeamId: null },
    ],
    tokens: [{ id: id(20), hash: hash("c"), userId: id(30), scopes: ["read"], expiresAt: null }],
    users: [{ id: id(30), email: "ada@example.com", role: "admin", teamIds: [id(10)], groups: [] }],
    teams: [{ id: id(10), slug: "platform" }],
    policies: { rules: [{ id: id(40), effect: "allow", subject: { type: "everyone" }, resource: { serverSlug: "weather", tool: "*" }, priority: 100 }] },
    limits: { rateLimits: [], budgets: [] }, llm: { providers: [], prices: [] }, shadow: { blocklist: [] },
  };
}

describe("diffBundles", () => {
  it("finds nothing between equal content, whatever the version and time", () => {
    const a = base();
    const b = { ...base(), version: 7, issuedAt: "2026-04-01T00:00:00.000Z" };
    const diff = diffBundles(a, b);
    expect(diff).toMatchObject({ from: 1, to: 7, identical: true });
    expect(diff.servers).toEqual({ added: [], removed: [], changed: [] });
    expect(diff.tokens).toEqual({ from: 1, to: 1, added: 0, removed: 0, changed: 0 });
  });

  it("reports servers added and removed, and field, credential and tool changes", () => {
    const a = base();
    const b = base();
    b.version = 2;
    b.servers = [
      {
        ...b.servers[0]!,
        url: "https://weather.example.com/v2/mcp",
        credential: { kid: "k1", sealed: "iv2.ct2" },
        tools: [
          { name: "get_weather", hash: hash("d"), state: "enabled" },
          { name: "get_alerts", hash: hash("e"), state: "enabled" },
        ],
      },
      { id: id(3), slug: "search", name: "Search", url: "https://search.example.com/mcp", transport: "streamable-http", credential: null, tools: [{ name: "q", hash: hash("f"), state: "enabled" }], ownerTeamId: null },
    ];
    const diff = diffBundles(a, b);
    expect(diff.identical).toBe(false);
    expect(diff.servers.added).toEqual([{ id: id(3), slug: "search", name: "Search", tools: 1 }]);
    expect(diff.servers.removed).toEqual([{ id: id(2), slug: "docs", name: "Docs" }]);
    expect(diff.servers.changed).toEqual([
      { id: id(1), slug: "weather", fields: ["url", "credential"], tools: { added: ["get_alerts"], removed: ["list_forecasts"], hashChanged: ["get_weather"], approvalChanged: [], readOnlyChanged: [] } },
    ]);
  });

  it("counts tokens, users and teams added, removed and changed", () => {
    const a = base();
    const b = base();
    b.tokens = [{ id: id(21), hash: hash("9"), userId: id(30), scopes: ["read", "write"], expiresAt: null }];
    b.users = [{ ...b.users[0]!, role: "viewer" }, { id: id(31), email: "bo@example.com", role: "member", teamIds: [], groups: [] }];
    b.teams = [...b.teams, { id: id(11), slug: "security" }];
    const diff = diffBundles(a, b);
    expect(diff.tokens).toEqual({ from: 1, to: 1, added: 1, removed: 1, changed: 0 });
    expect(diff.users).toEqual({ from: 1, to: 2, added: 1, removed: 0, changed: 1 });
    expect(diff.teams).toEqual({ from: 1, to: 2, added: 1, removed: 0, changed: 0 });
    expect(diff.identical).toBe(false);
  });

  it("reports rules added, removed and changed by id", () => {
    const a = base();
    const b = base();
    const teamRule = { id: id(41), effect: "allow" as const, subject: { type: "team" as const, teamId: id(10) }, resource: { serverSlug: "docs", tool: "*" }, priority: 100 };
    b.policies.rules = [teamRule];
    expect(diffBundles(a, b).rules).toEqual({ added: [teamRule], removed: [a.policies.rules[0]], changed: [] });
    const c = base();
    c.policies.rules = [{ ...c.policies.rules[0]!, effect: "deny" }];
    const diff = diffBundles(a, c);
    expect(diff.rules.changed).toEqual([{ before: a.policies.rules[0], after: c.policies.rules[0] }]);
    expect(diff.rules.added).toEqual([]);
    expect(diff.identical).toBe(false);
  });

  it("covers every section: a block list entry added (or lifted), limits, budgets, providers, prices, Code Mode and tool marks", () => {
    const a = base();
    const entry = { id: id(50), origin: "https://shadow.example.com", pathPrefix: "/mcp", reason: "Shadow MCP finding", findingId: id(51) };
    const blocked = { ...base(), shadow: { blocklist: [entry] } };
    // Each alone makes two versions differ; none of them may read as "the same content".
    const lifted = diffBundles(blocked, a);
    expect(lifted.identical).toBe(false);
    expect(lifted.blocklist).toEqual({ added: [], removed: [{ id: id(50), name: "https://shadow.example.com/mcp" }], changed: [] });
    expect(diffBundles(a, blocked).blocklist.added).toEqual([{ id: id(50), name: "https://shadow.example.com/mcp" }]);
    // A rollout change (block now ↔ log until a date, or another date) is a changed entry, not a remove and an add.
    const logging = { ...base(), shadow: { blocklist: [{ ...entry, mode: "log" as const, enforceAt: "2030-03-29T00:00:00.000Z" }] } };
    const extended = { ...base(), shadow: { blocklist: [{ ...entry, mode: "log" as const, enforceAt: "2030-04-12T00:00:00.000Z" }] } };
    for (const [from, to] of [
      [blocked, logging],
      [logging, blocked],
      [logging, extended],
    ] as const) {
      expect(diffBundles(from, to)).toMatchObject({ identical: false, blocklist: { added: [], removed: [], changed: [{ id: id(50), name: "https://shadow.example.com/mcp" }] } });
    }

    const limit = { id: id(60), name: "ten a minute", subject: { type: "everyone" as const }, per: "user" as const, scope: { kind: "mcp" as const }, limit: 10, windowSeconds: 60 };
    const limited = { ...base(), limits: { ...a.limits, rateLimits: [limit] } };
    expect(diffBundles(a, limited)).toMatchObject({ identical: false, rateLimits: { added: [{ id: id(60), name: "ten a minute" }] } });
    const tighter = { ...base(), limits: { ...a.limits, rateLimits: [{ ...limit, limit: 5 }] } };
    expect(diffBundles(limited, tighter).rateLimits.changed).toEqual([{ id: id(60), name: "ten a minute" }]);

    const priced = { ...base(), llm: { ...a.llm, prices: [{ provider: "openai" as const, model: "gpt-x", inputPerMTok: 1, outputPerMTok: 2 }] } };
    expect(diffBundles(a, priced)).toMatchObject({ identical: false, prices: { added: [{ id: "openai/gpt-x", name: "openai/gpt-x" }] } });

    const codemode = { ...base(), codemode: { mode: "enforced" as const, shape: "code" as const } };
    expect(diffBundles(a, codemode)).toMatchObject({ identical: false, codemode: { from: null, to: { mode: "enforced", shape: "code" } } });
    expect(diffBundles(codemode, { ...codemode, version: 9 }).identical).toBe(true);

    const marked = base();
    marked.servers[0] = { ...marked.servers[0]!, tools: marked.servers[0]!.tools.map((t) => (t.name === "get_weather" ? { ...t, approval: true as const, readOnly: true } : t)) };
    expect(diffBundles(a, marked).servers.changed).toEqual([
      { id: id(1), slug: "weather", fields: [], tools: { added: [], removed: [], hashChanged: [], approvalChanged: ["get_weather"], readOnlyChanged: ["get_weather"] } },
    ]);
  });
});
