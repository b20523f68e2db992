import { describe, expect, it } from "vitest";
import { blockedBy, blockModeAt, blockTargetOf, isCanonicalOrigin, isValidPathPrefix } from "./blocklist";
import { assessSeverity, isWriteTool } from "./severity";

const entry = (origin: string, pathPrefix = "") => ({ origin, pathPrefix });

describe("block list matching", () => {
  it("matches the full origin (scheme, host, port) and the path on segment boundaries", () => {
    const list = [entry("https://mcp.shadow.example", "/mcp"), entry("http://10.0.0.5:8080")];
    expect(blockedBy("https://mcp.shadow.example/mcp", list)).toBe(list[0]);
    expect(blockedBy("https://MCP.Shadow.example:443/mcp/sse?x=1", list)).toBe(list[0]);
    expect(blockedBy("https://mcp.shadow.example/mcpx", list)).toBeNull();
    expect(blockedBy("https://mcp.shadow.example/other", list)).toBeNull();
    expect(blockedBy("http://mcp.shadow.example/mcp", list)).toBeNull();
    expect(blockedBy("https://mcp.shadow.example:8443/mcp", list)).toBeNull();
    expect(blockedBy("http://10.0.0.5:8080/anything/at/all", list)).toBe(list[1]);
    expect(blockedBy("http://10.0.0.5/anything", list)).toBeNull();
    expect(blockedBy("not a url", list)).toBeNull();
    expect(blockedBy("https://x.example/", [])).toBeNull();
  });

  it("splits URLs into canonical targets and validates stored entries", () => {
    expect(blockTargetOf("https://MCP.example.com:443//v1//mcp/?q=1")).toEqual({ origin: "https://mcp.example.com", pathPrefix: "/v1/mcp" });
    expect(blockTargetOf("ftp://x.example/")).toBeNull();
    expect(isCanonicalOrigin("https://mcp.example.com")).toBe(true);
    expect(isCanonicalOrigin("https://mcp.example.com/")).toBe(false);
    expect(isCanonicalOrigin("https://mcp.example.com:443")).toBe(false);
    expect(isValidPathPrefix("")).toBe(true);
    expect(isValidPathPrefix("/mcp")).toBe(true);
    expect(isValidPathPrefix("/mcp/")).toBe(false);
    expect(isValidPathPrefix("mcp")).toBe(false);
  });
});

describe("finding severity", () => {
  const base = { kind: "remote" as const, url: "https://mcp.shadow.example/mcp", vendor: null, methods: {}, tools: {}, userCount: 1, deviceCount: 0 };

  it("reads tool names that change things", () => {
    expect(["create_issue", "deleteFile", "repo.push", "send-email", "setConfig"].map(isWriteTool)).toEqual([true, true, true, true, true]);
    expect(["get_weather", "list_issues", "search", "readFile", "settings_get"].map(isWriteTool)).toEqual([false, false, false, false, false]);
  });

  it("adds up tool calls, write tools, people, unknown vendors and plain HTTP, with reasons", () => {
    expect(assessSeverity({ ...base, vendor: "Linear" })).toEqual({ severity: "low", score: 0, reasons: [] });
    const unknown = assessSeverity(base);
    expect(unknown.severity).toBe("low");
    expect(unknown.reasons).toEqual(["Not a known vendor-hosted MCP endpoint (self-hosted or unknown)."]);
    const busy = assessSeverity({ ...base, methods: { "tools/call": 12 }, tools: { create_issue: 3, get_issue: 9 }, userCount: 14 });
    expect(busy.severity).toBe("high");
    expect(busy.score).toBe(6);
    expect(busy.reasons.join(" ")).toMatch(/create_issue/);
    expect(assessSeverity({ ...base, url: "http://mcp.shadow.example/mcp", vendor: "X", userCount: 3 }).severity).toBe("medium");
    expect(assessSeverity({ ...base, url: "http://127.0.0.1:3000/mcp", vendor: "X" }).reasons).toEqual([]);
  });

  it("rates local servers fetched at launch higher than local binaries", () => {
    const local = { kind: "stdio" as const, methods: {}, tools: {}, userCount: 1, deviceCount: 1 };
    expect(assessSeverity({ ...local, command: "npx -y @acme/mcp-server" })).toMatchObject({ severity: "medium", score: 2 });
    expect(assessSeverity({ ...local, command: "/usr/local/bin/my-mcp" })).toMatchObject({ severity: "low", score: 1 });
  });
});

describe("blockModeAt", () => {
  const at = Date.parse("2026-12-06T12:00:00Z");
  it("blocks entries without a mode, and block entries", () => {
    expect(blockModeAt({}, at)).toBe("block");
    expect(blockModeAt({ mode: "block" }, at)).toBe("block");
  });
  it("logs until enforceAt, then blocks by itself", () => {
    expect(blockModeAt({ mode: "log" }, at)).toBe("log");
    expect(blockModeAt({ mode: "log", enforceAt: "2026-12-20T12:00:00Z" }, at)).toBe("log");
    expect(blockModeAt({ mode: "log", enforceAt: "2026-12-06T12:00:00Z" }, at)).toBe("block");
    expect(blockModeAt({ mode: "log", enforceAt: new Date(at - 1) }, at)).toBe("block");
    expect(blockModeAt({ mode: "log", enforceAt: new Date(at + 1) }, at)).toBe("log");
  });
  it("fails closed on an enforceAt that does not parse", () => {
    expect(blockModeAt({ mode: "log", enforceAt: "soon" }, at)).toBe("block");
  });
});
