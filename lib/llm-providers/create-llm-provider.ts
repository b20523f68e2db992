import { randomUUID } from "node:crypto";
import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import { DEFAULT_BASE_URLS, ProviderInput, type ProviderOutput } from "./schemas";
import { providerTable, sealApiKey } from "./store";

/** Adds an LLM provider to the gateway; it reaches the edge with the next publish. */
export async function createLlmProvider({ db, actor }: Ctx, rawInput: unknown): Promise<ProviderOutput> {
  authorize(actor, "gateway.manage");
  const input = ProviderInput.parse(rawInput);
  // The id is the key's AAD, so it is chosen before the row exists.
  const id = randomUUID();
  return db.transaction(async (tx) => {
    await providerTable.assertNameFree(tx, input.slug);
    return providerTable.insert(tx, actor, {
      id,
      slug: input.slug,
      name: input.name,
      kind: input.kind,
      baseUrl: input.baseUrl ?? DEFAULT_BASE_URLS[input.kind],
      ...(input.apiKey ? sealApiKey(id, input.apiKey) : { credentialCiphertext: null, credentialKeyId: null }),
      cacheTtlSeconds: input.cacheTtlSeconds,
      logBodies: input.logBodies,
      enabled: input.enabled,
    });
  });
}
