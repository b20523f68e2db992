/**
 * How long an OAuth grant at the portal lives. A grant (the refresh token an MCP client keeps)
 * expires after `idleDays` without a refresh, and in any case `maxDays` after the person consented:
 * a laptop left in a drawer, or a refresh token copied off it, stops working on its own, and
 * everyone re-consents at least every `maxDays`.
 */
export const OAUTH_IDLE_DAYS_SETTING = "PORTCULLIS_OAUTH_REFRESH_IDLE_DAYS";
export const OAUTH_MAX_DAYS_SETTING = "PORTCULLIS_OAUTH_GRANT_MAX_DAYS";
export const DEFAULT_IDLE_DAYS = 7;
export const DEFAULT_MAX_DAYS = 30;

const DAY = 86_400;
/** The provider's (and Cloudflare KV's) shortest expiry. */
export const MIN_LIFETIME_SECONDS = 60;

export interface GrantLifetimes {
  idleSeconds: number;
  maxSeconds: number;
}

function days(text: string | undefined, fallback: number): number {
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** The lifetimes the two settings give (defaults for missing or invalid values); idle never exceeds max. */
export function grantLifetimes(env: Record<string, string | undefined>): GrantLifetimes {
  const maxSeconds = Math.max(MIN_LIFETIME_SECONDS, Math.round(days(env[OAUTH_MAX_DAYS_SETTING], DEFAULT_MAX_DAYS) * DAY));
  const idleSeconds = Math.max(MIN_LIFETIME_SECONDS, Math.min(maxSeconds, Math.round(days(env[OAUTH_IDLE_DAYS_SETTING], DEFAULT_IDLE_DAYS) * DAY)));
  return { idleSeconds, maxSeconds };
}

/**
 * Seconds a grant may live from `nowSeconds` on: the idle window, cut at the grant's maximum age.
 * `null` when it is past (or within a minute of) its maximum age: the refresh is refused. A grant
 * without a recorded consent time (made before this rule) counts from now.
 */
export function nextGrantLifetime(grantedAtSeconds: number | undefined, nowSeconds: number, lifetimes: GrantLifetimes): number | null {
  const grantedAt = typeof grantedAtSeconds === "number" && Number.isFinite(grantedAtSeconds) ? Math.min(grantedAtSeconds, nowSeconds) : nowSeconds;
  const remaining = grantedAt + lifetimes.maxSeconds - nowSeconds;
  if (remaining <= MIN_LIFETIME_SECONDS) return null;
  return Math.min(lifetimes.idleSeconds, Math.floor(remaining));
}
