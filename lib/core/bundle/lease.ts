/**
 * Bundle expiry and its renewal. Every bundle the console signs says when it expires
 * (`expiresAt`, `PORTCULLIS_BUNDLE_TTL_HOURS` after signing); while the console is in touch it
 * extends the running version with a signed lease ({version, exp}) instead of publishing a new one.
 * A portal that hears nothing past the later of the two denies everything: a revocation it missed
 * cannot stay unenforced for longer than the TTL.
 */
export const LEASE_STATEMENT = "portcullis-bundle-lease";
export const BUNDLE_TTL_SETTING = "PORTCULLIS_BUNDLE_TTL_HOURS";
export const DEFAULT_BUNDLE_TTL_HOURS = 12;
/** Shortest and longest TTL the setting may give (a minute; 30 days). */
const MIN_TTL_MS = 60_000;
const MAX_TTL_MS = 30 * 24 * 3_600_000;

/** The TTL the setting gives, in milliseconds (default for a missing or invalid value). */
export function bundleTtlMs(setting: string | undefined): number {
  const hours = Number(setting);
  const ms = setting !== undefined && setting.trim() !== "" && Number.isFinite(hours) && hours > 0 ? hours * 3_600_000 : DEFAULT_BUNDLE_TTL_HOURS * 3_600_000;
  return Math.min(MAX_TTL_MS, Math.max(MIN_TTL_MS, Math.round(ms)));
}

/** When a bundle issued at `issuedAt` expires. */
export function expiryFor(issuedAt: Date, ttlMs: number): string {
  return new Date(issuedAt.getTime() + ttlMs).toISOString();
}

/**
 * When a running bundle stops being usable: the later of its own expiry and the lease for its
 * version (epoch ms); null when it never expires (a bundle from before expiry existed).
 */
export function effectiveExpiry(bundleExpiresAt: string | undefined, leaseExpMs: number | null): number | null {
  if (!bundleExpiresAt) return null;
  const own = Date.parse(bundleExpiresAt);
  return Math.max(Number.isFinite(own) ? own : 0, leaseExpMs ?? 0);
}

/** Whether the console should renew now: less than three quarters of the TTL left (about every TTL/4). */
export function leaseDue(expiresAtMs: number | null, nowMs: number, ttlMs: number): boolean {
  return expiresAtMs !== null && expiresAtMs - nowMs < (ttlMs * 3) / 4;
}

/** A lease statement's payload, checked (the signature is checked by verifyStatement). */
export function leaseTerms(payload: Record<string, unknown> | null): { version: number; expMs: number } | null {
  if (!payload || typeof payload.version !== "number" || !Number.isInteger(payload.version) || typeof payload.exp !== "number") return null;
  return { version: payload.version, expMs: payload.exp * 1000 };
}
