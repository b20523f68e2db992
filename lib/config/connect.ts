/**
 * How to point AI clients at the portal: the snippets the Portal page shows, one per client.
 * Pure, so the page and its tests build exactly the same text.
 */
export interface ClientInstructions {
  id: "claude-desktop" | "claude-code" | "cursor" | "vscode";
  client: string;
  /** Where the snippet goes. */
  where: string;
  language: "json" | "sh";
  snippet: string;
}

const json = (value: unknown) => JSON.stringify(value, null, 2);

/** `name` is the entry's name in the client's configuration; `url` the portal's MCP endpoint. */
export function connectInstructions(url: string, name = "portcullis"): ClientInstructions[] {
  return [
    {
      id: "claude-desktop",
      client: "Claude Desktop",
      where: "Settings → Developer → Edit Config (claude_desktop_config.json), through the mcp-remote bridge",
      language: "json",
      snippet: json({ mcpServers: { [name]: { command: "npx", args: ["-y", "mcp-remote", url] } } }),
    },
    {
      id: "claude-code",
      client: "Claude Code",
      where: "in a terminal",
      language: "sh",
      snippet: `claude mcp add --transport http ${name} ${url}`,
    },
    {
      id: "cursor",
      client: "Cursor",
      where: "~/.cursor/mcp.json (or .cursor/mcp.json in a project)",
      language: "json",
      snippet: json({ mcpServers: { [name]: { url } } }),
    },
    {
      id: "vscode",
      client: "VS Code",
      where: ".vscode/mcp.json in the workspace (or MCP: Open User Configuration)",
      language: "json",
      snippet: json({ servers: { [name]: { type: "http", url } } }),
    },
  ];
}

/** The portal's MCP endpoints: all approved servers at `/mcp`, one server's tools under their own names at `/mcp/{slug}`. */
export function mcpEndpoint(publicUrl: string, slug?: string): string {
  const base = publicUrl.replace(/\/+$/, "");
  return slug ? `${base}/mcp/${slug}` : `${base}/mcp`;
}
