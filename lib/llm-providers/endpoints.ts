import { endpoint, IdParams, NoQuery } from "@/lib/api/endpoint";
import { resourceEndpoints } from "@/lib/api/resource-endpoints";
import { PricesOutput, ProviderInput, ProviderOutput, PutPricesInput, UpdateProviderInput } from "./schemas";

/** The public API contracts of this domain (routes under app/api/v1; the OpenAPI document is built from them). */

export const {
  list: listLlmProvidersEndpoint,
  create: createLlmProviderEndpoint,
  get: getLlmProviderEndpoint,
  update: updateLlmProviderEndpoint,
  delete: deleteLlmProviderEndpoint,
} = resourceEndpoints({
  path: "/llm/providers",
  tag: "LLM gateway",
  name: { one: "LlmProvider", many: "LlmProviders", listKey: "providers" },
  permissions: { read: "gateway.read", manage: "gateway.manage" },
  schemas: { output: ProviderOutput, create: ProviderInput, update: UpdateProviderInput },
  summaries: {
    list: "LLM providers behind the gateway (<portal>/llm/<slug>/v1/...); API keys are never returned",
    create: "Add an LLM provider and test it; it reaches the edge with the next publish",
    get: "One LLM provider",
    update: "Change an LLM provider and test it again (only the fields sent; apiKey omitted keeps the key, null removes it)",
    delete: "Remove an LLM provider; answers the removed provider",
  },
  descriptions: {
    create:
      "The API key is write-only: encrypted at rest, sealed for the edge, never returned or audited. 409 when the slug is taken. " +
      "Once saved, the provider is tested (its models list, through the SSRF guard, 5 s): `check` says whether calls will work. A failed test still saves the provider (201), with `check.ok` false and the reason in `check.message`.",
    update: "Once saved, the provider is tested again; `check` holds the outcome, and a failed test still saves the change.",
  },
});

export const checkLlmProviderEndpoint = endpoint({
  method: "POST", path: "/llm/providers/{id}/check", operationId: "checkLlmProvider", tag: "LLM gateway", permission: "gateway.manage", status: 200,
  summary: "Test a provider again (its models list with the stored key, through the SSRF guard, 5 s); answers the provider with the outcome in `check`",
  params: IdParams, query: NoQuery, response: ProviderOutput,
});

export const listLlmPricesEndpoint = endpoint({
  method: "GET", path: "/llm/prices", operationId: "listLlmPrices", tag: "LLM gateway", permission: "gateway.read", status: 200,
  summary: "The price table in force (USD per million tokens): the saved one, or the built-in defaults (source \"default\")",
  query: NoQuery, response: PricesOutput,
});

export const putLlmPricesEndpoint = endpoint({
  method: "PUT", path: "/llm/prices", operationId: "putLlmPrices", tag: "LLM gateway", permission: "gateway.manage", status: 200,
  summary: "Replace the whole price table; it reaches the edge with the next publish",
  query: NoQuery, body: PutPricesInput, response: PricesOutput,
});

export const resetLlmPricesEndpoint = endpoint({
  method: "POST", path: "/llm/prices/reset", operationId: "resetLlmPrices", tag: "LLM gateway", permission: "gateway.manage", status: 200,
  summary: "Forget the saved price table: the built-in defaults apply again",
  query: NoQuery, response: PricesOutput,
});
