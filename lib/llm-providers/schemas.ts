import { z } from "zod";
import { IsoDateTime, parseUrl, Slug, Uuid } from "@core/zod/helpers";
import { PriceEntry, PriceTable } from "@core/llm/pricing";
import { LLM_PROVIDERS, type LlmProvider } from "@core/llm/providers";

/**
 * LLM providers behind the gateway (`<portal>/llm/<slug>/v1/...`) and the price table, as people
 * write them (the Gateway page, `/api/v1/llm/*`). The API key is write-only: stored encrypted,
 * sealed for the edge at publish, never returned (outputs say `hasApiKey`), never audited.
 */

export const DEFAULT_BASE_URLS: Record<LlmProvider, string> = {
  openai: "https://api.openai.com/v1",
  anthropic: "https://api.anthropic.com/v1",
};

export const BaseUrl = z
  .url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" })
  .max(2000)
  .refine((u) => !parseUrl(u)?.username && !parseUrl(u)?.password, "must not contain a user name or password; set the API key instead")
  .refine((u) => !parseUrl(u)?.search && !parseUrl(u)?.hash, "must not have a query or fragment")
  // The gateway appends the path after /v1/ to it; one trailing slash is dropped so "…/v1/" works too.
  .transform((u) => u.replace(/\/+$/, ""))
  .describe("Where requests go, up to and including the version path (https://api.openai.com/v1); default: the kind's public API");

const ApiKey = z.string().trim().min(1, "is empty").max(8_000);

// Without defaults: an edit sends only what changes (zod applies defaults inside .partial() too).
const providerFields = {
  slug: Slug.describe("Lowercase letters, digits and hyphens; the gateway path is /llm/<slug>/v1/..."),
  name: z.string().trim().min(1, "is required").max(100),
  kind: z.enum(LLM_PROVIDERS).describe("Wire format: openai (also vLLM, Ollama, LiteLLM and other OpenAI-compatible servers) or anthropic"),
  baseUrl: BaseUrl.nullable().optional(),
  apiKey: ApiKey.nullable()
    .optional()
    .describe("Write-only. Stored encrypted, sealed for the edge, never returned. On update: omit to keep, null to remove"),
  cacheTtlSeconds: z.int().min(0).max(604_800).describe("Exact-match response cache lifetime in seconds; 0 (default): no cache"),
  logBodies: z.boolean().describe("Keep redacted request and response bodies on usage events (default false)"),
  enabled: z.boolean(),
};

export const ProviderInput = z
  .object({
    ...providerFields,
    cacheTtlSeconds: providerFields.cacheTtlSeconds.default(0),
    logBodies: providerFields.logBodies.default(false),
    enabled: providerFields.enabled.default(true),
  })
  .strict();
export type ProviderInput = z.infer<typeof ProviderInput>;
export type ProviderInputRaw = z.input<typeof ProviderInput>;

export const UpdateProviderInput = z
  .object(providerFields)
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, "send at least one field to change");
export type UpdateProviderInput = z.infer<typeof UpdateProviderInput>;

export const ProviderCheck = z.object({
  ok: z.boolean().describe("true when the provider listed its models with the stored key: calls through the gateway should work"),
  status: z.number().int().optional().describe("The HTTP status the provider answered, when it answered"),
  message: z.string().describe("What happened, in words (never the key): \"Reached api.openai.com: 3 models listed.\", or why calls will fail"),
  models: z.number().int().optional().describe("How many models the provider listed (a lower bound when it lists more than 1000)"),
  checkedAt: IsoDateTime,
});
export type ProviderCheck = z.infer<typeof ProviderCheck>;

export const ProviderOutput = z.object({
  id: Uuid,
  slug: z.string(),
  name: z.string(),
  kind: z.enum(LLM_PROVIDERS),
  baseUrl: z.string(),
  hasApiKey: z.boolean(),
  cacheTtlSeconds: z.number().int(),
  logBodies: z.boolean(),
  enabled: z.boolean(),
  /** The gateway path at the portal: `/llm/<slug>/v1`. */
  gatewayPath: z.string(),
  check: ProviderCheck.nullable().describe(
    "The last connection test (GET <baseUrl>/models through the SSRF guard, 5 s), run on every save and by POST /llm/providers/{id}/check. The provider is saved even when it fails; null before the first test",
  ),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
});
export type ProviderOutput = z.infer<typeof ProviderOutput>;

export const PricesOutput = z.object({
  source: z.enum(["default", "custom"]).describe("default: nothing was saved, the built-in list prices apply; custom: the saved table"),
  prices: z.array(PriceEntry).describe("Sorted by provider, then model"),
  updatedAt: IsoDateTime.nullable(),
});
export type PricesOutput = z.infer<typeof PricesOutput>;

export const PutPricesInput = z
  .object({
    prices: PriceTable.refine((t) => t.length > 0, "send at least one price (an empty table means the built-in prices: POST /llm/prices/reset)").describe(
      "The whole table (USD per million tokens), replacing what is saved. Model: an exact name or a glob with *",
    ),
  })
  .strict();
export type PutPricesInput = z.input<typeof PutPricesInput>;
