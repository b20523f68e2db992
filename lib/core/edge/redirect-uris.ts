/**
 * Which redirect URIs an MCP client may register at the portal (OAuth dynamic client registration).
 * Open registration with any redirect URI lets anyone stage a consent page that sends a person's
 * authorization to their own host. So: loopback (native apps and CLIs listen on localhost, RFC 8252
 * §7.3), private-use schemes (desktop apps and editors, RFC 8252 §7.1), and https URIs of hosted
 * clients an operator allows (`PORTCULLIS_OAUTH_REDIRECT_ALLOWLIST`, URL prefixes); nothing else.
 */

/** Hosted MCP clients' callbacks, allowed unless the operator sets the list. */
export const DEFAULT_REDIRECT_ALLOWLIST: readonly string[] = [
  "https://claude.ai/api/mcp/auth_callback",
  "https://claude.com/api/mcp/auth_callback",
  "https://chatgpt.com/connector_platform_oauth_redirect",
  "https://vscode.dev/redirect",
  "https://insiders.vscode.dev/redirect",
];

export const REDIRECT_ALLOWLIST_SETTING = "PORTCULLIS_OAUTH_REDIRECT_ALLOWLIST";

/** Schemes that are not a private-use (app) scheme: web, script and local-content schemes. */
const NOT_APP_SCHEMES = new Set(["http:", "https:", "javascript:", "data:", "file:", "vbscript:", "blob:", "about:", "ws:", "wss:", "ftp:"]);
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** The allowlist a setting gives: comma-separated URL prefixes, or the defaults when unset. */
export function redirectAllowlist(setting: string | undefined): string[] {
  const configured = setting?.trim();
  return configured ? configured.split(",").map((s) => s.trim()).filter(Boolean) : [...DEFAULT_REDIRECT_ALLOWLIST];
}

/** Why `uri` may not be registered, or null when it may. */
export function redirectUriProblem(uri: unknown, allowlist: readonly string[]): string | null {
  if (typeof uri !== "string" || uri.length > 2000) return "is not a URI";
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return "is not a URI";
  }
  if (url.hash) return "must not have a fragment";
  if (url.protocol === "http:" || url.protocol === "https:") {
    if (LOOPBACK.has(url.hostname)) return null;
    if (url.protocol === "https:" && allowlist.some((prefix) => uri.startsWith(prefix) && (uri.length === prefix.length || "/?".includes(uri[prefix.length]!) || prefix.endsWith("/")))) return null;
    return `is not a loopback or app redirect URI, nor on the portal's allowlist (${REDIRECT_ALLOWLIST_SETTING})`;
  }
  if (NOT_APP_SCHEMES.has(url.protocol)) return `uses the ${url.protocol} scheme, which is not an app's own scheme`;
  // A private-use scheme should be a reverse domain name (RFC 8252 §7.1); single words (cursor:, vscode:) are what clients use too.
  return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) ? null : "has an invalid scheme";
}
