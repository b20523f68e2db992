import { asc, eq } from "drizzle-orm";
import { llmProviders } from "@/db/schema";
import type { Queryable } from "@/db/client";
import type { BundleLlmProvider, ConfigBundle } from "@core/bundle/schema";
import { sealForEdgeReusing, type EdgeSecret } from "@core/edge/secret";
import { llmCredentialAad } from "@core/edge/credential";
import { effectivePrices } from "./prices";
import { openApiKey } from "./store";

export interface CompileLlmOptions {
  /** Empty: a draft (simulator, impact preview) — providers without their sealed keys. */
  edgeSecrets: EdgeSecret[];
  /** The last published bundle's `llm`: a sealed key is reused when it still opens to the same plaintext. */
  previous?: ConfigBundle["llm"] | null;
  /**
   * Told about an enabled provider left out because its stored key could not be opened (the
   * console's encryption key ring changed). Publishing goes on without it rather than failing.
   */
  onSkip?: (provider: { id: string; slug: string; reason: string }) => void;
}

/**
 * The bundle's `llm` section: the enabled providers (sorted by slug) with their API keys sealed
 * for the edge (`llmCredentialAad`), and the price table in force (lib/llm-providers/prices.ts).
 */
export async function compileLlm(db: Queryable, options: CompileLlmOptions): Promise<ConfigBundle["llm"]> {
  // In turn, not at once: publishing may compile inside a transaction (a single connection).
  const rows = await db.select().from(llmProviders).where(eq(llmProviders.enabled, true)).orderBy(asc(llmProviders.slug));
  const prices = await effectivePrices(db);
  const previous = new Map((options.previous?.providers ?? []).map((p) => [p.id, p.credential]));
  const providers: BundleLlmProvider[] = [];
  for (const row of rows) {
    let apiKey: string | null;
    try {
      apiKey = openApiKey(row);
    } catch {
      // Never the error itself: it could quote the key.
      options.onSkip?.({ id: row.id, slug: row.slug, reason: "its stored API key could not be opened" });
      continue;
    }
    providers.push({
      id: row.id,
      slug: row.slug,
      name: row.name,
      kind: row.kind,
      baseUrl: row.baseUrl,
      credential: apiKey === null || options.edgeSecrets.length === 0 ? null : await sealForEdgeReusing(JSON.stringify({ apiKey }), options.edgeSecrets, llmCredentialAad(row.id), previous.get(row.id)),
      cacheTtlSeconds: row.cacheTtlSeconds,
      logBodies: row.logBodies,
    });
  }
  return { providers, prices: prices.prices };
}
