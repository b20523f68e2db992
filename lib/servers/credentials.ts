import type { UpstreamAuth } from "./discover";
import { StoredOAuthProvider, type UpstreamOAuthState } from "./stored-oauth-provider";
import { open, seal } from "@/lib/secret-box";
import type { UpstreamAuthInput } from "./schemas";

const aad = (serverId: string) => `server:${serverId}:credential`;

/** What is sealed: the credential as entered, or for authorization code the whole OAuth state (client, tokens). */
export type StoredCredential = Exclude<UpstreamAuthInput, { type: "oauth_authorization_code" | "none" }> | { type: "oauth_authorization_code"; oauth: UpstreamOAuthState };

/** What may be shown about a credential: its kind, header names, the OAuth client id — never a secret. */
export function authSummary(auth: UpstreamAuthInput | StoredCredential): Record<string, unknown> {
  switch (auth.type) {
    case "none":
      return {};
    case "bearer":
      return { token: "set" };
    case "headers":
      return { headerNames: Object.keys(auth.headers).sort() };
    case "oauth_client_credentials":
      return { clientId: auth.clientId, ...(auth.scope ? { scope: auth.scope } : {}) };
    case "oauth_authorization_code":
      return "oauth" in auth ? { clientId: auth.oauth.clientInformation?.client_id ?? null, ...(auth.oauth.scope ? { scope: auth.oauth.scope } : {}) } : {};
  }
}

export function sealCredential(serverId: string, credential: StoredCredential | { type: "none" }): { ciphertext: string | null; keyId: string | null } {
  if (credential.type === "none") return { ciphertext: null, keyId: null };
  const { envelope, keyId } = seal(JSON.stringify(credential), aad(serverId));
  return { ciphertext: envelope, keyId };
}

/** The credential ready for discovery; for OAuth, `provider` holds the tokens (and any refreshed ones). */
export function openCredential(serverId: string, ciphertext: string | null): { auth: UpstreamAuth; provider?: StoredOAuthProvider } {
  if (!ciphertext) return { auth: { type: "none" } };
  const stored = JSON.parse(open(ciphertext, aad(serverId))) as StoredCredential;
  if (stored.type === "oauth_authorization_code") {
    const provider = new StoredOAuthProvider(stored.oauth);
    return { auth: { type: "oauth_authorization_code", provider }, provider };
  }
  return { auth: stored };
}
