/**
 * Signs in at the test IdP (testing/servers/oidc-server.mjs) with fetch and a fresh cookie jar, starting from an
 * authorization URL, and returns the IdP's redirect off its own origin (the client's redirect_uri with
 * `code`, `state` and `iss`, or with `error`) without fetching it. Throws if the login is refused.
 */
export declare function completeAuthorization(authorizationUrl: string | URL, options?: { login?: string }): Promise<URL>;
