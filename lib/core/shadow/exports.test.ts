import { describe, expect, it } from "vitest";
import { gatewayHttpPolicies, gatewayHttpPolicy, gatewayTrafficExpression, mcpDlpProfile, MCP_DLP_ENTRY_NAMES, type BlockEntry } from "./exports";

let n = 0;
const entry = (origin: string, pathPrefix = "", reason = "Shadow MCP finding"): BlockEntry => ({
  id: `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`,
  origin,
  pathPrefix,
  reason,
});

/** Unescapes a wirefilter string literal's body (the inverse of the module's escaping). */
const unescapeWf = (s: string): string => s.replace(/\\([\\"])/g, "$1");

/** The regex of the first `http.request.uri.path matches "…"` in an expression, as a RegExp. */
function pathRegex(expr: string): RegExp {
  const m = /http\.request\.uri\.path matches "((?:[^"\\]|\\.)*)"/.exec(expr);
  if (m === null) throw new Error(`no path regex in ${expr}`);
  return new RegExp(unescapeWf(m[1]!));
}

describe("gatewayTrafficExpression", () => {
  it("host only", () => {
    expect(gatewayTrafficExpression([entry("https://mcp.example.com")])).toBe('(http.request.host == "mcp.example.com")');
  });

  it("host and path prefix on a segment boundary", () => {
    const expr = gatewayTrafficExpression([entry("https://api.example.com", "/mcp")]);
    expect(expr).toBe('(http.request.host == "api.example.com" and (http.request.uri.path == "/mcp" or http.request.uri.path matches "^/mcp/"))');
    const re = pathRegex(expr);
    expect(re.test("/mcp/sse")).toBe(true);
    expect(re.test("/mcp/")).toBe(true);
    expect(re.test("/mcpx")).toBe(false);
    expect(re.test("/api/mcp/x")).toBe(false);
  });

  it("escapes regex metacharacters in a path prefix", () => {
    const expr = gatewayTrafficExpression([entry("https://api.example.com", "/v1.0/mcp")]);
    expect(expr).toContain('matches "^/v1\\\\.0/mcp/"');
    const re = pathRegex(expr);
    expect(re.test("/v1.0/mcp/x")).toBe(true);
    expect(re.test("/v1x0/mcp/x")).toBe(false);
  });

  it("non-default port: no port selector in HTTP policies, so the host in both forms", () => {
    const expr = gatewayTrafficExpression([entry("http://10.0.0.5:8080", "/mcp")]);
    expect(expr).toContain('http.request.host in {"10.0.0.5" "10.0.0.5:8080"}');
    expect(expr).not.toContain("net.dst.port");
    expect(gatewayTrafficExpression([entry("https://mcp.example.com:443")])).toBe('(http.request.host == "mcp.example.com")');
  });

  it("IPv6 literal, with and without brackets", () => {
    expect(gatewayTrafficExpression([entry("http://[2001:db8::1]")])).toBe('(http.request.host in {"[2001:db8::1]" "2001:db8::1"})');
    expect(gatewayTrafficExpression([entry("http://[::1]:3000")])).toBe('(http.request.host in {"[::1]" "::1" "[::1]:3000"})');
  });

  it("escapes quotes and backslashes", () => {
    const expr = gatewayTrafficExpression([entry("https://mcp.example.com", '/a"b\\c')]);
    expect(expr).toContain('http.request.uri.path == "/a\\"b\\\\c"');
    // No unescaped quote inside any string literal: every literal parses back.
    const literals = expr.match(/"(?:[^"\\]|\\.)*"/g) ?? [];
    expect(literals.map((l) => unescapeWf(l.slice(1, -1)))).toContain('/a"b\\c');
  });

  it("ORs several entries, one clause per host, merging covered prefixes", () => {
    const expr = gatewayTrafficExpression([
      entry("https://mcp.example.com"),
      entry("https://api.other.com", "/mcp"),
      entry("https://api.other.com", "/mcp/sse"),
      entry("http://api.other.com", "/sse"),
      entry("https://mcp.example.com", "/x"),
    ]);
    expect(expr).toBe(
      '(http.request.host == "mcp.example.com") or (http.request.host == "api.other.com" and ((http.request.uri.path == "/mcp" or http.request.uri.path matches "^/mcp/") or (http.request.uri.path == "/sse" or http.request.uri.path matches "^/sse/")))',
    );
    expect(expr.split(" or (http.request.host").length).toBe(2);
  });

  it("does not merge a prefix that only shares characters", () => {
    const expr = gatewayTrafficExpression([entry("https://a.com", "/mcp"), entry("https://a.com", "/mcpx")]);
    expect(expr).toContain('== "/mcpx"');
    expect(expr).toContain('== "/mcp"');
  });

  it("throws on an empty list and on an invalid origin", () => {
    expect(() => gatewayTrafficExpression([])).toThrow("Nothing to export: the block list is empty");
    expect(() => gatewayTrafficExpression([entry("not a url")])).toThrow(/invalid origin/);
    expect(() => gatewayTrafficExpression([entry("ftp://x.com")])).toThrow(/invalid origin/);
  });
});

describe("gatewayHttpPolicy", () => {
  it("builds a Gateway HTTP block rule", () => {
    const entries = [entry("https://mcp.example.com"), entry("https://api.other.com", "/mcp")];
    const r = gatewayHttpPolicy(entries, { name: "Block shadow MCP", precedence: 42 });
    expect(r.name).toBe("Block shadow MCP");
    expect(r.action).toBe("block");
    expect(r.enabled).toBe(true);
    expect(r.filters).toEqual(["http"]);
    expect(r.traffic).toBe(gatewayTrafficExpression(entries));
    expect(r.identity).toBe("");
    expect(r.device_posture).toBe("");
    expect(r.precedence).toBe(42);
    expect(r.rule_settings.block_reason.length).toBeGreaterThan(0);
    expect(r.description).toContain("2 unapproved MCP servers");
  });

  it("leaves precedence out unless given, and throws on an empty list", () => {
    const r = gatewayHttpPolicy([entry("https://mcp.example.com")]);
    expect("precedence" in r).toBe(false);
    expect(r.name.length).toBeGreaterThan(0);
    expect(() => gatewayHttpPolicy([])).toThrow("Nothing to export: the block list is empty");
  });
});

describe("gatewayHttpPolicies (rollout)", () => {
  const at = Date.parse("2030-03-15T12:00:00Z");
  const logging = (origin: string, pathPrefix = "", enforceAt?: string): BlockEntry => ({ ...entry(origin, pathPrefix), mode: "log", ...(enforceAt ? { enforceAt } : {}) });

  it("puts blocking entries in a block rule and logging ones in an Allow rule that names each date", () => {
    const blocked = entry("https://blocked.example.com");
    const dated = logging("https://dated.example.com", "/mcp", "2030-03-29T00:00:00.000Z");
    const timed = logging("https://timed.example.com", "", "2030-04-01T09:30:00.000Z");
    const open = logging("https://open.example.com");
    const [block, log, ...rest] = gatewayHttpPolicies([blocked, dated, timed, open], at, { precedence: 7 });
    expect(rest).toEqual([]);
    expect(block).toEqual(gatewayHttpPolicy([blocked], { precedence: 7 }));
    expect(log).toMatchObject({ name: "Portcullis: log shadow MCP servers (would block)", action: "allow", enabled: true, filters: ["http"], identity: "", device_posture: "", precedence: 8, rule_settings: {} });
    expect(log!.traffic).toBe(`(${gatewayTrafficExpression([dated, timed, open])}) and not (${gatewayTrafficExpression([blocked])})`);
    expect(log!.description).toContain("3 MCP servers");
    expect(log!.description).toContain("https://dated.example.com/mcp: switch to block on 2030-03-29;");
    expect(log!.description).toContain("https://timed.example.com: switch to block on 2030-04-01 09:30 UTC;");
    expect(log!.description).toContain("https://open.example.com: no date set (logging until changed in Portcullis)");
    expect(log!.description).toContain("Gateway cannot switch by itself");
  });

  it("moves a logging entry to the block rule once its date has come, and leaves out a rule with nothing to match", () => {
    const dated = logging("https://dated.example.com", "", "2030-03-29T00:00:00.000Z");
    const onlyLog = gatewayHttpPolicies([dated], at);
    expect(onlyLog.map((r) => r.action)).toEqual(["allow"]);
    // Nothing blocks: no "and not" clause, and no precedence unless asked.
    expect(onlyLog[0]!.traffic).toBe(gatewayTrafficExpression([dated]));
    expect("precedence" in onlyLog[0]!).toBe(false);
    const after = gatewayHttpPolicies([dated], Date.parse("2030-03-29T00:00:00Z"));
    expect(after).toEqual([gatewayHttpPolicy([dated])]);
    // An enforceAt that does not parse blocks (fail closed), here as at the edge.
    expect(gatewayHttpPolicies([logging("https://x.example.com", "", "soon")], at).map((r) => r.action)).toEqual(["block"]);
    expect(() => gatewayHttpPolicies([], at)).toThrow("Nothing to export: the block list is empty");
  });

  it("keeps a blocked path under a logged origin blocked, whatever the order of the two rules", () => {
    const [block, log] = gatewayHttpPolicies([logging("https://api.example.com", "", "2030-04-01T00:00:00.000Z"), entry("https://api.example.com", "/admin")], at);
    expect(block!.traffic).toContain('"/admin"');
    expect(log!.traffic).toMatch(/^\(\(http\.request\.host == "api\.example\.com"\)\) and not \(.*"\/admin".*\)$/);
  });

  it("names at most 20 entries' dates and counts the rest", () => {
    const many = Array.from({ length: 23 }, (_, i) => logging(`https://m${i}.example.com`, "", "2030-04-01T00:00:00.000Z"));
    const [log] = gatewayHttpPolicies(many, at);
    expect(log!.description.match(/switch to block on/g)).toHaveLength(20);
    expect(log!.description).toContain("and 3 more (see Portcullis)");
  });
});

describe("mcpDlpProfile", () => {
  const profile = mcpDlpProfile();
  const regexOf = (name: string): RegExp => {
    const e = profile.entries.find((x) => x.name === name);
    if (e === undefined) throw new Error(`no entry ${name}`);
    return new RegExp(e.pattern.regex);
  };

  const body = (method: string, params: unknown = {}) => JSON.stringify({ jsonrpc: "2.0", id: 1, method, params });
  const pretty = (method: string, params: unknown = {}) => JSON.stringify({ params, method, id: 7, jsonrpc: "2.0" }, null, 2);
  const initParams = { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "claude", version: "1.0" } };

  /** A real MCP body for each entry. */
  const POSITIVE: Record<string, string[]> = {
    "MCP Initialize Method": [body("initialize", initParams), pretty("initialize", initParams), `{"params":{"protocolVersion":"2024-11-05"},"method" : "initialize","id":0,"jsonrpc":"2.0"}`],
    "MCP Tools Call": [body("tools/call", { name: "read_file", arguments: { path: "/etc/passwd" } }), pretty("tools/call", { name: "x" })],
    "MCP Tools List": [body("tools/list"), pretty("tools/list")],
    "MCP Protocol Version": [body("initialize", initParams), pretty("initialize", { ...initParams, protocolVersion: "2025-11-25" })],
    "MCP Notifications Initialized": [JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })],
    "MCP Resources List": [body("resources/list")],
    "MCP Resources Read": [body("resources/read", { uri: "file:///a.txt" })],
    "MCP Prompts List": [body("prompts/list")],
    "MCP Prompts Get": [body("prompts/get", { name: "review" })],
    "MCP JSON-RPC Method": [body("tools/call"), body("resources/templates/list"), pretty("logging/setLevel", { level: "info" }), body("completion/complete")],
  };

  const NEGATIVE: Record<string, string> = {
    ethereum: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_call", params: [{ to: "0xabc", data: "0x70a08231" }, "latest"] }),
    lsp: JSON.stringify({ jsonrpc: "2.0", method: "textDocument/didOpen", params: { textDocument: { uri: "file:///a.ts", languageId: "typescript", version: 1, text: "const a = 1;" } } }),
    lspInitialize: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { processId: 1, rootUri: "file:///w", capabilities: {}, clientInfo: { name: "vscode" } } }),
    a2a: JSON.stringify({ jsonrpc: "2.0", id: "t1", method: "tasks/send", params: { id: "t1", message: { role: "user", parts: [{ type: "text", text: "hi" }] } } }),
    mention: JSON.stringify({ text: "the method tools/call is how an MCP client calls a tool; see also initialize and resources/read" }),
    quotedMention: JSON.stringify({ text: 'send {"method": "tools/call", "protocolVersion": "2025-06-18"} to the server' }),
    mcpResponse: JSON.stringify({ jsonrpc: "2.0", id: 1, result: { tools: [{ name: "tools/call" }] } }),
  };

  it("exports exactly the named entries, all enabled, all known to the detector", () => {
    expect(profile.entries.map((e) => e.name)).toEqual([...MCP_DLP_ENTRY_NAMES]);
    expect(profile.entries.every((e) => e.enabled)).toBe(true);
    const known = [
      "mcp initialize method",
      "mcp tools call",
      "mcp tools list",
      "mcp protocol version",
      "mcp notifications initialized",
      "mcp resources list",
      "mcp resources read",
      "mcp prompts list",
      "mcp prompts get",
      "mcp json-rpc method",
    ];
    expect(MCP_DLP_ENTRY_NAMES.map((x) => x.toLowerCase()).sort()).toEqual([...known].sort());
    expect(Object.keys(POSITIVE).sort()).toEqual([...MCP_DLP_ENTRY_NAMES].sort());
  });

  it("has the fields the custom-profile API takes", () => {
    expect(profile.name.length).toBeGreaterThan(0);
    expect(profile.description.length).toBeGreaterThan(0);
    expect(profile.allowed_match_count).toBe(0);
    expect(profile.context_awareness).toEqual({ enabled: false, skip: { files: false } });
    expect(profile.ocr_enabled).toBe(false);
  });

  it("uses no lookaround, backreference or inline flag (Rust regex), and compiles in JavaScript", () => {
    for (const e of profile.entries) {
      expect(e.pattern.regex, e.name).not.toMatch(/\(\?[=!<]|\\[1-9]|\(\?[a-z]/);
      expect(() => new RegExp(e.pattern.regex, "u"), e.name).not.toThrow();
    }
  });

  it.each(Object.entries(POSITIVE))("%s matches a real MCP body", (name, bodies) => {
    const re = regexOf(name);
    for (const b of bodies) expect(re.test(b), b).toBe(true);
  });

  it.each(Object.keys(NEGATIVE))("no entry matches the %s body", (kind) => {
    const b = NEGATIVE[kind]!;
    for (const e of profile.entries) expect(new RegExp(e.pattern.regex).test(b), `${e.name} on ${b}`).toBe(false);
  });

  it("method entries require the method itself, not a neighbour", () => {
    expect(regexOf("MCP Tools Call").test(body("tools/list"))).toBe(false);
    expect(regexOf("MCP Resources List").test(body("resources/list_changed"))).toBe(false);
    expect(regexOf("MCP Prompts List").test(body("prompts/get"))).toBe(false);
    expect(regexOf("MCP Initialize Method").test(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }))).toBe(false);
    expect(regexOf("MCP Protocol Version").test(`{"protocolVersion":"latest"}`)).toBe(false);
    expect(regexOf("MCP JSON-RPC Method").test(body("ping"))).toBe(false);
  });
});
