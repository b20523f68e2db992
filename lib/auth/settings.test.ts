import { describe, expect, it } from "vitest";
import { parseRoleGroups, readAuthSettings } from "./settings";
import { safeRedirectPath } from "./redirect";

describe("auth settings from the environment", () => {
  it("is local mode when no OIDC variable is set", () => {
    const s = readAuthSettings({});
    expect(s.mode).toBe("local");
    expect(s.oidc).toBeNull();
    expect(s.policy.defaultRole).toBe("member");
  });

  it("is OIDC mode with all three variables, with sensible defaults", () => {
    const s = readAuthSettings({ OIDC_ISSUER: "https://acme.okta.com", OIDC_CLIENT_ID: "id", OIDC_CLIENT_SECRET: "secret" });
    expect(s.mode).toBe("oidc");
    expect(s.oidc).toMatchObject({ name: "Single sign-on", scopes: "openid email profile", groupsClaim: "groups" });
  });

  it("refuses a half-configured IdP and names what is missing", () => {
    expect(() => readAuthSettings({ OIDC_ISSUER: "https://acme.okta.com" })).toThrow(/OIDC_CLIENT_ID and OIDC_CLIENT_SECRET/);
    expect(() => readAuthSettings({ OIDC_ISSUER: "not a url", OIDC_CLIENT_ID: "a", OIDC_CLIENT_SECRET: "b" })).toThrow(/issuer URL/);
  });

  it("refuses an unknown default role", () => {
    expect(() => readAuthSettings({ PORTCULLIS_DEFAULT_ROLE: "root" })).toThrow(/PORTCULLIS_DEFAULT_ROLE/);
  });

  it("parses role groups, merging repeated roles", () => {
    expect(parseRoleGroups("admin=it-admins|leads, viewer=contractors,admin=root-group")).toEqual({
      admin: ["it-admins", "leads", "root-group"],
      viewer: ["contractors"],
    });
    expect(parseRoleGroups(undefined)).toEqual({});
    expect(() => parseRoleGroups("superuser=x")).toThrow(/role one of/);
    expect(() => parseRoleGroups("admin")).toThrow(/role=group1/);
  });

  it("reads OIDC_AUTO_CREATE_TEAMS as a boolean", () => {
    expect(readAuthSettings({ OIDC_AUTO_CREATE_TEAMS: "true" }).policy.autoCreateTeams).toBe(true);
    expect(readAuthSettings({ OIDC_AUTO_CREATE_TEAMS: "no" }).policy.autoCreateTeams).toBe(false);
  });
});

describe("redirects after sign-in", () => {
  it.each([
    ["/settings", "/settings"],
    ["/settings?x=1", "/settings?x=1"],
    ["//evil.example", "/"],
    ["/\\evil.example", "/"],
    ["https://evil.example", "/"],
    // Forms browsers turn into another origin: tab, newline and CR are stripped, backslashes become slashes.
    ["/\t/evil.example", "/"],
    ["/\n/evil.example", "/"],
    ["/\r/evil.example", "/"],
    ["\\/evil.example", "/"],
    ["/\\/evil.example", "/"],
    ["/%09/evil.example", "/%09/evil.example"],
    ["/\u0000/evil.example", "/"],
    ["/ /evil.example", "/%20/evil.example"],
    ["///evil.example", "/"],
    ["/.//evil.example", "/"],
    ["/..//evil.example", "/"],
    ["javascript:alert(1)", "/"],
    ["/settings#tokens", "/settings#tokens"],
    ["/servers/../settings", "/settings"],
    [undefined, "/"],
    [42, "/"],
  ])("%s → %s", (input, expected) => {
    expect(safeRedirectPath(input)).toBe(expected);
  });
});
