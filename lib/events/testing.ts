import type { PortalEvent } from "./schema";

/** A valid event with every field present; override what a test cares about. */
export function makeEvent(overrides: Partial<PortalEvent> = {}): PortalEvent {
  return {
    id: crypto.randomUUID(),
    time: new Date().toISOString(),
    userId: null,
    email: "dev@example.test",
    teamId: null,
    tokenId: null,
    authMethod: "token",
    clientName: "claude-code",
    clientVersion: "1.0.0",
    clientIp: "127.0.0.1",
    clientCountry: null,
    sessionId: "session-1",
    method: "tools/call",
    endpoint: "/mcp",
    serverId: null,
    serverSlug: "weather",
    serverUrl: "http://127.0.0.1:9000/mcp",
    tool: "get_weather",
    prompt: null,
    resourceUri: null,
    decision: "allowed",
    reason: "approved server, enabled tool",
    ruleId: null,
    success: true,
    error: null,
    durationMs: 12,
    bytesIn: 100,
    bytesOut: 200,
    resultTokens: 42,
    bundleVersion: 1,
    ...overrides,
  };
}
