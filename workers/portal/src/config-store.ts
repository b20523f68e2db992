import { DurableObject } from "cloudflare:workers";
import type { ConfigBundle } from "../../../lib/bundle/schema";
import { verifySignedBundle, type SignedBundle, type VerifyResult } from "../../../lib/bundle/sign";
import type { Env } from "./env";

interface Stored {
  signed: SignedBundle;
  installedAt: string;
}

/**
 * The active configuration. A pushed bundle replaces it only when its signature verifies with a
 * trusted key and its version is newer; otherwise the last good bundle stays. No bundle at all
 * means the portal denies everything (fail closed).
 */
export class ConfigStore extends DurableObject<Env> {
  async active(): Promise<{ bundle: ConfigBundle; installedAt: string } | null> {
    const stored = await this.ctx.storage.get<Stored>("active");
    return stored ? { bundle: stored.signed.bundle, installedAt: stored.installedAt } : null;
  }

  async install(input: unknown): Promise<VerifyResult> {
    let trusted: Record<string, JsonWebKey>;
    try {
      trusted = JSON.parse(this.env.PORTCULLIS_BUNDLE_KEYS || "{}") as Record<string, JsonWebKey>;
    } catch {
      trusted = {};
    }
    const current = await this.ctx.storage.get<Stored>("active");
    const result = await verifySignedBundle(input, trusted, current?.signed.bundle.version ?? null);
    if (result.ok) {
      const signed = input as SignedBundle;
      await this.ctx.storage.put<Stored>("active", { signed: { ...signed, bundle: result.bundle }, installedAt: new Date().toISOString() });
    }
    return result;
  }
}
