/**
 * Credentials sealed into the bundle (upstream servers' and LLM providers'), opened once per
 * isolate rather than on every call: HKDF and AES-GCM each time would be per-call CPU for the same
 * answer. Keyed by the AAD (it names the server or provider) and the sealed text itself, so a
 * rotated credential in a new bundle is a new entry, used from its first call; bounded, the entry
 * opened longest ago dropped first. The edge secret is not in the key: changing
 * `PORTCULLIS_EDGE_SECRET` is a new deployment, and new isolates.
 */
import type { SealedCredential } from "@core/bundle/schema";
import { BoundedCache } from "@core/cache/bounded-cache";
import { openAtEdge } from "@core/edge/secret";
import { edgeSecrets } from "./settings";

const opened = new BoundedCache<string, Promise<unknown>>(2_000);

/** The sealed JSON, opened and parsed (once per isolate while kept). A failure is not kept: the next call tries again. */
export function openSealedJson(sealed: SealedCredential, aad: string, edgeSecretSource: string | undefined): Promise<unknown> {
  return opened.getOrMake(`${aad}\u0000${sealed.kid}\u0000${sealed.sealed}`, async () => JSON.parse(await openAtEdge(sealed, await edgeSecrets(edgeSecretSource), aad)) as unknown);
}
