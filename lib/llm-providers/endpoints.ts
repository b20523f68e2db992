import { z } from "zod";
import { endpoint, IdParams, NoQuery } from "@/lib/api/endpoint";
import { PricesOutput, ProviderInput, ProviderOutput, PutPricesInput, UpdateProviderInput } from "./schemas";

/** The public API contracts of this domain (routes under app/api/v1; the OpenAPI document is built from them). */

export const listLlmProvidersEndpoint = endpoint({
  method: "GET", path: "/llm/providers", operationId: "listLlmProviders", tag: "LLM gateway", permission: "gateway.read", status: 200,
  summary: "LLM providers behind the gateway (<portal>/llm/<slug>/v1/...); API keys are never returned",
  query: NoQuery, response: z.object({ providers: z.array(ProviderOutput) }),
});

export const createLlmProviderEndpoint = endpoint({
  method: "POST", path: "/llm/providers", operationId: "createLlmProvider", tag: "LLM gateway", permission: "gateway.manage", status: 201,
  summary: "Add an LLM provider; it reaches the edge with the next publish",
  description: "The API key is write-only: encrypted at rest, sealed for the edge, never returned or audited. 409 when the slug is taken.",
  query: NoQuery, body: ProviderInput, response: ProviderOutput,
});

export const getLlmProviderEndpoint = endpoint({
  method: "GET", path: "/llm/providers/{id}", operationId: "getLlmProvider", tag: "LLM gateway", permission: "gateway.read", status: 200,
  summary: "One LLM provider", params: IdParams, query: NoQuery, response: ProviderOutput,
});

export const updateLlmProviderEndpoint = endpoint({
  method: "PATCH", path: "/llm/providers/{id}", operationId: "updateLlmProvider", tag: "LLM gateway", permission: "gateway.manage", status: 200,
  summary: "Change an LLM provider (only the fields sent; apiKey omitted keeps the key, null removes it)",
  params: IdParams, query: NoQuery, body: UpdateProviderInput, response: ProviderOutput,
});

export const deleteLlmProviderEndpoint = endpoint({
  method: "DELETE", path: "/llm/providers/{id}", operationId: "deleteLlmProvider", tag: "LLM gateway", permission: "gateway.manage", status: 200,
  summary: "Remove an LLM provider; answers the removed provider", params: IdParams, query: NoQuery, response: ProviderOutput,
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
