/**
 * Security headers for every response of the console: a Content-Security-Policy with a fresh nonce
 * per request (Next.js reads it from the request's CSP header and puts it on its scripts), and HSTS
 * when served over HTTPS. The policy itself is lib/core/http/security-headers.ts.
 */
import { NextResponse, type NextRequest } from "next/server";
import { contentSecurityPolicy, HSTS, servedOverHttps } from "@core/http/security-headers";

function issuerOrigin(): string[] {
  try {
    return process.env.OIDC_ISSUER ? [new URL(process.env.OIDC_ISSUER).origin] : [];
  } catch {
    return [];
  }
}

export function proxy(request: NextRequest) {
  const api = request.nextUrl.pathname.startsWith("/api/");
  const requestHeaders = new Headers(request.headers);
  let csp: string | null = null;
  if (!api) {
    const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64");
    csp = contentSecurityPolicy({ nonce, dev: process.env.NODE_ENV === "development", formActionOrigins: issuerOrigin() });
    requestHeaders.set("x-nonce", nonce);
    requestHeaders.set("content-security-policy", csp);
  }
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  if (csp) response.headers.set("content-security-policy", csp);
  if (servedOverHttps(request.nextUrl.protocol, request.headers.get("x-forwarded-proto"), process.env.AUTH_URL)) {
    response.headers.set("strict-transport-security", HSTS);
  }
  return response;
}

export const config = {
  // Not for build assets (immutable files the CSP does not apply to), nor for the routes that stream
  // traffic logs (uploads, Logpush batches): Next copies a request body for a proxy and hands the
  // route only its first 10 MB (proxyClientMaxBodySize), so a bigger log would be cut short unnoticed,
  // and raising that limit would make Next buffer the copy. Those routes answer JSON; the pages around
  // them still carry the headers.
  matcher: ["/((?!_next/static|_next/image|favicon.svg|api/v1/traffic|shadow/upload).*)"],
};
