import { describe, expect, it } from "vitest";
import { auditHref, viewSearch } from "./schemas";
import { parseViewParams } from "./view-params";

describe("Audit view parameters", () => {
  it("reads every filter of the explorer from the URL, times as UTC", () => {
    const team = crypto.randomUUID();
    const view = parseViewParams({
      user: " alice@example.test ",
      team,
      server: "github",
      tool: "create_issue",
      decision: "denied",
      code: "POLICY_DENIED",
      status: "error",
      wouldBlock: "true",
      via: "codemode",
      method: "tools/call",
      from: "2030-01-01T12:00",
      to: "2030-01-02",
      cursor: "abc_DEF-1",
    });
    expect(view.problem).toBeNull();
    expect(view.query).toMatchObject({
      user: "alice@example.test",
      team,
      server: "github",
      tool: "create_issue",
      decision: "denied",
      code: "POLICY_DENIED",
      status: "error",
      wouldBlock: "true",
      via: "codemode",
      method: "tools/call",
      from: "2030-01-01T12:00:00Z",
      to: "2030-01-02T00:00:00Z",
      cursor: "abc_DEF-1",
      limit: 50,
    });
    expect(view.where).not.toHaveProperty("cursor");
    expect(view.filters.from).toBe("2030-01-01T12:00");
    expect(view.cursor).toBe("abc_DEF-1");
  });

  it("leaves out each invalid parameter and says which and why, without throwing", () => {
    const view = parseViewParams({ decision: "maybe", team: "not-a-uuid", code: "lower", status: "ok", from: "yesterday", cursor: "no spaces!" });
    expect(view.problem).toContain("decision:");
    expect(view.problem).toContain("team: must be a UUID");
    expect(view.problem).toContain("code: must be a denial code");
    expect(view.problem).toContain("from:");
    expect(view.problem).toContain("cursor:");
    expect(view.query).toEqual({ status: "ok", limit: 50 });
    expect(view.filters).toEqual({ status: "ok" });
  });

  it("refuses a range that ends before it starts, keeping its start", () => {
    const view = parseViewParams(new URLSearchParams("from=2030-01-02T00:00&to=2030-01-01T00:00"));
    expect(view.problem).toBe("to: must be after from");
    expect(view.query.from).toBe("2030-01-02T00:00:00Z");
    expect(view.query.to).toBeUndefined();
  });

  it("takes the first of repeated parameters and ignores empty ones and unknown ones", () => {
    const view = parseViewParams({ server: ["a", "b"], tool: "  ", tab: "calls", limit: "5" });
    expect(view.query).toEqual({ server: "a", limit: 50 });
    expect(view.problem).toBeNull();
  });

  it("writes a view back as a link in a fixed order, the cursor last", () => {
    expect(viewSearch({ to: "2030-01-02", user: "a b" })).toBe("user=a+b&to=2030-01-02");
    expect(auditHref({})).toBe("/audit");
    expect(auditHref({ server: "x" }, { cursor: "c" })).toBe("/audit?server=x&cursor=c");
    const round = parseViewParams(new URLSearchParams(viewSearch(parseViewParams({ user: "a&b=c", from: "2030-01-01T00:00" }).filters)));
    expect(round.query).toMatchObject({ user: "a&b=c", from: "2030-01-01T00:00:00Z" });
  });
});
