import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import { checkSavedProvider } from "./probe-provider";
import { DEFAULT_BASE_URLS, UpdateProviderInput, type ProviderOutput } from "./schemas";
import { providerTable, sealApiKey } from "./store";

/**
 * Changes the fields sent; an API key sent replaces the stored one, `null` removes it. Once saved,
 * the provider is tried again (./probe-provider.ts) and the answer's `check` says how it went.
 */
export async function updateLlmProvider({ db, actor }: Ctx, id: string, rawInput: unknown): Promise<ProviderOutput> {
  authorize(actor, "gateway.manage");
  const patch = UpdateProviderInput.parse(rawInput);
  await db.transaction(async (tx) => {
    const before = await providerTable.read(tx, id);
    const slug = patch.slug ?? before.slug;
    await providerTable.assertNameFree(tx, slug, id);
    const kind = patch.kind ?? before.kind;
    // A changed kind with the old kind's default URL moves to the new kind's default; a custom URL stays.
    const baseUrl =
      patch.baseUrl !== undefined && patch.baseUrl !== null
        ? patch.baseUrl
        : patch.baseUrl === null || before.baseUrl === DEFAULT_BASE_URLS[before.kind]
          ? DEFAULT_BASE_URLS[kind]
          : before.baseUrl;
    const key =
      patch.apiKey === undefined
        ? {}
        : patch.apiKey === null
          ? { credentialCiphertext: null, credentialKeyId: null }
          : sealApiKey(id, patch.apiKey);
    const apiKey = patch.apiKey === undefined ? "unchanged" : patch.apiKey === null ? (before.hasApiKey ? "removed" : "unchanged") : before.hasApiKey ? "replaced" : "set";
    const values = {
      slug,
      name: patch.name ?? before.name,
      kind,
      baseUrl,
      ...key,
      cacheTtlSeconds: patch.cacheTtlSeconds ?? before.cacheTtlSeconds,
      logBodies: patch.logBodies ?? before.logBodies,
      enabled: patch.enabled ?? before.enabled,
      updatedAt: new Date(),
    };
    await providerTable.update(tx, actor, id, before, values, { apiKey });
  });
  return checkSavedProvider(db, await providerTable.loadRow(db, id));
}
