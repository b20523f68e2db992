import type { UpstreamAuth } from "../registry/discover";
import { open, seal } from "../server/secret-box";
import type { UpstreamAuthInput } from "./schemas";

const aad = (serverId: string) => `server:${serverId}:credential`;

/** What may be shown about a credential: its kind, header names, the OAuth client id — never a secret. */
export function authSummary(auth: UpstreamAuthInput): Record<string, unknown> {
  switch (auth.type) {
    case "none":
      return {};
    case "bearer":
      return { token: "set" };
    case "headers":
      return { headerNames: Object.keys(auth.headers).sort() };
    case "oauth_client_credentials":
      return { clientId: auth.clientId, ...(auth.scope ? { scope: auth.scope } : {}) };
  }
}

export function sealCredential(serverId: string, auth: UpstreamAuthInput): { ciphertext: string | null; keyId: string | null } {
  if (auth.type === "none") return { ciphertext: null, keyId: null };
  const { envelope, keyId } = seal(JSON.stringify(auth), aad(serverId));
  return { ciphertext: envelope, keyId };
}

export function openCredential(serverId: string, ciphertext: string | null): UpstreamAuth {
  if (!ciphertext) return { type: "none" };
  return JSON.parse(open(ciphertext, aad(serverId))) as UpstreamAuth;
}
