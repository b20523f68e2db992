import { describe, expect, it } from "vitest";
import { acceptsEventStream, legacyEndpointUri, legacySseRequest } from "./legacy-sse";

const ID = "3f1c2b9e-8d7a-4c6b-9e5f-0a1b2c3d4e5f";
const probe = (method: string, path: string, accept: string | null = "text/event-stream", sessionHeader: string | null = null) => legacySseRequest({ method, url: new URL(path, "https://portal.test"), accept, sessionHeader });

describe("legacySseRequest", () => {
  it("opens a session for a GET that accepts an event stream and names no session", () => {
    expect(probe("GET", "/mcp")).toEqual({ kind: "open" });
    expect(probe("GET", "/mcp/weather", "application/json, text/event-stream;q=0.9")).toEqual({ kind: "open" });
  });

  it("leaves to Streamable HTTP a GET with Mcp-Session-Id, or one that does not accept an event stream", () => {
    expect(probe("GET", "/mcp", "text/event-stream", ID)).toBeNull();
    expect(probe("GET", "/mcp", "application/json")).toBeNull();
    expect(probe("GET", "/mcp", null)).toBeNull();
    expect(probe("GET", "/mcp", "text/event-streamx")).toBeNull();
  });

  it("reads a POST to ?sessionId= as a message for that session, naming only ids the portal could have made", () => {
    expect(probe("POST", `/mcp?sessionId=${ID}`)).toEqual({ kind: "message", sessionId: ID });
    expect(probe("POST", `/mcp/weather?sessionId=${ID}`, null)).toEqual({ kind: "message", sessionId: ID });
    for (const query of ["sessionId=", "sessionId=x", `sessionId=${ID.toUpperCase()}`, `sessionId=${ID}0`, "sessionId=..%2F..%2Fetc%2Fpasswd", `sessionId=${ID}&sessionId=${ID}`]) {
      expect(probe("POST", `/mcp?${query}`)).toEqual({ kind: "message", sessionId: null });
    }
  });

  it("leaves every other request to Streamable HTTP", () => {
    expect(probe("POST", "/mcp")).toBeNull();
    expect(probe("POST", `/mcp?sessionId=${ID}`, null, ID)).toBeNull();
    expect(probe("DELETE", `/mcp?sessionId=${ID}`)).toBeNull();
    expect(probe("PUT", "/mcp")).toBeNull();
  });
});

describe("acceptsEventStream and legacyEndpointUri", () => {
  it("matches the media range, any case, with parameters", () => {
    expect(acceptsEventStream("Text/Event-Stream; charset=utf-8")).toBe(true);
    expect(acceptsEventStream("*/*")).toBe(false);
  });

  it("names the session on the endpoint's own path", () => {
    expect(legacyEndpointUri("/mcp", ID)).toBe(`/mcp?sessionId=${ID}`);
    expect(legacyEndpointUri("/mcp/weather", ID)).toBe(`/mcp/weather?sessionId=${ID}`);
  });
});
