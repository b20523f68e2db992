/**
 * Prompts, resources and completions on the stateless path: server-level requests, allowed by a
 * whole-server rule (../decide.ts `decideServerLevel`, the session path's words), admitted against
 * server-wide limits, forwarded live to the upstream concerned. At `/mcp` lists are merged over the
 * caller's servers that offer the capability, prompts renamed `{slug}_{name}` as tools are; a name
 * or URI is routed back to its server. At `/mcp/{slug}` everything goes to that server as is.
 */
import { blockingEntry, serverAccess } from "@core/bundle/bundle-index";
import type { BundleServer } from "@core/bundle/schema";
import type { StatelessRequest } from "@core/mcp/stateless";
import { buildToolNameMap, portalToolName, upstreamKey } from "@core/naming/tool-names";
import { decideServerLevel } from "../decide";
import type { Env } from "../env";
import { Denied, named, PortalErrorCode, RpcError } from "../session/errors";
import { admit, Answer, linkOptions, serversOf, withFields, type Outcome, type StatelessContext } from "./context";
import { callUpstream, upstreamCapabilities } from "./upstream-link";

type Item = Record<string, unknown>;
type Kind = "prompts" | "resources" | "completions";

/** Which server serves a resource URI or template, as last listed in this isolate (access is checked at every read). */
const resourceServers = new Map<string, string>();
const MAX_REMEMBERED_URIS = 20_000;

function remember(uri: string, slug: string): void {
  if (resourceServers.size >= MAX_REMEMBERED_URIS) resourceServers.delete(resourceServers.keys().next().value!);
  resourceServers.set(uri, slug);
}

/** The request's answer from one upstream, or its error as the caller should see it. */
async function forward(request: Request, env: Env, who: StatelessContext, rpc: StatelessRequest, server: BundleServer, method: string, params: Item, fields: Outcome): Promise<Item> {
  let answer;
  try {
    answer = await callUpstream(linkOptions(request, env, who, rpc, server), method, params);
  } catch (error) {
    throw withFields(error instanceof RpcError ? error : new RpcError(PortalErrorCode.UpstreamFailed, `Upstream server "${server.slug}" failed or is unreachable`, undefined, error instanceof Error ? error.message : String(error)), fields);
  }
  const { error, result } = answer.message;
  if (error) throw withFields(new RpcError(error.code, error.message, error.data), fields);
  return result ?? {};
}

/** The caller's servers that allow server-level requests and offer `kind`, admitted together. */
async function serversOffering(request: Request, env: Env, who: StatelessContext, rpc: StatelessRequest, kind: Kind, fields: Outcome): Promise<BundleServer[]> {
  const allowed = serversOf(who).filter((s) => serverAccess(who.config, who.caller, s).effect === "allow" && !blockingEntry(who.config, s.slug, who.caller.at?.getTime()));
  await admit(env, who, allowed.map((s) => ({ kind: "mcp" as const, serverSlug: s.slug, tool: null }))).catch((error: unknown) => {
    throw withFields(error as Error, fields);
  });
  const offering = await Promise.all(allowed.map(async (s) => ((await upstreamCapabilities(linkOptions(request, env, who, rpc, s)).catch(() => ({}))) as Item)[kind] !== undefined));
  return allowed.filter((_, i) => offering[i]);
}

/** One server, allowed and admitted: `/mcp/{slug}`, or the server a name or URI routes to. */
async function oneServer(env: Env, who: StatelessContext, server: BundleServer | undefined, fields: Outcome): Promise<BundleServer> {
  fields.server = server ?? null;
  try {
    const allowed = decideServerLevel(who.config, who.caller, server);
    fields.reason = allowed.decision.reason;
    fields.ruleId = allowed.decision.ruleId;
    await admit(env, who, [{ kind: "mcp", serverSlug: allowed.server.slug, tool: null }]);
    return allowed.server;
  } catch (error) {
    throw withFields(error as Error, fields);
  }
}

const scoped = (who: StatelessContext) => (who.scope ? who.config.serversBySlug.get(who.scope) : undefined);

export async function listPrompts(request: Request, env: Env, who: StatelessContext, rpc: StatelessRequest): Promise<Answer> {
  const fields: Outcome = {};
  if (who.scope) return new Answer(cacheable(await forward(request, env, who, rpc, await oneServer(env, who, scoped(who), fields), rpc.method, rpc.params, fields)), fields);
  const servers = await serversOffering(request, env, who, rpc, "prompts", fields);
  const found: { server: BundleServer; prompt: Item & { name: string } }[] = [];
  await Promise.allSettled(
    servers.map(async (server) => {
      for (const prompt of ((await forward(request, env, who, rpc, server, "prompts/list", {}, fields)).prompts as (Item & { name: string })[]) ?? []) found.push({ server, prompt });
    }),
  );
  const order = new Map(servers.map((s, i) => [s.id, i]));
  found.sort((a, b) => order.get(a.server.id)! - order.get(b.server.id)! || (a.prompt.name < b.prompt.name ? -1 : 1));
  const names = await buildToolNameMap(found.map((f) => ({ serverSlug: f.server.slug, toolName: f.prompt.name })));
  return new Answer(cacheable({ prompts: found.map((f) => ({ ...f.prompt, name: names.byUpstream.get(upstreamKey(f.server.slug, f.prompt.name))! })) }), fields);
}

/** The server and upstream name behind a portal prompt name at `/mcp`: `{slug}_{name}` when that is its portal name, else found by listing. */
async function routePrompt(request: Request, env: Env, who: StatelessContext, rpc: StatelessRequest, requested: string, fields: Outcome): Promise<{ server: BundleServer; name: string }> {
  if (who.scope) {
    fields.prompt = requested;
    return { server: await oneServer(env, who, scoped(who), fields), name: requested };
  }
  const cut = requested.indexOf("_");
  const direct = cut > 0 ? who.config.serversBySlug.get(requested.slice(0, cut)) : undefined;
  let target: { serverSlug: string; toolName: string } | undefined;
  if (direct && (await portalToolName(direct.slug, requested.slice(cut + 1))) === requested) target = { serverSlug: direct.slug, toolName: requested.slice(cut + 1) };
  else {
    // A shortened or hashed name: list the caller's prompts to find it.
    const listed = (await listPrompts(request, env, { ...who }, rpc).catch(() => null))?.result.prompts as { name: string }[] | undefined;
    const servers = serversOf(who);
    const found: { serverSlug: string; toolName: string }[] = [];
    for (const p of listed ?? []) {
      const c = p.name.indexOf("_");
      if (c > 0 && servers.some((s) => s.slug === p.name.slice(0, c))) found.push({ serverSlug: p.name.slice(0, c), toolName: p.name.slice(c + 1) });
    }
    target = (await buildToolNameMap(found)).byPortalName.get(requested);
  }
  fields.prompt = target?.toolName ?? requested;
  const server = target ? who.config.serversBySlug.get(target.serverSlug) : undefined;
  if (!server) throw withFields(new Denied(PortalErrorCode.NotAvailable, `Prompt "${named(requested)}" is not available`, "UNKNOWN_PROMPT"), fields);
  return { server: await oneServer(env, who, server, fields), name: target!.toolName };
}

export async function getPrompt(request: Request, env: Env, who: StatelessContext, rpc: StatelessRequest): Promise<Answer> {
  const fields: Outcome = {};
  const { server, name } = await routePrompt(request, env, who, rpc, rpc.name!, fields);
  return new Answer(await forward(request, env, who, rpc, server, rpc.method, { ...rpc.params, name }, fields), fields);
}

export async function listResources(request: Request, env: Env, who: StatelessContext, rpc: StatelessRequest, key: "resources" | "resourceTemplates", uriField: "uri" | "uriTemplate"): Promise<Answer> {
  const fields: Outcome = {};
  if (who.scope) {
    const server = await oneServer(env, who, scoped(who), fields);
    const page = await forward(request, env, who, rpc, server, rpc.method, rpc.params, fields);
    for (const item of (page[key] as Item[]) ?? []) remember(String(item[uriField]), server.slug);
    return new Answer(cacheable(page), fields);
  }
  const servers = await serversOffering(request, env, who, rpc, "resources", fields);
  const items: Item[] = [];
  await Promise.allSettled(
    servers.map(async (server) => {
      let cursor: string | undefined;
      for (let page = 0; page < 50; page++) {
        const result = await forward(request, env, who, rpc, server, rpc.method, cursor ? { cursor } : {}, fields);
        for (const item of (result[key] as Item[]) ?? []) {
          remember(String(item[uriField]), server.slug);
          items.push(item);
        }
        cursor = typeof result.nextCursor === "string" && result.nextCursor ? result.nextCursor : undefined;
        if (!cursor) break;
      }
    }),
  );
  return new Answer(cacheable({ [key]: items }), fields);
}

/** The server of a resource URI: `/mcp/{slug}`'s, the one that listed it (or a template it matches), else found by listing. */
async function resourceServer(request: Request, env: Env, who: StatelessContext, rpc: StatelessRequest, uri: string): Promise<BundleServer | undefined> {
  if (who.scope) return scoped(who);
  const lookup = () => {
    const slug = resourceServers.get(uri);
    if (slug) return who.config.serversBySlug.get(slug);
    let best: { slug: string; length: number } | undefined;
    for (const [template, serverSlug] of resourceServers) {
      const prefix = template.split("{")[0]!;
      if (template.includes("{") && uri.startsWith(prefix) && prefix.length > (best?.length ?? 0)) best = { slug: serverSlug, length: prefix.length };
    }
    return best ? who.config.serversBySlug.get(best.slug) : undefined;
  };
  const known = lookup();
  if (known) return known;
  const listing = { ...rpc, params: {} };
  await Promise.allSettled([listResources(request, env, who, { ...listing, method: "resources/list" }, "resources", "uri"), listResources(request, env, who, { ...listing, method: "resources/templates/list" }, "resourceTemplates", "uriTemplate")]);
  return lookup();
}

export async function readResource(request: Request, env: Env, who: StatelessContext, rpc: StatelessRequest): Promise<Answer> {
  const uri = rpc.name!;
  const fields: Outcome = { resourceUri: uri };
  const server = await oneServer(env, who, await resourceServer(request, env, who, rpc, uri), fields);
  return new Answer(cacheable(await forward(request, env, who, rpc, server, rpc.method, rpc.params, fields)), fields);
}

export async function complete(request: Request, env: Env, who: StatelessContext, rpc: StatelessRequest): Promise<Answer> {
  const fields: Outcome = {};
  const ref = (rpc.params.ref ?? {}) as { type?: string; name?: string; uri?: string };
  if (ref.type === "ref/prompt") {
    const { server, name } = await routePrompt(request, env, who, rpc, String(ref.name ?? ""), fields);
    return new Answer(await forward(request, env, who, rpc, server, rpc.method, { ...rpc.params, ref: { ...ref, name } }, fields), fields);
  }
  fields.resourceUri = ref.uri ?? null;
  const server = await oneServer(env, who, await resourceServer(request, env, who, rpc, String(ref.uri ?? "")), fields);
  return new Answer(await forward(request, env, who, rpc, server, rpc.method, rpc.params, fields), fields);
}

/** A list or read the caller may cache briefly, for itself only: it was answered live for this caller. */
function cacheable(result: Item): Item {
  return { ...result, ttlMs: typeof result.ttlMs === "number" ? Math.min(result.ttlMs, 60_000) : 0, cacheScope: "private" };
}
