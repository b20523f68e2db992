/**
 * The OAuth consent statement (`typ`) the console signs and the portal checks at `/oauth/callback`:
 * one constant for both sides, so they cannot drift apart.
 */
export const CONSENT_STATEMENT = "portcullis-oauth-consent";
