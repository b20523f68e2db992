/** What one MCP session keeps between requests: the Durable Object holds one, the handlers read and update it. */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { ClientCapabilities, Implementation, Tool } from "@modelcontextprotocol/sdk/types.js";
import { visibleServers, type BundleIndex, type Caller } from "@core/bundle/bundle-index";
import type { BundleServer, BundleUser } from "@core/bundle/schema";
import type { TokenScope } from "@core/auth/roles";
import type { ToolNameMap } from "@core/naming/tool-names";
import type { Env } from "../env";
import { msSetting } from "../settings";
import type { Extra } from "./context";
import { Denied, PortalErrorCode } from "./errors";

/** How long an upstream may take to answer (without progress): `PORTCULLIS_UPSTREAM_TIMEOUT_MS`, default 60 s. */
const DEFAULT_UPSTREAM_TIMEOUT_MS = 60_000;

export interface LiveTool {
  def: Tool;
  hash: string;
}

export interface Upstream {
  server: BundleServer;
  client: Client;
  /** The upstream's tools as last listed in this session, with their hashes; refreshed on list_changed. */
  tools?: Promise<Map<string, LiveTool>>;
}

export class SessionState {
  /** The downstream SDK server, while the session is open. */
  server?: Server;
  /** Who opened the session (user and API token) and through which endpoint; nobody else may use it. */
  owner?: { userId: string; tokenId: string | null; scopes: TokenScope[]; scope: string | null };
  /**
   * The client IP of the latest request, for policy conditions. Requests of one session come from
   * one caller; should they interleave from two addresses, a decision may see the other one's.
   */
  clientIp: string | null = null;
  /** The portal's public origin as the latest request reached it: the issuer of the upstream proofs this session sends. */
  origin = "";
  index?: BundleIndex;
  upstreams = new Map<string, Promise<Upstream>>();
  clientCapabilities: ClientCapabilities = {};
  clientInfo: Implementation = { name: "unknown", version: "0" };
  logLevel?: string;
  /** Downstream requests being served right now, newest last: where server-to-client traffic goes. */
  inflight: Extra[] = [];
  toolNames?: ToolNameMap;
  promptNames?: ToolNameMap;
  resourceServers = new Map<string, string>();
  reportedMismatches = new Set<string>();

  constructor(
    readonly env: Env,
    readonly ctx: DurableObjectState,
  ) {}

  upstreamTimeoutMs(): number {
    return msSetting(this.env.PORTCULLIS_UPSTREAM_TIMEOUT_MS, DEFAULT_UPSTREAM_TIMEOUT_MS);
  }

  user(): BundleUser {
    const user = this.owner && this.index?.usersById.get(this.owner.userId);
    if (!user) throw new Denied(PortalErrorCode.AccountInactive, "Your account is not active at this portal", "USER_INACTIVE");
    return user;
  }

  /** The caller as the policy sees it, now: user, API token, client IP and the current time. */
  caller(): Caller {
    return { user: this.user(), tokenId: this.owner?.tokenId ?? null, scopes: this.owner?.scopes ?? [], clientIp: this.clientIp, at: new Date() };
  }

  scopeServer(): BundleServer {
    const server = this.owner?.scope ? this.index?.serversBySlug.get(this.owner.scope) : undefined;
    if (!server) throw new Denied(PortalErrorCode.NotAvailable, "This server is not available at this portal", "SERVER_NOT_PUBLISHED");
    return server;
  }

  /**
   * For the audit trail only: the server and upstream tool a requested name points at, without
   * listing anything: at `/mcp/{slug}` the name is the tool's; at `/mcp` it is read as
   * `{slug}_{tool}` of a published server (slugs have no underscore). Undefined when it names none.
   */
  guessTool(scope: string | null, requested: string): { server: BundleServer; tool: string } | undefined {
    if (scope) {
      const server = this.index?.serversBySlug.get(scope);
      return server && { server, tool: requested };
    }
    const cut = requested.indexOf("_");
    const server = cut > 0 ? this.index?.serversBySlug.get(requested.slice(0, cut)) : undefined;
    return server && { server, tool: requested.slice(cut + 1) };
  }

  /** The servers this session may reach: the scoped one, or every server the caller may use. */
  servers(): BundleServer[] {
    const caller = this.caller();
    if (this.owner?.scope) return [this.scopeServer()];
    return visibleServers(this.index!, caller);
  }
}
