/**
 * The LLM gateway and the limits at the edge, in workerd, against the fake OpenAI/Anthropic provider
 * (testing/servers/fake-llm-provider.mjs, the real wire formats): API-token auth with the provider key
 * held at the edge, streaming passed through as it arrives, usage and cost from the provider's
 * fields, the exact-match cache (policies, rate limits and budgets apply to hits too; tenants never
 * share entries), providers on the shadow-MCP block list refused, budgets with their hierarchy and a
 * 200-call race around the cap, and MCP rate limits answered with a JSON-RPC error.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import type { BundleLlmProvider, ConfigBundle } from "@core/bundle/schema";
import { llmCredentialAad } from "@core/edge/credential";
import { generateEdgeSecret, parseEdgeSecrets, sealForEdge } from "@core/edge/secret";
import { generateTokenSecret, hashTokenSecret } from "@core/tokens/secret";
import type { LlmEvent } from "@core/events/schema";
import { overshootBound, type LedgerSnapshot } from "@core/limits/ledger";
import type { BudgetBaseline, BudgetSpec, RateLimitSpec } from "@core/limits/schema";
import { periodOf } from "@core/limits/windows";
import { startFakeLlmProvider, type FakeLlmProvider } from "@/testing/fake-llm";
import { allowRule, approvedServer, bundleOf, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

const PROVIDER_KEY = "sk-provider-secret-0123456789";
const TEAM = crypto.randomUUID();

describe("LLM gateway and limits in workerd", () => {
  let portal: PortalUnderTest;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let fake: FakeLlmProvider;
  /** The same fake, pausing between stream events (the gateway forwards no test-only headers). */
  let slow: FakeLlmProvider;
  /** A second API token of Ada's. */
  const adaSecondToken = generateTokenSecret();
  const adaSecondTokenId = crypto.randomUUID();
  let weather: Awaited<ReturnType<typeof startMutableServer>>;
  let ada: TestUser; // team member
  let ben: TestUser; // same team
  let cy: TestUser; // no team
  let providers: BundleLlmProvider[];
  let weatherServer: Awaited<ReturnType<typeof approvedServer>>;

  const llmEvents = () => sink.events.filter((e) => (e as unknown as { kind?: string }).kind === "llm") as unknown as LlmEvent[];

  async function provider(slug: string, kind: "openai" | "anthropic", cacheTtlSeconds = 0, target = fake): Promise<BundleLlmProvider> {
    const id = crypto.randomUUID();
    const credential = await sealForEdge(JSON.stringify({ apiKey: PROVIDER_KEY }), await parseEdgeSecrets(portal.edgeSecret), llmCredentialAad(id));
    return { id, slug, name: slug, kind, baseUrl: `${target.url}/v1`, credential, cacheTtlSeconds, logBodies: true };
  }

  async function publish(
    parts: { rateLimits?: RateLimitSpec[]; budgets?: BudgetSpec[]; baselines?: BudgetBaseline[]; deny?: string; blocklist?: ConfigBundle["shadow"]["blocklist"] } = {},
  ): Promise<ConfigBundle> {
    const rules = ["openai", "claude", "cached", "slow", "weather"].map((slug) => allowRule({ type: "everyone" }, slug));
    if (parts.deny) rules.push(allowRule({ type: "everyone" }, "openai", parts.deny, "deny", 200));
    const bundle = await bundleOf({
      servers: [weatherServer],
      users: [ada, ben, cy],
      teams: [{ id: TEAM, slug: "research" }],
      rules,
      limits: { rateLimits: parts.rateLimits ?? [], budgets: parts.budgets ?? [], ...(parts.baselines ? { baselines: parts.baselines } : {}) },
      llm: { providers, prices: [{ provider: "openai", model: "gpt-test*", inputPerMTok: 1, outputPerMTok: 2 }] },
      ...(parts.blocklist ? { blocklist: parts.blocklist } : {}),
    });
    bundle.tokens.push({ id: adaSecondTokenId, hash: await hashTokenSecret(adaSecondToken), userId: ada.id, scopes: ["read", "write"], expiresAt: null });
    const res = await portal.push(bundle);
    expect(res.status).toBe(200);
    return bundle;
  }

  const chat = (user: TestUser, body: Record<string, unknown> = {}, headers: Record<string, string> = {}, slug = "openai") =>
    fetch(`${portal.origin}/llm/${slug}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json", ...headers },
      body: JSON.stringify({ model: "gpt-test-1", messages: [{ role: "user", content: "hello there general kenobi" }], ...body }),
    });

  beforeAll(async () => {
    const edgeSecret = generateEdgeSecret();
    [fake, slow, weather, sink] = await Promise.all([
      startFakeLlmProvider({ expectedKey: PROVIDER_KEY }),
      startFakeLlmProvider({ expectedKey: PROVIDER_KEY, chunkDelayMs: 150 }),
      startMutableServer({ port: 0 }),
      startEventSink(edgeSecret),
    ]);
    portal = await startPortal({ consoleUrl: sink.url, edgeSecret, testHooks: true, vars: { PORTCULLIS_EVENTS_MAX_BACKOFF_MS: "200" } });
    ada = await testUser("ada@example.test", [TEAM]);
    ben = await testUser("ben@example.test", [TEAM]);
    cy = await testUser("cy@example.test");
    providers = [await provider("openai", "openai"), await provider("claude", "anthropic"), await provider("cached", "openai", 300), await provider("slow", "openai", 0, slow)];
    weatherServer = await approvedServer({ slug: "weather", url: weather.url, edgeSecret });
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([portal?.stop(), sink?.close(), fake?.close(), slow?.close(), weather?.close()]);
  });

  beforeEach(async () => {
    await publish();
  });

  it("authenticates with Portcullis tokens only; the provider sees its own key, never the caller's", async () => {
    expect((await fetch(`${portal.origin}/llm/openai/v1/chat/completions`, { method: "POST", body: "{}" })).status).toBe(401);
    const withProviderKey = await fetch(`${portal.origin}/llm/openai/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${PROVIDER_KEY}` }, body: "{}" });
    expect(withProviderKey.status).toBe(401);
    expect(((await withProviderKey.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
    const before = fake.requests().length;
    const res = await chat(ada);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-portcullis-cache")).toBe("BYPASS");
    const json = (await res.json()) as { choices: { message: { content: string } }[]; usage: { prompt_tokens: number; completion_tokens: number } };
    expect(json.choices[0]!.message.content).toBe("echo: hello there general kenobi");
    const seen = fake.requests().slice(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    expect(JSON.stringify(seen[0]!.headers)).not.toContain(ada.token);
    await expect.poll(() => llmEvents().filter((e) => e.userId === ada.id && e.operation === "chat.completions").length).toBeGreaterThan(0);
    const event = llmEvents().find((e) => e.userId === ada.id)!;
    // 4 input words + 5 output words at $1 / $2 per million tokens: 4 + 10 micro-dollars.
    expect(event).toMatchObject({ providerSlug: "openai", model: "gpt-test-1", status: 200, decision: "allowed", inputTokens: 4, outputTokens: 5, costMicroUsd: 14, cache: "bypass", teamIds: [TEAM], tokenId: ada.tokenId });
    expect(event.requestLog).toContain("general kenobi");
    expect(JSON.stringify(event)).not.toContain(ada.token);
    // Logging is the administrator's setting: a caller's header cannot turn it off.
    expect((await chat(ada, { messages: [{ role: "user", content: "please keep this quiet" }] }, { "x-portcullis-log": "off" })).status).toBe(200);
    await expect.poll(() => llmEvents().find((e) => e.requestLog?.includes("please keep this quiet"))?.userId).toBe(ada.id);
  });

  it("passes a stream through as it arrives and meters it from the provider's usage (OpenAI and Anthropic)", async () => {
    const started = Date.now();
    const res = await chat(cy, { stream: true, messages: [{ role: "user", content: "one two three four five six" }] }, {}, "slow");
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    const first = await reader.read();
    const firstAt = Date.now() - started;
    let text = new TextDecoder().decode(first.value);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const total = Date.now() - started;
    // Seven words at 150 ms each: the first chunk arrives long before the last.
    expect(firstAt).toBeLessThan(total - 500);
    expect(text).toContain("data: [DONE]");
    await expect.poll(() => llmEvents().find((e) => e.userId === cy.id && e.stream)?.outputTokens ?? null).toBe(7);

    const claude = await fetch(`${portal.origin}/llm/claude/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": cy.token, "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-test", max_tokens: 3, stream: true, messages: [{ role: "user", content: "a b c d e" }] }),
    });
    expect(claude.status).toBe(200);
    expect(await claude.text()).toContain("event: message_stop");
    await expect.poll(() => llmEvents().find((e) => e.userId === cy.id && e.providerSlug === "claude") ?? null).toMatchObject({ inputTokens: 5, outputTokens: 3, stream: true, costMicroUsd: null });
    const seen = fake.requests().filter((r) => r.path === "/v1/messages").at(-1)!;
    expect(seen.headers["x-api-key"]).toBe(PROVIDER_KEY);
  });

  it("answers an identical request from the cache, scoped to the caller, still counting rate limits and budgets", async () => {
    const limit: RateLimitSpec = { id: crypto.randomUUID(), name: "two a minute", subject: { type: "everyone" }, per: "user", scope: { kind: "llm" }, limit: 2, windowSeconds: 60 };
    const budget: BudgetSpec = { id: crypto.randomUUID(), name: "ben's tokens", subject: { type: "user", userId: ben.id }, metric: "tokens", limit: 1_000_000, period: "day", onExceed: "block" };
    await publish({ rateLimits: [limit], budgets: [budget] });
    const before = fake.requests().length;
    const body = { messages: [{ role: "user", content: `cache me ${crypto.randomUUID()}` }] };
    const first = await chat(ben, body, {}, "cached");
    expect(first.headers.get("x-portcullis-cache")).toBe("MISS");
    const firstJson = await first.json();
    const second = await chat(ben, body, {}, "cached");
    expect(second.headers.get("x-portcullis-cache")).toBe("HIT");
    expect(await second.json()).toEqual(firstJson);
    expect(fake.requests().length - before).toBe(1);
    // The hit counted against the budget like the call it replays: 3 + 4 tokens, twice.
    const spentOf = async () => ((await (await fetch(`${portal.origin}/_portcullis/test/counters/snapshot`, { method: "POST" })).json()) as LedgerSnapshot).budgets.find((b) => b.specId === budget.id)?.spent;
    await expect.poll(spentOf).toBe(14);
    // The third identical request would be a hit too, but the rate limit comes first.
    const third = await chat(ben, body, {}, "cached");
    expect(third.status).toBe(429);
    expect(Number(third.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await third.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "rate_limit_exceeded", message: expect.stringContaining('Rate limit "two a minute" reached') });
    // Another user with the same request: a miss (never another tenant's entry).
    const other = await chat(ada, body, {}, "cached");
    expect(other.headers.get("x-portcullis-cache")).toBe("MISS");
    expect(fake.requests().length - before).toBe(2);
    await expect.poll(() => llmEvents().filter((e) => e.userId === ben.id && e.providerSlug === "cached").map((e) => [e.cache, e.inputTokens, e.decision])).toEqual([
      ["miss", 3, "allowed"],
      ["hit", 3, "allowed"],
      [null, null, "denied"],
    ]);
  });

  it("refuses a model a policy denies, before the cache or the provider", async () => {
    await publish({ deny: "gpt-test-*" });
    const before = fake.requests().length;
    const res = await chat(ada);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe("permission_error");
    expect(fake.requests().length).toBe(before);
    expect((await chat(ada, { model: "other-model" })).status).toBe(200);
  });

  it("refuses a provider whose URL is on the shadow-MCP block list, whatever policies allow, without calling it", async () => {
    const slowOrigin = new URL(slow.url).origin;
    await publish({ blocklist: [{ id: crypto.randomUUID(), origin: slowOrigin, pathPrefix: "", reason: "Shadow MCP finding: blocked in test", findingId: crypto.randomUUID() }] });
    const before = slow.requests().length;
    const res = await chat(ada, {}, {}, "slow");
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe("permission_error");
    expect(body.error.message).toBe('Provider "slow" is blocked by your security team (its URL is on the shadow-MCP block list)');
    expect(slow.requests().length).toBe(before);
    // Another provider on another origin is not affected.
    expect((await chat(ada)).status).toBe(200);
    await expect
      .poll(() => llmEvents().filter((e) => e.providerSlug === "slow" && e.decision === "denied").map((e) => [e.status, e.error, (e.reason ?? "").split(":")[0]]))
      .toContainEqual([403, "provider URL on the block list", "SERVER_BLOCKED"]);
    // A newer bundle without the entry brings it back.
    await publish();
    expect((await chat(ada, {}, {}, "slow")).status).toBe(200);
  });

  it("lets calls to a provider under a log-mode entry through, marked would-block, until the entry's enforceAt", async () => {
    const id = crypto.randomUUID();
    const slowOrigin = new URL(slow.url).origin;
    await publish({ blocklist: [{ id, origin: slowOrigin, pathPrefix: "", reason: "rollout in test", mode: "log", enforceAt: new Date(Date.now() + 3_600_000).toISOString() }] });
    const before = slow.requests().length;
    expect((await chat(ada, {}, {}, "slow")).status).toBe(200);
    expect(slow.requests().length).toBe(before + 1);
    await expect
      .poll(() => llmEvents().find((e) => e.providerSlug === "slow" && e.blockId === id))
      .toMatchObject({ decision: "allowed", status: 200, wouldBlock: true });
    // enforceAt already past: the same kind of entry refuses, and the event names it.
    const late = crypto.randomUUID();
    await publish({ blocklist: [{ id: late, origin: slowOrigin, pathPrefix: "", reason: "rollout ended", mode: "log", enforceAt: new Date(Date.now() - 1_000).toISOString() }] });
    expect((await chat(ada, {}, {}, "slow")).status).toBe(403);
    await expect
      .poll(() => llmEvents().find((e) => e.providerSlug === "slow" && e.blockId === late))
      .toMatchObject({ decision: "denied", status: 403, wouldBlock: false });
    await publish();
  });

  it("enforces the budget hierarchy: a user's budget stops every key of theirs, a team's budget stops every member", async () => {
    const userBudget: BudgetSpec = { id: crypto.randomUUID(), name: "ada daily", subject: { type: "user", userId: ada.id }, metric: "tokens", limit: 20, period: "day", onExceed: "block" };
    await publish({ budgets: [userBudget] });
    // 4 in + 5 out = 9 tokens a call, nothing reserved (no max_tokens): admitted while spent < 20 (9, 18, 27), then refused.
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) statuses.push((await chat(ada)).status);
    // At 18 of 20, a call that reserves its max_tokens of 10 is refused, and says so: not "used up".
    const reserving = await chat(ada, { max_tokens: 10 });
    expect(reserving.status).toBe(429);
    expect(((await reserving.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: "budget_exceeded",
      message: expect.stringMatching(
        /^This request reserves up to 10 tokens \(its max_tokens\), which would pass budget "ada daily" \(20 tokens for \d{4}-\d\d-\d\d; 18 tokens used\)\. Ask for at most 2 tokens \(a lower max_tokens\), or wait: it renews at \d{4}-\d\d-\d\d 00:00 UTC \(in \d+ (s|min|h)\)$/,
      ),
    });
    for (let i = 0; i < 2; i++) statuses.push((await chat(ada)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await chat(ada);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: "budget_exceeded",
      message: expect.stringMatching(/^Budget "ada daily" is used up for \d{4}-\d\d-\d\d \(27 tokens used of 20 tokens\); it renews at \d{4}-\d\d-\d\d 00:00 UTC \(in \d+ (s|min|h)\)$/),
    });
    // Another key of the same user (a second API token) is refused too.
    const second = await chat({ ...ada, token: adaSecondToken });
    expect(second.status).toBe(429);
    await expect.poll(() => llmEvents().filter((e) => e.tokenId === adaSecondTokenId).map((e) => [e.status, e.reason?.slice(0, 15)])).toEqual([[429, "BUDGET_EXCEEDED"]]);
    // Ben is untouched by Ada's own budget…
    expect((await chat(ben)).status).toBe(200);

    // …but a team budget counts every member's spend, whichever key they use.
    const teamBudget: BudgetSpec = { id: crypto.randomUUID(), name: "research monthly", subject: { type: "team", teamId: TEAM }, metric: "tokens", limit: 25, period: "month", onExceed: "block" };
    await publish({ budgets: [teamBudget] });
    expect((await chat(ben)).status).toBe(200);
    expect((await chat(ada)).status).toBe(200);
    expect((await chat(ben)).status).toBe(200);
    const after = await chat(ada);
    expect(after.status).toBe(429);
    expect(((await after.json()) as { error: { message: string } }).error.message).toContain("research monthly");
    expect((await chat(cy)).status).toBe(200);
  });

  it("never counts less than the console saw: a budget the usage data says is spent refuses the first call at a fresh edge", async () => {
    const budget: BudgetSpec = { id: crypto.randomUUID(), name: "reconciled", subject: { type: "user", userId: ben.id }, metric: "tokens", limit: 100, period: "week", onExceed: "block" };
    await publish({ budgets: [budget], baselines: [{ budgetId: budget.id, periodKey: periodOf("week", new Date()).key, spent: 100 }] });
    const res = await chat(ben);
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('Budget "reconciled" is used up');
    // Without the baseline the same budget has room (the edge itself counted nothing for it).
    await publish({ budgets: [budget] });
    expect((await chat(ben)).status).toBe(200);
  });

  it("keeps 200 concurrent calls around the cap within the documented overshoot bound", async () => {
    const budget: BudgetSpec = { id: crypto.randomUUID(), name: "race", subject: { type: "user", userId: cy.id }, metric: "tokens", limit: 600, period: "day", onExceed: "block" };
    await publish({ budgets: [budget] });
    // Each call: 5 input tokens (not reserved) + at most 10 output tokens (reserved: max_tokens).
    const body = { max_tokens: 10, messages: [{ role: "user", content: "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12" }] };
    const results = await Promise.all(Array.from({ length: 200 }, () => chat(cy, body).then(async (r) => ({ status: r.status, usage: r.status === 200 ? ((await r.json()) as { usage: { prompt_tokens: number; completion_tokens: number } }).usage : null }))));
    const admitted = results.filter((r) => r.status === 200);
    expect(results.every((r) => r.status === 200 || r.status === 429)).toBe(true);
    expect(admitted.length).toBeGreaterThan(0);
    expect(admitted.length).toBeLessThan(200);
    const snapshot = async () => ((await (await fetch(`${portal.origin}/_portcullis/test/counters/snapshot`, { method: "POST" })).json()) as LedgerSnapshot).budgets.find((b) => b.specId === budget.id)!;
    await expect.poll(async () => (await snapshot()).reserved).toBe(0);
    const { spent } = await snapshot();
    const calls = admitted.map((r) => ({ estimate: 10, actual: r.usage!.prompt_tokens + r.usage!.completion_tokens }));
    expect(spent).toBe(calls.reduce((n, c) => n + c.actual, 0));
    // Documented bound: limit + Σ max(0, actual − estimate) over the calls admitted (here 12 input tokens each).
    expect(spent).toBeLessThanOrEqual(600 + overshootBound(calls));
    // And the cap was used, not refused early: the next reservation (10) no longer fits.
    expect(spent + 10).toBeGreaterThan(600 - 22);
  });

  it("answers an MCP call over its rate limit with a JSON-RPC error naming the limit and when to retry", async () => {
    const limit: RateLimitSpec = { id: crypto.randomUUID(), name: "weather tools", subject: { type: "everyone" }, per: "user", scope: { kind: "mcp", serverSlug: "weather", tool: "get_*" }, limit: 2, windowSeconds: 3600 };
    await publish({ rateLimits: [limit] });
    const client = new Client({ name: "limits-test", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", portal.origin), { requestInit: { headers: { authorization: `Bearer ${cy.token}` } } }));
    const call = () => client.callTool({ name: "weather_get_weather", arguments: { city: "Oslo" } });
    await call();
    await call();
    const error = await call().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(-32006);
    expect((error as McpError).message).toContain('Rate limit "weather tools" reached (2 requests per hour)');
    expect(((error as McpError).data as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);
    // Another tool of the server is outside the limit's scope.
    expect((await client.callTool({ name: "weather_list_forecasts", arguments: {} })).isError).not.toBe(true);
    await client.close();
    await expect.poll(() => sink.events.filter((e) => e.userId === cy.id && e.tool === "get_weather" && e.decision === "denied").map((e) => e.reason?.slice(0, 12))).toEqual(["RATE_LIMITED"]);
  });
});
