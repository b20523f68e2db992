/**
 * Counter shards in workerd: every rate-limit and budget counter is its own Durable Object, named by
 * its counter key, and a call's counters are admitted in parallel, all or nothing. Driven through
 * the LLM gateway (the real caller of admitCall/settleCall) and the test entry's counters hooks
 * (src/testing/test-entry.ts), which trace every shard call the Worker makes: its counter key, its
 * Durable Object id, when it started and ended; they can also delay every shard call (a slow shard)
 * and read one shard's stored rows without touching them.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { generateEdgeSecret, parseEdgeSecrets, sealForEdge } from "@core/edge/secret";
import { llmCredentialAad } from "@core/edge/credential";
import type { BundleLlmProvider } from "@core/bundle/schema";
import { applicableBudgets, applicableRateLimits, type LimitPrincipal } from "@core/limits/keys";
import { overshootBound, type AdmitInput, type AdmitResult, type LedgerSnapshot, type LedgerState } from "@core/limits/ledger";
import type { BudgetSpec, RateLimitSpec } from "@core/limits/schema";
import { periodOf } from "@core/limits/windows";
import { startFakeLlmProvider, type FakeLlmProvider } from "@/testing/fake-llm";
import { allowRule, bundleOf, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

const PROVIDER_KEY = "sk-provider-secret-shards";
const TEAM = crypto.randomUUID();

/** One traced shard call, as the test entry reports it. */
type ShardCall = { counterKey: string; id: string; method: string; start: number; end: number | null };

const tokens = (n: number) => ({ tokens: n, microUsd: 0 });
const rate = (parts: Partial<RateLimitSpec>): RateLimitSpec => ({ id: crypto.randomUUID(), name: "rate", subject: { type: "everyone" }, per: "user", scope: { kind: "llm" }, limit: 1000, windowSeconds: 3600, ...parts });
const budget = (parts: Partial<BudgetSpec> & Pick<BudgetSpec, "subject">): BudgetSpec => ({ id: crypto.randomUUID(), name: "budget", metric: "tokens", limit: 1_000_000, period: "day", onExceed: "block", ...parts });
const budgetKey = (spec: BudgetSpec) => `b:${spec.id}:${spec.metric}:${periodOf(spec.period, new Date()).key}`;

describe("counter shards: one Durable Object per counter key, admitted in parallel (workerd)", () => {
  let portal: PortalUnderTest;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let fake: FakeLlmProvider;
  let ada: TestUser; // team member
  let ben: TestUser; // same team
  let cy: TestUser; // no team
  let provider: BundleLlmProvider;

  async function hook<T>(op: string, body: unknown = {}): Promise<T> {
    const res = await fetch(`${portal.origin}/_portcullis/test/counters/${op}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  }
  const trace = () => hook<{ calls: ShardCall[]; maxInFlight: number }>("trace");
  const reset = (delayMs = 0) => hook("reset", { delayMs });
  const shard = (counterKey: string) => hook<{ id: string; state: LedgerState; alarmAt: number | null; stored: boolean }>("shard", { counterKey });
  const admit = (input: AdmitInput) => hook<AdmitResult>("admit", input);
  const budgetIn = async (key: string) => (await hook<LedgerSnapshot>("snapshot", { counterKeys: [key] })).budgets[0]!;
  /** Requests a rate-limit shard counts in its two buckets (an absent window counts none). */
  const counted = async (key: string) => {
    const w = (await shard(key)).state.windows[key];
    return (w?.current ?? 0) + (w?.previous ?? 0);
  };

  async function publish(limits: { rateLimits?: RateLimitSpec[]; budgets?: BudgetSpec[] }): Promise<void> {
    const bundle = await bundleOf({
      servers: [],
      users: [ada, ben, cy],
      teams: [{ id: TEAM, slug: "research" }],
      rules: [allowRule({ type: "everyone" }, "openai")],
      limits: { rateLimits: limits.rateLimits ?? [], budgets: limits.budgets ?? [] },
      llm: { providers: [provider], prices: [{ provider: "openai", model: "gpt-test*", inputPerMTok: 1, outputPerMTok: 2 }] },
    });
    expect((await portal.push(bundle)).status).toBe(200);
  }

  const chat = (user: TestUser, body: Record<string, unknown> = {}) =>
    fetch(`${portal.origin}/llm/openai/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-test-1", messages: [{ role: "user", content: "hello there" }], ...body }),
    });

  /** The trace once every admission has been settled (settles run after the answer, in waitUntil). */
  async function settledTrace(settles: number): Promise<ShardCall[]> {
    await expect.poll(async () => (await trace()).calls.filter((c) => c.method === "settle" && c.end !== null).length).toBe(settles);
    return (await trace()).calls;
  }

  beforeAll(async () => {
    const edgeSecret = generateEdgeSecret();
    [fake, sink] = await Promise.all([startFakeLlmProvider({ expectedKey: PROVIDER_KEY }), startEventSink(edgeSecret)]);
    portal = await startPortal({ consoleUrl: sink.url, edgeSecret, testHooks: true, vars: { PORTCULLIS_EVENTS_MAX_BACKOFF_MS: "200" } });
    ada = await testUser("ada@example.test", [TEAM]);
    ben = await testUser("ben@example.test", [TEAM]);
    cy = await testUser("cy@example.test");
    const id = crypto.randomUUID();
    const credential = await sealForEdge(JSON.stringify({ apiKey: PROVIDER_KEY }), await parseEdgeSecrets(edgeSecret), llmCredentialAad(id));
    provider = { id, slug: "openai", name: "openai", kind: "openai", baseUrl: `${fake.url}/v1`, credential, cacheTtlSeconds: 0, logBodies: false };
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([portal?.stop(), sink?.close(), fake?.close()]);
  });

  beforeEach(async () => {
    await reset();
  });

  it("addresses every counter by its own key: two users' counters are different Durable Objects", async () => {
    const perUser = rate({ name: "per user" });
    const adaBudget = budget({ subject: { type: "user", userId: ada.id } });
    const cyBudget = budget({ subject: { type: "user", userId: cy.id } });
    await publish({ rateLimits: [perUser], budgets: [adaBudget, cyBudget] });

    expect((await chat(ada)).status).toBe(200);
    const adaCalls = await settledTrace(1);
    await reset();
    expect((await chat(cy)).status).toBe(200);
    const cyCalls = await settledTrace(1);

    const adaKeys = [`rl:${perUser.id}:u:${ada.id}`, budgetKey(adaBudget)];
    const cyKeys = [`rl:${perUser.id}:u:${cy.id}`, budgetKey(cyBudget)];
    // Each call went to exactly its own counters' shards: admitted at both, settled at the budget's.
    expect(adaCalls.map((c) => [c.method, c.counterKey]).sort()).toEqual([["admit", adaKeys[0]], ["admit", adaKeys[1]], ["settle", adaKeys[1]]].sort());
    expect(cyCalls.map((c) => [c.method, c.counterKey]).sort()).toEqual([["admit", cyKeys[0]], ["admit", cyKeys[1]], ["settle", cyKeys[1]]].sort());
    // Each shard is the object named by its key; the two users share none.
    const ids = new Map<string, string>();
    for (const c of [...adaCalls, ...cyCalls]) {
      expect(ids.get(c.counterKey) ?? c.id).toBe(c.id);
      ids.set(c.counterKey, c.id);
    }
    for (const key of [...adaKeys, ...cyKeys]) expect((await shard(key)).id).toBe(ids.get(key));
    expect(new Set(ids.values()).size).toBe(4);
    const adaIds = new Set(adaCalls.map((c) => c.id));
    expect(cyCalls.filter((c) => adaIds.has(c.id))).toEqual([]);
    // What each shard holds is its own counter only.
    expect(Object.keys((await shard(adaKeys[0]!)).state.windows)).toEqual([adaKeys[0]]);
    expect(Object.keys((await shard(adaKeys[1]!)).state.budgets)).toEqual([adaKeys[1]]);
    expect(Object.keys((await shard(cyKeys[1]!)).state.budgets)).toEqual([cyKeys[1]]);
    expect((await shard(cyKeys[1]!)).state.budgets[cyKeys[1]!]).toMatchObject({ spent: expect.any(Number), reserved: 0 });
  });

  it("admits a caller's counters in parallel: three slow shards cost one shard's delay, not three", async () => {
    const DELAY = 500;
    const perUser = rate({ name: "per user" });
    const perTeam = rate({ name: "per team", per: "team" });
    const adaBudget = budget({ subject: { type: "user", userId: ada.id } });
    await publish({ rateLimits: [perUser, perTeam], budgets: [adaBudget] });
    expect((await chat(ada)).status).toBe(200); // warm: shards started, bundle indexed
    await settledTrace(1);
    await reset(DELAY);
    const started = Date.now();
    const res = await chat(ada);
    const elapsed = Date.now() - started;
    expect(res.status).toBe(200);
    const calls = await settledTrace(1);
    const { maxInFlight } = await trace();
    await reset();
    const admits = calls.filter((c) => c.method === "admit");
    expect(admits.map((c) => c.counterKey).sort()).toEqual([`rl:${perUser.id}:u:${ada.id}`, `rl:${perTeam.id}:t:${TEAM}`, budgetKey(adaBudget)].sort());
    // All three were in flight together: each started before any ended.
    expect(Math.max(...admits.map((c) => c.start))).toBeLessThan(Math.min(...admits.map((c) => c.end!)));
    expect(maxInFlight).toBeGreaterThanOrEqual(3);
    // One after another, the admission alone would take 3 × DELAY.
    expect(elapsed).toBeGreaterThanOrEqual(DELAY);
    expect(elapsed).toBeLessThan(3 * DELAY);
  });

  it("rolls back the shards that admitted when another refuses: they are left exactly as they were", async () => {
    const who: LimitPrincipal = { userId: crypto.randomUUID(), teamIds: [crypto.randomUUID()], tokenId: null };
    const loose = rate({ limit: 10 });
    const tight = rate({ limit: 1 });
    const specs = [budget({ subject: { type: "user", userId: who.userId }, limit: 1000 }), budget({ subject: { type: "team", teamId: who.teamIds[0]! }, limit: 250 })];
    const budgets = applicableBudgets(specs, who, new Date());
    const [looseLimit, tightLimit] = applicableRateLimits([loose, tight], who, { kind: "llm" });
    const keys = [looseLimit!.counterKey, budgets[0]!.counterKey, budgets[1]!.counterKey];
    const states = () => Promise.all(keys.map(async (k) => (await shard(k)).state));

    expect((await admit({ rateLimits: [looseLimit!, tightLimit!], budgets, estimate: tokens(100) })).admitted).toBe(true);
    const before = await states();
    await reset();
    // Refused by the tight limit alone: the loose limit and both budgets had admitted it.
    const refused = await admit({ rateLimits: [looseLimit!, tightLimit!], budgets, estimate: tokens(100) });
    expect(!refused.admitted && refused.refusals.map((r) => r.specId)).toEqual([tight.id]);
    const calls = (await trace()).calls;
    expect(calls.filter((c) => c.method === "cancel").map((c) => c.counterKey).sort()).toEqual([...keys].sort());
    expect(await states()).toEqual(before);

    // Refused by the team budget (100 + 100 + 100 > 250): both rate limits and the user budget roll back.
    const moreKeys = [...keys, tightLimit!.counterKey];
    const withoutTight = { rateLimits: [looseLimit!], budgets, estimate: tokens(100) };
    expect((await admit(withoutTight)).admitted).toBe(true);
    const before2 = await Promise.all(moreKeys.map(async (k) => (await shard(k)).state));
    const overBudget = await admit(withoutTight);
    expect(!overBudget.admitted && overBudget.refusals.map((r) => [r.kind, r.specId])).toEqual([["budget", specs[1]!.id]]);
    expect(await Promise.all(moreKeys.map(async (k) => (await shard(k)).state))).toEqual(before2);
    // The loose limit counted the two admitted calls only: 8 more fit.
    const more = await Promise.all(Array.from({ length: 10 }, () => admit({ rateLimits: [looseLimit!], budgets: [], estimate: tokens(0) })));
    expect(more.filter((r) => r.admitted).length).toBe(8);
  });

  it("at the gateway, a call refused by its budget leaves its rate limits uncounted, and one refused by a rate limit holds no budget", async () => {
    const perUser = rate({ name: "one a day", limit: 1, windowSeconds: 86_400 });
    const perTeam = rate({ name: "team", per: "team", limit: 100 });
    const adaBudget = budget({ subject: { type: "user", userId: ada.id }, limit: 10 });
    await publish({ rateLimits: [perTeam], budgets: [adaBudget] });
    const teamKey = `rl:${perTeam.id}:t:${TEAM}`;
    // max_tokens 20 does not fit a 10-token budget: refused, and the team counter is untouched.
    const overBudget = await chat(ada, { max_tokens: 20 });
    expect(overBudget.status).toBe(429);
    expect(await counted(teamKey)).toBe(0);
    // Ben's first call counts; his second is refused by the per-user limit, after the team counter admitted it.
    const benBudget = budget({ subject: { type: "user", userId: ben.id }, limit: 10_000 });
    await publish({ rateLimits: [perTeam, perUser], budgets: [benBudget] });
    expect((await chat(ben, { max_tokens: 5 })).status).toBe(200);
    await expect.poll(async () => (await budgetIn(budgetKey(benBudget))).reserved).toBe(0);
    const spent = (await budgetIn(budgetKey(benBudget))).spent;
    expect((await chat(ben, { max_tokens: 5 })).status).toBe(429);
    expect(await counted(teamKey)).toBe(1);
    expect(await budgetIn(budgetKey(benBudget))).toMatchObject({ spent, reserved: 0 });
    expect((await shard(budgetKey(benBudget))).state.reservations).toEqual({});
  });

  it("keeps 200 concurrent calls against one budget at its cap within the stated overshoot bound, and rate limits exact", async () => {
    const LIMIT = 600;
    const teamBudget = budget({ name: "team race", subject: { type: "team", teamId: TEAM }, limit: LIMIT });
    const teamRate = rate({ name: "team", per: "team", limit: 150 });
    const adaRate = rate({ name: "ada", subject: { type: "user", userId: ada.id }, limit: 15 });
    await publish({ rateLimits: [teamRate, adaRate], budgets: [teamBudget] });
    // Each call: 12 input tokens (not reserved) + at most 10 output tokens (reserved: max_tokens).
    const body = { max_tokens: 10, messages: [{ role: "user", content: "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12" }] };
    const users = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? ada : ben));
    const results = await Promise.all(users.map((u) => chat(u, body).then(async (r) => ({ user: u, status: r.status, usage: r.status === 200 ? ((await r.json()) as { usage: { prompt_tokens: number; completion_tokens: number } }).usage : null }))));
    const admitted = results.filter((r) => r.status === 200);
    expect(results.every((r) => r.status === 200 || r.status === 429)).toBe(true);
    expect(admitted.length).toBeGreaterThan(0);
    expect(admitted.length).toBeLessThan(200);

    const key = budgetKey(teamBudget);
    await expect.poll(async () => (await budgetIn(key)).reserved).toBe(0);
    const { spent } = await budgetIn(key);
    const calls = admitted.map((r) => ({ estimate: 10, actual: r.usage!.prompt_tokens + r.usage!.completion_tokens }));
    expect(spent).toBe(calls.reduce((n, c) => n + c.actual, 0));
    expect(spent).toBeLessThanOrEqual(LIMIT + overshootBound(calls));
    console.info(`[counter shards] 200 concurrent calls: ${admitted.length} admitted, spent ${spent} of ${LIMIT}, overshoot ${Math.max(0, spent - LIMIT)} ≤ bound ${overshootBound(calls)}`);

    // Rate limits count exactly the calls admitted everywhere (hits of refused calls were rolled back).
    const adaAdmitted = admitted.filter((r) => r.user === ada).length;
    expect(adaAdmitted).toBeLessThanOrEqual(15);
    expect(await counted(`rl:${adaRate.id}:u:${ada.id}`)).toBe(adaAdmitted);
    expect(await counted(`rl:${teamRate.id}:t:${TEAM}`)).toBe(admitted.length);
    // No reservation is left behind at the budget's shard: settled or cancelled, every one.
    expect((await shard(key)).state.reservations).toEqual({});
    // The calls went to these three shards and no other.
    expect([...new Set((await trace()).calls.map((c) => c.counterKey))].sort()).toEqual([key, `rl:${adaRate.id}:u:${ada.id}`, `rl:${teamRate.id}:t:${TEAM}`].sort());
  });

  it("expires a reservation at its shard's alarm, with no later call there; a shard left empty deletes its storage", async () => {
    const who: LimitPrincipal = { userId: crypto.randomUUID(), teamIds: [], tokenId: null };
    const [b] = applicableBudgets([budget({ subject: { type: "user", userId: who.userId }, limit: 100 })], who, new Date());
    const [rl] = applicableRateLimits([rate({ limit: 5, windowSeconds: 1 })], who, { kind: "llm" });
    const crashed = await admit({ rateLimits: [rl!], budgets: [b!], estimate: tokens(80), ttlMs: 500 });
    expect(crashed.admitted).toBe(true);
    const held = await shard(b!.counterKey);
    expect(held.state.budgets[b!.counterKey]).toMatchObject({ reserved: 80 });
    expect(held.alarmAt).toBe(crashed.admitted ? crashed.expiresAt : null);
    // Nothing calls that shard again: its alarm gives the hold back.
    await expect.poll(async () => (await shard(b!.counterKey)).state.budgets[b!.counterKey]?.reserved, { timeout: 10_000 }).toBe(0);
    const released = await shard(b!.counterKey);
    expect(Object.values(released.state.reservations)).toMatchObject([{ released: true }]);
    expect(released.alarmAt).toBeGreaterThan(Date.now());
    // A 1 s window no longer matters 2 s after it started: the rate shard prunes it and is left with nothing.
    expect((await shard(rl!.counterKey)).state.windows[rl!.counterKey]).toMatchObject({ current: 1 });
    await expect.poll(async () => (await shard(rl!.counterKey)).stored, { timeout: 10_000 }).toBe(false);
    expect(await shard(rl!.counterKey)).toMatchObject({ alarmAt: null, state: { windows: {}, budgets: {}, reservations: {} } });
    // The budget shard still holds its counter (kept 7 days after its period) and the released reservation.
    expect((await shard(b!.counterKey)).stored).toBe(true);
  });
});
