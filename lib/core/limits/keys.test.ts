import { describe, expect, it } from "vitest";
import { applicableBudgets, applicableRateLimits, type LimitPrincipal } from "./keys";
import type { BudgetSpec, RateLimitSpec } from "./schema";

const id = () => crypto.randomUUID();
const T1 = id();
const T2 = id();
const T3 = id();
const U = id();
const K = id();
const alice: LimitPrincipal = { userId: U, teamIds: [T1, T2], tokenId: K };
const aliceOAuth: LimitPrincipal = { ...alice, tokenId: null };

function rl(parts: Partial<RateLimitSpec> = {}): RateLimitSpec {
  return { id: id(), name: "rl", subject: { type: "everyone" }, per: "user", scope: { kind: "all" }, limit: 10, windowSeconds: 60, ...parts };
}

function budget(parts: Partial<BudgetSpec> = {}): BudgetSpec {
  return { id: id(), name: "b", subject: { type: "user", userId: U }, metric: "tokens", limit: 1000, period: "month", onExceed: "block", ...parts };
}

const mcp = (serverSlug: string, tool: string | null = "search") => ({ kind: "mcp" as const, serverSlug, tool });

describe("applicableRateLimits", () => {
  it("matches subjects: everyone, a team of the user, the user, the token used", () => {
    const specs = [rl({ subject: { type: "everyone" } }), rl({ subject: { type: "team", teamId: T2 } }), rl({ subject: { type: "team", teamId: T3 } }), rl({ subject: { type: "user", userId: U } }), rl({ subject: { type: "user", userId: id() } }), rl({ subject: { type: "token", tokenId: K } })];
    const applied = applicableRateLimits(specs, alice, { kind: "llm" }).map((a) => a.specId);
    expect(applied).toEqual([specs[0]!.id, specs[1]!.id, specs[3]!.id, specs[5]!.id]);
    // Without a token the token subject cannot match.
    expect(applicableRateLimits(specs, aliceOAuth, { kind: "llm" }).map((a) => a.specId)).toEqual([specs[0]!.id, specs[1]!.id, specs[3]!.id]);
  });

  it("keys one counter per user, per team (each team of the user), or per token (OAuth callers under their user)", () => {
    const perUser = rl({ per: "user" });
    const perTeam = rl({ per: "team" });
    const perToken = rl({ per: "token" });
    const keys = (who: LimitPrincipal) => applicableRateLimits([perUser, perTeam, perToken], who, { kind: "llm" }).map((a) => a.counterKey);
    expect(keys(alice)).toEqual([`rl:${perUser.id}:u:${U}`, `rl:${perTeam.id}:t:${T1}`, `rl:${perTeam.id}:t:${T2}`, `rl:${perToken.id}:k:${K}`]);
    expect(keys(aliceOAuth)).toEqual([`rl:${perUser.id}:u:${U}`, `rl:${perTeam.id}:t:${T1}`, `rl:${perTeam.id}:t:${T2}`, `rl:${perToken.id}:u:${U}`]);
    // A user in no team still has a counter: their own.
    expect(keys({ userId: U, teamIds: [], tokenId: null })).toContain(`rl:${perTeam.id}:u:${U}`);
  });

  it("shares one counter among the members of a team subject, whatever their other teams", () => {
    const spec = rl({ subject: { type: "team", teamId: T1 }, per: "team", limit: 5, windowSeconds: 2 });
    const bob: LimitPrincipal = { userId: id(), teamIds: [T1, T3], tokenId: null };
    const a = applicableRateLimits([spec], alice, { kind: "mcp" });
    const b = applicableRateLimits([spec], bob, { kind: "mcp" });
    expect(a).toEqual([{ specId: spec.id, name: "rl", counterKey: `rl:${spec.id}:t:${T1}`, limit: 5, windowMs: 2000 }]);
    expect(b).toEqual(a);
  });

  it("narrows by kind, server and tool glob; a server-level request matches only an absent or `*` tool", () => {
    const all = rl({ scope: { kind: "all" } });
    const llm = rl({ scope: { kind: "llm" } });
    const server = rl({ scope: { kind: "mcp", serverSlug: "github" } });
    const star = rl({ scope: { kind: "mcp", serverSlug: "github", tool: "*" } });
    const writes = rl({ scope: { kind: "mcp", tool: "create_?ssue*" } });
    const specs = [all, llm, server, star, writes];
    const ids = (req: Parameters<typeof applicableRateLimits>[2]) => applicableRateLimits(specs, alice, req).map((a) => a.specId);
    expect(ids({ kind: "llm" })).toEqual([all.id, llm.id]);
    expect(ids(mcp("github", "search"))).toEqual([all.id, server.id, star.id]);
    expect(ids(mcp("github", "create_issue_comment"))).toEqual([all.id, server.id, star.id, writes.id]);
    expect(ids(mcp("jira", "create_issue"))).toEqual([all.id, writes.id]);
    expect(ids(mcp("github", null))).toEqual([all.id, server.id, star.id]);
  });

  it("lists a counter once even if the user's teams repeat", () => {
    const spec = rl({ per: "team" });
    expect(applicableRateLimits([spec], { userId: U, teamIds: [T1, T1], tokenId: null }, { kind: "llm" })).toHaveLength(1);
  });
});

describe("applicableBudgets", () => {
  it("applies the budgets of the user, each of their teams and the token used — whichever key the call uses", () => {
    const mine = budget({ subject: { type: "user", userId: U } });
    const team1 = budget({ subject: { type: "team", teamId: T1 } });
    const team2 = budget({ subject: { type: "team", teamId: T2 }, metric: "usd" });
    const token = budget({ subject: { type: "token", tokenId: K } });
    const other = budget({ subject: { type: "user", userId: id() } });
    const otherTeam = budget({ subject: { type: "team", teamId: T3 } });
    const otherToken = budget({ subject: { type: "token", tokenId: id() } });
    const specs = [mine, team1, team2, token, other, otherTeam, otherToken];
    const when = new Date("2026-11-26T10:00:00Z");
    expect(applicableBudgets(specs, alice, when).map((b) => b.specId)).toEqual([mine.id, team1.id, team2.id, token.id]);
    expect(applicableBudgets(specs, aliceOAuth, when).map((b) => b.specId)).toEqual([mine.id, team1.id, team2.id]);
    // A different token of the same user still hits the user's and teams' budgets.
    expect(applicableBudgets(specs, { ...alice, tokenId: id() }, when).map((b) => b.specId)).toEqual([mine.id, team1.id, team2.id]);
  });

  it("keys a counter by budget, metric and calendar period", () => {
    const monthly = budget({ period: "month" });
    const weekly = budget({ period: "week", metric: "usd", onExceed: "flag", limit: 5_000_000 });
    const [m, w] = applicableBudgets([monthly, weekly], alice, new Date("2026-11-30T23:59:59Z"));
    expect(m).toEqual({
      specId: monthly.id,
      name: "b",
      counterKey: `b:${monthly.id}:tokens:2026-11`,
      metric: "tokens",
      limit: 1000,
      onExceed: "block",
      period: "month",
      periodKey: "2026-11",
      periodStart: Date.parse("2026-11-01T00:00:00Z"),
      periodEnd: Date.parse("2026-12-01T00:00:00Z"),
    });
    expect(w?.counterKey).toBe(`b:${weekly.id}:usd:2026-W49`);
    expect(applicableBudgets([monthly], alice, new Date("2026-12-01T00:00:00Z"))[0]?.counterKey).toBe(`b:${monthly.id}:tokens:2026-12`);
  });
});
