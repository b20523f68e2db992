/**
 * Refusals at the MCP route, before any session or call (an account no longer active, a revoked
 * token, a role or credential that may not use the portal, a blocked or unknown server): answered
 * as before, and audited, so security sees who tried what where it was stopped. One denied event per
 * JSON-RPC request in the body, naming the tool a tools/call named and the client an initialize
 * named; a request without a body (GET, DELETE) is one event named by its HTTP method.
 */
import { blockMarks, type BundleIndex } from "@core/bundle/bundle-index";
import type { BundleServer } from "@core/bundle/schema";
import { mcpEvent, type McpEventCaller } from "@core/events/mcp-event";
import type { PortalEvent } from "@core/events/schema";
import { readBoundedBody } from "@core/http/bounded-body";
import type { GrantProps } from "../auth";
import type { Env } from "../env";
import { enqueueEvents } from "../events/enqueue";

/** Refused requests are read to this many bytes for their audit event; a larger body is audited by its HTTP method. */
const AUDIT_READ_BYTES = 65_536;
/** Events per refused request at most (a batch of a thousand messages must not write a thousand events). */
export const MAX_EVENTS_PER_REFUSAL = 10;

type Message = { method?: unknown; params?: { name?: unknown; clientInfo?: { name?: unknown; version?: unknown } } };

export interface Refusal {
  /** `CODE: words`, as events' reasons read. */
  reason: string;
  /** The error as the caller got it (`code: message`). */
  error: string;
  server?: BundleServer | null;
}

/**
 * Audits `refusal` and returns `response`. The body is read first (a request answered before its
 * body was read costs the client its connection in workerd); the event goes out after the answer.
 */
export async function audited(request: Request, env: Env, ctx: ExecutionContext, config: BundleIndex, props: GrantProps, refusal: Refusal, response: Response): Promise<Response> {
  const endpoint = new URL(request.url).pathname.slice(0, 200);
  const messages = await messagesOf(request);
  ctx.waitUntil(
    (async () => {
      const user = config.usersById.get(props.userId);
      const at = new Date();
      const events: PortalEvent[] = messages.map((m) => {
        const tool = m.method === "tools/call" && typeof m.params?.name === "string" ? m.params.name : null;
        const client = m.method === "initialize" ? m.params?.clientInfo : undefined;
        const caller: McpEventCaller = {
          userId: props.userId,
          email: user?.email ?? props.email,
          teamIds: user?.teamIds ?? props.teamIds ?? [],
          tokenId: props.tokenId,
          authMethod: props.authMethod,
          clientName: typeof client?.name === "string" ? client.name : null,
          clientVersion: typeof client?.version === "string" ? client.version : null,
          clientIp: request.headers.get("cf-connecting-ip"),
          clientCountry: (request.cf?.country as string | undefined) ?? null,
          sessionId: request.headers.get("mcp-session-id"),
          endpoint,
        };
        const marks = blockMarks(config, refusal.server?.slug, "denied", refusal.reason);
        return mcpEvent(caller, { method: String(m.method), server: refusal.server ?? null, tool, decision: "denied", reason: refusal.reason, success: false, error: refusal.error, bundleVersion: config.bundle.version, ...marks }, crypto.randomUUID(), at);
      });
      await enqueueEvents(env, (p) => ctx.waitUntil(p), events);
    })().catch((error: unknown) => console.error(`[events] could not audit a refused MCP request: ${error instanceof Error ? error.message : String(error)}`)),
  );
  return response;
}

async function messagesOf(request: Request): Promise<(Message & { method: string })[]> {
  const byHttp = [{ method: `HTTP ${request.method}` }];
  if (request.method !== "POST" || request.bodyUsed) return byHttp;
  const bytes = await readBoundedBody(request, AUDIT_READ_BYTES).catch(() => null);
  if (!bytes) return byHttp;
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return byHttp;
  }
  const messages = (Array.isArray(body) ? body : [body]).filter((m): m is Message & { method: string } => typeof (m as Message | null)?.method === "string");
  return messages.length > 0 ? messages.slice(0, MAX_EVENTS_PER_REFUSAL) : byHttp;
}
