/**
 * The block-list rollout on the console side: entries that block now or log first, changing them,
 * who they would cut off (portal events and shadow traffic), notifying those people (console
 * notices and a real chat webhook receiver), the Gateway export per mode, and the routes.
 */
import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { auditLog, llmEvents, mcpEvents, shadowBlocks } from "@/db/schema";
import * as affectedRoute from "@/app/api/v1/shadow/blocklist/[id]/affected/route";
import * as notifyRoute from "@/app/api/v1/shadow/blocklist/[id]/notify/route";
import * as entryRoute from "@/app/api/v1/shadow/blocklist/[id]/route";
import { BOOTSTRAP_ACTOR, type Actor } from "@/lib/auth/actor";
import { draftBundle } from "@/lib/config/compile-bundle";
import type { Ctx } from "@/lib/context";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "@/lib/errors";
import { registerServer } from "@/lib/servers/register-server";
import { createTeam } from "@/lib/teams/create-team";
import { setMembership } from "@/lib/teams/set-membership";
import type { LlmEvent, PortalEvent } from "@core/events/schema";
import { makeEvent, makeLlmEvent } from "@/testing/events";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { makeToken, makeUser } from "@/testing/users";
import { startWebhookReceiver } from "@/testing/webhook-receiver";
import { blockImpact } from "./block-impact";
import { createBlock } from "./create-block";
import { deleteBlock } from "./delete-block";
import { exportGatewayPolicy } from "./export-gateway-policy";
import { ingestScanReport } from "./ingest-scan";
import { ingestTraffic } from "./ingest-traffic";
import { dismissBlockNotice, myBlockNotices } from "./my-notices";
import { draftNoticeMessage, notifyBlock } from "./notify-block";
import { getFinding, listBlocks } from "./queries";
import { defaultEnforceDate, enforceAtFromDate, formatEnforceDate, inHowLong, resolveRollout, rolloutStatus } from "./rollout";
import { BlockEntryOutput, BlockImpactOutput } from "./schemas";
import { updateBlock } from "./update-block";
import { updateFinding } from "./update-finding";

const NOW = new Date("2030-03-15T12:00:00.000Z");
const DAY = 86_400_000;
const later = (days: number) => new Date(NOW.getTime() + days * DAY).toISOString();
const uniq = () => Math.random().toString(36).slice(2, 8);

describe("rollout wording and dates", () => {
  it("resolves the mode and date asked for, keeping a logging entry's future date when none is given", () => {
    expect(resolveRollout("block", undefined, NOW)).toEqual({ mode: "block", enforceAt: null });
    expect(resolveRollout("log", undefined, NOW)).toEqual({ mode: "log", enforceAt: new Date(later(14)) });
    expect(resolveRollout("log", null, NOW)).toEqual({ mode: "log", enforceAt: null });
    expect(resolveRollout("log", later(3), NOW)).toEqual({ mode: "log", enforceAt: new Date(later(3)) });
    const logging = { mode: "log" as const, enforceAt: new Date(later(5)) };
    expect(resolveRollout("log", undefined, NOW, logging)).toEqual(logging);
    // A date that has passed is not kept: the entry blocks already, so "log" starts a new rollout.
    expect(resolveRollout("log", undefined, NOW, { mode: "log", enforceAt: new Date(later(-1)) }).enforceAt).toEqual(new Date(later(14)));
    expect(() => resolveRollout("log", NOW.toISOString(), NOW)).toThrow(ValidationError);
    expect(() => resolveRollout("log", later(-3), NOW)).toThrow(/must be in the future/);
  });

  it("reads a form's date as 00:00 UTC that day, empty as no date, and refuses what is not a date", () => {
    expect(enforceAtFromDate("2030-03-29")).toBe("2030-03-29T00:00:00.000Z");
    expect(enforceAtFromDate(" ")).toBeNull();
    expect(() => enforceAtFromDate("29/03/2030")).toThrow(ValidationError);
    expect(defaultEnforceDate(NOW)).toBe("2030-03-29");
  });

  it("words where an entry stands", () => {
    expect(rolloutStatus({ mode: "block", enforceAt: null }, NOW)).toEqual({ state: "blocking", ended: false, label: "Blocking" });
    expect(rolloutStatus({ mode: "log", enforceAt: "2030-03-29T00:00:00.000Z" }, NOW)).toEqual({ state: "logging", ended: false, label: "Logging — blocks on 29 Mar 2030 (in 14 days)" });
    expect(rolloutStatus({ mode: "log", enforceAt: null }, NOW).label).toBe("Logging — no date set: logs until changed");
    expect(rolloutStatus({ mode: "log", enforceAt: "2030-03-10T09:30:00.000Z" }, NOW)).toEqual({ state: "blocking", ended: true, label: "Blocking since 10 Mar 2030, 09:30 UTC (rollout ended)" });
    expect(formatEnforceDate(new Date("2030-12-20T00:00:00Z"))).toBe("20 Dec 2030");
    expect(inHowLong(new Date(NOW.getTime() + 5 * 3_600_000), NOW)).toBe("in 5 hours");
    expect(inHowLong(new Date(NOW.getTime() + 60_000), NOW)).toBe("in less than an hour");
    expect(inHowLong(new Date(later(1)), NOW)).toBe("in 1 day");
  });
});

/** A proxy log line of an MCP call the detector takes for MCP (headers, and a tools/call body). */
function callLine(url: string, user: string, ts: string): string {
  return JSON.stringify({
    ts,
    user,
    method: "POST",
    url,
    status: 200,
    request_headers: { "content-type": "application/json", "mcp-protocol-version": "2025-06-18", "mcp-session-id": "s-1" },
    request_body_prefix: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "search", arguments: {} } }),
    response_content_type: "text/event-stream",
  });
}

/** Stored as lib/audit/ingest-events.ts stores a delivered event (no `kind`, the time as UTC ISO). */
const mcpRow = (o: Partial<PortalEvent>) => {
  const { kind: _kind, ...row } = makeEvent(o);
  return row;
};
const llmRow = (o: Partial<LlmEvent>) => {
  const { kind: _kind, ...row } = makeLlmEvent(o);
  return row;
};

/** A chat webhook: the receiver answers 200 (as Slack's incoming webhooks do) unless told otherwise; its path stands for the secret part. */
async function startReceiver() {
  const receiver = await startWebhookReceiver("/services/T000/B000/secret-part");
  receiver.status = 200;
  return receiver;
}

describe.each(testDatabases())("block-list rollout on $name", (database) => {
  const { db } = useTestDatabase(database, { getDb: true });
  let security: Actor & { kind: "user"; userId: string; email: string };
  let member: Actor & { kind: "user"; userId: string };
  let viewer: Actor;
  const as = (actor: Actor): Ctx => ({ db, actor });

  beforeAll(async () => {
    security = (await makeUser(db, "security")) as typeof security;
    member = await makeUser(db, "member");
    viewer = await makeUser(db, "viewer");
  });

  async function route(handler: (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>, method: string, id: string, opts: { token: string; body?: unknown; query?: string }) {
    const res = await handler(
      new Request(`http://console.test/api/v1/shadow/blocklist/${id}${opts.query ?? ""}`, {
        method,
        headers: { authorization: `Bearer ${opts.token}`, ...(opts.body ? { "content-type": "application/json" } : {}) },
        body: opts.body ? JSON.stringify(opts.body) : undefined,
      }),
      { params: Promise.resolve({ id }) },
    );
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string; fields?: Record<string, string> } } };
  }

  it("adds entries that block now or log first, refusing a date in the past or without log mode, and compiles them into the bundle", async () => {
    const host = `r-${uniq()}.example`;
    const logging = await createBlock(as(security), { url: `https://${host}/mcp`, reason: "rollout", mode: "log" }, NOW);
    expect(BlockEntryOutput.parse(logging)).toEqual(logging);
    expect(logging).toMatchObject({ mode: "log", enforceAt: later(14), effectiveMode: "log", lastNotifiedAt: null });
    const dated = await createBlock(as(security), { url: `https://${host}/dated`, reason: "r", mode: "log", enforceAt: "2030-04-01T00:00:00Z" }, NOW);
    expect(dated.enforceAt).toBe("2030-04-01T00:00:00.000Z");
    const open = await createBlock(as(security), { url: `https://${host}/open`, reason: "r", mode: "log", enforceAt: null }, NOW);
    expect(open).toMatchObject({ mode: "log", enforceAt: null, effectiveMode: "log" });
    const now = await createBlock(as(security), { url: `https://${host}/now`, reason: "r" }, NOW);
    expect(now).toMatchObject({ mode: "block", enforceAt: null, effectiveMode: "block" });

    const past = createBlock(as(security), { url: `https://${host}/past`, reason: "r", mode: "log", enforceAt: later(-1) }, NOW);
    await expect(past).rejects.toBeInstanceOf(ValidationError);
    await expect(past).rejects.toMatchObject({ fieldErrors: { enforceAt: "must be in the future" } });
    await expect(createBlock(as(security), { url: `https://${host}/x`, reason: "r", mode: "block", enforceAt: later(3) }, NOW)).rejects.toBeInstanceOf(ZodError);
    // No mode is "block": a date alone is refused too, not silently dropped.
    await expect(createBlock(as(security), { url: `https://${host}/x`, reason: "r", enforceAt: later(3) }, NOW)).rejects.toBeInstanceOf(ZodError);
    await expect(createBlock(as(security), { url: `https://${host}/x`, reason: "r", mode: "later" }, NOW)).rejects.toBeInstanceOf(ZodError);
    expect((await db.select().from(shadowBlocks).where(eq(shadowBlocks.origin, `https://${host}`))).map((b) => b.pathPrefix).sort()).toEqual(["/dated", "/mcp", "/now", "/open"]);

    const bundle = await draftBundle(db, NOW);
    expect(bundle.shadow.blocklist).toContainEqual({ id: logging.id, origin: `https://${host}`, pathPrefix: "/mcp", reason: "rollout", mode: "log", enforceAt: later(14) });
    expect(bundle.shadow.blocklist).toContainEqual({ id: open.id, origin: `https://${host}`, pathPrefix: "/open", reason: "r", mode: "log" });
    expect(bundle.shadow.blocklist).toContainEqual({ id: now.id, origin: `https://${host}`, pathPrefix: "/now", reason: "r" });
    const [audit] = await db.select().from(auditLog).where(and(eq(auditLog.targetId, logging.id), eq(auditLog.action, "blocklist.add")));
    expect(audit!.details).toMatchObject({ mode: "log", enforceAt: later(14) });
    expect((await listBlocks(as(security), NOW)).find((b) => b.id === dated.id)).toMatchObject({ mode: "log", effectiveMode: "log" });
    // Past the date the same entry blocks, as the edge decides it.
    expect((await listBlocks(as(security), new Date("2030-04-01T00:00:00Z"))).find((b) => b.id === dated.id)).toMatchObject({ mode: "log", effectiveMode: "block" });
  });

  it("resolves a finding as blocked with a rollout, and keeps rollout fields for blocking", async () => {
    const url = `https://mcp-${uniq()}.triage.example/mcp`;
    const up = await ingestTraffic(as(security), { body: new Blob([`${callLine(url, "ann@acme.test", "2030-03-14T09:00:00Z")}\n`]).stream() });
    const id = up.findings[0]!.id;
    await expect(updateFinding(as(security), id, { state: "investigating", blockMode: "log" }, NOW)).rejects.toMatchObject({ fieldErrors: { blockMode: "only when blocking" } });
    await expect(updateFinding(as(security), id, { state: "resolved", resolution: "blocked", enforceAt: later(5) }, NOW)).rejects.toBeInstanceOf(ZodError);
    await expect(updateFinding(as(security), id, { state: "resolved", resolution: "blocked", blockMode: "log", enforceAt: later(-2) }, NOW)).rejects.toBeInstanceOf(ValidationError);
    expect((await getFinding(as(security), id)).block).toBeNull();
    const f = await updateFinding(as(security), id, { state: "resolved", resolution: "blocked", blockMode: "log", enforceAt: later(10) }, NOW);
    expect(f.block).toMatchObject({ mode: "log", enforceAt: later(10), findingId: id });
    expect(f.timeline.find((e) => e.kind === "blocked")!.details).toMatchObject({ mode: "log", enforceAt: later(10) });
    // "Blocked: change what is blocked" with another rollout changes the same entry (the edge's events name its id).
    const again = await updateFinding(as(security), id, { state: "resolved", resolution: "blocked", blockScope: "url", blockMode: "block" }, NOW);
    expect(again.block).toMatchObject({ id: f.block!.id, mode: "block", enforceAt: null });
    // Onto a target another entry holds: the finding's own entry gives way to it.
    const byHand = await createBlock(as(security), { url: new URL(url).origin, scope: "origin", reason: "whole host, by hand" }, NOW);
    const wide = await updateFinding(as(security), id, { state: "resolved", resolution: "blocked", blockScope: "origin", blockMode: "log" }, NOW);
    expect(wide.block).toBeNull();
    expect((await db.select().from(shadowBlocks).where(eq(shadowBlocks.origin, new URL(url).origin))).map((b) => [b.id, b.mode])).toEqual([[byHand.id, "block"]]);
    await deleteBlock(as(security), byHand.id);
    const f2 = await updateFinding(as(security), id, { state: "resolved", resolution: "blocked", blockScope: "url", blockMode: "log", enforceAt: later(10) }, NOW);
    // Its notice links the finding's own Adopt request (registering from it resolves the finding).
    const draft = await draftNoticeMessage(as(security), f2.block!.id, "https://console.acme.test", NOW);
    expect(draft).toContain(`https://console.acme.test/servers/new?name=${new URL(url).hostname}&`);
    expect(draft).toContain(`&finding=${id}`);
    expect(draft).toContain("From 25 Mar 2030, 12:00 UTC (in 10 days)");
  });

  it("changes an entry's rollout — block now, another date, back to log — audited and on its finding's timeline", async () => {
    const url = `https://mcp-${uniq()}.change.example/mcp`;
    const up = await ingestTraffic(as(security), { body: new Blob([`${callLine(url, "ann@acme.test", "2030-03-14T09:00:00Z")}\n`]).stream() });
    const findingId = up.findings[0]!.id;
    const entry = (await updateFinding(as(security), findingId, { state: "resolved", resolution: "blocked", blockMode: "log" }, NOW)).block!;
    expect(entry.enforceAt).toBe(later(14));

    expect(await updateBlock(as(security), entry.id, { mode: "block" }, NOW)).toMatchObject({ mode: "block", enforceAt: null, effectiveMode: "block" });
    // Back to log: a new rollout from now.
    expect(await updateBlock(as(security), entry.id, { mode: "log" }, NOW)).toMatchObject({ mode: "log", enforceAt: later(14) });
    // Extended; then "log" without a date keeps it, which changes nothing.
    expect(await updateBlock(as(security), entry.id, { mode: "log", enforceAt: later(30) }, NOW)).toMatchObject({ enforceAt: later(30) });
    await expect(updateBlock(as(security), entry.id, { mode: "log" }, NOW)).rejects.toBeInstanceOf(ConflictError);
    expect(await updateBlock(as(security), entry.id, { mode: "log", enforceAt: null }, NOW)).toMatchObject({ mode: "log", enforceAt: null });
    await expect(updateBlock(as(security), entry.id, { mode: "log", enforceAt: later(-1) }, NOW)).rejects.toMatchObject({ fieldErrors: { enforceAt: "must be in the future" } });
    await expect(updateBlock(as(security), entry.id, { mode: "block", enforceAt: later(2) }, NOW)).rejects.toBeInstanceOf(ZodError);
    await expect(updateBlock(as(security), entry.id, { enforceAt: later(2) }, NOW)).rejects.toBeInstanceOf(ZodError);

    const audits = await db.select().from(auditLog).where(and(eq(auditLog.targetId, entry.id), eq(auditLog.action, "blocklist.update")));
    expect(audits).toHaveLength(4);
    expect(audits.map((a) => (a.details as { to: { mode: string } }).to.mode)).toEqual(["block", "log", "log", "log"]);
    const rollouts = (await getFinding(as(security), findingId)).timeline.filter((e) => e.kind === "rollout");
    expect(rollouts.map((e) => e.details)).toContainEqual(expect.objectContaining({ from: { mode: "log", enforceAt: later(14) }, to: { mode: "block", enforceAt: null } }));
    expect(rollouts).toHaveLength(4);

    for (const actor of [viewer, member]) await expect(updateBlock(as(actor), entry.id, { mode: "block" }, NOW)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(updateBlock(as(security), crypto.randomUUID(), { mode: "block" }, NOW)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("PATCH /api/v1/shadow/blocklist/{id}: 200 with the rollout, 400 with the field, 404, 403, 409", async () => {
    const token = await makeToken(db, security.userId);
    const entry = await createBlock(as(security), { url: `https://patch-${uniq()}.example/mcp`, reason: "r" });
    const when = new Date(Date.now() + 20 * DAY).toISOString();
    const ok = await route(entryRoute.PATCH, "PATCH", entry.id, { token, body: { mode: "log", enforceAt: when } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ id: entry.id, mode: "log", enforceAt: when, effectiveMode: "log" });
    const past = await route(entryRoute.PATCH, "PATCH", entry.id, { token, body: { mode: "log", enforceAt: "2020-01-01T00:00:00Z" } });
    expect(past).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_ERROR", fields: { enforceAt: "must be in the future" } } } });
    const mixed = await route(entryRoute.PATCH, "PATCH", entry.id, { token, body: { mode: "block", enforceAt: when } });
    expect(mixed.status).toBe(400);
    expect(mixed.body.error!.message).toContain('enforceAt goes with mode "log"');
    expect((await route(entryRoute.PATCH, "PATCH", entry.id, { token, body: { mode: "log", enforceAt: when } })).status).toBe(409);
    expect((await route(entryRoute.PATCH, "PATCH", crypto.randomUUID(), { token, body: { mode: "block" } })).status).toBe(404);
    expect((await route(entryRoute.PATCH, "PATCH", entry.id, { token: await makeToken(db, member.userId), body: { mode: "block" } })).status).toBe(403);
    expect((await db.select().from(shadowBlocks).where(eq(shadowBlocks.id, entry.id)))[0]).toMatchObject({ mode: "log", enforceAt: new Date(when) });
  });

  it("registers a server under a logging entry (teams may request it before the block) but not under a blocking one", async () => {
    const host = `reg-${uniq()}.example`;
    await createBlock(as(security), { url: `https://${host}/log`, reason: "r", mode: "log" });
    await createBlock(as(security), { url: `https://${host}/block`, reason: "r" });
    const discover = async (): Promise<never> => {
      throw new Error("discovery reached");
    };
    const reg = (path: string) => registerServer(as(member), { name: "S", slug: `s-${uniq()}`, url: `https://${host}${path}`, justification: "needed" }, discover as never);
    await expect(reg("/log")).rejects.toThrow("discovery reached");
    await expect(reg("/block")).rejects.toBeInstanceOf(ConflictError);
  });

  describe("who would be cut off, and notifying them", () => {
    const host = `cut-${uniq()}.example`;
    const url = `https://${host}/mcp`;
    let entryId = "";
    let otherEntryId = "";
    let teamId = "";
    let dana: Actor & { kind: "user"; userId: string };
    let outsider: Actor & { kind: "user"; userId: string };

    beforeAll(async () => {
      dana = await makeUser(db, "member", `dana-${host}@acme.test`);
      outsider = await makeUser(db, "member", `outsider-${host}@acme.test`);
      const team = await createTeam(as(BOOTSTRAP_ACTOR), { slug: `t-${uniq()}`, name: `Data ${host}` });
      teamId = team.id;
      await setMembership(as(BOOTSTRAP_ACTOR), team.id, dana.userId, {});
      // Shadow traffic: dana twice (two days), erik once, and a line naming nobody; another path on the host (not covered).
      const lines = [
        callLine(url, dana.email, "2030-03-10T09:00:00Z"),
        callLine(url, dana.email, "2030-03-14T09:00:00Z"),
        callLine(`${url}/v2`, `erik-${host}@acme.test`, "2030-03-14T10:00:00Z"),
        callLine(url, "", "2030-03-14T11:00:00Z"),
        // Older than 14 days: only a longer window counts it.
        callLine(url, `old-${host}@acme.test`, "2030-02-20T09:00:00Z"),
        callLine(`https://${host}/elsewhere`, `fay-${host}@acme.test`, "2030-03-14T12:00:00Z"),
      ];
      await ingestTraffic(as(security), { body: new Blob([`${lines.join("\n")}\n`]).stream() });
      await ingestScanReport(as(member), {
        device: { name: "laptop-1", os: "linux", user: "dana" },
        scannedAt: NOW.toISOString(),
        files: [{ client: "cursor", path: "/home/dana/.cursor/mcp.json", found: 1 }],
        servers: [{ client: "cursor", configPath: "/home/dana/.cursor/mcp.json", name: "cut", transport: "http", url, envNames: [], headerNames: [], redactions: [] }],
        redactionReport: { envValues: 0, headerValues: 0, args: 0, urlParts: 0 },
      });
      const entry = await createBlock(as(security), { url, reason: "Exfiltration risk", mode: "log", enforceAt: later(14) }, NOW);
      entryId = entry.id;
      otherEntryId = (await createBlock(as(security), { url: `https://other-${host}/mcp`, reason: "other" }, NOW)).id;

      const at = (daysAgo: number, hour = 9) => new Date(NOW.getTime() - daysAgo * DAY + (hour - 12) * 3_600_000).toISOString();
      await db.insert(mcpEvents).values([
        mcpRow({ time: at(1), email: dana.email.toUpperCase(), userId: dana.userId, teamId, clientName: "claude-code", blockId: entryId, wouldBlock: true, serverUrl: url }),
        mcpRow({ time: at(1, 10), email: dana.email, userId: dana.userId, teamId, clientName: "claude-code", blockId: entryId, wouldBlock: true, serverUrl: url }),
        mcpRow({ time: at(0), email: dana.email, userId: dana.userId, teamId, clientName: "cursor", blockId: entryId, wouldBlock: true, serverUrl: url }),
        mcpRow({ time: at(0), email: `bob-${host}@acme.test`, clientName: "cursor", blockId: entryId, wouldBlock: false, decision: "denied", success: false, serverUrl: url }),
        // Out of the window, another entry's, and no entry at all: not counted.
        mcpRow({ time: at(20), email: dana.email, clientName: "claude-code", blockId: entryId, wouldBlock: true }),
        mcpRow({ time: at(0), email: dana.email, clientName: "claude-code", blockId: otherEntryId, wouldBlock: false }),
        mcpRow({ time: at(0), email: dana.email, clientName: "claude-code" }),
      ]);
      await db.insert(llmEvents).values([
        llmRow({ time: at(2), email: dana.email, userId: dana.userId, teamIds: [teamId], providerSlug: "openai", blockId: entryId, wouldBlock: true }),
        llmRow({ time: at(2), email: null, userId: outsider.userId, providerSlug: "openai", blockId: entryId, wouldBlock: false, decision: "denied", success: false }),
      ]);
    });

    it("counts the calls through the portal the edge marked with the entry: users, teams, clients and days, would-block vs refused", async () => {
      const impact = await blockImpact(as(security), entryId, {}, NOW);
      expect(BlockImpactOutput.parse(impact)).toEqual(impact);
      expect(impact.window).toEqual({ from: "2030-03-02T00:00:00.000Z", to: NOW.toISOString(), days: 14 });
      expect(impact.portal).toMatchObject({ calls: 6, wouldBlock: 4, blocked: 2 });
      expect(impact.portal.users[0]).toMatchObject({ user: dana.email, calls: 4, wouldBlock: 4, blocked: 0 });
      expect(impact.portal.users.slice(1).map((u) => [u.user, u.calls, u.wouldBlock, u.blocked]).sort()).toEqual(
        [
          [`bob-${host}@acme.test`, 1, 0, 1],
          // An LLM call with no e-mail names its user by id.
          [outsider.userId, 1, 0, 1],
        ].sort(),
      );
      expect(impact.portal.users[0]).toMatchObject({ userId: dana.userId, lastSeen: expect.stringMatching(/^2030-03-15T/) });
      expect(impact.portal.teams).toEqual([{ teamId, team: `Data ${host}`, calls: 4, wouldBlock: 4, blocked: 0 }]);
      expect(impact.portal.clients.map((c) => [c.client, c.calls, c.wouldBlock, c.blocked])).toEqual([
        ["claude-code", 2, 2, 0],
        ["cursor", 2, 1, 1],
        ["LLM gateway: openai", 2, 1, 1],
      ]);
      expect(impact.portal.perDay).toHaveLength(14);
      expect(impact.portal.perDay.filter((d) => d.wouldBlock + d.blocked > 0)).toEqual([
        { day: "2030-03-13", wouldBlock: 1, blocked: 1 },
        { day: "2030-03-14", wouldBlock: 2, blocked: 0 },
        { day: "2030-03-15", wouldBlock: 1, blocked: 1 },
      ]);
      // A 30-day window takes in the older call.
      expect((await blockImpact(as(security), entryId, { days: 30 }, NOW)).portal).toMatchObject({ calls: 7, wouldBlock: 5 });
      await expect(blockImpact(as(security), entryId, { days: 0 }, NOW)).rejects.toBeInstanceOf(ZodError);
      await expect(blockImpact(as(member), entryId, {}, NOW)).rejects.toBeInstanceOf(ForbiddenError);
      await expect(blockImpact(as(security), crypto.randomUUID(), {}, NOW)).rejects.toBeInstanceOf(NotFoundError);
    });

    it("adds the shadow traffic seen to the servers the entry covers, and everyone with an address to notify", async () => {
      const impact = await blockImpact(as(security), entryId, {}, NOW);
      expect(impact.traffic.findings.map((f) => f.url).sort()).toEqual([url, `${url}/v2`]);
      expect(impact.traffic.requests).toBe(4);
      expect(impact.traffic.users).toEqual([
        { user: dana.email, requests: 2, lastDay: "2030-03-14" },
        { user: `erik-${host}@acme.test`, requests: 1, lastDay: "2030-03-14" },
      ]);
      expect(impact.traffic.teams).toEqual([{ teamId, team: `Data ${host}`, requests: 2 }]);
      expect(impact.traffic.clients).toEqual([{ client: "cursor", configs: 1 }]);
      expect(impact.traffic.perDay.filter((d) => d.requests > 0)).toEqual([
        { day: "2030-03-10", requests: 1 },
        { day: "2030-03-14", requests: 3 },
      ]);
      expect(impact.people).toEqual([
        { email: dana.email, userId: dana.userId, portalCalls: 4, trafficRequests: 2 },
        { email: `bob-${host}@acme.test`, userId: null, portalCalls: 1, trafficRequests: 0 },
        { email: `erik-${host}@acme.test`, userId: null, portalCalls: 0, trafficRequests: 1 },
      ]);
      expect((await blockImpact(as(security), entryId, { days: 60 }, NOW)).traffic.users.map((u) => u.user)).toContain(`old-${host}@acme.test`);
      // An entry nobody used: empty, with every day of the window.
      const quiet = await blockImpact(as(security), otherEntryId, {}, NOW);
      expect(quiet.traffic).toMatchObject({ findings: [], requests: 0, users: [] });
      expect(quiet.portal).toMatchObject({ calls: 1, wouldBlock: 0, blocked: 1 });
      expect(quiet.traffic.perDay).toHaveLength(14);
    });

    it("GET /api/v1/shadow/blocklist/{id}/affected answers the same, 400 on a bad window, 403 for a member", async () => {
      const token = await makeToken(db, security.userId);
      const res = await route(affectedRoute.GET, "GET", entryId, { token, query: "/affected?days=90" });
      expect(res.status).toBe(200);
      expect(BlockImpactOutput.parse(res.body).entry.id).toBe(entryId);
      expect((await route(affectedRoute.GET, "GET", entryId, { token, query: "/affected?days=91" })).status).toBe(400);
      expect((await route(affectedRoute.GET, "GET", entryId, { token, query: "/affected?from=x" })).status).toBe(400);
      expect((await route(affectedRoute.GET, "GET", entryId, { token: await makeToken(db, member.userId), query: "/affected" })).status).toBe(403);
    });

    it("notifies them: the chat webhook receives the message, each affected person sees it on their Overview until they dismiss it", async () => {
      const receiver = await startReceiver();
      try {
        const { notice, recipients } = await notifyBlock(as(security), entryId, { webhookUrl: receiver.url }, { consoleOrigin: "https://console.acme.test", now: NOW });
        expect(recipients).toEqual([dana.email, `bob-${host}@acme.test`, `erik-${host}@acme.test`]);
        expect(receiver.received).toHaveLength(1);
        const sent = receiver.received[0]!;
        expect(sent.contentType).toBe("application/json");
        expect(sent.userAgent).toBe("portcullis-block-notices");
        const text = (sent.body as { text: string }).text;
        expect(Object.keys(sent.body as object)).toEqual(["text"]);
        expect(text).toBe(notice.message);
        expect(text).toContain(`${url} (and every path under it)`);
        expect(text).toContain("From 29 Mar 2030, 12:00 UTC (in 14 days)");
        expect(text).toContain("Why: Exfiltration risk");
        // The prefilled request for the entry's URL (added by hand: no finding to link), on the console's own origin.
        const link = new URL(text.match(/https:\/\/console\.acme\.test\/servers\/new\?\S+/)![0]);
        expect(Object.fromEntries(link.searchParams)).toEqual({ name: host, slug: host.split(".")[0], url, justification: `Needed before the block-list entry for ${url} blocks it (Exfiltration risk).` });
        expect(notice).toMatchObject({ recipients: 3, webhookOrigin: new URL(receiver.url).origin, webhookStatus: "sent", createdBy: security.email });

        // The audit row names the webhook's origin only: its path is the secret.
        const [audit] = await db.select().from(auditLog).where(and(eq(auditLog.targetId, entryId), eq(auditLog.action, "blocklist.notify")));
        expect(audit!.details).toMatchObject({ recipients: 3, webhook: new URL(receiver.url).origin, webhookStatus: "sent", days: 14 });
        expect(JSON.stringify(audit!.details)).not.toContain("secret-part");
        expect((await listBlocks(as(security), NOW)).find((b) => b.id === entryId)!.lastNotifiedAt).toBe(NOW.toISOString());
        expect((await blockImpact(as(security), entryId, {}, NOW)).notices.map((n) => n.id)).toEqual([notice.id]);

        // Shown to dana (matched by address, whatever its case), not to someone it did not cover.
        const mine = await myBlockNotices(as(dana), NOW);
        expect(mine).toEqual([{ id: notice.id, message: notice.message, target: url, status: rolloutStatus({ mode: "log", enforceAt: later(14) }, NOW), sentBy: security.email, sentAt: NOW.toISOString() }]);
        expect(await myBlockNotices(as(outsider), NOW)).toEqual([]);
        expect(await myBlockNotices(as(security), NOW)).toEqual([]);
        await expect(dismissBlockNotice(as(outsider), notice.id)).rejects.toBeInstanceOf(NotFoundError);
        await dismissBlockNotice(as(dana), notice.id);
        expect(await myBlockNotices(as(dana), NOW)).toEqual([]);

        // A webhook that fails is recorded as failed; the console notice still goes out, with the message as written.
        receiver.status = 500;
        // (A textarea's CRLF line breaks arrive as LF.)
        const second = await notifyBlock(as(security), entryId, { message: "Please request it\r\nby Friday.", webhookUrl: receiver.url }, { consoleOrigin: "https://console.acme.test", now: new Date(NOW.getTime() + 60_000) });
        expect(second.notice).toMatchObject({ message: "Please request it\nby Friday.", webhookStatus: "failed: HTTP 500" });
        expect((receiver.received[1]!.body as { text: string }).text).toBe("Please request it\nby Friday.");
        expect((await myBlockNotices(as(dana), NOW)).map((n) => n.message)).toEqual(["Please request it\nby Friday."]);
        // A reminder replaces it on the Overview (one notice per entry); dismissing it dismisses both.
        const third = await notifyBlock(as(security), entryId, { message: "Reminder: one week left." }, { consoleOrigin: "https://console.acme.test", now: new Date(NOW.getTime() + 120_000) });
        expect((await myBlockNotices(as(dana), NOW)).map((n) => n.message)).toEqual(["Reminder: one week left."]);
        await dismissBlockNotice(as(dana), third.notice.id);
        expect(await myBlockNotices(as(dana), NOW)).toEqual([]);
      } finally {
        await receiver.close();
      }
    });

    it("refuses to notify nobody, a bad webhook URL, and callers who may not triage", async () => {
      const nobody = (await createBlock(as(security), { url: `https://nobody-${host}/mcp`, reason: "r", mode: "log" }, NOW)).id;
      await expect(notifyBlock(as(security), nobody, {}, { consoleOrigin: "https://c.test", now: NOW })).rejects.toMatchObject({ fieldErrors: { webhookUrl: expect.any(String) } });
      await expect(notifyBlock(as(security), entryId, { webhookUrl: "http://hooks.example.com/x" }, { consoleOrigin: "https://c.test", now: NOW })).rejects.toBeInstanceOf(ZodError);
      await expect(notifyBlock(as(security), entryId, { message: " " }, { consoleOrigin: "https://c.test", now: NOW })).rejects.toBeInstanceOf(ZodError);
      await expect(notifyBlock(as(viewer), entryId, {}, { consoleOrigin: "https://c.test", now: NOW })).rejects.toBeInstanceOf(ForbiddenError);
      await expect(dismissBlockNotice(as(dana), "not-an-id")).rejects.toBeInstanceOf(NotFoundError);
    });

    it("POST /api/v1/shadow/blocklist/{id}/notify sends the standard message; a notice goes when its entry does", async () => {
      process.env.AUTH_URL ??= "http://console.test";
      const token = await makeToken(db, security.userId);
      const res = await route(notifyRoute.POST, "POST", entryId, { token, query: "/notify", body: {} });
      expect(res.status).toBe(201);
      const notice = (res.body as { notice: { id: string; message: string; webhookStatus: string | null } }).notice;
      expect(notice.webhookStatus).toBeNull();
      expect(notice.message).toContain(`${new URL(process.env.AUTH_URL).origin}/servers/new?`);
      expect((res.body as { recipients: string[] }).recipients).toContain(dana.email);
      expect((await myBlockNotices(as(dana), NOW)).map((n) => n.id)).toContain(notice.id);
      expect((await route(notifyRoute.POST, "POST", entryId, { token: await makeToken(db, member.userId), query: "/notify", body: {} })).status).toBe(403);

      await deleteBlock(as(security), entryId);
      expect(await myBlockNotices(as(dana), NOW)).toEqual([]);
    });
  });

  it("exports a block rule and a log rule by each entry's mode, and only the block rule once the rollout has ended", async () => {
    const logged = await createBlock(as(security), { url: `https://gw-log-${uniq()}.example/mcp`, reason: "r", mode: "log", enforceAt: "2030-03-29T00:00:00Z" }, NOW);
    const blocked = await createBlock(as(security), { url: `https://gw-block-${uniq()}.example/mcp`, reason: "r" }, NOW);
    const host = (e: { origin: string }) => new URL(e.origin).hostname;
    const { rules } = await exportGatewayPolicy(as(security), NOW);
    expect(rules.map((r) => [r.name, r.action])).toEqual([
      ["Portcullis: block shadow MCP servers", "block"],
      ["Portcullis: log shadow MCP servers (would block)", "allow"],
    ]);
    const [block, log] = rules as [(typeof rules)[number], (typeof rules)[number]];
    expect(block.traffic).toContain(host(blocked));
    expect(block.traffic).not.toContain(host(logged));
    expect(log.traffic).toMatch(new RegExp(`^\\(.*${host(logged).replace(/\./g, "\\.")}.*\\) and not \\(`));
    expect(log.description).toContain(`${logged.origin}/mcp: switch to block on 2030-03-29`);
    expect(log.description).toContain("Gateway cannot switch by itself");
    // On the date the logging entry blocks, in the export as at the edge.
    const after = (await exportGatewayPolicy(as(security), new Date("2030-03-29T00:00:00Z"))).rules;
    expect(after.find((r) => r.action === "block")!.traffic).toContain(host(logged));
    // The log rule (there are other logging entries) no longer logs it; it may name it only in what it leaves out.
    expect((after.find((r) => r.action === "allow")?.traffic ?? "").split(" and not (")[0]).not.toContain(host(logged));
  });
});
