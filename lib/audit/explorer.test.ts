import { beforeAll, describe, expect, it, vi } from "vitest";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { mcpEvents } from "@/db/schema";
import { BOOTSTRAP_ACTOR } from "@/lib/auth/actor";
import { ForbiddenError, NotFoundError, ValidationError } from "@/lib/errors";
import { makeUser } from "@/testing/users";
import { makeEvent } from "@/testing/events";
import type { PortalEvent } from "@core/events/schema";
import { listEvents } from "./list-events";
import { EXPORT_BATCH, exportEvents, exportResponse } from "./export-events";
import { exportColumns } from "./export-format";
import { saveView } from "./save-view";
import { listSavedViews } from "./saved-views";
import { deleteSavedView } from "./delete-saved-view";

describe.each(testDatabases())("the Audit explorer on $name", (database) => {
  const { db } = useTestDatabase(database);
  const team = crypto.randomUUID();
  const base = Date.parse("2031-03-01T00:00:00.000Z");
  const at = (seconds: number) => new Date(base + seconds * 1000).toISOString();
  const window = { from: at(0), to: at(100_000) };
  let events: PortalEvent[];
  let bulk: PortalEvent[];

  beforeAll(async () => {
    events = [
      makeEvent({ time: at(1), teamId: team, serverSlug: "github", tool: "create_issue" }),
      makeEvent({ time: at(2), decision: "denied", reason: "POLICY_DENIED: not in team", success: false }),
      makeEvent({ time: at(3), decision: "denied", reason: "RATE_LIMITED: 10 per minute", success: false }),
      makeEvent({ time: at(4), success: false, error: "upstream failed" }),
      makeEvent({ time: at(5), blockId: crypto.randomUUID(), wouldBlock: true }),
    ];
    // More than two export batches, some sharing a time (the keyset must not skip or repeat a tie).
    bulk = Array.from({ length: EXPORT_BATCH * 2 + 17 }, (_, i) => makeEvent({ time: at(1_000 + Math.floor(i / 4)), serverSlug: "bulk", email: i === 7 ? '=SUM(1,2) "x"' : `u${i}@example.test` }));
    await db.insert(mcpEvents).values(events);
    for (let i = 0; i < bulk.length; i += 500) await db.insert(mcpEvents).values(bulk.slice(i, i + 500));
  });

  const ctx = async (role: "security" | "admin" | "member" = "security") => ({ db, actor: await makeUser(db, role) });
  const ids = (list: { id: string }[]) => list.map((e) => e.id);
  const text = async (stream: ReadableStream<Uint8Array>) => new Response(stream).text();

  it("filters by team, denial code, result and would-block", async () => {
    const sec = await ctx();
    const q = async (query: Parameters<typeof listEvents>[1]) => ids((await listEvents(sec, { ...window, limit: 200, server: undefined, ...query })).events).filter((id) => events.some((e) => e.id === id));
    expect(await q({ team })).toEqual([events[0]!.id]);
    expect(await q({ code: "POLICY_DENIED" })).toEqual([events[1]!.id]);
    expect(await q({ code: "RATE_LIMITED", decision: "denied" })).toEqual([events[2]!.id]);
    expect(await q({ code: "RATE_LIMITED", decision: "allowed" })).toEqual([]);
    expect(await q({ status: "error" })).toEqual([events[3]!.id, events[2]!.id, events[1]!.id]);
    expect(await q({ wouldBlock: "true" })).toEqual([events[4]!.id]);
    await expect(listEvents(sec, { code: "lower-case" })).rejects.toThrow();
  });

  it("exports a filtered view in keyset batches, every event exactly once, newest first", async () => {
    const result = exportEvents(await ctx("admin"), { ...window, server: "bulk" });
    const lines = (await text(result.stream)).split("\r\n");
    expect(lines.at(-1)).toBe("");
    expect(lines[0]).toBe(exportColumns("portcullis").join(","));
    const rows = lines.slice(1, -1);
    // One event's email holds a comma and quotes: its line is quoted, so split only the id column (the second).
    const exported = rows.map((line) => line.split(",")[1]);
    expect(exported).toHaveLength(bulk.length);
    expect(new Set(exported)).toEqual(new Set(ids(bulk)));
    const byTime = [...bulk].sort((a, b) => (a.time === b.time ? (a.id < b.id ? 1 : -1) : a.time < b.time ? 1 : -1));
    expect(exported).toEqual(ids(byTime));
    expect(rows.find((r) => r.includes(bulk[7]!.id))).toContain(`"'=SUM(1,2) ""x"""`);
    expect(result.range).toEqual({ from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString() });
  });

  it("cuts the download off when the database fails mid-export, and logs after how many rows, without the query's values", async () => {
    const admin = await ctx("admin");
    // The database fails from the second batch on (the connection dropped mid-export).
    let selects = 0;
    const failing = new Proxy(db, {
      get(target, key, receiver) {
        if (key === "select") {
          return (...args: unknown[]) => {
            selects += 1;
            if (selects > 1) throw Object.assign(new Error("Connection terminated unexpectedly\nparams: secret@example.test"), { code: "57P01" });
            return (target.select as (...a: unknown[]) => unknown)(...args);
          };
        }
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const logged: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((line: unknown) => void logged.push(String(line)));
    try {
      const result = exportEvents({ db: failing, actor: admin.actor }, { ...window, server: "bulk" });
      await expect(text(result.stream)).rejects.toThrow(/Connection terminated/);
    } finally {
      spy.mockRestore();
    }
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(`audit export failed after ${EXPORT_BATCH} rows`);
    expect(logged[0]).not.toContain("secret@example.test");
  });

  it("streams NDJSON with Cloudflare's field names, as a download", async () => {
    const response = exportResponse(exportEvents(await ctx(), { ...window, code: "POLICY_DENIED", format: "ndjson", profile: "cloudflare" }));
    expect(response.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
    expect(response.headers.get("content-disposition")).toMatch(/^attachment; filename="portcullis-audit-\d{8}T\d{4}-cloudflare\.ndjson"$/);
    const lines = (await response.text()).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([expect.objectContaining({ Datetime: events[1]!.time, Success: false, Error: "POLICY_DENIED: not in team", ToolCallName: "get_weather" })]);
  });

  it("bounds the export's range: to defaults to now, from to the retention before it", async () => {
    const now = new Date(base + 50_000_000);
    const result = exportEvents(await ctx(), { server: "github" }, now);
    expect(result.range.to).toBe(now.toISOString());
    expect(Date.parse(result.range.to) - Date.parse(result.range.from)).toBe(90 * 86_400_000);
    expect((await text(result.stream)).split("\r\n").filter(Boolean)).toHaveLength(2);
    expect(() => exportEvents({ db, actor: BOOTSTRAP_ACTOR }, { from: at(10), to: at(5) })).toThrow(ValidationError);
  });

  it("exports a member only their own calls, as the Audit shows them, and refuses a token without read scope", async () => {
    expect(() => exportEvents({ db, actor: BOOTSTRAP_ACTOR }, window)).not.toThrow();
    const member = await ctx("member");
    const mine = makeEvent({ time: at(7), userId: member.actor.userId, serverSlug: "github", tool: "search_code" });
    await db.insert(mcpEvents).values(mine);
    const lines = (await text(exportEvents(member, { ...window, format: "ndjson" }).stream)).trim().split("\n").map((l) => JSON.parse(l) as { id: string });
    expect(lines.map((l) => l.id)).toEqual([mine.id]);
    expect(() => exportEvents({ db, actor: { ...member.actor, scopes: ["write"] } }, window)).toThrow(ForbiddenError);
    expect(() => exportEvents({ db, actor: BOOTSTRAP_ACTOR }, { ...window, format: "xml" as "csv" })).toThrow();
  });

  it("saves, lists, replaces and deletes a person's views, each private to its owner", async () => {
    const alice = await ctx();
    const bob = await ctx("admin");
    const saved = await saveView(alice, { name: "Denials", query: "?decision=denied&cursor=abc&from=2030-01-01T00:00&tab=calls" });
    expect(saved).toMatchObject({ name: "Denials", query: "decision=denied&from=2030-01-01T00%3A00", href: "/audit?decision=denied&from=2030-01-01T00%3A00" });
    await saveView(alice, { name: "Github", query: "server=github" });
    const replaced = await saveView(alice, { name: "Denials", query: "decision=denied&code=POLICY_DENIED" });
    expect(replaced.id).toBe(saved.id);
    expect((await listSavedViews(alice)).views.map((v) => [v.name, v.query])).toEqual([
      ["Denials", "decision=denied&code=POLICY_DENIED"],
      ["Github", "server=github"],
    ]);
    expect((await listSavedViews(bob)).views).toEqual([]);
    await expect(deleteSavedView(bob, saved.id)).rejects.toThrow(NotFoundError);
    await deleteSavedView(alice, saved.id);
    expect((await listSavedViews(alice)).views.map((v) => v.name)).toEqual(["Github"]);
    await expect(deleteSavedView(alice, saved.id)).rejects.toThrow(NotFoundError);
  });

  it("refuses an invalid view, a nameless one, a token without read scope, and callers who are no person", async () => {
    const sec = await ctx();
    await expect(saveView(sec, { name: "Bad", query: "decision=maybe" })).rejects.toThrow(/query: decision/);
    await expect(saveView(sec, { name: " ", query: "" })).rejects.toThrow();
    // A member saves views of their own Audit (which shows only their calls).
    const member = await ctx("member");
    await saveView(member, { name: "Mine", query: "server=github" });
    expect((await listSavedViews(member)).views.map((v) => v.name)).toEqual(["Mine"]);
    await expect(listSavedViews({ db, actor: { ...member.actor, scopes: ["write"] } })).rejects.toThrow(ForbiddenError);
    await expect(saveView({ db, actor: BOOTSTRAP_ACTOR }, { name: "Boot", query: "" })).rejects.toThrow(ForbiddenError);
  });
});
