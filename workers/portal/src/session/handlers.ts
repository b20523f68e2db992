/** The downstream server's request handlers: each request is routed, checked and forwarded, and yields an event. */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type Notification,
  type ServerCapabilities,
} from "@modelcontextprotocol/sdk/types.js";
import type { Extra } from "./context";
import { track, type EventFields } from "./events";
import { admitLimits, forward, routeServerLevel } from "./forward";
import { listMerged, listPrompts, resourceServer, routePrompt } from "./prompts-resources";
import type { SessionState } from "./state";
import { callTool, listTools } from "./tools";

export function registerHandlers(s: SessionState, server: Server, capabilities: ServerCapabilities): void {
  const handle = <T extends { method: string; params?: Record<string, unknown> }>(
    schema: Parameters<Server["setRequestHandler"]>[0],
    fn: (request: T, extra: Extra, fields: EventFields) => Promise<Record<string, unknown>>,
  ) => {
    server.setRequestHandler(schema, ((request: T, extra: Extra) => track(s, request, extra, fn)) as never);
  };

  if (capabilities.tools) {
    handle(ListToolsRequestSchema, async (_req, extra, fields) => ({ tools: await listTools(s, extra, fields, true) }));
    handle(CallToolRequestSchema, (req, extra, fields) => callTool(s, req, extra, fields));
  }
  if (capabilities.prompts) {
    handle(ListPromptsRequestSchema, (req, extra, fields) => listPrompts(s, req, extra, fields));
    handle(GetPromptRequestSchema, async (req, extra, fields) => {
      const { upstream, name } = await routePrompt(s, String(req.params?.name ?? ""), fields);
      return forward(s, upstream, req.method, { ...req.params, name }, extra);
    });
  }
  if (capabilities.resources) {
    handle(ListResourcesRequestSchema, (req, extra, fields) => listMerged(s, req, extra, fields, "resources", "uri"));
    handle(ListResourceTemplatesRequestSchema, (req, extra, fields) => listMerged(s, req, extra, fields, "resourceTemplates", "uriTemplate"));
    for (const schema of [ReadResourceRequestSchema, SubscribeRequestSchema, UnsubscribeRequestSchema]) {
      handle(schema, async (req, extra, fields) => {
        const uri = String(req.params?.uri ?? "");
        fields.resourceUri = uri;
        const upstream = await routeServerLevel(s, resourceServer(s, uri), fields);
        return forward(s, upstream, req.method, req.params, extra);
      });
    }
  }
  if (capabilities.completions) {
    handle(CompleteRequestSchema, async (req, extra, fields) => {
      const ref = (req.params?.ref ?? {}) as { type?: string; name?: string; uri?: string };
      if (ref.type === "ref/prompt") {
        const { upstream, name } = await routePrompt(s, String(ref.name ?? ""), fields);
        return forward(s, upstream, req.method, { ...req.params, ref: { ...ref, name } }, extra);
      }
      fields.resourceUri = ref.uri ?? null;
      const upstream = await routeServerLevel(s, resourceServer(s, String(ref.uri ?? "")), fields);
      return forward(s, upstream, req.method, req.params, extra);
    });
  }
  if (capabilities.logging) {
    handle(SetLevelRequestSchema, async (req, _extra, fields) => {
      const settled = await Promise.allSettled([...s.upstreams.values()]);
      const logging = settled.flatMap((u) => (u.status === "fulfilled" && u.value.client.getServerCapabilities()?.logging ? [u.value] : []));
      await admitLimits(s, logging.map((u) => u.server), null, fields);
      // Upstreams connected later get the level when they connect (upstreams.ts).
      s.logLevel = String(req.params?.level);
      await Promise.allSettled(logging.map((u) => u.client.setLoggingLevel(s.logLevel as never)));
      return {};
    });
  }
  // No fallback request handler, at /mcp/{slug} either: a method the portal has no handler (and so
  // no check) for is answered -32601 by the SDK and never reaches an upstream.
  server.fallbackNotificationHandler = async (notification: Notification) => {
    // The SDK handles initialized, cancelled and progress itself; of the client's other
    // notifications only roots/list_changed means something upstream: every upstream of this
    // session hears it. Anything else stops here.
    if (notification.method !== "notifications/roots/list_changed") return;
    for (const upstream of s.upstreams.values()) void upstream.then((u) => u.client.notification(notification as never)).catch(() => undefined);
  };
}
