import { beforeAll, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { eq, sql } from "drizzle-orm";
import { apiTokens, llmEvents, mcpEvents } from "@/db/schema";
import * as usageRoute from "@/app/api/v1/usage/route";
import { toProblem } from "../api/problem";
import { BOOTSTRAP_ACTOR, type Actor } from "../auth/actor";
import { ForbiddenError, ValidationError } from "../errors";
import type { LlmEvent, PortalEvent } from "@core/events/schema";
import { makeEvent, makeLlmEvent } from "@/testing/events";
import { createTeam } from "../teams/create-team";
import { setMembership } from "../teams/set-membership";
import { makeToken, makeUser } from "@/testing/users";
import { UsageOutput, UsageQuery } from "./schemas";
import { getUsage, resolveUsageRange } from "./usage";

const uniq = () => Math.random().toString(36).slice(2, 8);
const NOW = new Date("2030-03-15T12:00:00.000Z");
/** Five UTC days: 2030-03-10 00:00 up to (not including) 2030-03-15 00:00. */
const RANGE = { from: "2030-03-10", to: "2030-03-14" };

/** Stored as lib/audit/ingest-events.ts stores a delivered event: no `kind`, the time as UTC ISO. */
function mcpRow(overrides: Partial<PortalEvent>) {
  const { kind: _kind, ...row } = makeEvent(overrides);
  return { ...row, time: new Date(row.time).toISOString() };
}
function llmRow(overrides: Partial<LlmEvent>) {
  const { kind: _kind, ...row } = makeLlmEvent(overrides);
  return { ...row, time: new Date(row.time).toISOString() };
}

async function routeGet(query: string, secret: string | null): Promise<Response> {
  const request = new Request(`http://console.test/api/v1/usage${query}`, { headers: secret ? { authorization: `Bearer ${secret}` } : {} });
  return usageRoute.GET(request, { params: Promise.resolve({}) });
}

describe("usage range", () => {
  it("defaults to the last 30 UTC days up to now", () => {
    const { from, to } = resolveUsageRange({}, NOW);
    expect(from.toISOString()).toBe("2030-02-14T00:00:00.000Z");
    expect(to).toEqual(NOW);
  });

  it("reads a date-only `to` as the whole day, and a date-time as given", () => {
    expect(resolveUsageRange({ from: "2030-03-10", to: "2030-03-14" }, NOW)).toEqual({
      from: new Date("2030-03-10T00:00:00.000Z"),
      to: new Date("2030-03-15T00:00:00.000Z"),
    });
    expect(resolveUsageRange({ from: "2030-03-10T06:30:00Z", to: "2030-03-11T06:30:00+02:00" }, NOW)).toEqual({
      from: new Date("2030-03-10T06:30:00.000Z"),
      to: new Date("2030-03-11T04:30:00.000Z"),
    });
    // The default start follows an explicit end: 30 days ending with its last day.
    expect(resolveUsageRange({ to: "2030-01-30" }, NOW).from.toISOString()).toBe("2030-01-01T00:00:00.000Z");
  });

  it("refuses from after to, an empty range and more than 366 days, as 400s", () => {
    for (const query of [
      { from: "2030-03-10", to: "2030-03-01" },
      { from: "2030-03-10T00:00:00Z", to: "2030-03-10T00:00:00Z" },
      { from: "2029-01-01", to: "2030-01-02" },
    ]) {
      const parsed = UsageQuery.safeParse(query);
      expect(parsed.success, JSON.stringify(query)).toBe(false);
      expect(toProblem(parsed.error).status).toBe(400);
    }
    expect(toProblem(UsageQuery.safeParse({ from: "2030-03-10", to: "2030-03-01" }).error).body.error.fields).toEqual({ from: "must be before to" });
    expect(toProblem(UsageQuery.safeParse({ from: "2029-01-01", to: "2030-01-02" }).error).body.error.fields).toEqual({ to: "the range may span at most 366 days" });
    // Exactly 366 days is allowed (2029 is not a leap year: 2029-01-01 to the end of 2030-01-01).
    expect(UsageQuery.safeParse({ from: "2029-01-01", to: "2030-01-01" }).success).toBe(true);
    // With `to` left out the range ends now: a future `from` is refused when the verb resolves it.
    expect(() => resolveUsageRange({ from: "2030-03-16" }, NOW)).toThrow(ValidationError);
    expect(() => resolveUsageRange({ from: "2029-03-01" }, NOW)).toThrow(/at most 366 days/);
  });

  it("refuses malformed filters", () => {
    expect(UsageQuery.safeParse({ from: "yesterday" }).success).toBe(false);
    expect(UsageQuery.safeParse({ teamId: "platform" }).success).toBe(false);
    expect(UsageQuery.safeParse({ days: "7" }).success).toBe(false);
  });
});

describe.each(testDatabases())("usage on $name", (database) => {
  const { db } = useTestDatabase(database, { getDb: true });
  let admin: Actor;
  let security: Actor;
  let memberA: Actor & { userId: string };
  let memberB: Actor & { userId: string };
  let viewer: Actor & { userId: string };
  let t1: { id: string; slug: string };
  let t2: { id: string; slug: string };
  const ghost = crypto.randomUUID();

  beforeAll(async () => {
    admin = await makeUser(db, "admin");
    security = await makeUser(db, "security");
    memberA = await makeUser(db, "member");
    memberB = await makeUser(db, "member");
    viewer = await makeUser(db, "viewer");
    t1 = await createTeam({ db, actor: BOOTSTRAP_ACTOR }, { slug: `one-${uniq()}`, name: "One" });
    t2 = await createTeam({ db, actor: BOOTSTRAP_ACTOR }, { slug: `two-${uniq()}`, name: "Two" });
    const A = { userId: memberA.userId, teamId: t1.id };
    const B = { userId: memberB.userId, teamId: t2.id };
    const list = { method: "tools/list", serverSlug: null, serverUrl: null, tool: null };
    await db.insert(mcpEvents).values([
      // The aggregate tool list at /mcp has no server; on /mcp/weather it is weather's.
      mcpRow({ ...A, ...list, endpoint: "/mcp", resultTokens: 300, time: "2030-03-10T09:00:00.000Z" }),
      mcpRow({ ...A, ...list, endpoint: "/mcp/weather", resultTokens: 100, time: "2030-03-10T10:00:00.000Z" }),
      mcpRow({ ...B, ...list, endpoint: "/mcp/weather", resultTokens: 120, time: "2030-03-12T10:00:00.000Z" }),
      mcpRow({ ...A, serverSlug: "weather", tool: "get_weather", resultTokens: 40, time: "2030-03-10T11:00:00.000Z" }),
      mcpRow({ ...A, serverSlug: "weather", tool: "get_weather", resultTokens: 44, time: "2030-03-11T11:00:00.000Z" }),
      mcpRow({ ...B, serverSlug: "weather", tool: "get_weather", resultTokens: null, decision: "denied", success: false, time: "2030-03-11T12:00:00.000Z" }),
      mcpRow({ ...B, serverSlug: "github", tool: "search_code", resultTokens: 500, time: "2030-03-12T11:00:00.000Z" }),
      mcpRow({ ...A, method: "initialize", serverSlug: null, tool: null, endpoint: "/mcp", resultTokens: null, time: "2030-03-13T08:00:00.000Z" }),
      // Just outside the range on either side.
      mcpRow({ ...A, serverSlug: "weather", tool: "get_weather", resultTokens: 9999, time: "2030-03-09T23:59:59.999Z" }),
      mcpRow({ ...A, serverSlug: "weather", tool: "get_weather", resultTokens: 9999, time: "2030-03-15T00:00:00.000Z" }),
    ]);
    const anthropic = { providerSlug: "claude", providerKind: "anthropic", model: "claude-x" } as const;
    await db.insert(llmEvents).values([
      // OpenAI: input includes the cached tokens → 100 + 50 = 150.
      llmRow({ userId: memberA.userId, email: "old-address@example.test", teamIds: [t1.id, t2.id], model: "gpt-a", inputTokens: 100, outputTokens: 50, cachedInputTokens: 20, costMicroUsd: 1000, time: "2030-03-10T12:00:00.000Z" }),
      // Anthropic: cache reads and writes come on top → 10 + 5 + 100 + 20 = 135.
      llmRow({ ...anthropic, userId: memberA.userId, teamIds: [t1.id], inputTokens: 10, outputTokens: 5, cachedInputTokens: 100, cacheWriteTokens: 20, costMicroUsd: 500, cache: "hit", time: "2030-03-11T12:00:00.000Z" }),
      llmRow({ userId: memberB.userId, teamIds: [t2.id], model: "gpt-a", inputTokens: 200, outputTokens: 100, costMicroUsd: 2000, time: "2030-03-12T12:00:00.000Z" }),
      // Denied: counted as a call, never as tokens or spend (even if the edge reported some).
      llmRow({ userId: memberB.userId, teamIds: [t2.id], model: "gpt-a", decision: "denied", status: 429, success: false, cache: null, inputTokens: 7, outputTokens: null, costMicroUsd: 70, time: "2030-03-12T13:00:00.000Z" }),
      // A user since deleted: the email on the event names them.
      llmRow({ userId: ghost, email: "gone@example.test", teamIds: [], model: "gpt-a", inputTokens: 1, outputTokens: 1, costMicroUsd: 1, time: "2030-03-13T12:00:00.000Z" }),
      llmRow({ userId: memberA.userId, teamIds: [t1.id], model: "gpt-a", inputTokens: 100_000, outputTokens: 1, costMicroUsd: 99_999, time: "2030-03-09T12:00:00.000Z" }),
    ]);
  });

  it("sums MCP calls and context tokens by server, tool and tool list, within the range only", async () => {
    const usage = await getUsage({ db, actor: security }, RANGE, NOW);
    expect(UsageOutput.parse(usage)).toEqual(usage);
    expect(usage.range).toEqual({ from: "2030-03-10T00:00:00.000Z", to: "2030-03-15T00:00:00.000Z", days: 5 });
    expect(usage.filters).toEqual({ teamId: null, userId: null, ownUsageOnly: false, scope: "all" });
    expect(usage.mcp.byServer).toEqual([
      { server: "github", calls: 1, denied: 0, contextTokens: 500 },
      { server: "weather", calls: 5, denied: 1, contextTokens: 100 + 120 + 40 + 44 },
      { server: null, calls: 2, denied: 0, contextTokens: 300 },
    ]);
    expect(usage.mcp.byTool).toEqual([
      { server: "github", tool: "search_code", calls: 1, contextTokens: 500, avgContextTokens: 500 },
      // The denied call counts as a call but reported no result: the average is over the two that did.
      { server: "weather", tool: "get_weather", calls: 3, contextTokens: 84, avgContextTokens: 42 },
    ]);
    expect(usage.mcp.listTokens).toEqual([
      { server: null, lists: 1, avgTokens: 300, lastTokens: 300 },
      { server: "weather", lists: 2, avgTokens: 110, lastTokens: 120 },
    ]);
  });

  it("sums LLM calls, tokens (totalTokens semantics), spend and cache hits by model, user, team and day", async () => {
    const usage = await getUsage({ db, actor: admin }, RANGE, NOW);
    expect(usage.llm.byModel).toEqual([
      { provider: "openai", model: "gpt-a", calls: 4, tokens: 150 + 300 + 2, costMicroUsd: 1000 + 2000 + 1, cacheHits: 0 },
      { provider: "claude", model: "claude-x", calls: 1, tokens: 135, costMicroUsd: 500, cacheHits: 1 },
    ]);
    expect(usage.llm.byUser).toEqual([
      { userId: memberB.userId, email: memberB.email, calls: 2, tokens: 300, costMicroUsd: 2000 },
      // The user's current address, not the one on the events.
      { userId: memberA.userId, email: memberA.email, calls: 2, tokens: 285, costMicroUsd: 1500 },
      { userId: ghost, email: "gone@example.test", calls: 1, tokens: 2, costMicroUsd: 1 },
    ]);
    // A call counts for each of its caller's teams.
    expect(usage.llm.byTeam).toEqual([
      { teamId: t2.id, slug: t2.slug, calls: 3, tokens: 450, costMicroUsd: 3000 },
      { teamId: t1.id, slug: t1.slug, calls: 2, tokens: 285, costMicroUsd: 1500 },
    ]);
    expect(usage.llm.daily).toEqual([
      { day: "2030-03-10", mcpCalls: 3, llmCalls: 1, llmTokens: 150, costMicroUsd: 1000 },
      { day: "2030-03-11", mcpCalls: 2, llmCalls: 1, llmTokens: 135, costMicroUsd: 500 },
      { day: "2030-03-12", mcpCalls: 2, llmCalls: 2, llmTokens: 300, costMicroUsd: 2000 },
      { day: "2030-03-13", mcpCalls: 1, llmCalls: 1, llmTokens: 2, costMicroUsd: 1 },
      { day: "2030-03-14", mcpCalls: 0, llmCalls: 0, llmTokens: 0, costMicroUsd: 0 },
    ]);
  });

  /** The range's figures per hour straight from the raw events, as the series should give them (hours with none left out). */
  async function rawHours(range: { from: string; to: string }, where: string) {
    const between = `time >= '${range.from}'::timestamptz and time < '${range.to}'::timestamptz${where ? ` and ${where}` : ""}`;
    const hour = `to_char(date_trunc('hour', time, 'UTC') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:00:00.000"Z"')`;
    const result = (await db.execute(
      sql.raw(`select coalesce(m.hour, l.hour) as bucket, coalesce(m.calls, 0)::int as "mcpCalls", coalesce(m.denied, 0)::int as "mcpDenied",
          coalesce(l.calls, 0)::int as "llmCalls", coalesce(l.blocked, 0)::int as "llmBlocked", coalesce(l.tokens, 0)::int as "llmTokens", coalesce(l.cost, 0)::int as "costMicroUsd"
        from (select ${hour} as hour, count(*) as calls, count(*) filter (where decision = 'denied') as denied from mcp_events where ${between} group by 1) m
        full join (select ${hour} as hour, count(*) as calls, count(*) filter (where decision = 'denied') as blocked,
            sum(portcullis_llm_tokens(provider_kind, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens)) filter (where decision = 'allowed') as tokens,
            sum(cost_micro_usd) filter (where decision = 'allowed') as cost
          from llm_events where ${between} group by 1) l on l.hour = m.hour order by 1`),
    )) as unknown as { rows: UsageOutput["series"]["buckets"] };
    return result.rows;
  }
  const busy = (buckets: UsageOutput["series"]["buckets"]) => buckets.filter((b) => b.mcpCalls + b.llmCalls > 0);

  it("gives the range by hour up to seven days, each hour equal to its raw events (blocked calls apart), everyone's and one user's", async () => {
    const range = { from: "2030-03-10T00:00:00.000Z", to: "2030-03-15T00:00:00.000Z" };
    const all = await getUsage({ db, actor: admin }, RANGE, NOW);
    expect(all.series.grain).toBe("hour");
    expect(all.series.buckets).toHaveLength(5 * 24);
    expect(all.series.buckets[0]!.bucket).toBe(range.from);
    expect(all.series.buckets.at(-1)!.bucket).toBe("2030-03-14T23:00:00.000Z");
    expect(busy(all.series.buckets)).toEqual(await rawHours(range, ""));
    // The denied LLM call is a blocked call: counted apart, without tokens or spend.
    expect(all.series.buckets.find((b) => b.bucket === "2030-03-12T13:00:00.000Z")).toMatchObject({ llmCalls: 1, llmBlocked: 1, llmTokens: 0, costMicroUsd: 0 });
    // Hours add up to the days.
    const sum = (key: keyof (typeof all.series.buckets)[number]) => all.series.buckets.reduce((n, b) => n + Number(b[key]), 0);
    expect([sum("mcpCalls"), sum("llmCalls"), sum("llmTokens"), sum("costMicroUsd")]).toEqual(
      ["mcpCalls", "llmCalls", "llmTokens", "costMicroUsd"].map((k) => all.llm.daily.reduce((n, d) => n + Number(d[k as keyof typeof d]), 0)),
    );

    // A member's own hours, from their events.
    const own = await getUsage({ db, actor: memberA }, RANGE, NOW);
    expect(own.series.grain).toBe("hour");
    expect(busy(own.series.buckets)).toEqual(await rawHours(range, `user_id = '${memberA.userId}'`));
    expect(busy(own.series.buckets).length).toBeGreaterThan(0);

    // A range that does not start on the hour: partial hours from the raw events.
    const odd = { from: "2030-03-10T09:30:00.000Z", to: "2030-03-12T12:30:00.000Z" };
    const partial = await getUsage({ db, actor: admin }, odd, NOW);
    expect(partial.series.buckets[0]!.bucket).toBe("2030-03-10T09:00:00.000Z");
    expect(busy(partial.series.buckets)).toEqual(await rawHours(odd, ""));
  });

  it("gives a whole team's range, and ranges over seven days, by day, blocked calls apart", async () => {
    const team = await getUsage({ db, actor: security }, { ...RANGE, teamId: t2.id }, NOW);
    expect(team.series.grain).toBe("day");
    expect(team.series.buckets.map((b) => b.bucket.slice(0, 10))).toEqual(team.llm.daily.map((d) => d.day));
    expect(team.series.buckets.find((b) => b.bucket === "2030-03-12T00:00:00.000Z")).toEqual({
      bucket: "2030-03-12T00:00:00.000Z",
      mcpCalls: 2,
      mcpDenied: 0,
      llmCalls: 2,
      llmBlocked: 1,
      llmTokens: 300,
      costMicroUsd: 2000,
    });
    const month = await getUsage({ db, actor: admin }, {}, NOW);
    expect(month.series.grain).toBe("day");
    expect(month.series.buckets).toHaveLength(30);
    expect(month.series.buckets.find((b) => b.bucket === "2030-03-11T00:00:00.000Z")).toMatchObject({ mcpCalls: 2, mcpDenied: 1 });
  });

  it("shows what caching saved: response-cache hits at their recorded cost, prompt-cache reads priced by the price table (estimated)", async () => {
    const usage = await getUsage({ db, actor: admin }, RANGE, NOW);
    // The Anthropic hit: 10 + 5 + 100 + 20 tokens, recorded at 500 µ$; the OpenAI model gpt-a has no price: its 20 cached tokens are unpriced.
    expect(usage.llm.cache).toEqual({ hits: 1, hitTokens: 135, hitCostMicroUsd: 500, promptCachedTokens: 20, promptSavedMicroUsd: 0, unpricedCachedTokens: 20, savedMicroUsd: 500 });
    // A priced model (the built-in gpt-4o: $2.50 input, $1.25 cached per million): a million cached tokens saved $1.25.
    await db.insert(llmEvents).values(llmRow({ userId: memberA.userId, teamIds: [t1.id], model: "gpt-4o", inputTokens: 2_000_000, outputTokens: 0, cachedInputTokens: 1_000_000, costMicroUsd: 3_750_000, time: "2030-10-01T12:00:00.000Z" }));
    const priced = await getUsage({ db, actor: memberA }, { from: "2030-10-01", to: "2030-10-01" }, NOW);
    expect(priced.llm.cache).toEqual({ hits: 0, hitTokens: 0, hitCostMicroUsd: 0, promptCachedTokens: 1_000_000, promptSavedMicroUsd: 1_250_000, unpricedCachedTokens: 0, savedMicroUsd: 1_250_000 });
    expect(UsageOutput.parse(priced)).toEqual(priced);
  });

  it("zero-fills the default 30 days and limits the top tables", async () => {
    const usage = await getUsage({ db, actor: admin }, {}, NOW);
    expect(usage.llm.daily).toHaveLength(30);
    expect(usage.llm.daily[0]!.day).toBe("2030-02-14");
    expect(usage.llm.daily.at(-1)!.day).toBe("2030-03-15");
    // The event at 2030-03-15 00:00 is in (the range ends now), the one on 03-09 too.
    expect(usage.mcp.byTool.find((t) => t.tool === "get_weather")).toMatchObject({ calls: 5, contextTokens: 84 + 9999 * 2 });
  });

  it("filters by team: MCP by the event's team, LLM by any of the caller's teams, and shows only that team", async () => {
    const usage = await getUsage({ db, actor: security }, { ...RANGE, teamId: t2.id }, NOW);
    expect(usage.filters).toMatchObject({ teamId: t2.id, userId: null });
    expect(usage.mcp.byServer).toEqual([
      { server: "github", calls: 1, denied: 0, contextTokens: 500 },
      { server: "weather", calls: 2, denied: 1, contextTokens: 120 },
    ]);
    expect(usage.llm.byModel).toEqual([{ provider: "openai", model: "gpt-a", calls: 3, tokens: 450, costMicroUsd: 3000, cacheHits: 0 }]);
    expect(usage.llm.byTeam).toEqual([{ teamId: t2.id, slug: t2.slug, calls: 3, tokens: 450, costMicroUsd: 3000 }]);
  });

  it("lets security and admins filter by user", async () => {
    const usage = await getUsage({ db, actor: security }, { ...RANGE, userId: memberB.userId }, NOW);
    expect(usage.filters).toEqual({ teamId: null, userId: memberB.userId, ownUsageOnly: false, scope: "all" });
    expect(usage.llm.byUser.map((u) => u.userId)).toEqual([memberB.userId]);
    expect(usage.mcp.byServer.map((s) => [s.server, s.calls])).toEqual([
      ["github", 1],
      ["weather", 2],
    ]);
  });

  it("shows members only their own usage, whatever user they ask for", async () => {
    const usage = await getUsage({ db, actor: memberA }, { ...RANGE, userId: memberB.userId }, NOW);
    expect(usage.filters).toEqual({ teamId: null, userId: memberA.userId, ownUsageOnly: true, scope: "own" });
    expect(usage.mcp.byServer).toEqual([
      { server: null, calls: 2, denied: 0, contextTokens: 300 },
      { server: "weather", calls: 3, denied: 0, contextTokens: 184 },
    ]);
    expect(usage.llm.byUser).toEqual([{ userId: memberA.userId, email: memberA.email, calls: 2, tokens: 285, costMicroUsd: 1500 }]);
    expect(usage.llm.byModel.map((m) => [m.model, m.calls])).toEqual([
      ["gpt-a", 1],
      ["claude-x", 1],
    ]);
    // Their own share of each of their teams.
    expect(usage.llm.byTeam).toEqual([
      { teamId: t1.id, slug: t1.slug, calls: 2, tokens: 285, costMicroUsd: 1500 },
      { teamId: t2.id, slug: t2.slug, calls: 1, tokens: 150, costMicroUsd: 1000 },
    ]);
    expect(usage.llm.daily.reduce((sum, d) => sum + d.mcpCalls, 0)).toBe(5);

    const none = await getUsage({ db, actor: viewer }, RANGE, NOW);
    expect(none.filters.ownUsageOnly).toBe(true);
    expect([none.mcp.byServer, none.mcp.byTool, none.mcp.listTokens, none.llm.byModel, none.llm.byUser, none.llm.byKey, none.llm.byTeam]).toEqual([[], [], [], [], [], [], []]);
    expect(none.llm.daily.every((d) => d.mcpCalls === 0 && d.llmTokens === 0)).toBe(true);
  });

  it("shows a team's lead the whole team's usage, per member and per API key — only for the teams they lead", async () => {
    const lead = await makeUser(db, "member");
    await setMembership({ db, actor: BOOTSTRAP_ACTOR }, t2.id, lead.userId, { role: "lead" });
    await setMembership({ db, actor: BOOTSTRAP_ACTOR }, t1.id, lead.userId, { role: "member" });

    const team = await getUsage({ db, actor: lead }, { ...RANGE, teamId: t2.id }, NOW);
    expect(team.filters).toEqual({ teamId: t2.id, userId: null, ownUsageOnly: false, scope: "team" });
    // What security sees of the team.
    const seen = await getUsage({ db, actor: security }, { ...RANGE, teamId: t2.id }, NOW);
    expect(team.mcp).toEqual(seen.mcp);
    expect(team.llm.byModel).toEqual([{ provider: "openai", model: "gpt-a", calls: 3, tokens: 450, costMicroUsd: 3000, cacheHits: 0 }]);
    // Per member: A's call counts for t2 too (A was in both teams then).
    expect(team.llm.byUser).toEqual([
      { userId: memberB.userId, email: memberB.email, calls: 2, tokens: 300, costMicroUsd: 2000 },
      { userId: memberA.userId, email: memberA.email, calls: 1, tokens: 150, costMicroUsd: 1000 },
    ]);
    // One member of the team.
    const one = await getUsage({ db, actor: lead }, { ...RANGE, teamId: t2.id, userId: memberB.userId }, NOW);
    expect(one.filters).toMatchObject({ scope: "team", userId: memberB.userId });
    expect(one.llm.byUser.map((u) => u.userId)).toEqual([memberB.userId]);
    expect(one.mcp.byServer.map((s) => [s.server, s.calls])).toEqual([
      ["github", 1],
      ["weather", 2],
    ]);

    // A team they only belong to, and no team at all: their own (none), whatever user they ask for.
    for (const query of [{ teamId: t1.id, userId: memberA.userId }, { userId: memberB.userId }]) {
      const own = await getUsage({ db, actor: lead }, { ...RANGE, ...query }, NOW);
      expect(own.filters).toMatchObject({ userId: lead.userId, ownUsageOnly: true, scope: "own" });
      expect([own.mcp.byServer, own.llm.byModel, own.llm.byUser]).toEqual([[], [], []]);
    }
    // A member asking for a team they do not lead sees only their own share of it.
    const member = await getUsage({ db, actor: memberB }, { ...RANGE, teamId: t2.id }, NOW);
    expect(member.filters).toMatchObject({ scope: "own", userId: memberB.userId });
    expect(member.llm.byUser.map((u) => u.userId)).toEqual([memberB.userId]);

    // Spend per API key: a call made with B's portal token.
    await makeToken(db, memberB.userId, ["read"]);
    const [key] = await db.select().from(apiTokens).where(eq(apiTokens.userId, memberB.userId)).limit(1);
    await db.insert(llmEvents).values([
      llmRow({ userId: memberB.userId, tokenId: key!.id, teamIds: [t2.id], model: "gpt-a", inputTokens: 10, outputTokens: 10, costMicroUsd: 10, time: "2030-08-10T12:00:00.000Z" }),
      llmRow({ userId: memberB.userId, tokenId: null, teamIds: [t2.id], model: "gpt-a", inputTokens: 5, outputTokens: 5, costMicroUsd: 5, time: "2030-08-10T13:00:00.000Z" }),
    ]);
    const keys = await getUsage({ db, actor: lead }, { from: "2030-08-10", to: "2030-08-10", teamId: t2.id }, NOW);
    expect(keys.llm.byKey).toEqual([{ tokenId: key!.id, name: key!.name, prefix: key!.prefix, userId: memberB.userId, email: memberB.email, calls: 1, tokens: 20, costMicroUsd: 10 }]);
    expect(keys.llm.byUser).toEqual([{ userId: memberB.userId, email: memberB.email, calls: 2, tokens: 30, costMicroUsd: 15 }]);
    expect(UsageOutput.parse(keys)).toEqual(keys);
  });

  it("puts each day's calls on its own day in the daily series, also over whole weeks (read from the weekly rollups)", async () => {
    // 2030-09-02 is a Monday: the range covers two whole ISO weeks and a day; the calls are on Wednesdays.
    const wednesdays = ["2030-09-04T10:00:00.000Z", "2030-09-11T10:00:00.000Z"];
    await db.insert(mcpEvents).values(wednesdays.map((time) => mcpRow({ userId: memberB.userId, teamId: t2.id, serverSlug: "weather", tool: "get_weather", time })));
    await db.insert(llmEvents).values(wednesdays.map((time) => llmRow({ userId: memberB.userId, teamIds: [t2.id], model: "gpt-a", inputTokens: 10, outputTokens: 0, costMicroUsd: 7, time })));
    const range = { from: "2030-09-02", to: "2030-09-16" };
    for (const query of [range, { ...range, teamId: t2.id }]) {
      const usage = await getUsage({ db, actor: admin }, query, NOW);
      const busy = usage.llm.daily.filter((d) => d.mcpCalls > 0 || d.llmCalls > 0);
      expect(busy, JSON.stringify(query)).toEqual(wednesdays.map((t) => ({ day: t.slice(0, 10), mcpCalls: 1, llmCalls: 1, llmTokens: 10, costMicroUsd: 7 })));
    }
  });

  it("splits the aggregate tool list (/mcp) by server with the shares the portal reported", async () => {
    const list = { method: "tools/list", serverSlug: null, serverUrl: null, tool: null, userId: memberA.userId, teamId: t1.id };
    await db.insert(mcpEvents).values([
      { ...mcpRow({ ...list, endpoint: "/mcp", resultTokens: 300, time: "2030-06-10T09:00:00.000Z" }), serverTokens: { weather: 90, github: 210 } },
      { ...mcpRow({ ...list, endpoint: "/mcp", resultTokens: 280, time: "2030-06-11T09:00:00.000Z" }), serverTokens: { weather: 70, github: 210 } },
      mcpRow({ ...list, endpoint: "/mcp/weather", resultTokens: 110, time: "2030-06-10T10:00:00.000Z" }),
    ]);
    const usage = await getUsage({ db, actor: admin }, { from: "2030-06-01", to: "2030-06-20" }, NOW);
    expect(usage.mcp.listTokens).toEqual([
      { server: "github", lists: 2, avgTokens: 210, lastTokens: 210 },
      // 90, 70 and 110: the latest is the aggregate list of the 11th.
      { server: "weather", lists: 3, avgTokens: 90, lastTokens: 70 },
    ]);
  });

  it("counts Code Mode's lists as savings against the plain lists they replaced, never as list costs, and its calls", async () => {
    const base = { userId: memberA.userId, teamId: t1.id, serverUrl: null };
    const execId = crypto.randomUUID();
    await db.insert(mcpEvents).values([
      { ...mcpRow({ ...base, method: "tools/list", serverSlug: null, tool: null, endpoint: "/mcp", resultTokens: 211, time: "2030-07-10T09:00:00.000Z" }), serverTokens: { weather: 900, github: 8_000 }, via: "codemode", codemodeTokens: 211 },
      { ...mcpRow({ ...base, method: "tools/list", serverSlug: null, tool: null, endpoint: "/mcp/github", resultTokens: 211, time: "2030-07-10T09:05:00.000Z" }), serverTokens: { github: 8_000 }, via: "codemode", codemodeTokens: 211 },
      { ...mcpRow({ ...base, method: "tools/call", serverSlug: null, tool: "execute", endpoint: "/mcp", resultTokens: 40, time: "2030-07-10T09:01:00.000Z" }), id: execId, via: "codemode" },
      { ...mcpRow({ ...base, method: "tools/call", serverSlug: "weather", tool: "get_weather", endpoint: "/mcp", resultTokens: 30, time: "2030-07-10T09:01:01.000Z" }), via: "codemode", parentId: execId },
      { ...mcpRow({ ...base, method: "tools/call", serverSlug: "github", tool: "search_code", endpoint: "/mcp", resultTokens: 50, time: "2030-07-10T09:01:02.000Z" }), via: "codemode", parentId: execId },
    ]);
    const usage = await getUsage({ db, actor: admin }, { from: "2030-07-01", to: "2030-07-20" }, NOW);
    expect(usage.mcp.codemode).toEqual({
      lists: 2,
      catalogTokens: 16_900,
      sentTokens: 422,
      savedTokens: 16_478,
      executes: 1,
      innerCalls: 2,
      byServer: [
        { server: "github", catalogTokens: 16_000 },
        { server: "weather", catalogTokens: 900 },
      ],
    });
    // The plain lists' costs know nothing of the catalogs Code Mode did not send.
    expect(usage.mcp.listTokens).toEqual([]);
    // A catalog smaller than Code Mode's own tools: the difference is negative, and said so.
    const small = await getUsage({ db, actor: admin }, { from: "2030-07-10", to: "2030-07-10" }, NOW);
    expect(small.mcp.codemode.savedTokens).toBe(16_478);
    await db.insert(mcpEvents).values({ ...mcpRow({ ...base, method: "tools/list", serverSlug: null, tool: null, endpoint: "/mcp", resultTokens: 211, time: "2030-07-15T09:00:00.000Z" }), serverTokens: { weather: 50 }, via: "codemode", codemodeTokens: 211 });
    expect((await getUsage({ db, actor: admin }, { from: "2030-07-15", to: "2030-07-15" }, NOW)).mcp.codemode).toMatchObject({ lists: 1, catalogTokens: 50, sentTokens: 211, savedTokens: -161 });
  });

  it("refuses a token without the read scope, and a bad range", async () => {
    await expect(getUsage({ db, actor: { ...memberA, scopes: ["write"] } }, RANGE, NOW)).rejects.toThrow(ForbiddenError);
    await expect(getUsage({ db, actor: admin }, { from: "2030-03-10", to: "2030-03-01" }, NOW)).rejects.toThrow(ZodError);
    await expect(getUsage({ db, actor: admin }, { from: "2030-03-20" }, NOW)).rejects.toThrow(ValidationError);
  });

  it("answers GET /api/v1/usage: 200 with the caller's view, 400 for a bad range, 401 and 403", async () => {
    const member = await routeGet(`?from=${RANGE.from}&to=${RANGE.to}&userId=${memberB.userId}`, await makeToken(db, memberA.userId, ["read"]));
    expect(member.status).toBe(200);
    const body = UsageOutput.parse(await member.json());
    expect(body.filters).toEqual({ teamId: null, userId: memberA.userId, ownUsageOnly: true, scope: "own" });
    expect(body.llm.byUser.map((u) => u.userId)).toEqual([memberA.userId]);

    const adminSecret = await makeToken(db, admin.userId!);
    const all = await routeGet(`?from=${RANGE.from}&to=${RANGE.to}`, adminSecret);
    expect(((await all.json()) as UsageOutput).llm.byUser).toHaveLength(3);

    for (const query of ["?from=2030-03-10&to=2030-03-01", "?from=2028-01-01&to=2030-01-01", "?teamId=nope", "?extra=1"]) {
      const res = await routeGet(query, adminSecret);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("VALIDATION_ERROR");
    }
    expect((await routeGet("", null)).status).toBe(401);
    expect((await routeGet("", await makeToken(db, memberA.userId, ["write"]))).status).toBe(403);
  });
});
