import { describe, expect, it } from "vitest";
import { contentSecurityPolicy, servedOverHttps } from "./security-headers";

const nonce = "bm9uY2Utbm9uY2Utbm9uY2U=";
const directive = (csp: string, name: string) => csp.split("; ").find((d) => d.startsWith(`${name} `));

describe("the console's Content-Security-Policy", () => {
  it("runs scripts only with this request's nonce: no unsafe-inline, no unsafe-eval in production", () => {
    const csp = contentSecurityPolicy({ nonce, dev: false });
    expect(directive(csp, "script-src")).toBe(`script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`);
    expect(csp).not.toContain("unsafe-eval");
    expect(directive(csp, "script-src")).not.toContain("unsafe-inline");
    expect(directive(csp, "object-src")).toBe("object-src 'none'");
    expect(directive(csp, "frame-ancestors")).toBe("frame-ancestors 'none'");
    expect(directive(csp, "base-uri")).toBe("base-uri 'none'");
    expect(directive(csp, "connect-src")).toBe("connect-src 'self'");
  });

  it("lets the development server evaluate and reload, and forms reach the identity provider", () => {
    const csp = contentSecurityPolicy({ nonce, dev: true, formActionOrigins: ["https://idp.example.test"] });
    expect(directive(csp, "script-src")).toContain("'unsafe-eval'");
    expect(directive(csp, "connect-src")).toContain("ws:");
    expect(directive(csp, "form-action")).toBe("form-action 'self' https://idp.example.test");
  });

  it("refuses a nonce that could break out of the header", () => {
    expect(() => contentSecurityPolicy({ nonce: "short", dev: false })).toThrow();
    expect(() => contentSecurityPolicy({ nonce: `${nonce}'; script-src *`, dev: false })).toThrow();
  });
});

describe("HSTS only over HTTPS", () => {
  it("is sent when the request, the proxy or the public URL says https", () => {
    expect(servedOverHttps("https:", null, undefined)).toBe(true);
    expect(servedOverHttps("http:", "https", undefined)).toBe(true);
    expect(servedOverHttps("http:", "https, http", undefined)).toBe(true);
    expect(servedOverHttps("http:", null, "https://portcullis.acme.com")).toBe(true);
    expect(servedOverHttps("http:", null, "http://localhost:3000")).toBe(false);
    expect(servedOverHttps("http:", "http", undefined)).toBe(false);
  });
});
