import type { ConfigStore } from "./config-store";
import type { CounterShard } from "./counters";
import type { EventBuffer } from "./event-buffer";
import type { McpSession } from "./mcp-session";
import type { OAuthHelpers } from "@cloudflare/workers-oauth-provider";

/** Every binding the portal Worker uses (wrangler.jsonc). */
export interface Env {
  /** One Durable Object instance ("active") holds the last good signed bundle. */
  CONFIG: DurableObjectNamespace<ConfigStore>;
  /** One Durable Object per MCP session (Mcp-Session-Id): the downstream server and its upstream clients. */
  SESSIONS: DurableObjectNamespace<McpSession>;
  /** The outgoing event buffer: durable, delivered in signed batches to the console, retried with backoff. */
  EVENTS: DurableObjectNamespace<EventBuffer>;
  /**
   * Rate-limit and budget counters (src/counters.ts): one instance per counter key (`idFromName(key)`,
   * keys from lib/core/limits/keys.ts), never a global one; a call's counters are admitted in parallel
   * (src/counter-shards.ts).
   */
  COUNTERS: DurableObjectNamespace<CounterShard>;
  /** OAuth 2.1 clients, grants and tokens (@cloudflare/workers-oauth-provider). */
  OAUTH_KV: KVNamespace;
  /** Injected by the OAuth provider into the default handler. */
  OAUTH_PROVIDER: OAuthHelpers;
  /** JSON `{ "<keyId>": <public JWK> }`: the console keys whose signatures the portal trusts. */
  PORTCULLIS_BUNDLE_KEYS: string;
  /** Secret shared with the console (lib/core/edge/secret.ts): opens upstream credentials, signs event batches. */
  PORTCULLIS_EDGE_SECRET: string;
  /** The console's origin: event delivery (`/api/v1/events`) and the sign-in/consent page for OAuth. */
  PORTCULLIS_CONSOLE_URL: string;
  /** The portal's public origin (OAuth resource and issuer). Optional: defaults to the request's origin. */
  PORTCULLIS_PUBLIC_URL?: string;
  /**
   * Comma-separated https URL prefixes of hosted MCP clients' OAuth callbacks that may register at
   * `/register` (loopback and app-scheme redirect URIs always may). Unset: the well-known hosted
   * clients (lib/core/edge/redirect-uris.ts, DEFAULT_REDIRECT_ALLOWLIST).
   */
  PORTCULLIS_OAUTH_REDIRECT_ALLOWLIST?: string;
  /** Days an OAuth grant survives without a refresh; default 7. */
  PORTCULLIS_OAUTH_REFRESH_IDLE_DAYS?: string;
  /** Days after consent an OAuth grant ends however often it is refreshed; default 30. */
  PORTCULLIS_OAUTH_GRANT_MAX_DAYS?: string;
  /** Milliseconds without requests (and without an open stream) after which a session ends; default 10 minutes. */
  PORTCULLIS_SESSION_IDLE_MS?: string;
  /** Milliseconds an upstream may take to answer a request (progress notifications restart the clock); default 60 s. */
  PORTCULLIS_UPSTREAM_TIMEOUT_MS?: string;
  /** Longest wait between event delivery retries, in ms (backoff starts at 1 s and doubles). Optional: 60000. */
  PORTCULLIS_EVENTS_MAX_BACKOFF_MS?: string;
  /**
   * TEST ONLY: "1" turns on the test entry's hooks (src/testing/test-entry.ts): `POST
   * /_portcullis/test/enqueue` (event-delivery.test.ts), the counters hooks and the tracing of every
   * counter shard call (counters.test.ts, counter-shards.test.ts), the policy decision hook. Production
   * neither sets it nor bundles that entry (wrangler.jsonc's main is src/index.ts).
   */
  PORTCULLIS_TEST_HOOKS?: string;
}
