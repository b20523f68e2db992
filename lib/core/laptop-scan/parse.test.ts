import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { ClientId, ConfigFormat } from "./clients";
import { parseConfig, stripJsonComments, type FoundServer } from "./parse";
import { looksSecret, redactArgs, redactUrl, REDACTED } from "./redact";
import { assertNoSecrets, buildReport } from "./report";

const FIXTURES = path.resolve(import.meta.dirname, "../../../testing/fixtures/mcp-configs");
const expected = JSON.parse(readFileSync(path.join(FIXTURES, "expected.json"), "utf8")) as {
  secrets: Record<string, string>;
  servers: Record<string, [string, string, string][]>;
};
const SECRETS = Object.values(expected.secrets);

function parseFixture(client: ClientId, format: ConfigFormat, rel: string) {
  const file = path.join(FIXTURES, rel);
  const result = parseConfig({ client, path: file, format }, readFileSync(file, "utf8"));
  expect(result.error).toBeUndefined();
  assertNoSecrets(result, SECRETS);
  return result;
}
const byName = (servers: FoundServer[], name: string) => {
  const server = servers.find((s) => s.name === name);
  if (!server) throw new Error(`no server ${name} in ${servers.map((s) => s.name).join(", ")}`);
  return server;
};

describe("stripJsonComments", () => {
  it("removes line and block comments and trailing commas, not string contents", () => {
    const text = `{
      // a comment
      "url": "https://example.com/a//b", /* block
      comment */ "glob": "src/**/*.ts",
      "list": [1, 2,],
      "quote": "say \\"hi\\", // not a comment",
    }`;
    expect(JSON.parse(stripJsonComments(text))).toEqual({ url: "https://example.com/a//b", glob: "src/**/*.ts", list: [1, 2], quote: 'say "hi", // not a comment' });
  });

  it("leaves plain JSON unchanged", () => {
    const text = JSON.stringify({ a: [1, { b: "c,}" }] });
    expect(stripJsonComments(text)).toBe(text);
  });
});

describe("redaction of arguments", () => {
  it("keeps ordinary arguments", () => {
    const args = ["-y", "@modelcontextprotocol/server-filesystem", "/Users/ann/Documents", "--port", "3000", "mcp-server-sequential-thinking", "--read-only"];
    expect(redactArgs(args)).toEqual({ args, value: args.join(" "), removed: [] });
  });

  it("redacts --flag=value, --flag value, headers, env assignments, bearer and prefixed tokens", () => {
    const { args, removed } = redactArgs([
      "--api-key=abc123",
      "--token",
      "plain",
      "--header",
      "Authorization: Bearer xyz",
      "-e",
      "DB_URL=postgres://u:p@h/db",
      "GITHUB_TOKEN=abc",
      "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
      "Bearer qwerty",
    ]);
    expect(args).toEqual(["--api-key=[redacted]", "--token", REDACTED, "--header", "Authorization: [redacted]", "-e", "DB_URL=[redacted]", "GITHUB_TOKEN=[redacted]", REDACTED, REDACTED]);
    expect(removed).toEqual(["arg:0", "arg:2", "arg:4", "arg:6", "arg:7", "arg:8", "arg:9"]);
  });

  it("redacts long high-entropy strings but not long words or hex-free names", () => {
    expect(looksSecret("Zx8Kq2Lm9Pw4Rt7Vb1Nc5Hd3Jf6Gs0Ya")).toBe(true);
    expect(looksSecret("f3a9c21b4e8d6a2c59e1b7d3f6a08c4e")).toBe(true);
    expect(looksSecret("modelcontextprotocol-server-everything")).toBe(false);
    expect(looksSecret("@modelcontextprotocol/server-github")).toBe(false);
    expect(looksSecret("ghcr.io/github/github-mcp-server")).toBe(false);
  });

  it("redacts credentials inside URL arguments and --flag=URL", () => {
    expect(redactArgs(["postgresql://app:pw@db:5432/x"]).args).toEqual(["postgresql://[redacted]@db:5432/x"]);
    expect(redactArgs(["--url=https://h/mcp?key=abc"]).args).toEqual(["--url=https://h/mcp?key=[redacted]"]);
    expect(redactArgs(["https://mcp.atlassian.com/v1/sse"]).removed).toEqual([]);
  });
});

describe("redaction of URLs", () => {
  it("removes userinfo, secret query values, secret path segments and fragments", () => {
    expect(redactUrl("https://user:pw@h.example/mcp")).toEqual({ value: "https://[redacted]@h.example/mcp", removed: ["url:userinfo"] });
    expect(redactUrl("https://h.example/sse?token=abc&org=acme").value).toBe("https://h.example/sse?token=[redacted]&org=acme");
    expect(redactUrl("https://actions.zapier.com/mcp/sk-ak-Zp9Wq4Er7Ty2Ui5Op8As1Df3Gh6Jk/sse")).toEqual({
      value: "https://actions.zapier.com/mcp/[redacted]/sse",
      removed: ["url:path"],
    });
    expect(redactUrl("https://h.example/mcp#access_token=x").value).toBe("https://h.example/mcp#[redacted]");
  });

  it("keeps ordinary URLs as they are", () => {
    for (const url of ["https://mcp.linear.app/mcp", "https://api.githubcopilot.com/mcp/", "http://localhost:3000/sse?units=metric"]) {
      expect(redactUrl(url)).toEqual({ value: url, removed: [] });
    }
  });
});

describe("per-client parsing (fixtures)", () => {
  it("Claude Code: top-level and per-project servers", () => {
    const { servers } = parseFixture("claude-code", "claude-code", "home-linux/.claude.json");
    expect(servers.map((s) => [s.name, s.transport, s.project ?? null])).toEqual([
      ["github", "stdio", null],
      ["linear", "http", null],
      ["postgres", "stdio", "/home/ann/src/payments"],
    ]);
    expect(byName(servers, "github").envNames).toEqual(["GITHUB_PERSONAL_ACCESS_TOKEN"]);
    expect(byName(servers, "linear")).toMatchObject({ url: "https://mcp.linear.app/mcp", headerNames: ["Authorization"] });
    expect(byName(servers, "postgres").args?.[2]).toBe("postgresql://[redacted]@db.internal:5432/payments");
  });

  it("Claude Desktop", () => {
    const { servers } = parseFixture("claude-desktop", "mcpServers", "home-linux/.config/Claude/claude_desktop_config.json");
    expect(byName(servers, "atlassian").args).toEqual(["-y", "mcp-remote", "https://mcp.atlassian.com/v1/sse", "--header", "Authorization: [redacted]"]);
    const mac = parseFixture("claude-desktop", "mcpServers", "home-darwin/Library/Application Support/Claude/claude_desktop_config.json");
    expect(byName(mac.servers, "in-house").args).toEqual(["/Users/ann/tools/server.js", "--port", "3000", REDACTED]);
  });

  it("Cursor: stdio with a key flag, remote SSE with a token in the query", () => {
    const { servers } = parseFixture("cursor", "mcpServers", "home-linux/.cursor/mcp.json");
    expect(byName(servers, "stripe").args).toContain("--api-key=[redacted]");
    expect(byName(servers, "sentry")).toMatchObject({ transport: "sse", url: "https://mcp.sentry.dev/sse?token=[redacted]&org=acme" });
  });

  it("Windsurf: serverUrl, disabled servers", () => {
    const { servers } = parseFixture("windsurf", "mcpServers", "home-linux/.codeium/windsurf/mcp_config.json");
    expect(byName(servers, "zapier")).toMatchObject({ transport: "sse", url: "https://actions.zapier.com/mcp/[redacted]/sse" });
    expect(byName(servers, "brave-search")).toMatchObject({ disabled: true, envNames: ["BRAVE_API_KEY"] });
  });

  it("Gemini CLI: httpUrl is streamable HTTP, url is SSE", () => {
    const { servers } = parseFixture("gemini-cli", "mcpServers", "home-linux/.gemini/settings.json");
    expect(servers.map((s) => [s.name, s.transport])).toEqual([
      ["github-remote", "http"],
      ["slack", "stdio"],
      ["legacy-events", "sse"],
    ]);
  });

  it("VS Code: mcp.json with comments, and settings.json's mcp.servers (not its other settings)", () => {
    const mcp = parseFixture("vscode", "vscode-mcp", "home-linux/.config/Code/User/mcp.json");
    expect(mcp.servers.map((s) => [s.name, s.transport])).toEqual([
      ["playwright", "stdio"],
      ["notion", "http"],
    ]);
    const settings = parseFixture("vscode", "vscode-settings", "home-linux/.config/Code/User/settings.json");
    expect(settings.servers.map((s) => s.name)).toEqual(["fetch"]);
    const project = parseFixture("vscode", "vscode-mcp", "project/.vscode/mcp.json");
    expect(byName(project.servers, "mcp-docker").args).toContain("API_TOKEN=[redacted]");
  });

  it("Cline and Roo Code", () => {
    const cline = parseFixture("cline", "mcpServers", "home-linux/.config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json");
    expect(byName(cline.servers, "aws-kb").envNames).toEqual(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"]);
    expect(byName(cline.servers, "acme-remote")).toMatchObject({ transport: "http", headerNames: ["X-Api-Key"] });
    const roo = parseFixture("roo-code", "mcpServers", "project/.roo/mcp.json");
    expect(byName(roo.servers, "internal").args).toEqual(["-m", "internal_mcp", "--password", REDACTED]);
  });

  it("Zed: context_servers, both the flat and the nested command shape", () => {
    const linux = parseFixture("zed", "zed", "home-linux/.config/zed/settings.json");
    expect(byName(linux.servers, "context7").args).toEqual(["-y", "@upstash/context7-mcp", "--api-key", REDACTED]);
    expect(byName(linux.servers, "remote-mcp-server")).toMatchObject({ transport: "http", headerNames: ["Authorization"] });
    const mac = parseFixture("zed", "zed", "home-darwin/.config/zed/settings.json");
    expect(byName(mac.servers, "brave")).toMatchObject({ command: "npx", transport: "stdio", envNames: ["BRAVE_API_KEY"] });
  });

  it("Continue: YAML list of servers", () => {
    const { servers } = parseFixture("continue", "continue-yaml", "home-linux/.continue/config.yaml");
    expect(byName(servers, "SQLite")).toMatchObject({ transport: "stdio", envNames: ["SQLITE_CREDENTIAL"] });
    expect(byName(servers, "Internal docs")).toMatchObject({ transport: "http", url: "https://[redacted]@mcp.internal.example/mcp" });
  });

  it("Continue: JSON experimental.modelContextProtocolServers", () => {
    const text = JSON.stringify({ experimental: { modelContextProtocolServers: [{ transport: { type: "stdio", command: "uvx", args: ["mcp-server-sqlite"], env: { K: "v" } } }] } });
    const { servers } = parseConfig({ client: "continue", path: "/c.json", format: "continue-json" }, text);
    expect(servers).toEqual([expect.objectContaining({ name: "server-1", command: "uvx", transport: "stdio", envNames: ["K"] })]);
  });
});

describe("more clients (fixtures)", () => {
  it("Codex: TOML tables, inline env, header and bearer names, disabled servers", () => {
    const { servers } = parseFixture("codex", "codex-toml", "home-linux/.codex/config.toml");
    expect(servers.map((s) => [s.name, s.transport, s.disabled ?? false])).toEqual([
      ["docs", "stdio", false],
      ["figma", "http", false],
      ["old server", "stdio", true],
    ]);
    expect(byName(servers, "docs")).toMatchObject({ envNames: ["DOCS_TOKEN", "LOG_LEVEL"], args: ["-y", "mcp-docs-server", "--database", "postgres://[redacted]@localhost/docs"] });
    expect(byName(servers, "figma").headerNames).toEqual(["X-Figma-Key", "Authorization"]);
    const project = parseFixture("codex", "codex-toml", "project/.codex/config.toml");
    expect(byName(project.servers, "internal-api")).toMatchObject({ headerNames: ["Authorization"], redactions: ["header:Authorization"] });
  });

  it("Kiro: inline JSON with a key in an argument is dropped", () => {
    const { servers } = parseFixture("kiro", "mcpServers", "home-linux/.kiro/settings/mcp.json");
    expect(byName(servers, "kiro-tools").args).toEqual(["/opt/kiro-tools/index.js", REDACTED]);
  });

  it("LM Studio and Amazon Q (Cursor's notation)", () => {
    const lm = parseFixture("lm-studio", "mcpServers", "home-darwin/.lmstudio/mcp.json");
    expect(byName(lm.servers, "hf-mcp-server")).toMatchObject({ transport: "http", url: "https://huggingface.co/mcp", headerNames: ["Authorization"] });
    const q = parseFixture("amazon-q", "mcpServers", "home-darwin/.aws/amazonq/mcp.json");
    expect(byName(q.servers, "reports-db").args?.[0]).toBe("DATABASE_URL=postgresql://[redacted]@db.corp:5432/reports");
  });
});

describe("parseConfig errors and report", () => {
  it("reports a broken file without quoting its content", () => {
    const result = parseConfig({ client: "cursor", path: "/x", format: "mcpServers" }, '{"mcpServers": {"a": {"env": {"K": "sk-live-SECRET-VALUE"}}');
    expect(result.servers).toEqual([]);
    expect(result.error).toMatch(/^invalid JSON/);
    expect(result.error).not.toContain("SECRET");
  });

  it("counts what was kept back, by kind", () => {
    const { redactionReport } = parseFixture("cline", "mcpServers", "home-linux/.config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json");
    expect(redactionReport).toEqual({ envValues: 3, headerValues: 1, args: 0, urlParts: 0 });
  });

  it("buildReport validates the strict shape; assertNoSecrets catches a leak", () => {
    const report = buildReport({
      device: { name: "laptop-7", os: "linux 6.1", user: "ann" },
      scannedAt: "2026-01-02T03:04:05.000Z",
      files: [
        { candidate: { client: "cursor", path: "/h/.cursor/mcp.json", format: "mcpServers", scope: "user" }, text: '{"mcpServers":{"a":{"url":"https://h/mcp?token=t0k3n"}}}' },
        { candidate: { client: "zed", path: "/h/.config/zed/settings.json", format: "zed", scope: "user" }, error: "EACCES" },
      ],
    });
    expect(report.files).toEqual([
      { client: "cursor", path: "/h/.cursor/mcp.json", found: 1 },
      { client: "zed", path: "/h/.config/zed/settings.json", found: 0, error: "EACCES" },
    ]);
    expect(report.redactionReport.urlParts).toBe(1);
    expect(() => assertNoSecrets(report, ["t0k3n"])).not.toThrow();
    expect(() => assertNoSecrets({ ...report, note: "t0k3n" }, ["t0k3n"])).toThrow(/leaks 1 secret/);
  });
});
