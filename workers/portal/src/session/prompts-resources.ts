/** Prompts and resources of a session: merged lists at `/mcp` (prompts renamed `{slug}_{name}`), and which upstream serves a name or URI. */
import type { BundleServer } from "@core/bundle/schema";
import { buildToolNameMap, upstreamKey } from "@core/naming/tool-names";
import type { Extra } from "./context";
import { Denied, named, PortalErrorCode } from "./errors";
import type { EventFields } from "./events";
import { eachServerLevel, forward, routeServerLevel } from "./forward";
import type { SessionState, Upstream } from "./state";

export async function listPrompts(s: SessionState, request: { method: string; params?: Record<string, unknown> }, extra: Extra, fields: EventFields): Promise<Record<string, unknown>> {
  if (s.owner?.scope) return forward(s, await routeServerLevel(s, s.scopeServer(), fields), request.method, request.params, extra);
  const found: { server: BundleServer; prompt: { name: string } & Record<string, unknown> }[] = [];
  await eachServerLevel(s, fields, async (server, upstream) => {
    if (!upstream.client.getServerCapabilities()?.prompts) return;
    const page = await forward(s, upstream, request.method, {}, extra);
    for (const prompt of (page.prompts as ({ name: string } & Record<string, unknown>)[]) ?? []) found.push({ server, prompt });
  });
  const names = await buildToolNameMap(found.map((f) => ({ serverSlug: f.server.slug, toolName: f.prompt.name })));
  s.promptNames = names;
  return { prompts: found.map((f) => ({ ...f.prompt, name: names.byUpstream.get(upstreamKey(f.server.slug, f.prompt.name))! })) };
}

export async function routePrompt(s: SessionState, requested: string, fields: EventFields): Promise<{ upstream: Upstream; name: string }> {
  if (s.owner?.scope) {
    fields.prompt = requested;
    return { upstream: await routeServerLevel(s, s.scopeServer(), fields), name: requested };
  }
  if (!s.promptNames?.byPortalName.has(requested)) {
    const found: { serverSlug: string; toolName: string }[] = [];
    await eachServerLevel(s, fields, async (server, upstream) => {
      if (!upstream.client.getServerCapabilities()?.prompts) return;
      const page = await upstream.client.listPrompts();
      for (const p of page.prompts) found.push({ serverSlug: server.slug, toolName: p.name });
    });
    s.promptNames = await buildToolNameMap(found);
  }
  const target = s.promptNames.byPortalName.get(requested);
  fields.prompt = target?.toolName ?? requested;
  const server = target ? s.index!.serversBySlug.get(target.serverSlug) : undefined;
  if (!server) throw new Denied(PortalErrorCode.NotAvailable, `Prompt "${named(requested)}" is not available`, "UNKNOWN_PROMPT");
  return { upstream: await routeServerLevel(s, server, fields), name: target!.toolName };
}

export function resourceServer(s: SessionState, uri: string): BundleServer | undefined {
  if (s.owner?.scope) return s.scopeServer();
  const slug = s.resourceServers.get(uri);
  if (slug) return s.index!.serversBySlug.get(slug);
  // Templated URIs: the longest literal template prefix the URI starts with.
  let best: { slug: string; length: number } | undefined;
  for (const [template, serverSlug] of s.resourceServers) {
    const prefix = template.split("{")[0]!;
    if (template.includes("{") && uri.startsWith(prefix) && prefix.length > (best?.length ?? 0)) best = { slug: serverSlug, length: prefix.length };
  }
  return best ? s.index!.serversBySlug.get(best.slug) : undefined;
}

export async function listMerged(
  s: SessionState,
  request: { method: string; params?: Record<string, unknown> },
  extra: Extra,
  fields: EventFields,
  key: "resources" | "resourceTemplates",
  uriField: "uri" | "uriTemplate",
): Promise<Record<string, unknown>> {
  if (s.owner?.scope) return forward(s, await routeServerLevel(s, s.scopeServer(), fields), request.method, request.params, extra);
  const items: Record<string, unknown>[] = [];
  await eachServerLevel(s, fields, async (server, upstream) => {
    if (!upstream.client.getServerCapabilities()?.resources) return;
    let cursor: string | undefined;
    do {
      const page = await forward(s, upstream, request.method, cursor ? { cursor } : {}, extra);
      for (const item of (page[key] as Record<string, unknown>[]) ?? []) {
        s.resourceServers.set(String(item[uriField]), server.slug);
        items.push(item);
      }
      cursor = typeof page.nextCursor === "string" ? page.nextCursor : undefined;
    } while (cursor);
  });
  return { [key]: items };
}
