import { describe, expect, it } from "vitest";
import { connectInstructions, mcpEndpoint } from "./connect";

describe("connect instructions", () => {
  const url = mcpEndpoint("http://localhost:8787/");

  it("builds the portal endpoints", () => {
    expect(url).toBe("http://localhost:8787/mcp");
    expect(mcpEndpoint("https://mcp.acme.com", "weather")).toBe("https://mcp.acme.com/mcp/weather");
  });

  it("gives each client its own configuration shape", () => {
    const byId = Object.fromEntries(connectInstructions(url).map((c) => [c.id, c]));
    expect(JSON.parse(byId["claude-desktop"]!.snippet)).toEqual({ mcpServers: { portcullis: { command: "npx", args: ["-y", "mcp-remote", url] } } });
    expect(byId["claude-code"]!.snippet).toBe("claude mcp add --transport http portcullis http://localhost:8787/mcp");
    expect(JSON.parse(byId["cursor"]!.snippet)).toEqual({ mcpServers: { portcullis: { url } } });
    expect(JSON.parse(byId["vscode"]!.snippet)).toEqual({ servers: { portcullis: { type: "http", url } } });
  });
});
