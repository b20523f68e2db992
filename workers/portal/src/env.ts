import type { ConfigStore } from "./config-store";
import type { Approvals } from "./codemode/approvals";
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
  /**
   * The durable event store, sharded (src/events/shards.ts): the delivery path where there is no
   * queue, the dead-letter queue's landing place, dead letters, and the queue's in-flight count.
   */
  EVENTS: DurableObjectNamespace<EventBuffer>;
  /**
   * Cloudflare Queues producer for audit and usage events (queue `portcullis-events`, consumed by
   * this Worker's `queue()` handler, src/events/consumer.ts). Absent (self-hosted workerd, or a
   * deployment without it): events go to the sharded durable buffer instead.
   */
  EVENTS_QUEUE?: Queue<string>;
  /**
   * Rate-limit and budget counters (src/counters.ts): one instance per counter key (`idFromName(key)`,
   * keys from lib/core/limits/keys.ts), never a global one; a call's counters are admitted in parallel
   * (src/counter-shards.ts).
   */
  COUNTERS: DurableObjectNamespace<CounterShard>;
  /** Code Mode's approval pause: one instance per approval (src/codemode/approvals.ts). */
  APPROVALS: DurableObjectNamespace<Approvals>;
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
  /** Milliseconds between SSE keep-alive comments on a session's open streams (a failed one notices a vanished client); default 15 s. */
  PORTCULLIS_SSE_KEEPALIVE_MS?: string;
  /** Milliseconds an upstream may take to answer a request (progress notifications restart the clock); default 60 s. */
  PORTCULLIS_UPSTREAM_TIMEOUT_MS?: string;
  /** Milliseconds an isolate trusts its copy of the active bundle version before asking the config store again; default 1000. */
  PORTCULLIS_CONFIG_CHECK_MS?: string;
  /** Seconds between re-listings of an upstream's live tools for the pin check on the stateless path (per isolate); default 60. */
  PORTCULLIS_PIN_RECHECK_SECONDS?: string;
  /** "off": every 2025-revision session is held by a Durable Object, as before sealed sessions (default: sealed where the client needs no server→client channel). */
  PORTCULLIS_SEALED_SESSIONS?: string;
  /** Code Mode's sandbox (src/codemode/sandbox.ts): interpreter interrupt checks per run (default 10,000, ~1 s of computation). */
  PORTCULLIS_CODEMODE_INTERRUPTS?: string;
  /** Code Mode: heap per run in MB (default 16). */
  PORTCULLIS_CODEMODE_MEMORY_MB?: string;
  /** Code Mode: wall-clock limit of a run, tool calls included, in ms (default 30,000). */
  PORTCULLIS_CODEMODE_TIMEOUT_MS?: string;
  /** Code Mode: tool calls one run may make (default 500; each also counts against the caller's rate limits). */
  PORTCULLIS_CODEMODE_MAX_CALLS?: string;
  /** "buffer" sends events to the sharded durable buffer even when the `EVENTS_QUEUE` binding exists. */
  PORTCULLIS_EVENTS?: string;
  /** How many EventBuffer shards (default 16; raise only). */
  PORTCULLIS_EVENTS_SHARDS?: string;
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
