/**
 * `subscriptions/listen` (2026-07-28): the long-lived stream on which a client hears that its lists
 * changed. The portal's lists are the published bundle's, filtered for the caller, so the stream
 * is held by the Worker that received it (no Durable Object): it acknowledges what it will send,
 * then looks at the active configuration every `PORTCULLIS_CONFIG_CHECK_MS` (the same per-isolate
 * check every request makes) and tells the client when what *it* may list changed — tools (a
 * tool approved, removed, re-pinned, allowed or blocked for this caller) or the servers behind
 * prompts and resources. Resource subscriptions (`resourceSubscriptions`) are not offered and so
 * left out of the acknowledgement, as the spec says for types a server does not support. The
 * stream ends with the listen's result when the caller may no longer use the portal, and when the
 * client goes away. Spec: basic/transports/streamable-http.mdx, schema.ts `SubscriptionsListenRequest`.
 */
import { portalRefusal, toolAccess, visibleServers, type BundleIndex, type Caller } from "@core/bundle/bundle-index";
import { META_SERVER_INFO, type StatelessRequest } from "@core/mcp/stateless";
import { isJsonObject } from "@core/json/is-object";
import { activeConfig } from "../config";
import type { Env } from "../env";
import { msSetting } from "../settings";
import type { StatelessContext } from "./context";

export const META_SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";
const KEEPALIVE_MS = 15_000;
/** Without a publish, a listener's lists are looked at again this often (rules can depend on the time of day). */
const RECOMPUTE_MS = 60_000;
const DEFAULT_CHECK_MS = 1_000;

type Filter = { toolsListChanged?: boolean; promptsListChanged?: boolean; resourcesListChanged?: boolean };


/** What the listen request asks for, or the -32602 words when its params do not fit. */
export function readFilter(params: Record<string, unknown>): { ok: true; filter: Filter } | { ok: false; message: string } {
  const n = params.notifications;
  if (!isJsonObject(n)) return { ok: false, message: 'Invalid params for subscriptions/listen: "params.notifications" must be an object (the notification types to receive)' };
  for (const key of ["toolsListChanged", "promptsListChanged", "resourcesListChanged"] as const) {
    if (n[key] !== undefined && typeof n[key] !== "boolean") return { ok: false, message: `Invalid params for subscriptions/listen: "params.notifications.${key}" must be a boolean` };
  }
  if (n.resourceSubscriptions !== undefined && !(Array.isArray(n.resourceSubscriptions) && n.resourceSubscriptions.every((u) => typeof u === "string"))) {
    return { ok: false, message: 'Invalid params for subscriptions/listen: "params.notifications.resourceSubscriptions" must be a list of URIs' };
  }
  return { ok: true, filter: { toolsListChanged: n.toolsListChanged === true, promptsListChanged: n.promptsListChanged === true, resourcesListChanged: n.resourcesListChanged === true } };
}

/** What the caller may list, as a string that changes exactly when its lists do. */
function fingerprints(config: BundleIndex, caller: Caller, scope: string | null): { tools: string; servers: string } | null {
  const user = config.usersById.get(caller.user.id);
  if (!user) return null;
  const now = { ...caller, user, at: new Date() };
  if (portalRefusal(now)) return null;
  const servers = scope ? visibleServers(config, now).filter((s) => s.slug === scope) : visibleServers(config, now);
  let tools = "";
  for (const server of servers) {
    for (const tool of server.tools) if (toolAccess(config, now, server, tool.name).ok) tools += `${server.slug}/${tool.name}@${tool.hash}\n`;
  }
  return { tools, servers: servers.map((s) => `${s.slug}@${s.id}`).join(" ") };
}

/** The listen stream: acknowledgement, then list-changed notifications, until either side ends it. */
export function listen(request: Request, env: Env, ctx: ExecutionContext, who: StatelessContext, rpc: StatelessRequest & { id: string | number }, filter: Filter): Response {
  const agreed: Filter = {
    ...(filter.toolsListChanged ? { toolsListChanged: true } : {}),
    ...(filter.promptsListChanged ? { promptsListChanged: true } : {}),
    ...(filter.resourcesListChanged ? { resourcesListChanged: true } : {}),
  };
  const subscription = { [META_SUBSCRIPTION_ID]: rpc.id };
  const stream = new TransformStream<Uint8Array, Uint8Array>();
  const writer = stream.writable.getWriter();
  const encoder = new TextEncoder();
  const write = (text: string) => writer.write(encoder.encode(text));
  const message = (m: unknown) => write(`event: message\ndata: ${JSON.stringify(m)}\n\n`);
  const notify = (method: string) => message({ jsonrpc: "2.0", method, params: { _meta: subscription } });
  const checkMs = msSetting(env.PORTCULLIS_CONFIG_CHECK_MS, DEFAULT_CHECK_MS);

  ctx.waitUntil(
    (async () => {
      let last = fingerprints(who.config, who.caller, who.scope);
      let lastVersion = who.config.bundle.version;
      let lastComputed = Date.now();
      let quietSince = Date.now();
      try {
        await message({ jsonrpc: "2.0", method: "notifications/subscriptions/acknowledged", params: { notifications: agreed, _meta: subscription } });
        while (!request.signal.aborted) {
          await new Promise((resolve) => setTimeout(resolve, checkMs));
          // Not configFor: that is the request's own view, fixed when it arrived.
          const config = await activeConfig(env);
          if (!config) break;
          // What a caller may list changes with a publish, or with the clock (time-bound rules): computed again then, not every tick.
          if (config.bundle.version !== lastVersion || Date.now() - lastComputed >= RECOMPUTE_MS) {
            const now = fingerprints(config, who.caller, who.scope);
            lastVersion = config.bundle.version;
            lastComputed = Date.now();
            if (!now) break;
            if (last && now.tools !== last.tools && agreed.toolsListChanged) await notify("notifications/tools/list_changed");
            if (last && now.servers !== last.servers) {
              if (agreed.promptsListChanged) await notify("notifications/prompts/list_changed");
              if (agreed.resourcesListChanged) await notify("notifications/resources/list_changed");
            }
            if (last?.tools !== now.tools || last?.servers !== now.servers) quietSince = Date.now();
            last = now;
          }
          if (Date.now() - quietSince >= KEEPALIVE_MS) {
            // A comment keeps intermediaries from closing a quiet stream; a failed write means the client is gone.
            await write(":\n\n");
            quietSince = Date.now();
          }
        }
        // Ended by the portal (the caller may no longer use it, or there is no configuration): the listen's result says so.
        if (!request.signal.aborted) await message({ jsonrpc: "2.0", id: rpc.id, result: { _meta: { ...subscription, [META_SERVER_INFO]: { name: "Portcullis MCP portal", version: "2" } } } });
      } catch {
        // The client went away (a write failed): nothing more to send.
      } finally {
        await writer.close().catch(() => undefined);
      }
    })(),
  );
  return new Response(stream.readable, { headers: { "content-type": "text/event-stream", "cache-control": "no-store", "x-accel-buffering": "no" } });
}
