import { DurableObject } from "cloudflare:workers";
import type { ConfigBundle } from "@core/bundle/schema";
import { verifySignedBundle, verifyStatement, type SignedBundle, type VerifyResult } from "@core/bundle/sign";
import { effectiveExpiry, LEASE_STATEMENT, leaseTerms } from "@core/bundle/lease";
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
  /** The latest lease's expiry for this version (epoch ms), if the console renewed it. */
  leaseExpMs?: number;
}

export type LeaseResult = { ok: true; expiresAt: string } | { ok: false; reason: "MALFORMED" | "NOT_ACTIVE" };

/**
 * The active configuration. A pushed bundle replaces it only when its signature verifies with a
 * trusted key and its version is newer; otherwise the last good bundle stays. No bundle at all
 * means the portal denies everything (fail closed).
 */
export class ConfigStore extends DurableObject<Env> {
  async active(): Promise<{ bundle: ConfigBundle; installedAt: string; expiresAt: string | null; expired: boolean } | null> {
    const stored = await this.stored();
    if (!stored) return null;
    const expiresAt = effectiveExpiry(stored.signed.bundle.expiresAt, stored.leaseExpMs ?? null);
    return { bundle: stored.signed.bundle, installedAt: stored.installedAt, expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(), expired: expiresAt !== null && Date.now() >= expiresAt };
  }

  /**
   * The active version, or null when there is none or it has expired (fail closed): what every
   * request asks, cheaply (kept in memory, the clock checked on each call).
   */
  async version(): Promise<number | null> {
    if (this.current === undefined) {
      const stored = await this.stored();
      this.current = stored ? { version: stored.signed.bundle.version, expiresAt: effectiveExpiry(stored.signed.bundle.expiresAt, stored.leaseExpMs ?? null) } : null;
    }
    if (!this.current) return null;
    if (this.current.expiresAt !== null && Date.now() >= this.current.expiresAt) {
      if (!this.expiryLogged) console.error(`[config] bundle v${this.current.version} expired at ${new Date(this.current.expiresAt).toISOString()} without a renewal from the console: denying everything until it publishes or renews`);
      this.expiryLogged = true;
      return null;
    }
    return this.current.version;
  }

  /**
   * The active version and when it expires (epoch ms, null: never), expired or not: what each
   * isolate reads at most once per `PORTCULLIS_CONFIG_CHECK_MS` and then checks the clock against
   * itself (src/config.ts), so no request waits on this one object.
   */
  async head(): Promise<{ version: number; expiresAt: number | null } | null> {
    if (this.current === undefined) await this.version();
    return this.current ?? null;
  }

  private current: { version: number; expiresAt: number | null } | null | undefined;
  private expiryLogged = false;

  private stored(): Promise<Stored | undefined> {
    return this.ctx.storage.get<Stored>("active");
  }

  async install(input: unknown): Promise<VerifyResult> {
    const trusted = trustedBundleKeys(this.env);
    const current = await this.stored();
    const result = await verifySignedBundle(input, trusted, current?.signed.bundle.version ?? null);
    if (result.ok) {
      const signed = input as SignedBundle;
      await this.ctx.storage.put<Stored>("active", { signed: { ...signed, bundle: result.bundle }, installedAt: new Date().toISOString() });
      this.current = { version: result.bundle.version, expiresAt: effectiveExpiry(result.bundle.expiresAt, null) };
      this.expiryLogged = false;
    }
    return result;
  }

  /**
   * Extends the running version's life with the console's signed lease. Only for the version
   * running now (a lease for any other is refused), and only ever later; an expired bundle comes
   * back to life with a fresh lease, which proves the console is in touch again.
   */
  async renew(statement: unknown): Promise<LeaseResult> {
    const terms = typeof statement === "string" ? leaseTerms(await verifyStatement(statement, LEASE_STATEMENT, trustedBundleKeys(this.env))) : null;
    if (!terms) return { ok: false, reason: "MALFORMED" };
    const stored = await this.stored();
    if (!stored || stored.signed.bundle.version !== terms.version) return { ok: false, reason: "NOT_ACTIVE" };
    const leaseExpMs = Math.max(stored.leaseExpMs ?? 0, terms.expMs);
    await this.ctx.storage.put<Stored>("active", { ...stored, leaseExpMs });
    const expiresAt = effectiveExpiry(stored.signed.bundle.expiresAt, leaseExpMs);
    this.current = { version: terms.version, expiresAt };
    this.expiryLogged = false;
    return { ok: true, expiresAt: new Date(expiresAt ?? leaseExpMs).toISOString() };
  }
}
