/**
 * Where MCP clients keep their server lists, per OS. Pure: takes a platform, a home directory and
 * an environment, returns candidate paths; the CLI decides which exist. Which clients' paths are
 * confirmed by their docs and which are not: docs/laptop-scan.md.
 */

export type Platform = "darwin" | "win32" | "linux";

export const CLIENT_IDS = [
  "claude-desktop",
  "claude-code",
  "cursor",
  "vscode",
  "vscode-insiders",
  "windsurf",
  "gemini-cli",
  "cline",
  "roo-code",
  "zed",
  "continue",
  "codex",
  "lm-studio",
  "kiro",
  "amazon-q",
] as const;
export type ClientId = (typeof CLIENT_IDS)[number];

/**
 * How a file lays out its servers:
 * - `mcpServers`: `{ mcpServers: { name: server } }` (Claude Desktop, Cursor, Windsurf, Gemini, Cline, Roo, .mcp.json)
 * - `claude-code`: `mcpServers` at the top and under `projects[path].mcpServers`
 * - `vscode-mcp`: `{ servers: { name: server } }` (VS Code mcp.json)
 * - `vscode-settings`: `{ "mcp": { "servers": … } }` in settings.json (older VS Code)
 * - `zed`: `{ context_servers: { name: server } }`
 * - `continue-yaml` / `continue-json`: Continue's `mcpServers` list, or `experimental.modelContextProtocolServers`
 * - `codex-toml`: Codex's `[mcp_servers.<name>]` tables in config.toml
 */
export type ConfigFormat = "mcpServers" | "claude-code" | "vscode-mcp" | "vscode-settings" | "zed" | "continue-yaml" | "continue-json" | "codex-toml";

export interface CandidatePath {
  client: ClientId;
  path: string;
  format: ConfigFormat;
  scope: "user" | "project";
}

export interface PathContext {
  platform: Platform;
  home: string;
  /** Only APPDATA, XDG_CONFIG_HOME, CLAUDE_CONFIG_DIR and CODEX_HOME are read. */
  env?: Record<string, string | undefined>;
  /** Project directories whose project-level configs should be read too. */
  projects?: string[];
}

/** Joins path parts with the platform's separator, without node:path (this module is pure). */
export function joinPath(platform: Platform, ...parts: string[]): string {
  const sep = platform === "win32" ? "\\" : "/";
  return parts
    .filter((p) => p.length > 0)
    .map((p, i) => {
      const split = p.split(/[\\/]+/);
      return i === 0 ? split.join(sep).replace(/[\\/]+$/, "") || sep : split.filter(Boolean).join(sep);
    })
    .join(sep)
    .replace(/([\\/])[\\/]+/g, "$1");
}

/** The per-user application-data directory where VS Code-family apps and Claude Desktop live. */
function appDataDir(ctx: PathContext): string {
  const { platform, home, env = {} } = ctx;
  if (platform === "darwin") return joinPath(platform, home, "Library", "Application Support");
  if (platform === "win32") return env.APPDATA || joinPath(platform, home, "AppData", "Roaming");
  return env.XDG_CONFIG_HOME || joinPath(platform, home, ".config");
}

/** Zed keeps ~/.config/zed on macOS as well as linux. */
function zedDir(ctx: PathContext): string {
  const { platform, home, env = {} } = ctx;
  if (platform === "win32") return joinPath(platform, env.APPDATA || joinPath(platform, home, "AppData", "Roaming"), "Zed");
  return joinPath(platform, env.XDG_CONFIG_HOME || joinPath(platform, home, ".config"), "zed");
}

/** Every place this scanner looks, user-level first, then per project. */
export function candidatePaths(ctx: PathContext): CandidatePath[] {
  const { platform, home, env = {} } = ctx;
  const j = (...parts: string[]) => joinPath(platform, ...parts);
  const appData = appDataDir(ctx);
  const user = (client: ClientId, path: string, format: ConfigFormat): CandidatePath => ({ client, path, format, scope: "user" });
  const out: CandidatePath[] = [
    user("claude-desktop", j(appData, "Claude", "claude_desktop_config.json"), "mcpServers"),
    user("claude-code", j(env.CLAUDE_CONFIG_DIR || home, ".claude.json"), "claude-code"),
    user("cursor", j(home, ".cursor", "mcp.json"), "mcpServers"),
    user("windsurf", j(home, ".codeium", "windsurf", "mcp_config.json"), "mcpServers"),
    user("gemini-cli", j(home, ".gemini", "settings.json"), "mcpServers"),
    user("zed", j(zedDir(ctx), "settings.json"), "zed"),
    user("continue", j(home, ".continue", "config.yaml"), "continue-yaml"),
    user("continue", j(home, ".continue", "config.json"), "continue-json"),
    user("codex", j(env.CODEX_HOME || j(home, ".codex"), "config.toml"), "codex-toml"),
    user("lm-studio", j(home, ".lmstudio", "mcp.json"), "mcpServers"),
    user("kiro", j(home, ".kiro", "settings", "mcp.json"), "mcpServers"),
    user("amazon-q", j(home, ".aws", "amazonq", "mcp.json"), "mcpServers"),
  ];
  for (const [client, product] of [
    ["vscode", "Code"],
    ["vscode-insiders", "Code - Insiders"],
  ] as const) {
    const userDir = j(appData, product, "User");
    out.push(user(client, j(userDir, "mcp.json"), "vscode-mcp"));
    out.push(user(client, j(userDir, "settings.json"), "vscode-settings"));
    out.push(user("cline", j(userDir, "globalStorage", "saoudrizwan.claude-dev", "settings", "cline_mcp_settings.json"), "mcpServers"));
    out.push(user("roo-code", j(userDir, "globalStorage", "rooveterinaryinc.roo-cline", "settings", "mcp_settings.json"), "mcpServers"));
  }
  for (const project of ctx.projects ?? []) {
    const p = (client: ClientId, path: string, format: ConfigFormat): CandidatePath => ({ client, path: j(project, path), format, scope: "project" });
    out.push(
      p("claude-code", ".mcp.json", "mcpServers"),
      p("cursor", ".cursor/mcp.json", "mcpServers"),
      p("vscode", ".vscode/mcp.json", "vscode-mcp"),
      p("vscode", ".vscode/settings.json", "vscode-settings"),
      p("gemini-cli", ".gemini/settings.json", "mcpServers"),
      p("roo-code", ".roo/mcp.json", "mcpServers"),
      p("zed", ".zed/settings.json", "zed"),
      p("codex", ".codex/config.toml", "codex-toml"),
      p("kiro", ".kiro/settings/mcp.json", "mcpServers"),
      p("amazon-q", ".amazonq/mcp.json", "mcpServers"),
    );
  }
  return out;
}
