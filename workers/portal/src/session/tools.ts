/**
 * Tools of a session: the list the caller sees (aggregated and renamed at `/mcp`) and the calls,
 * both checking every live upstream definition against its approved pin.
 */
import { McpError, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { toolAccess } from "@core/bundle/bundle-index";
import type { BundleServer } from "@core/bundle/schema";
import { buildToolNameMap, upstreamKey } from "@core/naming/tool-names";
import { countTokensBounded } from "@core/tools/token-cost";
import { requestContext, type Extra } from "./context";
import { PortalErrorCode, RpcError } from "./errors";
import { emitEvent, type EventFields } from "./events";
import { admitLimits, forward } from "./forward";
import { decideToolCall, quarantined, toolNotAvailable } from "../decide";
import type { LiveTool, SessionState } from "./state";
import { connectedUpstream, liveTools } from "./upstreams";

/**
 * The tools the caller may use, listed live from every upstream once the request is admitted
 * against all of them. `measure` (the tools/list request itself): at `/mcp`, what each server's
 * tools cost in context tokens goes on its event.
 */
export async function listTools(s: SessionState, extra: Extra, fields: EventFields, measure = false): Promise<Tool[]> {
  const caller = s.caller();
  const servers = s.servers();
  await admitLimits(s, servers, null, fields);
  const found: { server: BundleServer; tool: Tool }[] = [];
  await Promise.all(
    servers.map(async (server) => {
      let live: Map<string, LiveTool>;
      try {
        live = await liveTools(s, await connectedUpstream(s, server), true);
      } catch (error) {
        // One broken upstream must not hide the others; in faithful mode it is the only one.
        if (s.owner?.scope) throw error instanceof RpcError ? error : error instanceof McpError ? RpcError.fromUpstream(error) : new RpcError(PortalErrorCode.UpstreamFailed, `Upstream server "${server.slug}" failed or is unreachable`);
        return;
      }
      for (const [name, tool] of live) {
        const access = toolAccess(s.index!, caller, server, name);
        if (!access.ok) continue;
        if (tool.hash !== access.tool.hash) {
          reportMismatch(s, extra, server, name, tool.hash);
          continue;
        }
        found.push({ server, tool: tool.def });
      }
    }),
  );
  const order = new Map(servers.map((server, i) => [server.id, i]));
  found.sort((a, b) => order.get(a.server.id)! - order.get(b.server.id)!);
  if (s.owner?.scope) return found.map((f) => f.tool);
  const names = await buildToolNameMap(found.map((f) => ({ serverSlug: f.server.slug, toolName: f.tool.name })));
  s.toolNames = names;
  const tools = found.map((f) => ({ ...f.tool, name: names.byUpstream.get(upstreamKey(f.server.slug, f.tool.name))! }));
  if (measure) {
    const bySlug = new Map<string, Tool[]>();
    found.forEach((f, i) => bySlug.set(f.server.slug, [...(bySlug.get(f.server.slug) ?? []), tools[i]!]));
    fields.serverTokens = Object.fromEntries([...bySlug].map(([slug, list]) => [slug, countTokensBounded(JSON.stringify(list))]));
  }
  return tools;
}

export async function callTool(s: SessionState, request: { params?: Record<string, unknown>; method: string }, extra: Extra, fields: EventFields): Promise<Record<string, unknown>> {
  const caller = s.caller();
  const requested = String(request.params?.name ?? "");

  let server: BundleServer | undefined;
  let tool: string;
  if (s.owner?.scope) {
    server = s.scopeServer();
    tool = requested;
  } else {
    if (!s.toolNames?.byPortalName.has(requested)) await listTools(s, extra, fields);
    const target = s.toolNames?.byPortalName.get(requested);
    server = target ? s.index!.serversBySlug.get(target.serverSlug) : undefined;
    tool = target?.toolName ?? requested;
    if (!target) {
      // Not one of the caller's tools: name it in the audit trail all the same; the caller gets the same answer either way.
      const guess = s.guessTool(null, requested);
      if (guess) ({ server, tool } = guess);
    }
  }
  fields.server = server ?? null;
  fields.tool = tool;
  const access = decideToolCall(s.index!, caller, server, tool, requested);
  fields.policy = access.decision;

  const upstream = await connectedUpstream(s, access.server);
  const live = (await liveTools(s, upstream)).get(tool);
  if (!live) throw toolNotAvailable(requested, "TOOL_NOT_OFFERED_UPSTREAM");
  if (live.hash !== access.tool.hash) {
    reportMismatch(s, extra, access.server, tool, live.hash);
    throw quarantined(requested, live.hash);
  }
  await admitLimits(s, [access.server], tool, fields);
  return forward(s, upstream, request.method, { ...request.params, name: tool }, extra);
}

/** A changed definition: refused at the edge and reported so the console quarantines it. */
function reportMismatch(s: SessionState, extra: Extra | null, server: BundleServer, tool: string, hash: string): void {
  const key = `${server.id}\u0000${tool}\u0000${hash}`;
  if (s.reportedMismatches.has(key)) return;
  s.reportedMismatches.add(key);
  emitEvent(s, requestContext(extra), "tools/list", {
    server,
    tool,
    decision: "denied",
    reason: `TOOL_HASH_MISMATCH: live definition hashes to ${hash}, not the approved pin`,
    success: false,
  });
}
