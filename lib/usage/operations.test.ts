import { beforeAll, describe, expect, it } from "vitest";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { llmEvents, mcpEvents } from "@/db/schema";
import { makeEvent, makeLlmEvent } from "@/testing/events";
import { makeUser } from "@/testing/users";
import { durationBucket, durationQuantile, DURATION_BUCKETS } from "@core/events/duration-histogram";
import type { LlmEvent, PortalEvent } from "@core/events/schema";
import { ForbiddenError } from "../errors";
import { getOperations, OperationsOutput } from "./operations";

const NOW = new Date("2030-04-20T12:00:00.000Z");
const mcpRow = (overrides: Partial<PortalEvent>) => {
  const { kind: _kind, ...row } = makeEvent(overrides);
  return { ...row, time: new Date(row.time).toISOString() };
};
const llmRow = (overrides: Partial<LlmEvent>) => {
  const { kind: _kind, ...row } = makeLlmEvent(overrides);
  return { ...row, time: new Date(row.time).toISOString() };
};
/** p50/p95 as the rollups should give them: from a histogram of the same durations. */
function expected(durations: number[]) {
  const h = new Array<number>(DURATION_BUCKETS).fill(0);
  for (const d of durations) h[durationBucket(d)]!++;
  const r = (q: number) => Math.round(durationQuantile(h, q)! * 10) / 10;
  return { p50Ms: r(0.5), p95Ms: r(0.95) };
}

describe.each(testDatabases())("operations on $name", (database) => {
  const { db } = useTestDatabase(database, { getDb: true });
  const weatherMs = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];

  beforeAll(async () => {
    const at = (h: number, m = 0) => new Date(Date.UTC(2030, 3, 10, h, m)).toISOString();
    const weather = { serverSlug: "weather", tool: "get_weather" };
    await db.insert(mcpEvents).values([
      ...weatherMs.map((ms, i) => mcpRow({ ...weather, durationMs: ms, time: at(9, i) })),
      mcpRow({ ...weather, durationMs: 500, success: false, error: "upstream said no", time: at(10) }),
      mcpRow({ ...weather, durationMs: null, decision: "denied", success: false, reason: "POLICY_DENIED: no rule allows this", time: at(10, 5) }),
      mcpRow({ ...weather, durationMs: null, decision: "denied", success: false, reason: "POLICY_DENIED: no rule allows this", time: at(11) }),
      mcpRow({ ...weather, durationMs: null, decision: "denied", success: false, reason: "RATE_LIMITED: 10 per minute", time: at(11, 30) }),
      ...[1000, 1100, 1200].map((ms) => mcpRow({ serverSlug: "github", tool: "search_code", durationMs: ms, time: at(30) })),
      mcpRow({ serverSlug: "github", tool: "search_code", durationMs: 900, wouldBlock: true, blockId: crypto.randomUUID(), time: at(31) }),
      mcpRow({ method: "tools/list", serverSlug: null, tool: null, durationMs: null, time: at(12) }),
    ]);
    await db.insert(llmEvents).values([
      ...[100, 200, 300].map((ms) => llmRow({ model: "gpt-a", durationMs: ms, time: at(9) })),
      llmRow({ model: "gpt-a", durationMs: null, status: 429, decision: "denied", success: false, reason: "RATE_LIMITED: budget", time: at(9, 30) }),
    ]);
  });

  it("gives each tool's calls, errors, denials and p50/p95 upstream latency from the rollups, denials by reason, and an hourly series for a short range", async () => {
    const security = await makeUser(db, "security");
    const ops = await getOperations({ db, actor: security }, { from: "2030-04-10", to: "2030-04-12" }, NOW);
    expect(OperationsOutput.parse(ops)).toEqual(ops);
    expect(ops.grain).toBe("hour");
    expect(ops.mcp.byTool).toEqual([
      { server: "weather", tool: "get_weather", calls: 14, errors: 1, denied: 3, ...expected([...weatherMs, 500]) },
      { server: "github", tool: "search_code", calls: 4, errors: 0, denied: 0, ...expected([1000, 1100, 1200, 900]) },
    ]);
    expect(ops.mcp.byTool[0]!.p50Ms).toBeGreaterThanOrEqual(45);
    expect(ops.mcp.byTool[0]!.p50Ms).toBeLessThanOrEqual(64);
    expect(ops.mcp.denials).toEqual([
      { reason: "POLICY_DENIED", calls: 2 },
      { reason: "RATE_LIMITED", calls: 1 },
    ]);
    expect(ops.mcp.series).toHaveLength(72);
    const hour = (iso: string) => ops.mcp.series.find((s) => s.bucket === iso);
    expect(hour("2030-04-10T09:00:00.000Z")).toEqual({ bucket: "2030-04-10T09:00:00.000Z", calls: 10, errors: 0, denied: 0, wouldBlock: 0 });
    expect(hour("2030-04-10T11:00:00.000Z")).toMatchObject({ calls: 2, denied: 2 });
    expect(hour("2030-04-11T06:00:00.000Z")).toMatchObject({ calls: 3, wouldBlock: 0 });
    expect(hour("2030-04-11T07:00:00.000Z")).toMatchObject({ calls: 1, wouldBlock: 1 });
    expect(ops.mcp.series.reduce((n, s) => n + s.calls, 0)).toBe(19);
    expect(ops.llm.byModel).toEqual([{ provider: "openai", model: "gpt-a", calls: 4, rateLimited: 1, ...expected([100, 200, 300]) }]);
  });

  it("answers a month by day with the same figures, and only to those who run the portal", async () => {
    const approver = await makeUser(db, "approver");
    const month = await getOperations({ db, actor: approver }, { from: "2030-04-01", to: "2030-04-30" }, NOW);
    expect(month.grain).toBe("day");
    expect(month.mcp.series).toHaveLength(30);
    expect(month.mcp.series.find((s) => s.bucket === "2030-04-10T00:00:00.000Z")).toMatchObject({ calls: 15, errors: 1, denied: 3 });
    expect(month.mcp.byTool[0]).toMatchObject({ tool: "get_weather", calls: 14, ...expected([...weatherMs, 500]) });
    await expect(getOperations({ db, actor: await makeUser(db, "member") }, {}, NOW)).rejects.toThrow(ForbiddenError);
  });
});
