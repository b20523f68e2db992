import { beforeAll, describe, expect, it } from "vitest";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { mcpEvents } from "@/db/schema";
import { ForbiddenError, ValidationError } from "@/lib/errors";
import { makeUser } from "@/testing/users";
import { BOOTSTRAP_ACTOR } from "@/lib/auth/actor";
import { createTeam } from "@/lib/teams/create-team";
import { setMembership } from "@/lib/teams/set-membership";
import { encodeCursor, listEvents } from "./list-events";
import type { PortalEvent } from "@core/events/schema";
import { makeEvent } from "@/testing/events";
import { generateEdgeSecret, parseEdgeSecrets, signEventBody } from "@core/edge/secret";
import { ingestEvents } from "./ingest-events";

describe.each(testDatabases())("audit event queries on $name", (database) => {
  const { db } = useTestDatabase(database);
  const alice = crypto.randomUUID();
  const base = Date.parse("2030-01-01T12:00:00.000Z");
  const at = (seconds: number) => new Date(base + seconds * 1000).toISOString();
  let events: PortalEvent[];

  beforeAll(async () => {
    // Ten events share one time, to prove paging is stable under ties.
    const tie = Array.from({ length: 10 }, () => makeEvent({ time: at(5), serverSlug: "tie", email: "tie@example.test" }));
    events = [
      makeEvent({ time: at(1), userId: alice, email: "Alice@Example.test", serverSlug: "weather", tool: "get_weather" }),
      makeEvent({ time: at(2), email: "bob@example.test", serverSlug: "github", tool: "create_issue", decision: "denied", reason: "not in team", success: false }),
      makeEvent({ time: at(3), email: "carol@example.test", serverSlug: "docs", tool: null, method: "prompts/get", prompt: "summarise" }),
      makeEvent({ time: at(4), email: "100%_real@example.test", serverSlug: "docs", tool: null, method: "resources/read", resourceUri: "file:///readme.md" }),
      ...tie,
    ];
    await db.insert(mcpEvents).values(events);
  });

  const ctx = async (role: "security" | "admin" | "member" = "security") => ({ db, actor: await makeUser(db, role) });
  const ids = (list: { id: string }[]) => list.map((e) => e.id);

  it("lists newest first with every field, and is refused to members", async () => {
    const { events: page, nextCursor } = await listEvents(await ctx(), { to: at(5), limit: 200 });
    expect(page.map((e) => e.time)).toEqual([at(4), at(3), at(2), at(1)]);
    expect(nextCursor).toBeNull();
    expect(page[2]).toMatchObject({ ...events[1], receivedAt: expect.any(String) });
    // A member with no events of their own sees none of these; a token without read scope is refused.
    const member = await ctx("member");
    expect(await listEvents(member, { to: at(5), limit: 200 })).toEqual({ events: [], nextCursor: null, scope: "own" });
    await expect(listEvents({ db, actor: { ...member.actor, scopes: ["write"] } })).rejects.toThrow(ForbiddenError);
    expect((await listEvents(await ctx("admin"), { limit: 1 })).events).toHaveLength(1);
  });

  it("shows anyone without audit.read their own calls and those of the teams they lead — whatever they filter by", async () => {
    const lead = await makeUser(db, "member");
    const member = await makeUser(db, "member");
    const led = await createTeam({ db, actor: BOOTSTRAP_ACTOR }, { slug: `led-${crypto.randomUUID().slice(0, 6)}`, name: "Led" });
    const other = await createTeam({ db, actor: BOOTSTRAP_ACTOR }, { slug: `other-${crypto.randomUUID().slice(0, 6)}`, name: "Other" });
    await setMembership({ db, actor: BOOTSTRAP_ACTOR }, led.id, lead.userId, { role: "lead" });
    await setMembership({ db, actor: BOOTSTRAP_ACTOR }, led.id, member.userId, { role: "member" });
    await setMembership({ db, actor: BOOTSTRAP_ACTOR }, other.id, lead.userId, { role: "member" });
    const mine = makeEvent({ time: at(200), userId: lead.userId, teamId: other.id });
    const teamMate = makeEvent({ time: at(201), userId: member.userId, teamId: led.id });
    const otherTeam = makeEvent({ time: at(202), userId: crypto.randomUUID(), teamId: other.id });
    const noTeam = makeEvent({ time: at(203), userId: crypto.randomUUID(), teamId: null });
    await db.insert(mcpEvents).values([mine, teamMate, otherTeam, noTeam]);
    const q = async (actor: typeof lead, query: Parameters<typeof listEvents>[1] = {}) => listEvents({ db, actor }, { from: at(200), to: at(300), ...query });

    const asLead = await q(lead);
    expect(asLead.scope).toBe("own-and-teams");
    expect(ids(asLead.events)).toEqual([teamMate.id, mine.id]);
    // Filters narrow within the scope, never widen it.
    expect(ids((await q(lead, { user: otherTeam.userId! })).events)).toEqual([]);
    expect(ids((await q(lead, { user: member.userId })).events)).toEqual([teamMate.id]);
    // A team member who leads nothing: only their own.
    const asMember = await q(member);
    expect(asMember.scope).toBe("own");
    expect(ids(asMember.events)).toEqual([teamMate.id]);
    // Security: all four.
    expect(ids((await q((await ctx()).actor as typeof lead)).events)).toEqual([noTeam.id, otherTeam.id, teamMate.id, mine.id]);
  });

  it("filters Code Mode: its calls, and the tool calls one execute made", async () => {
    const sec = await ctx();
    const execute = makeEvent({ time: at(100), serverSlug: null, tool: "execute", via: "codemode" });
    const inner = [makeEvent({ time: at(101), tool: "get_weather", via: "codemode", parentId: execute.id }), makeEvent({ time: at(102), tool: "create_issue", via: "codemode", parentId: execute.id })];
    const other = makeEvent({ time: at(103), tool: "get_weather" });
    await db.insert(mcpEvents).values([execute, ...inner, other]);
    const q = async (query: Parameters<typeof listEvents>[1]) => ids((await listEvents(sec, { from: at(100), ...query })).events);
    expect(await q({ via: "codemode" })).toEqual([inner[1]!.id, inner[0]!.id, execute.id]);
    expect(await q({ parent: execute.id })).toEqual([inner[1]!.id, inner[0]!.id]);
    expect((await listEvents(sec, { parent: execute.id })).events[0]).toMatchObject({ via: "codemode", parentId: execute.id });
    await expect(listEvents(sec, { via: "other" as "codemode" })).rejects.toThrow();
  });

  it("filters by user (email substring, case-insensitive, or user id), server, tool, decision, method and time", async () => {
    const sec = await ctx();
    const q = async (query: Parameters<typeof listEvents>[1]) => ids((await listEvents(sec, { to: at(5), ...query })).events);
    expect(await q({ user: "alice@EXAMPLE" })).toEqual([events[0]!.id]);
    expect(await q({ user: alice })).toEqual([events[0]!.id]);
    // LIKE wildcards in the filter are taken literally.
    expect(await q({ user: "100%_" })).toEqual([events[3]!.id]);
    expect(await q({ user: "%" })).toEqual([events[3]!.id]);
    expect(await q({ server: "docs" })).toEqual([events[3]!.id, events[2]!.id]);
    expect(await q({ tool: "create_issue" })).toEqual([events[1]!.id]);
    expect(await q({ tool: "summarise" })).toEqual([events[2]!.id]);
    expect(await q({ tool: "file:///readme.md" })).toEqual([events[3]!.id]);
    expect(await q({ decision: "denied" })).toEqual([events[1]!.id]);
    expect(await q({ method: "prompts/get" })).toEqual([events[2]!.id]);
    expect(await q({ from: at(2), to: at(4) })).toEqual([events[2]!.id, events[1]!.id]);
    expect(await q({ from: new Date(base + 2000).toISOString().replace("Z", "+00:00") })).toHaveLength(3);
    expect(await q({ server: "docs", method: "tools/call" })).toEqual([]);
  });

  it("pages with a cursor through rows that share a time, each row exactly once", async () => {
    const sec = await ctx();
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listEvents(sec, { server: "tie", limit: 3, cursor });
      seen.push(...ids(page.events));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(4);
    expect(seen).toHaveLength(10);
    expect(new Set(seen)).toEqual(new Set(ids(events.slice(4))));
    // Same-time rows come in a stable (id descending) order.
    expect(seen).toEqual([...seen].sort().reverse());
    // Paging across the tie into older rows.
    const first = await listEvents(sec, { limit: 9 });
    const second = await listEvents(sec, { limit: 200, cursor: first.nextCursor! });
    expect([...ids(first.events), ...ids(second.events)]).toEqual(ids((await listEvents(sec, { limit: 200 })).events));
    expect(second.events.slice(-4).map((e) => e.time)).toEqual([at(4), at(3), at(2), at(1)]);
  });

  it("pages through every event exactly once while new events arrive, unfiltered and by user", async () => {
    const sec = await ctx();
    const secrets = await parseEdgeSecrets(generateEdgeSecret());
    const deliver = async (batch: PortalEvent[]) => {
      const body = JSON.stringify({ events: batch });
      await ingestEvents(db, { body, signature: await signEventBody(body, secrets), secrets });
    };
    const bob = crypto.randomUUID();
    const start = Date.parse("2034-01-01T00:00:00.000Z");
    const span = 3 * 86_400_000;
    let n = 0;
    // Over three days (three partitions), many sharing a time with another.
    const timeAt = (i: number) => new Date(start + ((i * 7_919_000) % span) + (i % 3)).toISOString();
    const make = (time: string) => makeEvent({ time, userId: n++ % 2 ? bob : alice });
    const stored = Array.from({ length: 150 }, (_, i) => make(timeAt(Math.floor(i / 2))));
    await deliver(stored);
    const window = { from: new Date(start).toISOString(), to: new Date(start + span).toISOString() };

    for (const filter of [{}, { user: bob }]) {
      const expected = stored.filter((e) => e.time >= window.from && e.time < window.to && (!("user" in filter) || e.userId === bob));
      const seen: string[] = [];
      const above = new Set<string>();
      const below = new Set<string>();
      let cursor: string | undefined;
      for (let pages = 0; pages < 100; pages++) {
        const page = await listEvents(sec, { ...window, ...filter, limit: 7, cursor });
        seen.push(...ids(page.events));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
        // While the reader pages: newer events arrive (above the cursor), and late ones of the window (some below it).
        const last = page.events.at(-1)!;
        const arrivals = [make(new Date(start + span - 1 - pages).toISOString()), make(new Date(Date.parse(last.time) - 1).toISOString()), make(last.time)];
        await deliver(arrivals);
        stored.push(...arrivals);
        for (const e of arrivals) {
          if (e.time < window.from || ("user" in filter && e.userId !== bob)) continue;
          (e.time < last.time || (e.time === last.time && e.id < last.id) ? below : above).add(e.id);
        }
      }
      expect(above.size).toBeGreaterThan(0);
      expect(below.size).toBeGreaterThan(0);
      expect(new Set(seen).size, JSON.stringify(filter)).toBe(seen.length);
      expect(seen, JSON.stringify(filter)).toEqual(expect.arrayContaining(ids(expected)));
      expect(seen.filter((id) => above.has(id))).toEqual([]);
      expect(seen.filter((id) => below.has(id)).sort()).toEqual([...below].sort());
      expect(seen).toHaveLength(expected.length + below.size);
    }
  });

  it("refuses a cursor it did not make, and out-of-range limits", async () => {
    const sec = await ctx();
    await expect(listEvents(sec, { cursor: "bm90LWEtY3Vyc29y" })).rejects.toThrow(ValidationError);
    await expect(listEvents(sec, { cursor: encodeCursor("yesterday", crypto.randomUUID()) })).rejects.toThrow(ValidationError);
    await expect(listEvents(sec, { limit: 0 })).rejects.toThrow();
    await expect(listEvents(sec, { limit: 201 })).rejects.toThrow();
  });
});
