import { describe, expect, it } from "vitest";
import { containsRedaction, isSecretName, looksSecret, REDACTED, redactUrl, redactUrlsIn, redactUrlsInText } from "./redact-url";

const SECRET_URL = "https://mcp.example.com/mcp/sk_live_abcdef1234567890abcdef/sse?api_key=XYZ";
const redacted = (url: string) => redactUrl(url).value;

describe("redactUrl", () => {
  it("hides a key in the path and a credential parameter, keeping the rest readable", () => {
    expect(redactUrl(SECRET_URL)).toEqual({
      value: "https://mcp.example.com/mcp/[redacted]/sse?api_key=[redacted]",
      removed: ["url:path", "url:query:api_key"],
    });
  });

  it("hides userinfo, user name alone included", () => {
    expect(redacted("https://alice:s3cret@mcp.example.com/mcp")).toBe("https://[redacted]@mcp.example.com/mcp");
    expect(redacted("https://alice@mcp.example.com:8443/mcp")).toBe("https://[redacted]@mcp.example.com:8443/mcp");
    expect(redacted("postgresql://app:pw@db:5432/x")).toBe("postgresql://[redacted]@db:5432/x");
  });

  it("hides the value of every credential-named parameter, whatever the case or separator", () => {
    for (const name of ["key", "KEY", "api_key", "apiKey", "api-key", "apikey", "X-Api-Key", "token", "access_token", "refresh_token", "auth", "secret", "client_secret", "password", "passwd", "pwd", "sig", "signature", "X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "code", "subscription_key", "sessionId", "private_key"]) {
      expect(redacted(`https://h.example/mcp?${name}=abc&org=acme`), name).toBe(`https://h.example/mcp?${name}=[redacted]&org=acme`);
    }
  });

  it("keeps parameters whose names only resemble one", () => {
    for (const name of ["author", "monkey", "keyword", "country_code", "codec", "units", "org", "region", "state", "code_challenge", "redirect_uri"]) {
      const url = `https://h.example/mcp?${name}=abc`;
      expect(redactUrl(url), name).toEqual({ value: url, removed: [] });
    }
  });

  it("hides a secret-looking value under an ordinary name, and a bare secret parameter", () => {
    expect(redacted("https://h.example/mcp?org=acme&x=ghp_abcdefghijklmnop1234")).toBe("https://h.example/mcp?org=acme&x=[redacted]");
    expect(redacted("https://h.example/mcp?sk_live_abcdef1234567890")).toBe("https://h.example/mcp?[redacted]");
  });

  it("hides path segments that look like random tokens", () => {
    for (const token of [
      "sk-ak-Zp9Wq4Er7Ty2Ui5Op8As1Df3Gh6Jk", // known prefix
      "a1b2c3d4e5f6g7h8i9j0k1", // ≥ 20 letters and digits, mixed
      "f3a9c21b4e8d6a2c59e1b7d3f6a08c4e", // 32 hex digits
      "Zx8Kq2Lm9Pw4Rt7Vb1Nc5Hd3Jf6Gs0Ya", // upper, lower and digits at high entropy
      "Ab3_xY-9kLmN0pQ_rS-tU5vW", // base64url with separators
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", // a JWT
    ]) {
      expect(redacted(`https://h.example/mcp/${token}/sse`), token).toBe("https://h.example/mcp/[redacted]/sse");
    }
    // Percent-encoded segments are judged decoded.
    expect(redacted("https://h.example/%73k_live_abcdef1234567890abcdef/sse")).toBe("https://h.example/[redacted]/sse");
  });

  it("keeps words, slugs, versions, dates, numbers and UUIDs in the path", () => {
    for (const url of [
      "https://mcp.linear.app/mcp",
      "https://api.githubcopilot.com/mcp/",
      "https://mcp.atlassian.com/v1/sse",
      "https://h.example/github-mcp-server-v2/mcp",
      "https://h.example/modelcontextprotocol-server-everything/sse",
      "https://h.example/internationalization2024/mcp",
      "https://h.example/2024-01-15/reports/12345678/mcp",
      "https://h.example/projects/123e4567-e89b-12d3-a456-426614174000/mcp",
      "http://localhost:3000/sse?units=metric",
      "http://127.0.0.1:8787/mcp?a=1&b=two+words",
    ]) {
      expect(redactUrl(url), url).toEqual({ value: url, removed: [] });
    }
  });

  it("hides the fragment, and leaves unparsable text alone unless it looks like a secret", () => {
    expect(redacted("https://h.example/mcp#access_token=x")).toBe("https://h.example/mcp#[redacted]");
    expect(redacted("not a url")).toBe("not a url");
    expect(redacted("sk_live_abcdef1234567890abcdef")).toBe(REDACTED);
  });

  it("is idempotent", () => {
    for (const url of [SECRET_URL, "https://alice:pw@h.example/mcp#frag", "https://h.example/mcp?token=abc"]) {
      const once = redacted(url);
      expect(redacted(once)).toBe(once);
    }
  });
});

describe("redactUrlsInText", () => {
  it("redacts every URL in a message, keeping sentence punctuation", () => {
    const message = `Could not reach ${SECRET_URL}: fetch failed. Tried: sse ${SECRET_URL}; streamable-http (${SECRET_URL}).`;
    const out = redactUrlsInText(message);
    expect(out).not.toContain("XYZ");
    expect(out).not.toContain("sk_live");
    const shown = "https://mcp.example.com/mcp/[redacted]/sse?api_key=[redacted]";
    expect(out).toBe(`Could not reach ${shown}: fetch failed. Tried: sse ${shown}; streamable-http (${shown}).`);
    expect(redactUrlsInText(out)).toBe(out);
  });

  it("leaves text without secrets as it is", () => {
    const text = "No MCP answer from https://mcp.example.com/mcp within 15 s.";
    expect(redactUrlsInText(text)).toBe(text);
  });

  it("walks JSON values: strings in objects and arrays, nothing else changed", () => {
    expect(redactUrlsIn({ slug: "s", url: SECRET_URL, n: 1, ok: true, none: null, list: [`at ${SECRET_URL}`] })).toEqual({
      slug: "s",
      url: "https://mcp.example.com/mcp/[redacted]/sse?api_key=[redacted]",
      n: 1,
      ok: true,
      none: null,
      list: ["at https://mcp.example.com/mcp/[redacted]/sse?api_key=[redacted]"],
    });
  });
});

describe("the helpers", () => {
  it("tell secret names and values from ordinary ones", () => {
    expect(isSecretName("GITHUB_TOKEN")).toBe(true);
    expect(isSecretName("NPM_AUTHTOKEN")).toBe(true);
    expect(isSecretName("region")).toBe(false);
    expect(looksSecret("github-mcp-server")).toBe(false);
    expect(looksSecret("Bearer abc")).toBe(true);
  });

  it("find the marker as typed or percent-encoded", () => {
    expect(containsRedaction(redacted(SECRET_URL))).toBe(true);
    expect(containsRedaction("https://h.example/mcp/%5Bredacted%5D/sse")).toBe(true);
    expect(containsRedaction(SECRET_URL)).toBe(false);
  });
});
