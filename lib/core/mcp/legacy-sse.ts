/**
 * The old HTTP+SSE transport (MCP 2024-11-05) beside Streamable HTTP on one endpoint, as the
 * Streamable HTTP spec's "Backwards Compatibility" allows: a GET that accepts an event stream and
 * names no session opens a legacy session, whose stream first says where to POST
 * (`event: endpoint`, `<endpoint>?sessionId=<id>`); a POST to that URI carries one message in.
 * Pure: which requests are the legacy transport's, and its endpoint URI. The portal Worker's
 * routes/legacy-sse.ts and session/legacy-sse-transport.ts use it; docs/mcp-endpoint.md, "Legacy
 * HTTP+SSE (2024-11-05)".
 */
import { z } from "zod";

/** The ids the portal hands out (`crypto.randomUUID()`): anything else names no session. */
const SessionIdSchema = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

export type LegacySseRequest =
  /** GET: open a new legacy session (its event stream). */
  | { kind: "open" }
  /** POST to `?sessionId=`: one message (or batch) for that session; `sessionId` null when it is not one the portal could have made. */
  | { kind: "message"; sessionId: string | null };

export interface LegacySseProbe {
  method: string;
  url: URL;
  accept: string | null;
  /** The Streamable HTTP `Mcp-Session-Id` header: a request carrying it is never the legacy transport's. */
  sessionHeader: string | null;
}

/** Whether an Accept header names `text/event-stream` (as a media range, not a substring of another type). */
export function acceptsEventStream(accept: string | null): boolean {
  return (accept ?? "").split(",").some((range) => range.split(";")[0]!.trim().toLowerCase() === "text/event-stream");
}

/**
 * Which legacy request this is, or null for every other (the Streamable HTTP path's): a GET with
 * no `Mcp-Session-Id` that accepts an event stream opens a session; a POST with no
 * `Mcp-Session-Id` whose query names `sessionId` (once) is a message for one.
 */
export function legacySseRequest({ method, url, accept, sessionHeader }: LegacySseProbe): LegacySseRequest | null {
  if (sessionHeader !== null) return null;
  if (method === "GET") return acceptsEventStream(accept) ? { kind: "open" } : null;
  if (method !== "POST" || !url.searchParams.has("sessionId")) return null;
  const ids = url.searchParams.getAll("sessionId");
  const parsed = SessionIdSchema.safeParse(ids.length === 1 ? ids[0] : null);
  return { kind: "message", sessionId: parsed.success ? parsed.data : null };
}

/** The `endpoint` event's data: a URI relative to the server, on the same endpoint path (`/mcp?sessionId=…`, `/mcp/{slug}?sessionId=…`). */
export function legacyEndpointUri(endpoint: string, sessionId: string): string {
  return `${endpoint}?${new URLSearchParams({ sessionId })}`;
}
