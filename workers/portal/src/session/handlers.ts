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
  type JSONRPCRequest,
  type Notification,
  type ServerCapabilities,
} from "@modelcontextprotocol/sdk/types.js";
import type { Extra } from "./context";
import { track, type EventFields } from "./events";
import { admitLimits, forward, routeServerLevel } from "./forward";
import { listMerged, listPrompts, resourceServer, routePrompt } from "./prompts-resources";
import type { SessionState } from "./state";
import { callTool, listTools } from "./tools";

export function registerHandlers(s: SessionState, server: Server, capabilities: ServerCapabilities, scoped: boolean): void {
  const handle = <T extends { method: string; params?: Record<string, unknown> }>(
    schema: Parameters<Server["setRequestHandler"]>[0],
    fn: (request: T, extra: Extra, fields: EventFields) => Promise<Record<string, unknown>>,
  ) => {
    server.setRequestHandler(schema, ((request: T, extra: Extra) => track(s, request, extra, fn)) as never);
  };

  if (capabilities.tools) {
    handle(ListToolsRequestSchema, async (_req, extra, fields) => ({ tools: await listTools(s, extra, fields) }));
    handle(CallToolRequestSchema, (req, extra, fields) => callTool(s, req, extra, fields));
  }
  if (capabilities.prompts) {
    handle(ListPromptsRequestSchema, async (req, extra) => listPrompts(s, req, extra));
    handle(GetPromptRequestSchema, async (req, extra, fields) => {
      const { upstream, name } = await routePrompt(s, String(req.params?.name ?? ""), fields);
      await admitLimits(s, upstream.server, null);
      return forward(s, upstream, req.method, { ...req.params, name }, extra);
    });
  }
  if (capabilities.resources) {
    handle(ListResourcesRequestSchema, (req, extra) => listMerged(s, req, extra, "resources", "uri"));
    handle(ListResourceTemplatesRequestSchema, (req, extra) => listMerged(s, req, extra, "resourceTemplates", "uriTemplate"));
    for (const schema of [ReadResourceRequestSchema, SubscribeRequestSchema, UnsubscribeRequestSchema]) {
      handle(schema, async (req, extra, fields) => {
        const uri = String(req.params?.uri ?? "");
        fields.resourceUri = uri;
        const upstream = await routeServerLevel(s, resourceServer(s, uri), fields);
        if (req.method === "resources/read") await admitLimits(s, upstream.server, null);
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
    handle(SetLevelRequestSchema, async (req) => {
      s.logLevel = String(req.params?.level);
      const upstreams = await Promise.allSettled([...s.upstreams.values()]);
      await Promise.allSettled(
        upstreams.flatMap((u) => (u.status === "fulfilled" && u.value.client.getServerCapabilities()?.logging ? [u.value.client.setLoggingLevel(s.logLevel as never)] : [])),
      );
      return {};
    });
  }
  if (scoped) {
    // Anything else the upstream understands (and the portal has no rule for) passes through as is.
    server.fallbackRequestHandler = (request: JSONRPCRequest, extra: Extra) =>
      track(s, request as { method: string; params?: Record<string, unknown> }, extra, async (req, ex, fields) => {
        const upstream = await routeServerLevel(s, s.scopeServer(), fields);
        return forward(s, upstream, req.method, req.params, ex);
      }) as never;
  }
  server.fallbackNotificationHandler = async (notification: Notification) => {
    // e.g. notifications/roots/list_changed: every upstream of this session hears it.
    for (const upstream of s.upstreams.values()) void upstream.then((u) => u.client.notification(notification as never)).catch(() => undefined);
  };
}
