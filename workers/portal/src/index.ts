/**
 * Portcullis portal Worker: the company's one MCP endpoint. Thin: OAuth 2.1 (the provider library
 * serves discovery, registration, token and the 401 challenge) in front of `/mcp`, the console's
 * push endpoint for signed bundles and its signed status reads, and the interactive authorize step
 * that defers to the console. Its `queue()` handler delivers the events queue to the console.
 */
import { OAuthProvider } from "@cloudflare/workers-oauth-provider";
import { resolveApiToken, resourceFor, publicOrigin, type GrantProps } from "./auth";
import { activeVersion, configFor, configStore, forgetConfigHead } from "./config";
import { jsonRpcError } from "./session/errors";
import type { Env } from "./env";
import { authorize, oauthCallback } from "./routes/authorize";
import { declaredTooLarge, handleMcp, rebindingRefusal } from "./routes/mcp";
import { handleLlm } from "./routes/llm";
import { proofKeys } from "./routes/proof-keys";
import { PROOF_JWKS_PATH } from "@core/proof/verify";
import { deadLettersStatus, eventsStatus, portalStatus } from "./routes/events-status";
import { consumeEvents } from "./events/consumer";
import { grantLifetimePolicy, registrationPolicy } from "./oauth-policy";
import { DEFAULT_IDLE_DAYS } from "@core/edge/grant-lifetime";
import { readBoundedBody } from "@core/http/bounded-body";

export { ConfigStore } from "./config-store";
export { McpSession } from "./mcp-session";
export { EventBuffer } from "./event-buffer";
export { CounterShard } from "./counters";
export { Approvals } from "./codemode/approvals";

const LOOPBACK_HOSTNAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** `Authorization: Bearer pcs_…` (the provider's bearer syntax, RFC 6750). */
const API_TOKEN_BEARER = /^Bearer[\t ]+(pcs_[^\s,]+)$/i;

const json = (body: unknown, status = 200) => Response.json(body, { status, headers: { "cache-control": "no-store" } });

async function defaultFetch(request: Request, env: Env): Promise<Response> {
  const url = new URL(request.url);
  const store = configStore(env);

  if (url.pathname === "/_portcullis/bundle" && request.method === "POST") {
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return json({ error: { code: "MALFORMED", message: "send a signed bundle as JSON" } }, 400);
    }
    const result = await store.install(body);
    if (!result.ok) return json({ error: { code: result.reason, message: `bundle refused: ${result.reason}` } }, result.reason === "NOT_NEWER" ? 409 : 400);
    forgetConfigHead();
    return json({ accepted: true, version: result.bundle.version });
  }
  if (url.pathname === "/_portcullis/lease" && request.method === "POST") {
    // The console's signed renewal of the running version ({version, exp}); like a bundle, its signature is its credential.
    const bytes = await readBoundedBody(request, 4_096).catch(() => null);
    if (!bytes) return json({ error: { code: "MALFORMED", message: "a lease is a short signed statement (at most 4,096 bytes)" } }, 400);
    const result = await store.renew(new TextDecoder().decode(bytes).trim());
    if (!result.ok) return json({ error: { code: result.reason, message: result.reason === "NOT_ACTIVE" ? "lease refused: it is for a version this portal does not run" : "lease refused: not a lease signed by a trusted key, or expired" } }, result.reason === "NOT_ACTIVE" ? 409 : 400);
    forgetConfigHead();
    return json({ renewed: true, expiresAt: result.expiresAt });
  }
  if (url.pathname === "/_portcullis/status" && request.method === "GET") return portalStatus(request, env);
  if (url.pathname === "/_portcullis/events" && request.method === "GET") return eventsStatus(request, env);
  if (url.pathname === "/_portcullis/events/dead-letters" && request.method === "GET") return deadLettersStatus(request, env);
  if (url.pathname === "/authorize" && request.method === "GET") return authorize(request, env);
  if (url.pathname === "/oauth/callback" && request.method === "GET") return oauthCallback(request, env);
  if (url.pathname === "/" && request.method === "GET") {
    return json({ name: "Portcullis MCP portal", mcp: `${publicOrigin(request, env)}/mcp`, status: (await activeVersion(env)) === null ? "no configuration (denying everything)" : "ready" });
  }
  return json({ error: { code: "NOT_FOUND", message: "No such endpoint" } }, 404);
}

/** One provider per public origin (the resource URL is part of its configuration); its settings are the isolate's vars. */
const providers = new Map<string, OAuthProvider<Env>>();

function provider(origin: string, env: Env): OAuthProvider<Env> {
  let p = providers.get(origin);
  if (!p) {
    p = new OAuthProvider<Env>({
      apiRoute: "/mcp",
      apiHandler: { fetch: (request, env, ctx) => handleMcp(request, env, (ctx as ExecutionContext & { props: GrantProps }).props, ctx) },
      defaultHandler: { fetch: (request, env) => defaultFetch(request, env) },
      authorizeEndpoint: "/authorize",
      tokenEndpoint: "/token",
      clientRegistrationEndpoint: "/register",
      resourceMetadata: { resource: resourceFor(origin), resource_name: "Portcullis MCP portal" },
      resolveExternalToken: resolveApiToken,
      accessTokenTTL: 3600,
      refreshTokenTTL: DEFAULT_IDLE_DAYS * 86_400,
      // Desktop apps sign in through their own scheme (cursor://…, RFC 8252 §7.1); registration still
      // holds every URI to lib/core/edge/redirect-uris.ts.
      allowPrivateUseRedirectUris: true,
      clientRegistrationCallback: registrationPolicy(env),
      tokenExchangeCallback: grantLifetimePolicy,
    });
    providers.set(origin, p);
  }
  return p;
}

/** A query the fast path serves as it is: only Code Mode's parameter (routes/mcp.ts reads it). */
const CODEMODE_ONLY_QUERY = /^\?codemode=[a-z_]{1,40}$/;

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    let url = new URL(request.url);
    const { pathname } = url;
    // The console's endpoints need no OAuth: bundles carry their own signature, status reads the console signs with the edge secret.
    if (pathname.startsWith("/_portcullis/")) return defaultFetch(request, env);
    // The upstream proofs' public keys: no credential, no OAuth (routes/proof-keys.ts).
    if (pathname === PROOF_JWKS_PATH) return proofKeys(request, env);
    // The LLM gateway authenticates with API tokens itself (no OAuth) and fails closed on its own.
    if (pathname.startsWith("/llm/")) return handleLlm(request, env, ctx);
    const isMcp = pathname === "/mcp" || pathname.startsWith("/mcp/");
    if (isMcp) {
      // DNS rebinding: a foreign Host or Origin is refused before anything else (routes/mcp.ts).
      const refused = rebindingRefusal(request, env) ?? declaredTooLarge(request);
      if (refused) return refused;
    }
    // Fail closed, and say so before any credential is asked for: without a verified configuration nothing is allowed.
    if (isMcp && !(await configFor(request, env))) {
      return jsonRpcError(503, -32001, "This Portcullis portal has no valid configuration (none published yet, or it expired without a renewal from the console); every request is denied");
    }
    const origin = publicOrigin(request, env);
    // Behind a TLS proxy (self-hosted) a request arrives as http:// on the configured host, or on
    // loopback: the rebinding guard has let only those through, and the portal answers as its
    // public origin, so OAuth metadata names it and tokens bound to it (their audience) are served.
    if (url.origin !== origin && (url.host === new URL(origin).host || LOOPBACK_HOSTNAMES.has(url.hostname))) {
      url = new URL(`${origin}${url.pathname}${url.search}`);
      request = new Request(url, request);
    }
    // A console API token on an MCP request, with nothing the provider would add (no Origin, so no
    // CORS; no query but ?codemode=; this portal's own origin, so the token's audience): resolved here as the
    // provider would resolve it, without the provider's per-request work. Anything else, including
    // a token that does not resolve, goes through the provider and gets its answer.
    if (isMcp && request.method !== "OPTIONS" && (url.search === "" || CODEMODE_ONLY_QUERY.test(url.search)) && url.origin === origin && !request.headers.has("origin")) {
      const token = API_TOKEN_BEARER.exec(request.headers.get("authorization") ?? "")?.[1];
      const resolved = token ? await resolveApiToken({ token, request, env }) : null;
      if (resolved) return handleMcp(request, env, resolved.props as GrantProps, ctx);
    }
    let oauth: OAuthProvider<Env>;
    try {
      oauth = provider(origin, env);
    } catch (error) {
      // OAuth 2.1 needs HTTPS (plain HTTP only on loopback): refuse everything, saying how to fix it.
      return json({ error: { code: "PORTAL_MISCONFIGURED", message: `The portal cannot serve OAuth at ${origin}: ${error instanceof Error ? error.message : String(error)}. Serve it over HTTPS or set PORTCULLIS_PUBLIC_URL.` } }, 500);
    }
    // The provider hangs its helpers on `env.OAUTH_PROVIDER` once and keeps them for every later
    // request on that object; workerd hands every request the same env. A per-request view of it
    // makes this host's provider the one `/authorize` and `/oauth/callback` use.
    const res = await oauth.fetch(request, { ...env }, ctx);
    // No credential at all: the provider answers the bare RFC 6750 challenge. Say it in the body too,
    // for a person with curl as much as for a client reading the WWW-Authenticate header.
    if (res.status === 401 && res.body === null && isMcp) {
      const headers = new Headers(res.headers);
      headers.set("content-type", "application/json");
      return new Response(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32001, message: "Authentication required: sign in through your MCP client (OAuth), or send a Portcullis API token (Authorization: Bearer pcs_…)" } }), { status: 401, headers });
    }
    return res;
  },
  /** The events queue and its dead-letter queue (wrangler.jsonc `queues.consumers`): delivery to the console. */
  async queue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
    await consumeEvents(batch, env);
  },
} satisfies ExportedHandler<Env>;
