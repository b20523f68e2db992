/** Test support for the Logpush ingest: a Cloudflare Gateway HTTP record (`gateway_http`, as Logpush writes it). */

/** An MCP request that Gateway's MCP DLP profile matched (tools/call and tools/list), from a known MCP client; `extra` overrides fields. */
export function gatewayHttpLine(url: string, email: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    Datetime: new Date().toISOString(),
    Email: email,
    DeviceName: "LAPTOP-7",
    HTTPMethod: "POST",
    HTTPHost: new URL(url).host,
    URL: url,
    HTTPStatusCode: 200,
    UserAgent: "claude-code/1.0.0",
    UploadMatchedDlpProfiles: ["MCP Traffic"],
    UploadMatchedDlpProfileEntries: ["MCP Tools Call", "MCP Tools List"],
    DownloadMatchedDlpProfiles: [],
    DownloadMatchedDlpProfileEntries: [],
    ...extra,
  });
}
