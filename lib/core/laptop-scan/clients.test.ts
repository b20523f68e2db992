import { describe, expect, it } from "vitest";
import { candidatePaths, joinPath, type ClientId, type Platform } from "./clients";

const pathsOf = (platform: Platform, home: string, env: Record<string, string> = {}, projects: string[] = []) =>
  candidatePaths({ platform, home, env, projects });
const pathFor = (platform: Platform, home: string, client: ClientId, suffix: string, env: Record<string, string> = {}) =>
  pathsOf(platform, home, env).find((c) => c.client === client && c.path.endsWith(suffix))?.path;

describe("joinPath", () => {
  it("joins with the platform's separator and collapses duplicates", () => {
    expect(joinPath("linux", "/home/ann/", ".cursor", "mcp.json")).toBe("/home/ann/.cursor/mcp.json");
    expect(joinPath("win32", "C:\\Users\\ann", ".cursor/mcp.json")).toBe("C:\\Users\\ann\\.cursor\\mcp.json");
    expect(joinPath("darwin", "/", "x")).toBe("/x");
  });
});

describe("candidate paths per OS", () => {
  it("finds Claude Desktop under each OS's application-data folder", () => {
    expect(pathFor("darwin", "/Users/ann", "claude-desktop", ".json")).toBe("/Users/ann/Library/Application Support/Claude/claude_desktop_config.json");
    expect(pathFor("win32", "C:\\Users\\ann", "claude-desktop", ".json", { APPDATA: "C:\\Users\\ann\\AppData\\Roaming" })).toBe(
      "C:\\Users\\ann\\AppData\\Roaming\\Claude\\claude_desktop_config.json",
    );
    expect(pathFor("win32", "C:\\Users\\ann", "claude-desktop", ".json")).toBe("C:\\Users\\ann\\AppData\\Roaming\\Claude\\claude_desktop_config.json");
    expect(pathFor("linux", "/home/ann", "claude-desktop", ".json")).toBe("/home/ann/.config/Claude/claude_desktop_config.json");
    expect(pathFor("linux", "/home/ann", "claude-desktop", ".json", { XDG_CONFIG_HOME: "/xdg" })).toBe("/xdg/Claude/claude_desktop_config.json");
  });

  it("finds home-relative configs the same way on every OS", () => {
    for (const [platform, home, sep] of [
      ["darwin", "/Users/ann", "/"],
      ["linux", "/home/ann", "/"],
      ["win32", "C:\\Users\\ann", "\\"],
    ] as const) {
      const j = (...p: string[]) => [home, ...p].join(sep);
      const paths = pathsOf(platform, home).map((c) => `${c.client} ${c.path}`);
      expect(paths).toContain(`claude-code ${j(".claude.json")}`);
      expect(paths).toContain(`cursor ${j(".cursor", "mcp.json")}`);
      expect(paths).toContain(`windsurf ${j(".codeium", "windsurf", "mcp_config.json")}`);
      expect(paths).toContain(`gemini-cli ${j(".gemini", "settings.json")}`);
      expect(paths).toContain(`continue ${j(".continue", "config.yaml")}`);
    }
  });

  it("honours CLAUDE_CONFIG_DIR for Claude Code and CODEX_HOME for Codex", () => {
    expect(pathFor("linux", "/home/ann", "claude-code", ".claude.json", { CLAUDE_CONFIG_DIR: "/cfg" })).toBe("/cfg/.claude.json");
    expect(pathFor("linux", "/home/ann", "codex", "config.toml")).toBe("/home/ann/.codex/config.toml");
    expect(pathFor("linux", "/home/ann", "codex", "config.toml", { CODEX_HOME: "/cx" })).toBe("/cx/config.toml");
  });

  it("finds LM Studio, Kiro and Amazon Q under the home folder", () => {
    const paths = pathsOf("win32", "C:\\Users\\ann").map((c) => `${c.client} ${c.path}`);
    expect(paths).toContain("lm-studio C:\\Users\\ann\\.lmstudio\\mcp.json");
    expect(paths).toContain("kiro C:\\Users\\ann\\.kiro\\settings\\mcp.json");
    expect(paths).toContain("amazon-q C:\\Users\\ann\\.aws\\amazonq\\mcp.json");
  });

  it("finds VS Code, Cline and Roo Code in the VS Code user folder", () => {
    const mac = pathsOf("darwin", "/Users/ann").map((c) => c.path);
    expect(mac).toContain("/Users/ann/Library/Application Support/Code/User/mcp.json");
    expect(mac).toContain("/Users/ann/Library/Application Support/Code/User/settings.json");
    expect(mac).toContain("/Users/ann/Library/Application Support/Code - Insiders/User/mcp.json");
    expect(mac).toContain("/Users/ann/Library/Application Support/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json");
    expect(mac).toContain("/Users/ann/Library/Application Support/Code/User/globalStorage/rooveterinaryinc.roo-cline/settings/mcp_settings.json");
    expect(pathFor("linux", "/home/ann", "vscode", "User/mcp.json")).toBe("/home/ann/.config/Code/User/mcp.json");
    expect(pathFor("win32", "C:\\Users\\ann", "cline", "cline_mcp_settings.json", { APPDATA: "D:\\roam" })).toBe(
      "D:\\roam\\Code\\User\\globalStorage\\saoudrizwan.claude-dev\\settings\\cline_mcp_settings.json",
    );
  });

  it("finds Zed in ~/.config/zed on macOS and linux, %APPDATA%\\Zed on Windows", () => {
    expect(pathFor("darwin", "/Users/ann", "zed", "settings.json")).toBe("/Users/ann/.config/zed/settings.json");
    expect(pathFor("linux", "/home/ann", "zed", "settings.json")).toBe("/home/ann/.config/zed/settings.json");
    expect(pathFor("win32", "C:\\Users\\ann", "zed", "settings.json", { APPDATA: "C:\\R" })).toBe("C:\\R\\Zed\\settings.json");
  });

  it("adds project-level configs for each project, and none without one", () => {
    expect(pathsOf("linux", "/home/ann").every((c) => c.scope === "user")).toBe(true);
    const project = pathsOf("linux", "/home/ann", {}, ["/src/app"]).filter((c) => c.scope === "project");
    expect(project.map((c) => `${c.client} ${c.path} ${c.format}`)).toEqual([
      "claude-code /src/app/.mcp.json mcpServers",
      "cursor /src/app/.cursor/mcp.json mcpServers",
      "vscode /src/app/.vscode/mcp.json vscode-mcp",
      "vscode /src/app/.vscode/settings.json vscode-settings",
      "gemini-cli /src/app/.gemini/settings.json mcpServers",
      "roo-code /src/app/.roo/mcp.json mcpServers",
      "zed /src/app/.zed/settings.json zed",
      "codex /src/app/.codex/config.toml codex-toml",
      "kiro /src/app/.kiro/settings/mcp.json mcpServers",
      "amazon-q /src/app/.amazonq/mcp.json mcpServers",
    ]);
  });

  it("never lists the same path twice", () => {
    for (const platform of ["darwin", "linux", "win32"] as const) {
      const paths = pathsOf(platform, platform === "win32" ? "C:\\Users\\a" : "/h", {}, ["/p"]).map((c) => c.path);
      expect(new Set(paths).size).toBe(paths.length);
    }
  });
});
