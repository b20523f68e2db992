import { describe, expect, it } from "vitest";
import type { PolicyRule } from "../bundle/schema";
import { compilePolicy, decide, globToRegExp } from "./evaluate";

const TEAM_A = "00000000-0000-4000-8000-00000000000a";
const TEAM_B = "00000000-0000-4000-8000-00000000000b";
const ALICE = "00000000-0000-4000-8000-0000000000a1";
const BOB = "00000000-0000-4000-8000-0000000000b0";

let n = 0;
function rule(partial: Partial<PolicyRule> & Pick<PolicyRule, "effect">): PolicyRule {
  n += 1;
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    subject: { type: "everyone" },
    resource: { serverSlug: "*", tool: "*" },
    priority: 100,
    ...partial,
  };
}

const alice = { userId: ALICE, teamIds: [TEAM_A] };
const bob = { userId: BOB, teamIds: [TEAM_B] };

describe("decide", () => {
  it("denies by default and says so", () => {
    const d = decide(compilePolicy([]), alice, { serverSlug: "github", tool: "create_issue" });
    expect(d).toEqual({ effect: "deny", ruleId: null, reason: "no rule allows this (default deny)" });
  });

  it("allows a team member and names the rule; others stay denied", () => {
    const allowA = rule({ effect: "allow", subject: { type: "team", teamId: TEAM_A }, resource: { serverSlug: "github", tool: "*" } });
    const policy = compilePolicy([allowA]);
    expect(decide(policy, alice, { serverSlug: "github", tool: "create_issue" })).toMatchObject({ effect: "allow", ruleId: allowA.id });
    expect(decide(policy, alice, { serverSlug: "github", tool: "create_issue" }).reason).toBe(`allowed by rule ${allowA.id.slice(0, 8)} (team ${TEAM_A.slice(0, 8)} → github/*, priority 100)`);
    expect(decide(policy, bob, { serverSlug: "github", tool: "create_issue" })).toMatchObject({ effect: "deny", ruleId: null });
    expect(decide(policy, alice, { serverSlug: "jira", tool: "create_issue" })).toMatchObject({ effect: "deny" });
  });

  it("deny wins over allow at the same priority, in any input order", () => {
    const allow = rule({ effect: "allow" });
    const deny = rule({ effect: "deny", resource: { serverSlug: "github", tool: "delete_*" } });
    for (const rules of [
      [allow, deny],
      [deny, allow],
    ]) {
      const policy = compilePolicy(rules);
      expect(decide(policy, alice, { serverSlug: "github", tool: "delete_repo" })).toMatchObject({ effect: "deny", ruleId: deny.id });
      expect(decide(policy, alice, { serverSlug: "github", tool: "list_repos" })).toMatchObject({ effect: "allow", ruleId: allow.id });
    }
  });

  it("a higher priority allow beats a lower priority deny", () => {
    const deny = rule({ effect: "deny", priority: 10 });
    const allow = rule({ effect: "allow", priority: 20, subject: { type: "user", userId: ALICE } });
    const policy = compilePolicy([deny, allow]);
    expect(decide(policy, alice, { serverSlug: "s1", tool: "t" })).toMatchObject({ effect: "allow", ruleId: allow.id });
    expect(decide(policy, bob, { serverSlug: "s1", tool: "t" })).toMatchObject({ effect: "deny", ruleId: deny.id });
  });

  it("server-level requests need a whole-server rule", () => {
    const toolsOnly = rule({ effect: "allow", resource: { serverSlug: "github", tool: "read_*" } });
    expect(decide(compilePolicy([toolsOnly]), alice, { serverSlug: "github", tool: null })).toMatchObject({ effect: "deny", ruleId: null });
    expect(decide(compilePolicy([toolsOnly]), alice, { serverSlug: "github", tool: "read_file" })).toMatchObject({ effect: "allow" });
    const whole = rule({ effect: "allow", resource: { serverSlug: "github", tool: "*" } });
    expect(decide(compilePolicy([whole]), alice, { serverSlug: "github", tool: null })).toMatchObject({ effect: "allow", ruleId: whole.id });
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
