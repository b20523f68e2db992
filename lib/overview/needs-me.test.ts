/**
 * The Overview's "what needs me now": the organisation's for security and admins, a member's own
 * for members — pending reviews, new high findings, budgets near their limit, denials and errors of
 * the last 24 hours (from the rollups, exactly the events' counts), the configuration in force, and
 * getting-started steps that follow what was really done.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { bundleDeployments, memberships, servers, shadowFindings, trafficUploads } from "@/db/schema";
import { generateEdgeSecret, parseEdgeSecrets } from "@core/edge/secret";
import type { AnyEvent } from "@core/events/schema";
import { createBudget } from "@/lib/budgets/create-budget";
import { createTeam } from "@/lib/teams/create-team";
import { deliverAtLeastOnce } from "@/testing/event-corpus";
import { makeEvent, makeLlmEvent } from "@/testing/events";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { makeUser } from "@/testing/users";
import { ForbiddenError } from "@/lib/errors";
import { formatAge } from "./format";
import { getOverview } from "./needs-me";

const NOW = new Date("2026-03-10T12:30:00.000Z");
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const HOUR = 3_600_000;

describe.each(testDatabases())("Overview on $name", (database) => {
  const { db } = useTestDatabase(database);
  let admin: Awaited<ReturnType<typeof makeUser>>;
  let security: Awaited<ReturnType<typeof makeUser>>;
  let ann: Awaited<ReturnType<typeof makeUser>>;
  let bob: Awaited<ReturnType<typeof makeUser>>;

  beforeAll(async () => {
    admin = await makeUser(db, "admin", "admin@overview.test");
    security = await makeUser(db, "security", "sec@overview.test");
    ann = await makeUser(db, "member", "ann@overview.test");
    bob = await makeUser(db, "member", "bob@overview.test");
  });

  it("before anything is done: nothing needs anyone, and the steps say so", async () => {
    const overview = await getOverview({ db, actor: admin }, NOW);
    expect(overview).toMatchObject({ scope: "all", pendingReviews: { count: 0 }, newHighFindings: { count: 0 }, budgetsNearLimit: [], config: null });
    expect(overview.last24h.mcp).toEqual({ calls: 0, denied: 0, errors: 0 });
    expect(overview.steps.map((s) => [s.key, s.done])).toEqual([
      ["sign-in", true],
      ["teams", false],
      ["register", false],
      ["approve", false],
      ["policy", false],
      ["publish", false],
      ["traffic", false],
      ["connect", false],
      ["token", false],
    ]);
  });

  describe("with an organisation at work", () => {
    let payments: string;
    beforeAll(async () => {
      payments = (await createTeam({ db, actor: admin }, { slug: "payments", name: "Payments" })).id;
      await db.insert(memberships).values({ teamId: payments, userId: ann.userId, role: "member", source: "manual" });
      const server = (slug: string, requestedBy: string, status: "pending_review" | "approved") => ({
        slug,
        name: slug,
        url: `https://${slug}.example.com/mcp`,
        endpointUrl: `https://${slug}.example.com/mcp`,
        transport: "streamable-http" as const,
        requestedBy,
        status,
      });
      await db.insert(servers).values([server("annsrv", ann.userId, "pending_review"), server("bobsrv", bob.userId, "pending_review"), server("live", admin.userId, "approved")]);
      const finding = (key: string, severity: "high" | "medium", state: "new" | "investigating") => ({
        key,
        kind: "remote" as const,
        url: key,
        firstSeen: new Date(ago(5 * HOUR)),
        lastSeen: new Date(ago(HOUR)),
        severity,
        state,
        userCount: 2,
      });
      await db.insert(shadowFindings).values([finding("https://evil.example/mcp", "high", "new"), finding("https://meh.example/mcp", "medium", "new"), finding("https://known.example/mcp", "high", "investigating")]);
      await db.insert(trafficUploads).values({ createdByLabel: "sec@overview.test" });

      // $0.01 a month for payments (Ann's team), spent to 90 %; 1,000 tokens a day for Bob, spent to 95 %.
      await createBudget({ db, actor: admin }, { name: "Payments", subject: "team:payments", metric: "usd", limit: 0.01, period: "month" });
      await createBudget({ db, actor: admin }, { name: "Bob", subject: "user:bob@overview.test", metric: "tokens", limit: 1_000, period: "day" });
      await createBudget({ db, actor: admin }, { name: "Roomy", subject: "team:payments", metric: "usd", limit: 1_000, period: "month" });

      const mcp = (user: typeof ann, time: string, over: Parameters<typeof makeEvent>[0] = {}) => makeEvent({ time, userId: user.userId, email: user.email, teamId: user === ann ? payments : null, ...over });
      const events: AnyEvent[] = [
        // Ann, within the last 24 hours: 4 calls, 1 denied by policy, 1 failed; one in the current, partial hour.
        mcp(ann, ago(2 * HOUR)),
        mcp(ann, ago(3 * HOUR), { decision: "denied", reason: "POLICY_DENIED: rule 1", success: false }),
        mcp(ann, ago(20 * HOUR), { success: false, error: "upstream error" }),
        mcp(ann, ago(60_000)),
        // Bob: 2 calls, 1 rate-limited.
        mcp(bob, ago(5 * HOUR)),
        mcp(bob, ago(6 * HOUR), { decision: "denied", reason: "RATE_LIMITED: per user (60/min)", success: false }),
        // Older than 24 hours: not counted.
        mcp(ann, ago(26 * HOUR), { decision: "denied", reason: "POLICY_DENIED: rule 1", success: false }),
        mcp(bob, ago(30 * HOUR), { success: false, error: "upstream error" }),
        // LLM: Ann spends 9,000 micro-dollars for payments; Bob 950 tokens; one of Bob's calls rate-limited (429).
        makeLlmEvent({ time: ago(HOUR), userId: ann.userId, email: ann.email, teamIds: [payments], costMicroUsd: 9_000 }),
        makeLlmEvent({ time: ago(HOUR), userId: bob.userId, email: bob.email, inputTokens: 650, outputTokens: 300 }),
        makeLlmEvent({ time: ago(2 * HOUR), userId: bob.userId, email: bob.email, status: 429, success: false, decision: "denied", reason: "RATE_LIMITED: per user", cache: null, inputTokens: null, outputTokens: null, costMicroUsd: null }),
      ];
      await deliverAtLeastOnce(db, await parseEdgeSecrets(generateEdgeSecret()), events, 5);
      await db.insert(bundleDeployments).values({ version: 3, signed: {}, keyId: "k", contentHash: "h", publishedByLabel: "admin@overview.test", createdAt: new Date(ago(2 * HOUR)) });
    });

    it("shows an admin the whole organisation", async () => {
      const overview = await getOverview({ db, actor: admin }, NOW);
      expect(overview.scope).toBe("all");
      expect(overview.pendingReviews.count).toBe(2);
      expect(overview.pendingReviews.items.map((s) => s.slug).sort()).toEqual(["annsrv", "bobsrv"]);
      expect(overview.newHighFindings).toMatchObject({ count: 1, items: [{ label: "https://evil.example/mcp", users: 2 }] });
      // Fullest first: Bob's at 95 %, payments at 90 %; the roomy one is not near its limit.
      expect(overview.budgetsNearLimit.map((b) => [b.budget.name, b.percent, b.level])).toEqual([
        ["Bob", 95, "warning"],
        ["Payments", 90, "warning"],
      ]);
      expect(overview.last24h.mcp).toEqual({ calls: 6, denied: 2, errors: 1 });
      expect(overview.last24h.llm).toEqual({ calls: 3, denied: 1, errors: 0 });
      expect(overview.last24h.denialReasons).toEqual([
        { code: "RATE_LIMITED", calls: 2 },
        { code: "POLICY_DENIED", calls: 1 },
      ]);
      expect(overview.config).toEqual({ version: 3, publishedAt: ago(2 * HOUR), ageMs: 2 * HOUR, runningOn: 0 });
      expect(Object.fromEntries(overview.steps.map((s) => [s.key, s.done]))).toEqual({
        "sign-in": true,
        teams: true,
        register: true,
        approve: true,
        policy: false,
        publish: true,
        traffic: true,
        connect: true,
        token: false,
      });
    });

    it("shows a member only their own: their requests, their budgets, their calls, their steps", async () => {
      const overview = await getOverview({ db, actor: ann }, NOW);
      expect(overview.scope).toBe("own");
      expect(overview.pendingReviews).toMatchObject({ count: 1, items: [{ slug: "annsrv" }] });
      expect(overview.newHighFindings).toBeNull();
      expect(overview.budgetsNearLimit.map((b) => b.budget.name)).toEqual(["Payments"]);
      expect(overview.last24h.mcp).toEqual({ calls: 4, denied: 1, errors: 1 });
      expect(overview.last24h.llm).toEqual({ calls: 1, denied: 0, errors: 0 });
      expect(overview.last24h.denialReasons).toEqual([{ code: "POLICY_DENIED", calls: 1 }]);
      expect(overview.steps.map((s) => [s.key, s.done])).toEqual([
        ["sign-in", true],
        ["request", true],
        ["connect", true],
        ["token", false],
      ]);
      const bobs = await getOverview({ db, actor: bob }, NOW);
      expect(bobs.last24h.mcp).toEqual({ calls: 2, denied: 1, errors: 0 });
      expect(bobs.budgetsNearLimit.map((b) => b.budget.name)).toEqual(["Bob"]);
    });

    it("shows security every finding and denial, and security's own steps", async () => {
      const overview = await getOverview({ db, actor: security }, NOW);
      expect(overview.scope).toBe("all");
      expect(overview.newHighFindings?.count).toBe(1);
      expect(overview.last24h.mcp.denied).toBe(2);
      expect(overview.steps.map((s) => s.key)).toEqual(["sign-in", "request", "policy", "traffic", "connect", "token"]);
    });

    it("gives a viewer their own Overview without the steps they cannot take, and refuses a credential without the read scope", async () => {
      const viewer = await makeUser(db, "viewer", "viewer@overview.test");
      const overview = await getOverview({ db, actor: viewer }, NOW);
      expect(overview.scope).toBe("own");
      expect(overview.steps.map((s) => s.key)).toEqual(["sign-in", "token"]);
      await expect(getOverview({ db, actor: { ...viewer, scopes: [] } }, NOW)).rejects.toBeInstanceOf(ForbiddenError);
    });
  });
});

describe("formatAge", () => {
  it("says an age in the largest whole unit up to days", () => {
    expect([0, 59_000, 60_000, 3_599_000, 2 * 3_600_000, 47 * 3_600_000, 49 * 3_600_000, 86_400_000 * 9].map(formatAge)).toEqual([
      "less than a minute",
      "less than a minute",
      "1 minute",
      "59 minutes",
      "2 hours",
      "47 hours",
      "2 days",
      "9 days",
    ]);
  });
});
