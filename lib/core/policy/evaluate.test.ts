import { describe, expect, it } from "vitest";
import { compilePolicy, decide, describeRule, globToRegExp } from "./evaluate";
import { POLICY_CASES } from "@/testing/policy-cases";

describe("policy evaluator (testing/policy-cases.ts)", () => {
  it.each(POLICY_CASES)("$name", (c) => {
    const run = (rules: typeof c.rules) => decide(compilePolicy(rules), c.who, { ...c.request, at: c.request.at ? new Date(c.request.at) : undefined });
    const decision = run(c.rules);
    expect(decision.effect).toBe(c.effect);
    expect(decision.ruleId).toBe(c.rule === null ? null : `00000000-0000-4000-8000-${c.rule.padStart(12, "0")}`);
    // The answer never depends on the order rules are given in.
    expect(run([...c.rules].reverse())).toEqual(decision);
  });

  it("names the deciding rule in words, and the default deny as such", () => {
    const c = POLICY_CASES.find((x) => x.name === "office hours: inside")!;
    const d = decide(compilePolicy(c.rules), c.who, { ...c.request, at: new Date(c.request.at!) });
    expect(d.reason).toBe(`allowed by rule ${describeRule(c.rules[0]!)}`);
    expect(d.reason).toContain("08:00–18:00 UTC");
    expect(decide(compilePolicy([]), c.who, { serverSlug: "x", tool: "y" }).reason).toBe("no rule allows this (default deny)");
  });

  it("looks only at rules for the request's server and the caller's subjects", () => {
    // 10,000 rules for other people and servers, one that applies: still decided by that one.
    const rules = Array.from({ length: 10_000 }, (_, i) => ({
      id: `00000000-0000-4000-8000-${String(i + 100).padStart(12, "0")}`,
      effect: "deny" as const,
      subject: { type: "user" as const, userId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}` },
      resource: { serverSlug: `server-${i % 50}`, tool: "*" },
      priority: 1_000,
    }));
    const allow = { id: "00000000-0000-4000-8000-000000000001", effect: "allow" as const, subject: { type: "everyone" as const }, resource: { serverSlug: "github", tool: "*" }, priority: 1 };
    const policy = compilePolicy([...rules, allow]);
    expect(policy.size).toBe(10_001);
    expect(decide(policy, { userId: "00000000-0000-4000-8000-999999999999", teamIds: [], emailVerified: true }, { serverSlug: "github", tool: "x" })).toMatchObject({ effect: "allow", ruleId: allow.id });
  });

  it("refuses malformed conditions with the rule's id", () => {
    const bad = { id: "r1", effect: "allow" as const, subject: { type: "everyone" as const }, resource: { serverSlug: "*", tool: "*" }, priority: 1 };
    expect(() => compilePolicy([{ ...bad, conditions: { clientCidrs: ["10.0.0.0/33"] } }])).toThrow(/rule r1: not a CIDR/);
    expect(() => compilePolicy([{ ...bad, conditions: { timeWindow: { start: "8:00", end: "18:00" } } }])).toThrow(/HH:MM/);
  });
});

describe("globToRegExp", () => {
  it("matches * and ? and treats the rest literally", () => {
    expect(globToRegExp("*")).toBeNull();
    const re = globToRegExp("get_?.*")!;
    expect(re.test("get_a.json")).toBe(true);
    expect(re.test("get_ab.json")).toBe(false);
    expect(re.test("get_aXjson")).toBe(false);
    expect(globToRegExp("a(b)+")!.test("a(b)+")).toBe(true);
  });
});
