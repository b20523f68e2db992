/**
 * The rollups are exact: after randomized at-least-once delivery (batches redelivered, events
 * repeated within a batch), every rollup row is what the events stored sum to, computed here in
 * JavaScript from the corpus itself; and Usage read through the rollups — over ranges whose ends
 * fall inside an hour, so raw events fill the edges — equals the same figures computed from events.
 */
import { and, gte, lt } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { llmEvents, llmRollupDaily, llmRollupHourly, llmUserRollupDaily, mcpEvents, mcpRollupDaily, mcpRollupHourly, mcpUserRollupDaily } from "@/db/schema";
import { generateEdgeSecret, parseEdgeSecrets } from "@core/edge/secret";
import { DURATION_BUCKETS, durationBucket } from "@core/events/duration-histogram";
import type { LlmEvent, PortalEvent } from "@core/events/schema";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { deliverAtLeastOnce, eventCorpus, type Corpus } from "@/testing/event-corpus";
import { makeUser } from "@/testing/users";
import { getUsage } from "@/lib/usage/usage";

const START = new Date("2031-05-01T00:00:00.000Z");
const DAYS = 3;
const END = new Date(START.getTime() + DAYS * 86_400_000);

const hourOf = (iso: string) => `${iso.slice(0, 13)}:00:00.000Z`;
const dayOf = (iso: string) => `${iso.slice(0, 10)}T00:00:00.000Z`;
const reasonCode = (decision: string, reason: string | null | undefined) => (decision === "denied" ? (/^[A-Z][A-Z0-9_]+(?=:|$)/.exec(reason ?? "")?.[0] ?? null) : null);
const endpointServer = (e: PortalEvent) => (e.serverSlug === null ? (/^\/mcp\/([a-z0-9-]+)$/.exec(e.endpoint)?.[1] ?? null) : null);
const tokensOf = (e: LlmEvent) => (e.inputTokens ?? 0) + (e.outputTokens ?? 0) + (e.cacheWriteTokens ?? 0) + (e.providerKind === "openai" ? 0 : (e.cachedInputTokens ?? 0));

type Row = Record<string, unknown>;

/** Groups `events` by `key` and adds `measures` (numbers and histograms added, emails by max). */
function rollUp<E>(events: E[], key: (e: E) => Row, measures: (e: E) => Row): Map<string, Row> {
  const out = new Map<string, Row>();
  for (const e of events) {
    const k = key(e);
    const id = JSON.stringify(k);
    const m = measures(e);
    const row = out.get(id);
    if (!row) {
      out.set(id, { ...k, ...m });
      continue;
    }
    for (const [name, value] of Object.entries(m)) {
      if (Array.isArray(value)) row[name] = (row[name] as number[]).map((n, i) => n + value[i]);
      else if (typeof value === "number") row[name] = (row[name] as number) + value;
      else if (value !== null && (row[name] === null || (value as string) > (row[name] as string))) row[name] = value;
    }
  }
  return out;
}

const histogramOf = (ms: number | null) => {
  const h = new Array<number>(DURATION_BUCKETS).fill(0);
  if (ms !== null) h[durationBucket(ms)] = 1;
  return h;
};

/** Rows read from a rollup table, keyed like `rollUp`'s (bucket as ISO, numbers as numbers). */
function keyed(rows: Row[], keyNames: string[]): Map<string, Row> {
  return new Map(
    rows.map((r) => {
      const row: Row = { ...r, bucket: new Date(r.bucket as string).toISOString() };
      return [JSON.stringify(Object.fromEntries(keyNames.map((k) => [k, row[k]]))), row];
    }),
  );
}

const mcpKey = (bucket: (iso: string) => string) => (e: PortalEvent) => ({
  bucket: bucket(e.time),
  teamId: e.teamId,
  serverSlug: e.serverSlug,
  endpointServer: endpointServer(e),
  tool: e.tool,
  method: e.method,
  decision: e.decision,
  reasonCode: reasonCode(e.decision, e.reason),
  success: e.success,
  via: e.via ?? null,
  wouldBlock: e.wouldBlock ?? false,
});
const mcpMeasures = (e: PortalEvent) => ({
  calls: 1,
  innerCalls: e.parentId ? 1 : 0,
  resultTokens: e.resultTokens ?? 0,
  resultCount: e.resultTokens === null ? 0 : 1,
  codemodeTokens: e.codemodeTokens ?? 0,
  durationMs: e.durationMs ?? 0,
  durationCount: e.durationMs === null ? 0 : 1,
});
const llmKey = (e: LlmEvent) => ({
  teamIds: e.teamIds,
  providerSlug: e.providerSlug,
  providerKind: e.providerKind,
  model: e.model,
  decision: e.decision,
  reasonCode: reasonCode(e.decision, e.reason),
  status: e.status,
  cache: e.cache,
  overBudget: e.overBudget,
});
const llmMeasures = (e: LlmEvent) => ({
  calls: 1,
  inputTokens: e.inputTokens ?? 0,
  outputTokens: e.outputTokens ?? 0,
  cachedInputTokens: e.cachedInputTokens ?? 0,
  cacheWriteTokens: e.cacheWriteTokens ?? 0,
  costMicroUsd: e.costMicroUsd ?? 0,
  durationMs: e.durationMs ?? 0,
  durationCount: e.durationMs === null ? 0 : 1,
});

describe.each(testDatabases())("event rollups on $name", (database) => {
  const { db } = useTestDatabase(database);
  let corpus: Corpus;
  let accepted: number;

  beforeAll(async () => {
    const secrets = await parseEdgeSecrets(generateEdgeSecret());
    corpus = eventCorpus(18, 1_500, START, DAYS);
    accepted = await deliverAtLeastOnce(db, secrets, corpus.all, 7);
  });

  const window = <T extends typeof mcpRollupHourly | typeof mcpRollupDaily | typeof mcpUserRollupDaily | typeof llmRollupHourly | typeof llmRollupDaily | typeof llmUserRollupDaily>(t: T) =>
    db
      .select()
      .from(t as typeof mcpRollupHourly)
      .where(and(gte(t.bucket, START.toISOString()), lt(t.bucket, END.toISOString()))) as Promise<Row[]>;

  it("stores each delivered event once, however often it came", async () => {
    expect(accepted).toBe(corpus.mcp.length + corpus.llm.length);
    const mcpIds = await db.select({ id: mcpEvents.id }).from(mcpEvents).where(and(gte(mcpEvents.time, START.toISOString()), lt(mcpEvents.time, END.toISOString())));
    const llmIds = await db.select({ id: llmEvents.id }).from(llmEvents).where(and(gte(llmEvents.time, START.toISOString()), lt(llmEvents.time, END.toISOString())));
    expect(mcpIds.map((r) => r.id).sort()).toEqual(corpus.mcp.map((e) => e.id).sort());
    expect(llmIds.map((r) => r.id).sort()).toEqual(corpus.llm.map((e) => e.id).sort());
  });

  it("rolls up MCP events by hour, day and user exactly as the stored events sum, latency histograms included", async () => {
    const withTotals = (e: PortalEvent) => ({ ...mcpMeasures(e), bytesIn: e.bytesIn ?? 0, bytesOut: e.bytesOut ?? 0, durationHistogram: histogramOf(e.durationMs) });
    for (const [table, bucket] of [
      [mcpRollupHourly, hourOf],
      [mcpRollupDaily, dayOf],
    ] as const) {
      const expected = rollUp(corpus.mcp, (e) => ({ ...mcpKey(bucket)(e), blockId: e.blockId ?? null }), withTotals);
      const actual = keyed(await window(table), Object.keys([...expected.values()][0]!).slice(0, 12));
      expect(actual.size).toBe(expected.size);
      for (const [k, row] of expected) expect(actual.get(k), k).toMatchObject(row);
    }
    const expected = rollUp(corpus.mcp, (e) => ({ ...mcpKey(dayOf)(e), userId: e.userId }), (e) => ({ ...mcpMeasures(e), email: e.email }));
    const actual = keyed(await window(mcpUserRollupDaily), Object.keys([...expected.values()][0]!).slice(0, 12));
    expect(actual.size).toBe(expected.size);
    for (const [k, row] of expected) expect(actual.get(k), k).toMatchObject(row);
  });

  it("rolls up LLM calls by hour, day, user and token exactly as the stored events sum", async () => {
    for (const [table, bucket] of [
      [llmRollupHourly, hourOf],
      [llmRollupDaily, dayOf],
    ] as const) {
      const expected = rollUp(
        corpus.llm,
        (e) => ({ bucket: bucket(e.time), ...llmKey(e), operation: e.operation, wouldBlock: e.wouldBlock ?? false, blockId: e.blockId ?? null }),
        (e) => ({ ...llmMeasures(e), durationHistogram: histogramOf(e.durationMs) }),
      );
      const actual = keyed(await window(table), Object.keys([...expected.values()][0]!).slice(0, 13));
      expect(actual.size).toBe(expected.size);
      for (const [k, row] of expected) expect(actual.get(k), k).toMatchObject(row);
    }
    const expected = rollUp(corpus.llm, (e) => ({ bucket: dayOf(e.time), userId: e.userId, tokenId: e.tokenId, ...llmKey(e) }), (e) => ({ ...llmMeasures(e), email: e.email }));
    const actual = keyed(await window(llmUserRollupDaily), Object.keys([...expected.values()][0]!).slice(0, 12));
    expect(actual.size).toBe(expected.size);
    for (const [k, row] of expected) expect(actual.get(k), k).toMatchObject(row);
  });

  it("answers Usage from the rollups exactly, also over ranges that start and end inside an hour", async () => {
    const admin = await makeUser(db, "admin");
    const at = (hours: number, ms = 0) => new Date(START.getTime() + hours * 3_600_000 + ms).toISOString();
    const ranges = [
      { from: at(0), to: at(72) },
      { from: at(1, 1_234_567), to: at(53, 191_000) },
      { from: at(13, 60_000), to: at(13, 1_260_000) },
      { from: at(23, 1), to: at(49) },
    ];
    const filters = [{}, { userId: corpus.users[0]! }, { teamId: corpus.teams[0]! }];
    const sortBy = <T>(rows: T[], key: (r: T) => string) => [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    for (const range of ranges) {
      for (const filter of filters) {
        const label = JSON.stringify({ range, filter });
        const inRange = (e: { time: string }) => e.time >= range.from && e.time < range.to;
        const userOk = (e: { userId: string | null }) => !("userId" in filter) || e.userId === filter.userId;
        const mcp = corpus.mcp.filter((e) => inRange(e) && userOk(e) && (!("teamId" in filter) || e.teamId === filter.teamId));
        const llm = corpus.llm.filter((e) => inRange(e) && userOk(e) && (!("teamId" in filter) || e.teamIds.includes(filter.teamId!)));
        const usage = await getUsage({ db, actor: admin }, { ...range, ...filter }, END);

        const byServer = rollUp(mcp, (e) => ({ server: e.serverSlug ?? endpointServer(e) }), (e) => ({ calls: 1, denied: e.decision === "denied" ? 1 : 0, contextTokens: e.resultTokens ?? 0 }));
        expect(sortBy(usage.mcp.byServer, (r) => String(r.server)), label).toEqual(sortBy([...byServer.values()], (r) => String(r.server)));
        const byTool = [
          ...rollUp(
            mcp.filter((e) => e.method === "tools/call" && e.tool !== null),
            (e) => ({ server: e.serverSlug, tool: e.tool }),
            (e) => ({ calls: 1, contextTokens: e.resultTokens ?? 0, n: e.resultTokens === null ? 0 : 1 }),
          ).values(),
        ].map(({ n, ...r }): Row => ({ ...r, avgContextTokens: (n as number) > 0 ? Math.round((r.contextTokens as number) / (n as number)) : 0 }));
        expect(sortBy(usage.mcp.byTool, (r) => `${r.server}/${r.tool}`), label).toEqual(sortBy(byTool, (r) => `${String(r.server)}/${String(r.tool)}`));
        const codemode = mcp.filter((e) => e.via === "codemode");
        expect(usage.mcp.codemode, label).toMatchObject({
          executes: codemode.filter((e) => e.method === "tools/call" && !e.parentId).length,
          innerCalls: codemode.filter((e) => e.parentId).length,
        });

        const allowed = (e: LlmEvent) => e.decision === "allowed";
        const spend = (e: LlmEvent) => ({ calls: 1, tokens: allowed(e) ? tokensOf(e) : 0, costMicroUsd: allowed(e) ? (e.costMicroUsd ?? 0) : 0 });
        const byModel = rollUp(llm, (e) => ({ provider: e.providerSlug, model: e.model }), (e) => ({ ...spend(e), cacheHits: e.cache === "hit" ? 1 : 0 }));
        expect(sortBy(usage.llm.byModel, (r) => `${r.provider}/${r.model}`), label).toEqual(sortBy([...byModel.values()], (r) => `${r.provider}/${r.model}`));
        const perTeam = llm.flatMap((e) => e.teamIds.filter((t) => !("teamId" in filter) || t === filter.teamId).map((teamId) => ({ ...e, teamId })));
        const byTeam = rollUp(perTeam, (e) => ({ teamId: e.teamId, slug: null }), spend);
        expect(sortBy(usage.llm.byTeam, (r) => r.teamId), label).toEqual(sortBy([...byTeam.values()], (r) => String(r.teamId)));
        const byUser = rollUp(llm, (e) => ({ userId: e.userId }), (e) => ({ email: e.email, ...spend(e) }));
        expect(sortBy(usage.llm.byUser, (r) => String(r.userId)), label).toEqual(sortBy([...byUser.values()], (r) => String(r.userId)));

        const mcpDaily = rollUp(mcp, (e) => ({ day: e.time.slice(0, 10) }), () => ({ mcpCalls: 1 }));
        const llmDaily = rollUp(llm, (e) => ({ day: e.time.slice(0, 10) }), (e) => {
          const s = spend(e);
          return { llmCalls: 1, llmTokens: s.tokens, costMicroUsd: s.costMicroUsd };
        });
        for (const day of usage.llm.daily) {
          const key = JSON.stringify({ day: day.day });
          expect(day, `${label} ${day.day}`).toEqual({ day: day.day, mcpCalls: 0, llmCalls: 0, llmTokens: 0, costMicroUsd: 0, ...mcpDaily.get(key), ...llmDaily.get(key) });
        }
      }
    }
  });
});
