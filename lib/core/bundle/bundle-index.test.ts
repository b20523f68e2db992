import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { blockingEntry, blockMarks, indexBundle, llmAccess, portalRefusal, serverAccess, toolAccess, visibleServers } from "./bundle-index";
import { BUNDLE_SCHEMA_VERSION, type ConfigBundle } from "./schema";

const HASH = "a".repeat(64);

function bundle(blocklist: ConfigBundle["shadow"]["blocklist"]): ConfigBundle {
  const userId = randomUUID();
  return {
    schemaVersion: BUNDLE_SCHEMA_VERSION,
    version: 1,
    issuedAt: "2026-11-26T12:00:00.000Z",
    issuer: "test",
    servers: [
      { id: randomUUID(), slug: "github", name: "GitHub", url: "https://mcp.example.com/mcp", transport: "streamable-http", credential: null, tools: [{ name: "get_issue", hash: HASH, state: "enabled" }] },
      { id: randomUUID(), slug: "memory", name: "Memory", url: "http://127.0.0.1:4001/mcp", transport: "streamable-http", credential: null, tools: [{ name: "read", hash: HASH, state: "enabled" }] },
    ],
    tokens: [],
    users: [{ id: userId, email: "ada@example.com", role: "member", teamIds: [], groups: [] }],
    teams: [],
    policies: { rules: [{ id: randomUUID(), effect: "allow", subject: { type: "everyone" }, resource: { serverSlug: "*", tool: "*" }, priority: 1000 }] },
    limits: { rateLimits: [], budgets: [] },
    llm: {
      providers: [{ id: randomUUID(), slug: "openai", name: "OpenAI", kind: "openai", baseUrl: "https://api.openai.com/v1", credential: null, cacheTtlSeconds: 0, logBodies: false }],
      prices: [],
    },
    shadow: { blocklist },
  };
}

describe("the block list in the bundle index", () => {
  const entry = (origin: string, pathPrefix = "") => ({ id: randomUUID(), origin, pathPrefix, reason: "Shadow MCP finding" });

  it("refuses servers and LLM providers under an entry, whatever policies allow, and names the entry", () => {
    const index = indexBundle(bundle([entry("https://mcp.example.com"), entry("https://api.openai.com", "/v1")]));
    const caller = { user: index.bundle.users[0]! };
    const [github, memory] = index.bundle.servers;
    const tool = toolAccess(index, caller, github!, "get_issue");
    expect(tool).toMatchObject({ ok: false, code: "SERVER_BLOCKED" });
    expect(!tool.ok && tool.reason).toBe("SERVER_BLOCKED: https://mcp.example.com is on the shadow-MCP block list (Shadow MCP finding)");
    expect(serverAccess(index, caller, github!)).toMatchObject({ effect: "deny", ruleId: null });
    expect(visibleServers(index, caller).map((s) => s.slug)).toEqual(["memory"]);
    expect(toolAccess(index, caller, memory!, "read").ok).toBe(true);
    expect(llmAccess(index, caller, "openai", "gpt-5")).toMatchObject({ effect: "deny", reason: expect.stringMatching(/^SERVER_BLOCKED/) });
  });

  it("leaves everything else alone: another path, another port, an empty list", () => {
    const narrow = indexBundle(bundle([entry("https://mcp.example.com", "/other"), entry("http://127.0.0.1:4002")]));
    expect(narrow.coveredSlugs.size).toBe(0);
    const open = indexBundle(bundle([]));
    const caller = { user: open.bundle.users[0]! };
    expect(visibleServers(open, caller).map((s) => s.slug)).toEqual(["github", "memory"]);
    expect(llmAccess(open, caller, "openai", "gpt-5").effect).toBe("allow");
  });
});

describe("rolling a block out: log, then block at enforceAt", () => {
  const enforceAt = "2026-12-20T12:00:00.000Z";
  const before = new Date("2026-12-20T11:59:59.999Z");
  const after = new Date(enforceAt);
  const index = indexBundle(
    bundle([
      { id: randomUUID(), origin: "https://mcp.example.com", pathPrefix: "", reason: "Shadow MCP finding", mode: "log", enforceAt },
      { id: randomUUID(), origin: "https://api.openai.com", pathPrefix: "", reason: "by hand", mode: "log" },
    ]),
  );
  const [github] = index.bundle.servers;
  const user = index.bundle.users[0]!;

  it("lets calls through while logging, and refuses them from enforceAt on — the same bundle, no publish", () => {
    expect(toolAccess(index, { user, at: before }, github!, "get_issue").ok).toBe(true);
    expect(serverAccess(index, { user, at: before }, github!).effect).toBe("allow");
    expect(visibleServers(index, { user, at: before }).map((s) => s.slug)).toEqual(["github", "memory"]);
    expect(blockingEntry(index, "github", before.getTime())).toBeNull();

    expect(toolAccess(index, { user, at: after }, github!, "get_issue")).toMatchObject({ ok: false, code: "SERVER_BLOCKED" });
    expect(serverAccess(index, { user, at: after }, github!)).toMatchObject({ effect: "deny", reason: expect.stringMatching(/^SERVER_BLOCKED/) });
    expect(visibleServers(index, { user, at: after }).map((s) => s.slug)).toEqual(["memory"]);
    expect(blockingEntry(index, "github", after.getTime())?.origin).toBe("https://mcp.example.com");
  });

  it("a log entry without enforceAt logs until it is changed", () => {
    expect(llmAccess(index, { user, at: new Date("2099-01-01T00:00:00Z") }, "openai", "gpt-5").effect).toBe("allow");
  });

  it("marks events: allowed calls through a log entry would be blocked; refusals by the block list name the entry; others carry nothing", () => {
    const id = index.coveredSlugs.get("github")!.id;
    expect(blockMarks(index, "github", "allowed", "allowed by rule")).toEqual({ blockId: id, wouldBlock: true });
    const refused = toolAccess(index, { user, at: after }, github!, "get_issue");
    expect(blockMarks(index, "github", "denied", !refused.ok ? refused.reason : null)).toEqual({ blockId: id, wouldBlock: false });
    expect(blockMarks(index, "github", "denied", "POLICY_DENIED: no rule")).toBeNull();
    expect(blockMarks(index, "memory", "allowed", null)).toBeNull();
    expect(blockMarks(index, null, "allowed", null)).toBeNull();
  });
});

describe("role and credential scopes at the edge", () => {
  function withTools(): ConfigBundle {
    const b = bundle([]);
    b.servers[0]!.tools = [
      { name: "get_issue", hash: HASH, state: "enabled", readOnly: true },
      { name: "create_issue", hash: HASH, state: "enabled" },
    ];
    b.users.push({ id: randomUUID(), email: "vic@example.com", role: "viewer", teamIds: [], groups: [] });
    return b;
  }

  it("refuses a viewer everything, whatever the policies allow and whatever the credential's scopes", () => {
    const index = indexBundle(withTools());
    const viewer = { user: index.bundle.users[1]!, scopes: ["read", "write"] as const };
    const github = index.bundle.servers[0]!;
    expect(portalRefusal(viewer)).toMatchObject({ code: "ROLE_NOT_ALLOWED" });
    expect(toolAccess(index, viewer, github, "get_issue")).toMatchObject({ ok: false, code: "ROLE_NOT_ALLOWED" });
    expect(serverAccess(index, viewer, github)).toMatchObject({ effect: "deny", reason: expect.stringMatching(/^ROLE_NOT_ALLOWED/) });
    expect(llmAccess(index, viewer, "openai", "gpt-5")).toMatchObject({ effect: "deny", reason: expect.stringMatching(/^ROLE_NOT_ALLOWED/) });
    expect(visibleServers(index, viewer)).toEqual([]);
  });

  it("lets a read-only credential list and read, and call only tools whose approved definition is read-only; no LLM calls", () => {
    const index = indexBundle(withTools());
    const reader = { user: index.bundle.users[0]!, scopes: ["read"] as const };
    const github = index.bundle.servers[0]!;
    expect(portalRefusal(reader)).toBeNull();
    expect(toolAccess(index, reader, github, "get_issue").ok).toBe(true);
    expect(toolAccess(index, reader, github, "create_issue")).toMatchObject({ ok: false, code: "MISSING_SCOPE" });
    expect(serverAccess(index, reader, github).effect).toBe("allow");
    expect(llmAccess(index, reader, "openai", "gpt-5")).toMatchObject({ effect: "deny", reason: expect.stringMatching(/^MISSING_SCOPE/) });
    const writer = { user: index.bundle.users[0]!, scopes: ["read", "write"] as const };
    expect(toolAccess(index, writer, github, "create_issue").ok).toBe(true);
    expect(llmAccess(index, writer, "openai", "gpt-5").effect).toBe("allow");
  });
});
