import { DurableObject } from "cloudflare:workers";
import type { ConfigBundle } from "@core/bundle/schema";
import { verifySignedBundle, type SignedBundle, type VerifyResult } from "@core/bundle/sign";
import type { Env } from "./env";

/** The console keys this portal trusts (`PORTCULLIS_BUNDLE_KEYS`); none when the variable is not valid JSON. */
export function trustedBundleKeys(env: Env): Record<string, JsonWebKey> {
  try {
    const keys = JSON.parse(env.PORTCULLIS_BUNDLE_KEYS || "{}") as unknown;
    return keys && typeof keys === "object" && !Array.isArray(keys) ? (keys as Record<string, JsonWebKey>) : {};
  } catch {
    return {};
  }
}

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

  /** Just the active version (null: none): what every request asks, cheaply. */
  async version(): Promise<number | null> {
    if (this.activeVersion === undefined) this.activeVersion = (await this.ctx.storage.get<Stored>("active"))?.signed.bundle.version ?? null;
    return this.activeVersion;
  }

  private activeVersion: number | null | undefined;

  async install(input: unknown): Promise<VerifyResult> {
    const trusted = trustedBundleKeys(this.env);
    const current = await this.ctx.storage.get<Stored>("active");
    const result = await verifySignedBundle(input, trusted, current?.signed.bundle.version ?? null);
    if (result.ok) {
      const signed = input as SignedBundle;
      await this.ctx.storage.put<Stored>("active", { signed: { ...signed, bundle: result.bundle }, installedAt: new Date().toISOString() });
      this.activeVersion = result.bundle.version;
    }
    return result;
  }
}
