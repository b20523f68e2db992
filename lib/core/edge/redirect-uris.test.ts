import { describe, expect, it } from "vitest";
import { DEFAULT_REDIRECT_ALLOWLIST, redirectAllowlist, redirectUriProblem } from "./redirect-uris";

const defaults = redirectAllowlist(undefined);

describe("redirect URIs an MCP client may register", () => {
  it.each([
    "http://localhost:33418/oauth/callback",
    "http://127.0.0.1:6274/oauth/callback/debug",
    "http://[::1]:9000/cb",
    "https://localhost/cb",
    "cursor://anysphere.cursor-retrieval/oauth/user-callback",
    "vscode://vscode.github-authentication/did-authenticate",
    "com.example.app:/oauth2redirect",
    "https://claude.ai/api/mcp/auth_callback",
    "https://vscode.dev/redirect?x=1",
  ])("accepts %s", (uri) => {
    expect(redirectUriProblem(uri, defaults)).toBeNull();
  });

  it.each([
    ["https://attacker.example.net/cb", /allowlist \(PORTCULLIS_OAUTH_REDIRECT_ALLOWLIST\)/],
    ["http://attacker.example.net/cb", /allowlist/],
    ["https://claude.ai.attacker.example/api/mcp/auth_callback", /allowlist/],
    ["https://claude.ai/api/mcp/auth_callback_evil", /allowlist/],
    ["https://localhost.attacker.example/cb", /allowlist/],
    ["javascript:alert(1)", /scheme/],
    ["data:text/html,hi", /scheme/],
    ["file:///etc/passwd", /scheme/],
    ["http://localhost:3000/cb#frag", /fragment/],
    ["not a uri", /not a URI/],
    [42, /not a URI/],
  ])("refuses %s", (uri, reason) => {
    expect(redirectUriProblem(uri, defaults)).toMatch(reason);
  });

  it("takes the operator's allowlist instead of the defaults when set", () => {
    const own = redirectAllowlist(" https://agents.acme.example/oauth/ , https://chat.acme.example/cb ");
    expect(own).toEqual(["https://agents.acme.example/oauth/", "https://chat.acme.example/cb"]);
    expect(redirectUriProblem("https://agents.acme.example/oauth/done", own)).toBeNull();
    expect(redirectUriProblem("https://chat.acme.example/cb", own)).toBeNull();
    expect(redirectUriProblem(DEFAULT_REDIRECT_ALLOWLIST[0], own)).toMatch(/allowlist/);
  });
});
