/** Types for testing/servers/oidc-server.mjs (a real OpenID Connect provider for tests, on oidc-provider). */
export declare const DEFAULT_ACCOUNTS: Record<string, { email: string; name: string; groups: string[] }>;
export declare function startOidcServer(options?: {
  /** default 3210; 0 picks a free port */
  port?: number;
  /** interface to bind; default all (dual-stack) */
  host?: string;
  /** oidc-provider client metadata; may be empty/omitted with `registration: true` */
  clients?: Record<string, unknown>[];
  accounts?: Record<string, { email: string; name: string; groups: string[] }>;
  forceLogin?: boolean;
  /** host name in the issuer URL, default "localhost" */
  issuerHost?: string;
  /** open dynamic client registration at <issuer>/reg, default false */
  registration?: boolean;
  /** resource indicators with JWT access tokens (aud = resource); default off */
  resourceServer?: true | { url?: string | string[]; scope?: string | string[]; accessTokenTTL?: number };
}): Promise<{ issuer: string; port: number; close(): Promise<void>; provider: unknown }>;
