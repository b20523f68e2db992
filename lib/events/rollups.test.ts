/**
 * The rollups are exact: after randomized at-least-once delivery (batches redelivered, events
 * repeated within a batch), every rollup row is what the events stored sum to, computed here in
 * JavaScript from the corpus itself; and Usage read through the rollups — over ranges whose ends
 * fall inside an hour, so raw events fill the edges — equals the same figures computed from events.
 */
import { and, gte, lt } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import {
  llmEvents,
  llmLatencyDaily,
  llmLatencyHourly,
  llmRollupDaily,
  llmRollupHourly,
  llmTeamRollupDaily,
  llmTeamRollupWeekly,
  llmUserTotalsDaily,
  llmUserTotalsWeekly,
  mcpEvents,
  mcpLatencyDaily,
  mcpLatencyHourly,
  mcpListRollupDaily,
  mcpRollupDaily,
  mcpRollupHourly,
  mcpRollupWeekly,
  mcpTeamRollupDaily,
} from "@/db/schema";
import { generateEdgeSecret, parseEdgeSecrets } from "@core/edge/secret";
import { DURATION_BUCKETS, durationBucket } from "@core/events/duration-histogram";
import type { LlmEvent, PortalEvent } from "@core/events/schema";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { deliverAtLeastOnce, deliverOnce, eventCorpus, type Corpus } from "@/testing/event-corpus";
import { makeUser } from "@/testing/users";
import { getUsage } from "@/lib/usage/usage";

const START = new Date("2031-05-01T00:00:00.000Z");
const DAYS = 3;
const END = new Date(START.getTime() + DAYS * 86_400_000);

const hourOf = (iso: string) => `${iso.slice(0, 13)}:00:00.000Z`;
const dayOf = (iso: string) => `${iso.slice(0, 10)}T00:00:00.000Z`;
/** The Monday (00:00 UTC) of the ISO week of `iso`. */
const weekOf = (iso: string) => {
  const day = new Date(dayOf(iso));
  return new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * 86_400_000).toISOString();
};
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

const mcpDimensions = (e: PortalEvent) => ({
  serverSlug: e.serverSlug,
  endpointServer: endpointServer(e),
  tool: e.tool,
  method: e.method,
  decision: e.decision,
  reasonCode: reasonCode(e.decision, e.reason),
  via: e.via ?? null,
});
const mcpMeasures = (e: PortalEvent) => ({
  calls: 1,
  errors: e.decision === "allowed" && !e.success ? 1 : 0,
  wouldBlock: e.wouldBlock ? 1 : 0,
  innerCalls: e.parentId ? 1 : 0,
  resultTokens: e.resultTokens ?? 0,
  resultCount: e.resultTokens === null ? 0 : 1,
  codemodeTokens: e.codemodeTokens ?? 0,
  durationMs: e.durationMs ?? 0,
  durationCount: e.durationMs === null ? 0 : 1,
});
const llmDimensions = (e: LlmEvent) => ({
  providerSlug: e.providerSlug,
  providerKind: e.providerKind,
  model: e.model,
  decision: e.decision,
  reasonCode: reasonCode(e.decision, e.reason),
  status: e.status,
  cache: e.cache,
});
const latencyOf = (e: { durationMs: number | null }) => ({ calls: 1, durationMs: e.durationMs ?? 0, durationHistogram: histogramOf(e.durationMs) });
/** Tool lists as mcp_list_rollup_daily holds them: one entry per server a list reports on, and one per Code Mode list. */
const listEntries = (e: PortalEvent): { kind: string; server: string | null; tokens: number }[] => {
  if (e.method !== "tools/list") return [];
  if (e.via === "codemode") return [{ kind: "codemode_sent", server: null, tokens: e.codemodeTokens ?? 0 }, ...Object.entries(e.serverTokens ?? {}).map(([server, tokens]) => ({ kind: "codemode", server, tokens }))];
  if (e.serverTokens) return Object.entries(e.serverTokens).map(([server, tokens]) => ({ kind: "plain", server, tokens }));
  return e.resultTokens === null ? [] : [{ kind: "plain", server: e.serverSlug ?? endpointServer(e), tokens: e.resultTokens }];
};
const llmMeasures = (e: LlmEvent) => ({
  calls: 1,
  overBudget: e.overBudget ? 1 : 0,
  wouldBlock: e.wouldBlock ? 1 : 0,
  inputTokens: e.inputTokens ?? 0,
  outputTokens: e.outputTokens ?? 0,
  cachedInputTokens: e.cachedInputTokens ?? 0,
  cacheWriteTokens: e.cacheWriteTokens ?? 0,
  costMicroUsd: e.costMicroUsd ?? 0,
  durationMs: e.durationMs ?? 0,
  durationCount: e.durationMs === null ? 0 : 1,
});

const weekly = new Set<object>([mcpRollupWeekly, llmTeamRollupWeekly, llmUserTotalsWeekly]);

// At least once: repeats and redeliveries, which send groups through `ON CONFLICT` after the first.
// Once: every group new, multi-day, many at a time: on PostgreSQL, groups go in as COPY on a pipeline.
const deliveries = testDatabases().flatMap((database) => (["at least once", "once"] as const).map((delivered) => ({ ...database, delivered })));

describe.each(deliveries)("event rollups on $name, each event delivered $delivered", (database) => {
  const { db } = useTestDatabase(database);
  let corpus: Corpus;
  let accepted: number;

  beforeAll(async () => {
    const secrets = await parseEdgeSecrets(generateEdgeSecret());
    corpus = eventCorpus(18, 1_500, START, DAYS);
    accepted = database.delivered === "once" ? await deliverOnce(db, secrets, corpus.all, 7) : await deliverAtLeastOnce(db, secrets, corpus.all, 7);
  });

  const window = <
    T extends
      | typeof mcpRollupHourly
      | typeof mcpRollupDaily
      | typeof mcpTeamRollupDaily
      | typeof mcpLatencyHourly
      | typeof mcpLatencyDaily
      | typeof mcpListRollupDaily
      | typeof llmRollupHourly
      | typeof llmRollupDaily
      | typeof llmLatencyHourly
      | typeof llmLatencyDaily
      | typeof llmTeamRollupDaily
      | typeof mcpRollupWeekly
      | typeof llmTeamRollupWeekly
      | typeof llmUserTotalsDaily
      | typeof llmUserTotalsWeekly,
  >(
    t: T,
  ) =>
    db
      .select()
      .from(t as typeof mcpRollupHourly)
      // A week's bucket is its Monday, before the window's first day.
      .where(and(gte(t.bucket, weekly.has(t) ? weekOf(START.toISOString()) : START.toISOString()), lt(t.bucket, END.toISOString()))) as Promise<Row[]>;

  it("stores each delivered event once, however often it came", async () => {
    expect(accepted).toBe(corpus.mcp.length + corpus.llm.length);
    const mcpIds = await db.select({ id: mcpEvents.id }).from(mcpEvents).where(and(gte(mcpEvents.time, START.toISOString()), lt(mcpEvents.time, END.toISOString())));
    const llmIds = await db.select({ id: llmEvents.id }).from(llmEvents).where(and(gte(llmEvents.time, START.toISOString()), lt(llmEvents.time, END.toISOString())));
    expect(mcpIds.map((r) => r.id).sort()).toEqual(corpus.mcp.map((e) => e.id).sort());
    expect(llmIds.map((r) => r.id).sort()).toEqual(corpus.llm.map((e) => e.id).sort());
  });

  /** Compares a rollup table's rows in the window with `expected` (keyed by its first `keys` fields). */
  const expectRollup = async (table: Parameters<typeof window>[0], expected: Map<string, Row>, keys: number) => {
    const actual = keyed(await window(table), Object.keys([...expected.values()][0]!).slice(0, keys));
    expect(actual.size).toBe(expected.size);
    for (const [k, row] of expected) expect(actual.get(k), k).toMatchObject(row);
  };

  it("rolls up MCP events by hour, day and week, their latency, by team and their tool lists, exactly as the stored events sum", async () => {
    const withBytes = (e: PortalEvent) => ({ ...mcpMeasures(e), bytesIn: e.bytesIn ?? 0, bytesOut: e.bytesOut ?? 0 });
    await expectRollup(mcpRollupHourly, rollUp(corpus.mcp, (e) => ({ bucket: hourOf(e.time), ...mcpDimensions(e) }), withBytes), 8);
    await expectRollup(mcpRollupDaily, rollUp(corpus.mcp, (e) => ({ bucket: dayOf(e.time), ...mcpDimensions(e) }), withBytes), 8);
    const timed = corpus.mcp.filter((e) => e.durationMs !== null);
    await expectRollup(mcpLatencyHourly, rollUp(timed, (e) => ({ bucket: hourOf(e.time), serverSlug: e.serverSlug, tool: e.tool }), latencyOf), 3);
    await expectRollup(mcpLatencyDaily, rollUp(timed, (e) => ({ bucket: dayOf(e.time), serverSlug: e.serverSlug, tool: e.tool }), latencyOf), 3);
    await expectRollup(mcpTeamRollupDaily, rollUp(corpus.mcp, (e) => ({ bucket: dayOf(e.time), teamId: e.teamId, ...mcpDimensions(e) }), mcpMeasures), 9);
    await expectRollup(mcpRollupWeekly, rollUp(corpus.mcp, (e) => ({ bucket: weekOf(e.time), ...mcpDimensions(e) }), withBytes), 8);
    // Lists: counts and sums add up; the latest list of each bucket (by time, then id) is kept.
    const entries = corpus.mcp.flatMap((e) => listEntries(e).map((l) => ({ e, ...l })));
    expect(entries.some((l) => l.kind === "plain") && entries.some((l) => l.kind === "codemode") && entries.some((l) => l.kind === "codemode_sent")).toBe(true);
    const lists = rollUp(entries, ({ e, kind, server }) => ({ bucket: dayOf(e.time), teamId: e.teamId, kind, server }), ({ tokens }) => ({ lists: 1, tokens }));
    const newest = new Map<string, { time: string; id: string; tokens: number }>();
    for (const { e, kind, server, tokens } of entries) {
      const k = JSON.stringify({ bucket: dayOf(e.time), teamId: e.teamId, kind, server });
      const seen = newest.get(k);
      if (!seen || e.time > seen.time || (e.time === seen.time && e.id > seen.id)) newest.set(k, { time: e.time, id: e.id, tokens });
    }
    for (const [k, row] of lists) Object.assign(row, { lastId: newest.get(k)!.id, lastTokens: newest.get(k)!.tokens });
    await expectRollup(mcpListRollupDaily, lists, 4);
  });

  it("rolls up LLM calls by hour and day, their latency, by each team of the caller, and per user and API key in daily and weekly totals", async () => {
    await expectRollup(llmRollupHourly, rollUp(corpus.llm, (e) => ({ bucket: hourOf(e.time), ...llmDimensions(e), operation: e.operation }), llmMeasures), 9);
    await expectRollup(llmRollupDaily, rollUp(corpus.llm, (e) => ({ bucket: dayOf(e.time), ...llmDimensions(e), operation: e.operation }), llmMeasures), 9);
    const timed = corpus.llm.filter((e) => e.durationMs !== null);
    await expectRollup(llmLatencyHourly, rollUp(timed, (e) => ({ bucket: hourOf(e.time), providerSlug: e.providerSlug, model: e.model }), latencyOf), 3);
    await expectRollup(llmLatencyDaily, rollUp(timed, (e) => ({ bucket: dayOf(e.time), providerSlug: e.providerSlug, model: e.model }), latencyOf), 3);
    const perTeam = corpus.llm.flatMap((e) => e.teamIds.map((teamId) => ({ e, teamId })));
    for (const [table, bucket] of [
      [llmTeamRollupDaily, dayOf],
      [llmTeamRollupWeekly, weekOf],
    ] as const) {
      await expectRollup(table, rollUp(perTeam, ({ e, teamId }) => ({ bucket: bucket(e.time), teamId, ...llmDimensions(e) }), ({ e }) => llmMeasures(e)), 9);
    }
    const allowed = (e: LlmEvent) => e.decision === "allowed";
    const totals = (bucket: (iso: string) => string) =>
      rollUp(
        corpus.llm,
        (e) => ({ bucket: bucket(e.time), userId: e.userId, tokenId: e.tokenId, teamIds: e.teamIds }),
        (e) => ({
          calls: 1,
          errors: allowed(e) && !e.success ? 1 : 0,
          denied: allowed(e) ? 0 : 1,
          tokens: allowed(e) ? tokensOf(e) : 0,
          costMicroUsd: allowed(e) ? (e.costMicroUsd ?? 0) : 0,
          email: e.email,
        }),
      );
    await expectRollup(llmUserTotalsDaily, totals(dayOf), 4);
    await expectRollup(llmUserTotalsWeekly, totals(weekOf), 4);
  });

  it("answers Usage from the rollups exactly, also over ranges that start and end inside an hour", async () => {
    const admin = await makeUser(db, "admin");
    const at = (hours: number, ms = 0) => new Date(START.getTime() + hours * 3_600_000 + ms).toISOString();
    const ranges = [
      { from: at(0), to: at(72) },
      { from: at(1, 1_234_567), to: at(53, 191_000) },
      { from: at(13, 60_000), to: at(13, 1_260_000) },
      { from: at(23, 1), to: at(49) },
      // Ending after the last event, inside an hour (as a range ending now does): read up to the end
      // of the week, from its days; over the whole week, from its week's rows.
      { from: at(1, 1_234_567), to: at(74, 5_000) },
      { from: weekOf(START.toISOString()), to: at(80) },
    ];
    const filters = [{}, { userId: corpus.users[0]! }, { teamId: corpus.teams[0]! }, { userId: corpus.users[1]!, teamId: corpus.teams[0]! }];
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
        const entries = mcp.flatMap((e) => listEntries(e).map((l) => ({ e, ...l })));
        const catalogs = rollUp(entries.filter((l) => l.kind === "codemode"), (l) => ({ server: l.server }), (l) => ({ catalogTokens: l.tokens }));
        const sent = entries.filter((l) => l.kind === "codemode_sent");
        const catalogTokens = [...catalogs.values()].reduce((n, c) => n + (c.catalogTokens as number), 0);
        const sentTokens = sent.reduce((n, l) => n + l.tokens, 0);
        expect({ ...usage.mcp.codemode, byServer: sortBy(usage.mcp.codemode.byServer, (r) => String(r.server)) }, label).toEqual({
          lists: sent.length,
          catalogTokens,
          sentTokens,
          savedTokens: catalogTokens - sentTokens,
          executes: codemode.filter((e) => e.method === "tools/call" && !e.parentId).length,
          innerCalls: codemode.filter((e) => e.parentId).length,
          byServer: sortBy([...catalogs.values()], (r) => String(r.server)),
        });
        const plain = new Map<string | null, { n: number; sum: number; last: { time: string; id: string; tokens: number } }>();
        for (const { e, kind, server, tokens } of entries) {
          if (kind !== "plain") continue;
          const p = plain.get(server);
          if (!p) plain.set(server, { n: 1, sum: tokens, last: { time: e.time, id: e.id, tokens } });
          else {
            p.n += 1;
            p.sum += tokens;
            if (e.time > p.last.time || (e.time === p.last.time && e.id > p.last.id)) p.last = { time: e.time, id: e.id, tokens };
          }
        }
        const listTokens = [...plain].map(([server, p]) => ({ server, lists: p.n, avgTokens: Math.round(p.sum / p.n), lastTokens: p.last.tokens }));
        expect(sortBy(usage.mcp.listTokens, (r) => String(r.server)), label).toEqual(sortBy(listTokens, (r) => String(r.server)));

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
