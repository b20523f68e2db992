/**
 * The console as an OAuth client of an upstream MCP server's authorization server (authorization
 * code + PKCE, with dynamic client registration), on the MCP SDK's client auth. Everything the
 * flow needs lives in one serialisable state, so it can be sealed into the database between the
 * redirect and the callback, and later inside the server's credential.
 */
import { auth, type OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";

export interface UpstreamOAuthState {
  redirectUrl: string;
  scope?: string;
  state: string;
  clientInformation?: OAuthClientInformationMixed;
  codeVerifier?: string;
  tokens?: OAuthTokens;
}

export class StoredOAuthProvider implements OAuthClientProvider {
  authorizationUrl: URL | undefined;
  constructor(readonly data: UpstreamOAuthState) {}

  get redirectUrl(): string {
    return this.data.redirectUrl;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      redirect_uris: [this.data.redirectUrl],
      client_name: "Portcullis",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
      ...(this.data.scope ? { scope: this.data.scope } : {}),
    };
  }
  state(): string {
    return this.data.state;
  }
  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.data.clientInformation;
  }
  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.data.clientInformation = info;
  }
  tokens(): OAuthTokens | undefined {
    return this.data.tokens;
  }
  saveTokens(tokens: OAuthTokens): void {
    this.data.tokens = tokens;
  }
  redirectToAuthorization(url: URL): void {
    // The console cannot redirect from here: it hands the URL to the person's browser.
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string): void {
    this.data.codeVerifier = verifier;
  }
  codeVerifier(): string {
    if (!this.data.codeVerifier) throw new Error("no PKCE verifier saved for this flow");
    return this.data.codeVerifier;
  }
  invalidateCredentials(scope: "all" | "client" | "tokens" | "verifier" | "discovery"): void {
    if (scope === "all" || scope === "tokens") delete this.data.tokens;
    if (scope === "all" || scope === "client") delete this.data.clientInformation;
    if (scope === "all" || scope === "verifier") delete this.data.codeVerifier;
  }
}

/** Registers the console with the server's authorization server (if needed) and returns where to send the person. */
export async function beginUpstreamAuthorization(provider: StoredOAuthProvider, serverUrl: string, fetchFn?: typeof fetch): Promise<URL> {
  const result = await auth(provider, { serverUrl, scope: provider.data.scope, fetchFn });
  if (result !== "REDIRECT" || !provider.authorizationUrl) {
    throw new Error("The server did not ask for an OAuth authorization (it may not need one: try without authentication)");
  }
  return provider.authorizationUrl;
}

/** Exchanges the authorization code at the callback. */
export async function finishUpstreamAuthorization(provider: StoredOAuthProvider, serverUrl: string, code: string, fetchFn?: typeof fetch): Promise<void> {
  const result = await auth(provider, { serverUrl, authorizationCode: code, scope: provider.data.scope, fetchFn });
  if (result !== "AUTHORIZED" || !provider.data.tokens) throw new Error("The authorization server did not issue tokens");
}
