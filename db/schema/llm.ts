import { sql } from "drizzle-orm";
import { bigint, boolean, doublePrecision, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

export const llmProviderKindEnum = pgEnum("llm_provider_kind", ["openai", "anthropic"]);

/** The last connection test of a provider (lib/llm-providers/probe-provider.ts): never the key. */
export interface StoredProviderCheck {
  ok: boolean;
  status?: number;
  message: string;
  models?: number;
  checkedAt: string;
}

/**
 * LLM providers behind the gateway (`/llm/{slug}/v1/...` at the portal). `kind` is the wire format
 * (OpenAI-compatible covers vLLM, Ollama, LiteLLM); `base_url` is where the edge sends requests.
 * The provider's API key is encrypted at rest (lib/secret-box.ts) and sealed for the edge in
 * the bundle; clients never see it.
 */
export const llmProviders = pgTable(
  "llm_providers",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    kind: llmProviderKindEnum("kind").notNull(),
    baseUrl: text("base_url").notNull(),
    credentialCiphertext: text("credential_ciphertext"),
    credentialKeyId: text("credential_key_id"),
    /** Exact-match response cache lifetime; 0 turns the cache off for this provider. */
    cacheTtlSeconds: integer("cache_ttl_seconds").notNull().default(0),
    /** Keep redacted request/response bodies on usage events (callers can opt out per request). */
    logBodies: boolean("log_bodies").notNull().default(false),
    enabled: boolean("enabled").notNull().default(true),
    /** Written by every save and "Test again"; not configuration, so not audited and not in `updated_at`. */
    lastCheck: jsonb("last_check").$type<StoredProviderCheck>(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("llm_providers_slug_idx").on(t.slug)],
);

/** The editable price table (USD per million tokens), by provider kind and model name or glob (lib/core/llm/pricing.ts). */
export const llmPrices = pgTable(
  "llm_prices",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    provider: llmProviderKindEnum("provider").notNull(),
    model: text("model").notNull(),
    inputPerMTok: doublePrecision("input_per_mtok").notNull(),
    outputPerMTok: doublePrecision("output_per_mtok").notNull(),
    cachedInputPerMTok: doublePrecision("cached_input_per_mtok"),
    cacheWritePerMTok: doublePrecision("cache_write_per_mtok"),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("llm_prices_model_idx").on(t.provider, t.model)],
);

/**
 * One row per LLM call through the gateway (lib/core/events/schema.ts `LlmEvent`), idempotent on the
 * edge's id like `mcp_events`. No foreign keys: usage outlives users, tokens and providers.
 */
export const llmEvents = pgTable(
  "llm_events",
  {
    id: uuid("id").notNull(),
    time: timestamp("time", { withTimezone: true, mode: "string" }).notNull(),
    userId: uuid("user_id"),
    email: text("email"),
    /** Every team of the caller at the time of the call: team budgets and charts sum over these. */
    teamIds: uuid("team_ids").array().notNull().default(sql`'{}'::uuid[]`),
    tokenId: uuid("token_id"),
    clientIp: text("client_ip"),
    providerSlug: text("provider_slug").notNull(),
    providerKind: text("provider_kind").notNull(),
    operation: text("operation").notNull(),
    model: text("model"),
    stream: boolean("stream").notNull(),
    /** HTTP status the caller got. */
    status: integer("status").notNull(),
    success: boolean("success").notNull(),
    error: text("error"),
    decision: text("decision").$type<"allowed" | "denied">().notNull(),
    reason: text("reason"),
    ruleId: text("rule_id"),
    /** hit | miss | bypass; null when the request was not forwarded. */
    cache: text("cache"),
    inputTokens: integer("input_tokens"),
    outputTokens: integer("output_tokens"),
    cachedInputTokens: integer("cached_input_tokens"),
    cacheWriteTokens: integer("cache_write_tokens"),
    costMicroUsd: bigint("cost_micro_usd", { mode: "number" }),
    /** Admitted over a `flag` budget. */
    overBudget: boolean("over_budget").notNull().default(false),
    durationMs: integer("duration_ms"),
    /** Redacted, clipped bodies when the provider logs bodies and the caller did not opt out. */
    requestLog: text("request_log"),
    responseLog: text("response_log"),
    bundleVersion: integer("bundle_version"),
    /** The provider's URL is on the block list: `blockId` names the entry; `wouldBlock` when it was in log mode and the call went through. */
    blockId: uuid("block_id"),
    wouldBlock: boolean("would_block").notNull().default(false),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Partitioned by day on `time` like mcp_events: the key must hold it.
    primaryKey({ name: "llm_events_pkey", columns: [t.time, t.id] }),
    // Covering: INCLUDEs what one person's own figures read (migration 0024), so their pages scan the index alone.
    index("llm_events_user_idx").on(t.userId, t.time, t.id),
    index("llm_events_block_idx").on(t.blockId, t.time).where(sql`${t.blockId} is not null`),
  ],
);

export type LlmProviderRow = typeof llmProviders.$inferSelect;
export type LlmPriceRow = typeof llmPrices.$inferSelect;
export type LlmEventRow = typeof llmEvents.$inferSelect;
