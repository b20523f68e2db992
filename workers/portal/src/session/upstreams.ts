/**
 * The session's upstream clients: one per server, connected on first use, recorded in storage so an
 * evicted object's upstream sessions can still be ended, and relaying server-to-client traffic.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  ResultSchema,
  type ClientCapabilities,
  type Notification,
  type ServerNotification,
  type ServerRequest,
} from "@modelcontextprotocol/sdk/types.js";
import type { BundleServer } from "@core/bundle/schema";
import { blockingEntry } from "@core/bundle/bundle-index";
import { toolHash } from "@core/tools/tool-hash";
import type { McpToolDefinition } from "@core/tools/tool-types";
import { storedActive } from "../config";
import { closeUpstream, connectUpstream, terminateUpstreamSession, upstreamHeaders, upstreamSession, type UpstreamSessionRecord } from "../upstream";
import { fetchWithProof, portalProof, proofHeader, userSubject, type ProofContext } from "../upstream-proof";
import { blockedError } from "./errors";
import type { LiveTool, SessionState, Upstream } from "./state";

/** Storage key prefix of the upstream sessions this session opened (UpstreamSessionRecord). */
const UPSTREAM_KEY = "upstream:";

export function connectedUpstream(s: SessionState, server: BundleServer): Promise<Upstream> {
  // Never connect to a blocked URL, whichever path asked (defense in depth behind the access checks).
  const blocked = s.index ? blockingEntry(s.index, server.slug) : null;
  if (blocked) return Promise.reject(blockedError(server, `SERVER_BLOCKED: ${blocked.origin}${blocked.pathPrefix}`));
  let upstream = s.upstreams.get(server.id);
  if (!upstream) {
    upstream = (async () => {
      const headers = await upstreamHeaders(server, s.env.PORTCULLIS_EDGE_SECRET);
      const capabilities: ClientCapabilities = {};
      if (s.clientCapabilities.sampling) capabilities.sampling = s.clientCapabilities.sampling;
      if (s.clientCapabilities.elicitation) capabilities.elicitation = s.clientCapabilities.elicitation;
      if (s.clientCapabilities.roots) capabilities.roots = s.clientCapabilities.roots;
      const holder: Partial<Upstream> = { server };
      const fetch = fetchWithProof(server, s.env.PORTCULLIS_EDGE_SECRET, () => sessionProof(s));
      const client = await connectUpstream({ server, headers, clientInfo: s.clientInfo, capabilities, fetch }, (c) => configureUpstream(s, c, holder, capabilities));
      holder.client = client;
      const session = upstreamSession(server, client);
      if (session) await s.ctx.storage.put(`${UPSTREAM_KEY}${server.id}`, { ...session, issuer: s.origin } satisfies UpstreamSessionRecord);
      if (s.logLevel && client.getServerCapabilities()?.logging) await client.setLoggingLevel(s.logLevel as never).catch(() => undefined);
      return holder as Upstream;
    })();
    s.upstreams.set(server.id, upstream);
    // A failed connection is not cached: the next request tries again.
    upstream.catch(() => s.upstreams.delete(server.id));
  }
  return upstream;
}

/** The session's caller as upstream proofs name them (read per request: teams follow the bundle); the portal itself once the user is gone. */
function sessionProof(s: SessionState): ProofContext {
  const user = s.owner && s.index?.usersById.get(s.owner.userId);
  return user && s.index ? { issuer: s.origin, subject: userSubject(s.index, user, s.owner?.scopes ?? []) } : portalProof(s.origin);
}

/** Server-to-client traffic from the upstream goes to the caller, on the stream of the request that caused it. */
function configureUpstream(s: SessionState, client: Client, holder: Partial<Upstream>, capabilities: ClientCapabilities): void {
  const relay = async (request: { method: string; params?: Record<string, unknown> }, signal: AbortSignal) => {
    const current = s.inflight.at(-1);
    const req = request as ServerRequest;
    return current ? current.sendRequest(req, ResultSchema, { signal }) : s.server!.request(req, ResultSchema, { signal });
  };
  if (capabilities.sampling) client.setRequestHandler(CreateMessageRequestSchema, (req, extra) => relay(req, extra.signal) as never);
  if (capabilities.elicitation) client.setRequestHandler(ElicitRequestSchema, (req, extra) => relay(req, extra.signal) as never);
  if (capabilities.roots) client.setRequestHandler(ListRootsRequestSchema, (req, extra) => relay(req, extra.signal) as never);
  client.fallbackNotificationHandler = async (notification: Notification) => {
    if (notification.method === "notifications/tools/list_changed") {
      holder.tools = undefined;
      s.toolNames = undefined;
    }
    if (notification.method === "notifications/prompts/list_changed") s.promptNames = undefined;
    await notifyCaller(s, notification);
  };
}

async function notifyCaller(s: SessionState, notification: Notification): Promise<void> {
  const current = s.inflight.at(-1);
  try {
    if (current) await current.sendNotification(notification as ServerNotification);
    else await s.server?.notification(notification as ServerNotification);
  } catch {
    // The caller went away or does not take this notification; nothing to deliver it to.
  }
}

export function liveTools(s: SessionState, upstream: Upstream, refresh = false): Promise<Map<string, LiveTool>> {
  if (!upstream.tools || refresh) {
    upstream.tools = (async () => {
      const tools = new Map<string, LiveTool>();
      let cursor: string | undefined;
      do {
        const page = await upstream.client.listTools(cursor ? { cursor } : undefined, { timeout: s.upstreamTimeoutMs() });
        for (const def of page.tools) tools.set(def.name, { def, hash: await toolHash(def as McpToolDefinition) });
        cursor = page.nextCursor;
      } while (cursor);
      return tools;
    })();
    upstream.tools.catch(() => (upstream.tools = undefined));
  }
  return upstream.tools;
}

export async function endUpstream(s: SessionState, upstream: Promise<Upstream>): Promise<void> {
  const u = await upstream.catch(() => undefined);
  if (!u) return;
  await closeUpstream(u.client);
  await s.ctx.storage.delete(`${UPSTREAM_KEY}${u.server.id}`);
}

/** Upstream sessions recorded by an object that is gone: end them with the servers' current credentials. */
export async function endStoredUpstreams(s: SessionState): Promise<void> {
  const stored = await s.ctx.storage.list<UpstreamSessionRecord>({ prefix: UPSTREAM_KEY });
  if (stored.size === 0) return;
  const active = await storedActive(s.env);
  await Promise.allSettled(
    [...stored.values()].map(async (record) => {
      // A server no longer published: its credential is gone, and so is the reason to call it.
      const server = active?.bundle.servers.find((srv) => srv.id === record.serverId && srv.url === record.url);
      if (!server) return;
      // An alarm of a fresh object knows no request: the issuer the session's proofs named.
      const issuer = s.origin || record.issuer || s.env.PORTCULLIS_PUBLIC_URL;
      const proof = issuer ? await proofHeader(server, s.env.PORTCULLIS_EDGE_SECRET, portalProof(issuer)) : {};
      await terminateUpstreamSession(record, { ...(await upstreamHeaders(server, s.env.PORTCULLIS_EDGE_SECRET)), ...proof });
    }),
  );
  await s.ctx.storage.deleteAlarm();
  await s.ctx.storage.deleteAll();
}
