/**
 * The one place that proves the event builders' output is always what the console accepts: the
 * edge sends a built event without validating it again (built.ts), so an event the console would
 * refuse must never be built, whatever text the caller chose (NUL, unpaired surrogates, surrogate
 * pairs cut at a clip boundary, empty or huge strings) and whatever numbers came back (NaN,
 * negative, fractional, huge). Checked as the console checks a delivery: the JSON of a batch
 * parsed by `EventBatch`, and every string storable in PostgreSQL.
 */
import { describe, expect, it } from "vitest";
import { seededRandom } from "@/testing/seeded-random.mjs";
import { unstorableText } from "@core/text/storable";
import { isBuiltEvent } from "./built";
import { callDetail, EVENT_DETAIL_MODES } from "./detail";
import { llmEvent, type LlmEventCall, type LlmEventOutcome } from "./llm-event";
import { mcpEvent, type McpEventCaller, type McpEventOutcome } from "./mcp-event";
import { EventBatch, type AnyEvent } from "./schema";

const CASES = 1_500;
const random = seededRandom(0x5eed);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
const chance = (p: number) => random() < p;

const PIECES = ["", "a", "Z9", " ", "é", "…", "\u0000", "\ud800", "\udbff", "\udc00", "\udfff", "\ud83d\ude00", "\ufffd", "\uffff", "%00", "\\u0000", "\r\n", "https://user:secret@host.test/p?token=abc&api_key=xyz", "Bearer sk-abcdefghijklmnopqrstuvwxyz012345", "\u202e"];
/** Hostile text: pieces strung together, sometimes thousands of characters long, so clips fall anywhere (also inside a surrogate pair). */
function hostile(): string {
  const long = chance(0.15);
  const parts = Math.floor(random() * (long ? 400 : 12));
  let out = "";
  for (let i = 0; i < parts; i++) out += chance(0.1) ? pick(PIECES).repeat(1 + Math.floor(random() * (long ? 200 : 5))) : pick(PIECES);
  return out;
}
const maybe = <T>(make: () => T): T | null => (chance(0.2) ? null : make());
const uuid = () => crypto.randomUUID();
const slug = () => pick(["weather", "everything", "a1", "x-y-z", "s".repeat(40)]);
const NUMBERS = [0, 1, 42, 1.5, -1, -0.4, 2_147_483_647, 2_147_483_648, 2 ** 53, 1e300, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
const count = () => (chance(0.5) ? Math.floor(random() * 100_000) : pick(NUMBERS));

function mcpCase(): { caller: McpEventCaller; outcome: McpEventOutcome } {
  const caller: McpEventCaller = {
    userId: maybe(uuid),
    email: maybe(hostile),
    teamIds: chance(0.5) ? [] : [uuid(), uuid()],
    tokenId: maybe(uuid),
    authMethod: pick(["oauth", "token", null] as const),
    clientName: maybe(hostile),
    clientVersion: maybe(hostile),
    clientIp: maybe(hostile),
    clientCountry: maybe(hostile),
    sessionId: maybe(hostile),
    endpoint: chance(0.5) ? pick(["/mcp", "/mcp/weather"]) : hostile(),
  };
  const url = new URL("https://upstream.test/");
  url.pathname = hostile();
  url.search = hostile();
  if (chance(0.3)) url.username = "user";
  const outcome: McpEventOutcome = {
    method: chance(0.5) ? pick(["tools/call", "tools/list", "initialize", "http", ""]) : hostile(),
    server: chance(0.2) ? null : { id: uuid(), slug: slug(), url: url.href },
    tool: maybe(hostile),
    prompt: maybe(hostile),
    resourceUri: maybe(hostile),
    decision: pick(["allowed", "denied", undefined] as const),
    reason: maybe(hostile),
    ruleId: maybe(hostile),
    success: pick([true, false, undefined]),
    error: maybe(hostile),
    durationMs: maybe(count),
    bytesIn: maybe(count),
    bytesOut: maybe(count),
    resultTokens: maybe(count),
    ...(chance(0.2) ? { serverTokens: Object.fromEntries([slug(), slug()].map((s) => [s, count()])) } : {}),
    bundleVersion: chance(0.1) ? null : 1 + Math.floor(random() * 2_000_000_000),
    ...(chance(0.2) ? { blockId: uuid(), wouldBlock: chance(0.5) } : {}),
    // A tool call's content: as the edge makes it (redacted, clipped), or any text at all.
    ...(chance(0.3)
      ? callDetail(pick(EVENT_DETAIL_MODES), { q: hostile(), password: hostile(), [hostile()]: [hostile(), { apiKey: hostile() }] }, { content: [{ type: "text", text: hostile() }, { type: "image", mimeType: hostile() }] })
      : chance(0.2)
        ? { arguments: maybe(hostile), resultExcerpt: maybe(hostile) }
        : {}),
  };
  return { caller, outcome };
}

function llmCase(): { call: LlmEventCall; outcome: LlmEventOutcome; now: number } {
  const started = Date.now() - Math.floor(random() * 100_000);
  const call: LlmEventCall = {
    started,
    user: chance(0.2) ? null : { id: uuid(), email: hostile(), teamIds: chance(0.5) ? [] : [uuid(), uuid()] },
    tokenId: maybe(uuid),
    clientIp: maybe(hostile),
    provider: chance(0.2) ? null : { slug: slug(), logBodies: chance(0.7) },
    kind: pick(["openai", "anthropic"] as const),
    op: pick(["chat.completions", "responses", "embeddings", "models", "messages", null] as const),
    model: maybe(hostile),
    stream: chance(0.5),
    requestText: maybe(hostile),
    ruleId: maybe(hostile),
    reason: maybe(hostile),
    overBudget: chance(0.1),
    bundleVersion: chance(0.1) ? null : 1 + Math.floor(random() * 2_000_000_000),
    ...(chance(0.2) ? { blockId: uuid(), wouldBlock: chance(0.5) } : {}),
  };
  const outcome: LlmEventOutcome = {
    status: 100 + Math.floor(random() * 500),
    decision: pick(["allowed", "denied"] as const),
    error: maybe(hostile),
    cache: pick(["hit", "miss", "bypass", null, undefined] as const),
    usage: chance(0.3) ? null : { model: maybe(hostile), inputTokens: count(), outputTokens: count(), cachedInputTokens: count(), cacheWriteTokens: count() },
    cost: maybe(count),
    responseText: maybe(hostile),
  };
  // The clock may even step back between the call and its event.
  return { call, outcome, now: started + Math.floor(random() * 200_000) - 1_000 };
}

/** What the console does with a delivery: JSON, `EventBatch`, then PostgreSQL (no NUL, no unpaired surrogate). */
function consoleRefusal(event: AnyEvent): string | null {
  const delivered = JSON.parse(JSON.stringify({ events: [event] })) as unknown;
  const parsed = EventBatch.safeParse(delivered);
  if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  const problem = unstorableText(parsed.data);
  return problem ? `${problem.path}: ${problem.reason}` : null;
}

describe("event builders", () => {
  it("build MCP events the console accepts, whatever the caller sent", () => {
    for (let i = 0; i < CASES; i++) {
      const { caller, outcome } = mcpCase();
      const event = mcpEvent(caller, outcome, uuid(), new Date());
      expect({ i, refusal: consoleRefusal(event) }).toEqual({ i, refusal: null });
      expect(isBuiltEvent(event) && Object.isFrozen(event)).toBe(true);
    }
  });

  it("build LLM events the console accepts, whatever the caller and the provider sent", () => {
    for (let i = 0; i < CASES; i++) {
      const { call, outcome, now } = llmCase();
      const event = llmEvent(call, outcome, uuid(), now);
      expect({ i, refusal: consoleRefusal(event) }).toEqual({ i, refusal: null });
      expect(isBuiltEvent(event) && Object.isFrozen(event)).toBe(true);
    }
  });

  it("keep what is already valid as it is, and replace only what cannot be stored", () => {
    const caller: McpEventCaller = { userId: null, email: "ada@example.test", teamIds: [], tokenId: null, authMethod: "token", clientName: "bad\u0000name\ud800", clientVersion: "1.0 😀", clientIp: null, clientCountry: null, sessionId: null, endpoint: "/mcp" };
    const event = mcpEvent(caller, { method: "tools/call", tool: "x".repeat(600), durationMs: 12.6, bytesIn: -3, bundleVersion: 7 }, uuid(), new Date(0));
    expect(event).toMatchObject({ email: "ada@example.test", clientName: "bad\ufffdname\ufffd", clientVersion: "1.0 😀", method: "tools/call", durationMs: 13, bytesIn: 0, time: "1970-01-01T00:00:00.000Z" });
    expect(event.tool).toHaveLength(500);
    expect(event.tool!.endsWith("…")).toBe(true);
    // A caller's empty method is still audited.
    expect(mcpEvent(caller, { method: "", bundleVersion: null }, uuid()).method).toBe("(empty)");
  });

  it("are the only events taken as built: a copy, or the same fields as JSON, is not", () => {
    const event = mcpEvent({ userId: null, email: null, teamIds: [], tokenId: null, authMethod: null, clientName: null, clientVersion: null, clientIp: null, clientCountry: null, sessionId: null, endpoint: "/mcp" }, { method: "http", bundleVersion: null }, uuid());
    expect(isBuiltEvent(event)).toBe(true);
    expect(isBuiltEvent({ ...event })).toBe(false);
    expect(isBuiltEvent(JSON.parse(JSON.stringify(event)) as object)).toBe(false);
    expect(() => Object.assign(event, { decision: "maybe" })).toThrow(TypeError);
  });
});
