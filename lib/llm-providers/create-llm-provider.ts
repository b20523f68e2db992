import { randomUUID } from "node:crypto";
import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import { checkSavedProvider } from "./probe-provider";
import { DEFAULT_BASE_URLS, ProviderInput, type ProviderOutput } from "./schemas";
import { providerTable, sealApiKey } from "./store";

/**
 * Adds an LLM provider to the gateway; it reaches the edge with the next publish. Once saved, it
 * is tried (./probe-provider.ts): the answer's `check` says whether calls will work, and the
 * provider stays saved either way.
 */
export async function createLlmProvider({ db, actor }: Ctx, rawInput: unknown): Promise<ProviderOutput> {
  authorize(actor, "gateway.manage");
  const input = ProviderInput.parse(rawInput);
  // The id is the key's AAD, so it is chosen before the row exists.
  const id = randomUUID();
  await db.transaction(async (tx) => {
    await providerTable.assertNameFree(tx, input.slug);
    await providerTable.insert(tx, actor, {
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
  // After the commit: the test may take seconds and must not hold the transaction open.
  return checkSavedProvider(db, await providerTable.loadRow(db, id));
}
