/**
 * What the edge needs to call an upstream, sealed into the bundle (lib/core/edge/secret.ts). The
 * console turns each stored credential into one of these at publish time:
 * - bearer, custom headers and OAuth authorization code (its current access token) → `headers`;
 * - OAuth client credentials → the edge fetches and caches its own access tokens.
 */
export type EdgeCredential =
  | { type: "headers"; headers: Record<string, string> }
  | { type: "oauth_client_credentials"; tokenUrl: string; clientId: string; clientSecret: string; scope?: string };

/** The AAD that binds a sealed credential to its server. */
export const edgeCredentialAad = (serverId: string) => `portcullis:server:${serverId}:edge-credential`;

/** The AAD that binds a sealed LLM provider key (`{"apiKey": "…"}`) to its provider: a server credential cannot stand in for it. */
export const llmCredentialAad = (providerId: string) => `portcullis:llm-provider:${providerId}:api-key`;
