/**
 * A streamed LLM call is metered whatever the caller does. Run in workerd without wrangler's dev
 * proxy (which reads every stream to its end, so a caller hanging up would never reach the Worker):
 * callers who read up to `finish_reason` and hang up before the usage chunk still spend their
 * budget and still appear in usage, with the event saying they left. (Before, the metering ran when
 * the caller's stream ended, which a hung-up caller never lets happen: no spend, no event.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BundleLlmProvider } from "@core/bundle/schema";
import type { BudgetSpec } from "@core/limits/schema";
import { llmCredentialAad } from "@core/edge/credential";
import { generateEdgeSecret, parseEdgeSecrets, sealForEdge } from "@core/edge/secret";
import type { LlmEvent } from "@core/events/schema";
import { startFakeLlmProvider, type FakeLlmProvider } from "@/testing/servers/fake-llm-provider.mjs";
import { allowRule, bundleOf, startEventSink, startPortal, testUser, type PortalUnderTest, type TestUser } from "@/testing/portal";

const PROVIDER_KEY = "sk-fake-metering-key";

describe("streamed LLM calls cut off by the caller (workerd, no dev proxy)", () => {
  let portal: PortalUnderTest;
  let sink: Awaited<ReturnType<typeof startEventSink>>;
  let fake: FakeLlmProvider;
  let ada: TestUser;
  const llmEvents = () => sink.events.filter((e) => (e as unknown as { kind?: string }).kind === "llm") as unknown as LlmEvent[];

  beforeAll(async () => {
    const edgeSecret = generateEdgeSecret();
    // Slow enough that a caller can hang up between the last content chunk and the usage chunk.
    [fake, sink] = await Promise.all([startFakeLlmProvider({ expectedKey: PROVIDER_KEY, chunkDelayMs: 150 }), startEventSink(edgeSecret)]);
    portal = await startPortal({ consoleUrl: sink.url, edgeSecret, vars: { PORTCULLIS_EVENTS_MAX_BACKOFF_MS: "200" } });
    ada = await testUser("ada@example.test");
    const id = crypto.randomUUID();
    const credential = await sealForEdge(JSON.stringify({ apiKey: PROVIDER_KEY }), await parseEdgeSecrets(edgeSecret), llmCredentialAad(id));
    const provider: BundleLlmProvider = { id, slug: "openai", name: "openai", kind: "openai", baseUrl: `${fake.url}/v1`, credential, cacheTtlSeconds: 0, logBodies: false };
    // "hello there general kenobi" in, 5 words echoed back out: 9 tokens a call by the provider's count.
    const budget: BudgetSpec = { id: crypto.randomUUID(), name: "ada daily", subject: { type: "user", userId: ada.id }, metric: "tokens", limit: 20, period: "day", onExceed: "block" };
    const bundle = await bundleOf({ servers: [], users: [ada], rules: [allowRule({ type: "everyone" }, "openai")], limits: { rateLimits: [], budgets: [budget] }, llm: { providers: [provider], prices: [] } });
    expect((await portal.push(bundle)).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([portal?.stop(), sink?.close(), fake?.close()]);
  });

  /** Streams a chat, reads until the last content chunk (`finish_reason`), then hangs up. */
  async function streamAndHangUp(): Promise<number> {
    const abort = new AbortController();
    const res = await fetch(`${portal.origin}/llm/openai/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${ada.token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-test-1", stream: true, messages: [{ role: "user", content: "hello there general kenobi" }] }),
      signal: abort.signal,
    });
    if (res.status !== 200) return res.status;
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let seen = "";
    while (!/"finish_reason":"stop"/.test(seen)) {
      const { done, value } = await reader.read();
      if (done) throw new Error("the stream ended before finish_reason: nothing was cut off");
      seen += decoder.decode(value, { stream: true });
    }
    expect(seen).not.toMatch(/"usage":\{/);
    abort.abort();
    await reader.cancel().catch(() => undefined);
    return res.status;
  }

  it("still exhausts the budget and still appears in usage, each event saying the caller left", async () => {
    // 9 tokens a call against 20: admitted at 0, 9 and 18 spent, refused at 27.
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(await streamAndHangUp());
      // The metering runs after the caller left; the next admission must see it.
      await expect.poll(() => llmEvents().filter((e) => e.userId === ada.id && e.status === 200).length, { timeout: 10_000 }).toBe(i + 1);
    }
    statuses.push(await streamAndHangUp());
    expect(statuses).toEqual([200, 200, 200, 429]);
    const metered = llmEvents().filter((e) => e.userId === ada.id && e.status === 200);
    expect(metered.map((e) => [e.inputTokens, e.outputTokens])).toEqual([
      [4, 5],
      [4, 5],
      [4, 5],
    ]);
    for (const e of metered) expect(e.error).toMatch(/^aborted: the caller disconnected/);
  });
});
