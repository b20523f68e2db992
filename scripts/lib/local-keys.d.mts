/** Ed25519 JWK reduced to its RFC 8037 members. */
export interface Ed25519PublicJwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
}
export interface Ed25519PrivateJwk extends Ed25519PublicJwk {
  d: string;
}

export interface SigningKeys {
  source: "env" | "file";
  current: Ed25519PrivateJwk;
  /** Retired public keys the local Worker still trusts (local file only). */
  previous: Ed25519PublicJwk[];
  file: string | null;
}

export declare const SIGNING_KEY_FILE: string;
export declare const EDGE_SECRET_FILE: string;
export declare function localDataDir(env?: Record<string, string | undefined>): string;
export declare function publicJwkOf(jwk: unknown): Ed25519PublicJwk;
export declare function keyIdOf(jwk: unknown): string;
export declare function generateSigningKey(): Ed25519PrivateJwk;
export declare function parseSigningKeyText(text: string): Ed25519PrivateJwk;
export declare function ensureLocalSigningKey(dir: string): { current: Ed25519PrivateJwk; previous: Ed25519PublicJwk[]; file: string };
export declare function rotateLocalSigningKey(dir: string): { current: Ed25519PrivateJwk; previous: Ed25519PublicJwk[]; file: string };
export declare function resolveSigningKey(env?: Record<string, string | undefined>, dir?: string): SigningKeys;
export declare function publicKeySet(keys: { current: Ed25519PublicJwk; previous?: Ed25519PublicJwk[] }): Record<string, Ed25519PublicJwk>;
export declare function generateEdgeSecret(): string;
export declare function resolveEdgeSecret(env?: Record<string, string | undefined>, dir?: string): { source: "env" | "file"; secret: string; file: string | null };
