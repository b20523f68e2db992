/**
 * The console's Content-Security-Policy and HSTS. Scripts run only with the per-request nonce
 * (Next.js puts it on its own inline and chunk scripts, `'strict-dynamic'` lets those load the
 * rest), so an injected `<script>` or `onerror=` does nothing. Styles allow inline attributes
 * (server-rendered `style=` widths of charts and bars); style injection cannot run code.
 */
export interface CspOptions {
  nonce: string;
  /** Next's development server evaluates code and talks over a WebSocket. */
  dev: boolean;
  /** Origins a form may post to besides this one (the identity provider's sign-in). */
  formActionOrigins?: readonly string[];
}

export function contentSecurityPolicy({ nonce, dev, formActionOrigins = [] }: CspOptions): string {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(nonce)) throw new Error("a CSP nonce must be at least 16 base64 characters");
  const directives: [string, string][] = [
    ["default-src", "'self'"],
    ["script-src", `'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`],
    ["style-src", "'self' 'unsafe-inline'"],
    ["img-src", "'self' data: blob:"],
    ["font-src", "'self' data:"],
    ["connect-src", dev ? "'self' ws: wss:" : "'self'"],
    ["object-src", "'none'"],
    ["base-uri", "'none'"],
    ["form-action", ["'self'", ...formActionOrigins].join(" ")],
    ["frame-ancestors", "'none'"],
  ];
  return directives.map(([name, value]) => `${name} ${value}`).join("; ");
}

/** Two years, subdomains included: only sent on HTTPS, where browsers honour it. */
export const HSTS = "max-age=63072000; includeSubDomains";

/**
 * Whether the console is being served over HTTPS: the request itself, the TLS-terminating proxy's
 * `X-Forwarded-Proto`, or the configured public URL (AUTH_URL). Browsers ignore HSTS on plain HTTP,
 * so a wrong "yes" costs nothing; a wrong "no" only omits the header.
 */
export function servedOverHttps(requestProtocol: string, forwardedProto: string | null, publicUrl: string | undefined): boolean {
  if (requestProtocol === "https:") return true;
  if (forwardedProto?.split(",")[0]?.trim().toLowerCase() === "https") return true;
  return /^https:\/\//i.test(publicUrl ?? "");
}
