import { llmProviders, type LlmProviderRow } from "@/db/schema";
import { toIso } from "@core/zod/helpers";
import { auditedTable } from "../audit/audited-table";
import { open, seal } from "../secret-box";
import type { ProviderOutput } from "./schemas";

/**
 * LLM providers as stored and as shown. The API key is encrypted at rest with the console's key
 * ring (lib/secret-box.ts, the provider id as AAD, like server credentials) and leaves the console
 * only sealed for the edge (./compile-llm.ts). Audit rows say whether a key is set and whether it
 * changed — never the key.
 */

const atRestAad = (providerId: string) => `llm-provider:${providerId}:credential`;

export function sealApiKey(providerId: string, apiKey: string): { credentialCiphertext: string; credentialKeyId: string } {
  const { envelope, keyId } = seal(JSON.stringify({ apiKey }), atRestAad(providerId));
  return { credentialCiphertext: envelope, credentialKeyId: keyId };
}

/** The stored API key in clear, or null when none is set. Throws when it cannot be opened (key ring changed). */
export function openApiKey(row: Pick<LlmProviderRow, "id" | "credentialCiphertext">): string | null {
  if (!row.credentialCiphertext) return null;
  const { apiKey } = JSON.parse(open(row.credentialCiphertext, atRestAad(row.id))) as { apiKey: string };
  return apiKey;
}

export const gatewayPath = (slug: string) => `/llm/${slug}/v1`;

export function toProviderOutput(row: LlmProviderRow): ProviderOutput {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    kind: row.kind,
    baseUrl: row.baseUrl,
    hasApiKey: row.credentialCiphertext !== null,
    cacheTtlSeconds: row.cacheTtlSeconds,
    logBodies: row.logBodies,
    enabled: row.enabled,
    gatewayPath: gatewayPath(row.slug),
    check: row.lastCheck ?? null,
    createdAt: toIso(row.createdAt),
    updatedAt: toIso(row.updatedAt),
  };
}

/** What audit details may say about a provider: its settings (never the key; the last check is not a setting). */
function auditView(out: ProviderOutput) {
  const { id: _id, createdAt: _c, updatedAt: _u, gatewayPath: _g, check: _check, ...rest } = out;
  return rest;
}

export const providerTable = auditedTable({
  table: llmProviders,
  entity: "llm_provider",
  noun: "LLM provider",
  name: { column: llmProviders.slug, caseInsensitive: false, taken: (slug) => `An LLM provider with slug "${slug}" already exists` },
  output: async (_db, row: LlmProviderRow) => toProviderOutput(row),
  auditView,
  auditKey: "provider",
});
