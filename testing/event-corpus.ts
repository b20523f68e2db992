/**
 * Random but reproducible MCP and LLM events for the storage tests (lib/events/*.test.ts): every
 * dimension the rollups group on varies, nulls included, over a window of days, with times that
 * sometimes fall exactly on an hour or a day. And deliveries of them the way an at-least-once edge
 * makes them: batches that repeat events already stored, or repeat an event within the batch.
 */
import { signEventBody, type EdgeSecret } from "@core/edge/secret";
import type { AnyEvent, LlmEvent, PortalEvent } from "@core/events/schema";
import { ingestEvents } from "@/lib/audit/ingest-events";
import type { Queryable } from "@/db/client";
import { seededRandom } from "./seeded-random.mjs";
import { makeEvent, makeLlmEvent } from "./events";

const HOUR_MS = 3_600_000;

export interface Corpus {
  /** Every event, in the order made (MCP and LLM mixed). */
  all: AnyEvent[];
  mcp: PortalEvent[];
  llm: LlmEvent[];
  users: string[];
  teams: string[];
}

/** `count` events (about a fifth of them LLM calls) between `start` and `start + days`. */
export function eventCorpus(seed: number, count: number, start: Date, days: number): Corpus {
  const random = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const chance = (p: number) => random() < p;
  const users = Array.from({ length: 6 }, () => crypto.randomUUID());
  const teams = Array.from({ length: 3 }, () => crypto.randomUUID());
  const blocks = [crypto.randomUUID(), crypto.randomUUID()];
  const span = days * 24 * HOUR_MS;
  const time = () => {
    // Some on an exact hour (and so some on midnight), to test bucket edges.
    const t = start.getTime() + Math.floor(random() * span);
    return new Date(chance(0.1) ? t - (t % HOUR_MS) : t).toISOString();
  };
  const maybe = <T>(value: T, p = 0.2): T | null => (chance(p) ? null : value);
  const duration = () => pick([0, 1, 2, 3, 10, 11, 250, 999, 1024, 70_000, 2_000_000, Math.floor(random() * 5_000)]);
  const all: AnyEvent[] = [];
  const mcp: PortalEvent[] = [];
  const llm: LlmEvent[] = [];
  for (let i = 0; i < count; i++) {
    const userId = maybe(pick(users), 0.1);
    const email = userId ? `${pick(["a", "b"])}-${userId.slice(0, 4)}@example.test` : null;
    if (chance(0.2)) {
      const denied = chance(0.2);
      const kind = pick(["openai", "anthropic"] as const);
      llm.push(
        makeLlmEvent({
          time: time(),
          userId,
          email,
          teamIds: pick([[], [teams[0]!], [teams[1]!], [teams[0]!, teams[2]!]]),
          tokenId: maybe(pick(users), 0.5),
          providerSlug: kind === "openai" ? pick(["openai", "azure"]) : "claude",
          providerKind: kind,
          model: maybe(pick(["m-small", "m-large"]), 0.1),
          status: denied ? pick([429, 403, 402]) : pick([200, 200, 200, 500]),
          success: !denied && chance(0.9),
          decision: denied ? "denied" : "allowed",
          reason: denied ? pick(["RATE_LIMITED: per user", "BUDGET_EXCEEDED: team", "POLICY_DENIED: rule x", "no code here"]) : null,
          cache: denied ? null : pick(["hit", "miss", "bypass", null] as const),
          inputTokens: maybe(Math.floor(random() * 5_000)),
          outputTokens: maybe(Math.floor(random() * 800)),
          cachedInputTokens: maybe(Math.floor(random() * 300), 0.5),
          cacheWriteTokens: maybe(Math.floor(random() * 100), 0.7),
          costMicroUsd: maybe(Math.floor(random() * 90_000)),
          overBudget: chance(0.05),
          durationMs: maybe(duration(), 0.1),
          ...(chance(0.05) ? { blockId: pick(blocks), wouldBlock: chance(0.5) } : {}),
        }),
      );
      all.push(llm.at(-1)!);
      continue;
    }
    const method = pick(["tools/call", "tools/call", "tools/call", "tools/list", "initialize", "prompts/get"]);
    const denied = chance(0.15);
    const server = method === "tools/call" || method === "prompts/get" ? maybe(pick(["weather", "github", "docs"]), 0.1) : null;
    const codemode = chance(0.1);
    const endpoint = pick(["/mcp", "/mcp", "/mcp/weather", "/mcp/github"]);
    // An aggregate list (or a Code Mode one) reports each server's share of the catalog.
    const shares = method === "tools/list" && (codemode || (endpoint === "/mcp" && chance(0.7))) ? { serverTokens: { weather: Math.floor(random() * 900), github: Math.floor(random() * 3_000) } } : {};
    mcp.push(
      makeEvent({
        time: time(),
        userId,
        email,
        teamId: maybe(pick(teams), 0.2),
        method,
        endpoint,
        serverSlug: server,
        tool: method === "tools/call" ? pick(["get_weather", "search_code", "create_issue", "execute"]) : null,
        decision: denied ? "denied" : "allowed",
        reason: denied ? pick(["POLICY_DENIED: rule y", "RATE_LIMITED: team", "TOOL_NOT_APPROVED", "not in team"]) : "allowed by rule everyone",
        success: !denied && chance(0.9),
        durationMs: maybe(duration(), 0.2),
        resultTokens: maybe(Math.floor(random() * 2_000), 0.3),
        bytesIn: maybe(Math.floor(random() * 900)),
        bytesOut: maybe(Math.floor(random() * 9_000)),
        ...shares,
        ...(codemode ? { via: "codemode" as const, parentId: chance(0.5) ? crypto.randomUUID() : null, codemodeTokens: maybe(Math.floor(random() * 400)) } : {}),
        ...(chance(0.05) ? { blockId: pick(blocks), wouldBlock: chance(0.5) } : {}),
      }),
    );
    all.push(mcp.at(-1)!);
  }
  return { all, mcp, llm, users, teams };
}

/**
 * Delivers every event of the corpus through the signed ingest, at least once: in batches of 1…80,
 * a quarter of them delivered twice, and a few events repeated inside a batch. Returns the accepted
 * count (each event once).
 */
export async function deliverAtLeastOnce(db: Queryable, secrets: EdgeSecret[], events: AnyEvent[], seed: number): Promise<number> {
  const random = seededRandom(seed);
  const bodies: string[] = [];
  for (let i = 0; i < events.length; ) {
    const size = 1 + Math.floor(random() * 80);
    const batch: AnyEvent[] = events.slice(i, i + size);
    i += size;
    if (i > size && random() < 0.3) batch.push(events[Math.floor(random() * (i - size))]!);
    if (random() < 0.2) batch.push(batch[0]!);
    const body = JSON.stringify({ events: batch });
    bodies.push(body);
    if (random() < 0.25) bodies.push(body);
  }
  // Several deliveries at once, as the edge's queue consumers send them (a batch and its redelivery
  // may be in flight together): the console's group commit takes them in one transaction.
  return deliverInWaves(db, secrets, bodies, () => 1 + Math.floor(random() * 6));
}

/** Delivers the bodies in waves of `waveSize()` at a time, each wave after the last; how many events ingest stored. */
async function deliverInWaves(db: Queryable, secrets: EdgeSecret[], bodies: string[], waveSize: (first: boolean) => number): Promise<number> {
  let accepted = 0;
  for (let i = 0; i < bodies.length; ) {
    const wave = bodies.slice(i, (i += waveSize(i === 0)));
    const results = await Promise.all(wave.map(async (body) => ingestEvents(db, { body, signature: await signEventBody(body, secrets), secrets })));
    accepted += results.reduce((n, r) => n + r.accepted, 0);
  }
  return accepted;
}

/**
 * Delivers each event once, in batches of events from all over the corpus's days (shuffled), many
 * batches at a time: the first alone, so ingest knows no sink wants events, then waves of up to twelve,
 * whose groups go in on their own (on PostgreSQL, as COPY on a pipeline). Returns how
 * many events ingest stored.
 */
export async function deliverOnce(db: Queryable, secrets: EdgeSecret[], events: AnyEvent[], seed: number): Promise<number> {
  const random = seededRandom(seed);
  const shuffled = [...events];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const bodies: string[] = [];
  for (let i = 0; i < shuffled.length; ) {
    const size = 20 + Math.floor(random() * 60);
    bodies.push(JSON.stringify({ events: shuffled.slice(i, (i += size)) }));
  }
  return deliverInWaves(db, secrets, bodies, (first) => (first ? 1 : 2 + Math.floor(random() * 11)));
}
