import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { auditLog, servers, serverTools } from "@/db/schema";
import { ConflictError, ForbiddenError, ValidationError } from "../errors";
import { makeUser } from "@/testing/users";
import { approveServer } from "./approve-server";
import { getServerDetail, getSnapshotDiff, listServers } from "./queries";
import { registerServer } from "./register-server";
import { rejectServer } from "./reject-server";
import { syncServer } from "./sync-server";
import { syncApprovedServers } from "./sync-approved-servers";

const uniq = () => Math.random().toString(36).slice(2, 8);

describe.each(testDatabases())("the server registry on $name", (database) => {
  const { db } = useTestDatabase(database);
  let upstream: Awaited<ReturnType<typeof startMutableServer>>;
  let guarded: Awaited<ReturnType<typeof startMutableServer>>;

  beforeAll(async () => {
    [upstream, guarded] = await Promise.all([startMutableServer({ port: 0 }), startMutableServer({ port: 0, bearer: "upstream-secret-xyz" })]);
  });
  afterAll(async () => {
    await Promise.all([upstream.close(), guarded.close()]);
  });
  beforeEach(() => upstream.mutate("reset"));

  const request = async (actor: Awaited<ReturnType<typeof makeUser>>, extra: Record<string, unknown> = {}) =>
    registerServer({ db, actor }, { name: "Weather", slug: `weather-${uniq()}`, url: upstream.url, justification: "forecasts for the ops team", ...extra });
  /** A server a new member requested and a new approver approved, as it was registered. */
  const requestApproved = async (extra: Record<string, unknown> = {}) => {
    const member = await makeUser(db, "member");
    const approver = await makeUser(db, "approver");
    const server = await request(member, extra);
    await approveServer({ db, actor: approver }, server.id, { reason: "ok" });
    return { member, approver, server };
  };

  it("registers after discovery: pending review, every tool disabled, hashed, priced and scanned", async () => {
    const member = await makeUser(db, "member");
    const server = await request(member);
    expect(server.status).toBe("pending_review");
    expect(server.transport).toBe("streamable-http");
    expect(server.requestedBy?.email).toBe(member.email);
    expect(server.tools!.map((t) => [t.name, t.state])).toEqual([
      ["delete_station", "disabled"],
      ["get_weather", "disabled"],
      ["list_forecasts", "disabled"],
    ]);
    for (const t of server.tools!) {
      expect(t.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(t.tokens.json).toBeGreaterThan(t.tokens.typescript / 4);
    }
    expect(server.tokens.json).toBeGreaterThan(0);
    const detail = await getServerDetail({ db, actor: member }, server.id);
    expect(detail.timeline.map((e) => e.kind)).toEqual(["discovered", "requested"]);
    const [audit] = await db.select().from(auditLog).where(eq(auditLog.targetId, server.id));
    expect(audit?.action).toBe("server.request");
  });

  it("encrypts the upstream credential and never returns it", async () => {
    const member = await makeUser(db, "member");
    const server = await registerServer(
      { db, actor: member },
      { name: "Guarded", slug: `guarded-${uniq()}`, url: guarded.url, justification: "x", auth: { type: "bearer", token: "upstream-secret-xyz" } },
    );
    expect(JSON.stringify(server)).not.toContain("upstream-secret-xyz");
    expect(server.auth).toEqual({ type: "bearer", summary: { token: "set" } });
    const [row] = await db.select().from(servers).where(eq(servers.id, server.id));
    expect(row!.credentialCiphertext).toMatch(/^v1\./);
    expect(row!.credentialCiphertext).not.toContain("upstream-secret-xyz");
    // The stored credential works for a later sync.
    const admin = await makeUser(db, "admin");
    await expect(syncServer({ db, actor: admin }, server.id)).resolves.toMatchObject({ changed: false });
  });

  it("saves nothing when discovery fails, and refuses a taken slug", async () => {
    const member = await makeUser(db, "member");
    const slug = `broken-${uniq()}`;
    await expect(registerServer({ db, actor: member }, { name: "Broken", slug, url: `${upstream.origin}/nope/mcp`, justification: "x" })).rejects.toMatchObject({
      code: "UPSTREAM_NOT_MCP",
    });
    expect(await db.select().from(servers).where(eq(servers.slug, slug))).toEqual([]);
    const first = await request(member);
    await expect(request(member, { slug: first.slug })).rejects.toBeInstanceOf(ConflictError);
  });

  it("refuses viewers, bad slugs and URLs with credentials", async () => {
    await expect(request(await makeUser(db, "viewer"))).rejects.toBeInstanceOf(ForbiddenError);
    const member = await makeUser(db, "member");
    await expect(request(member, { slug: "has_underscore" })).rejects.toThrow(/lowercase/);
    await expect(request(member, { url: "http://user:pw@127.0.0.1/mcp" })).rejects.toThrow(/user name or password/);
  });

  it("enforces four eyes: the requester cannot approve; an admin override is recorded", async () => {
    const approver = await makeUser(db, "approver");
    const own = await request(approver);
    await expect(approveServer({ db, actor: approver }, own.id, { reason: "mine" })).rejects.toBeInstanceOf(ForbiddenError);
    const admin = await makeUser(db, "admin");
    const adminOwn = await request(admin);
    const approved = await approveServer({ db, actor: admin }, adminOwn.id, { reason: "urgent" });
    expect(approved.status).toBe("approved");
    const detail = await getServerDetail({ db, actor: admin }, adminOwn.id);
    expect(detail.timeline[0]).toMatchObject({ kind: "approved", reason: "urgent", details: { fourEyesOverride: true } });
  });

  it("approves an allowlist, pins hashes, and refuses unknown tools and members", async () => {
    const member = await makeUser(db, "member");
    const approver = await makeUser(db, "approver");
    const server = await request(member);
    await expect(approveServer({ db, actor: member }, server.id, { reason: "x" })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(approveServer({ db, actor: approver }, server.id, { reason: "x", tools: ["nope"] })).rejects.toBeInstanceOf(ValidationError);
    const approved = await approveServer({ db, actor: approver }, server.id, { reason: "read-only use", tools: ["get_weather", "list_forecasts"] });
    const states = Object.fromEntries(approved.tools!.map((t) => [t.name, t.state]));
    expect(states).toEqual({ get_weather: "enabled", list_forecasts: "enabled", delete_station: "disabled" });
    for (const t of approved.tools!) expect(t.pinnedHash).toBe(t.hash);
    expect(approved.decision).toMatchObject({ by: approver.email, reason: "read-only use" });
  });

  it("quarantines changed and new tools of an approved server on sync, shows the diff, and re-approval re-pins", async () => {
    const { member, approver, server } = await requestApproved();

    upstream.mutate("description");
    upstream.mutate("schema");
    upstream.mutate("add");
    const synced = await syncServer({ db, actor: approver }, server.id);
    expect(synced.changed).toBe(true);
    expect(synced.added).toEqual(["send_report"]);
    expect(synced.modified.sort()).toEqual(["get_weather", "list_forecasts"]);
    expect(synced.quarantined.sort()).toEqual(["get_weather", "list_forecasts", "send_report"]);
    const states = Object.fromEntries(synced.server.tools!.map((t) => [t.name, t.state]));
    expect(states).toEqual({ get_weather: "quarantined", list_forecasts: "quarantined", send_report: "quarantined", delete_station: "enabled" });
    // The poisoned description is caught by the scan.
    expect(synced.server.tools!.find((t) => t.name === "get_weather")!.highestSeverity).toBe("high");

    const { diff } = await getSnapshotDiff({ db, actor: member }, server.id);
    expect(diff.added.map((t) => t.name)).toEqual(["send_report"]);
    const weather = diff.changed.find((c) => c.name === "get_weather")!;
    expect(weather.fields.map((f) => f.path)).toContain("description");
    expect(diff.changed.find((c) => c.name === "list_forecasts")!.fields.map((f) => f.path)).toContain("inputSchema.properties.notes");

    // Re-approval by default leaves the high-severity tool off and re-pins everything reviewed.
    const reapproved = await approveServer({ db, actor: approver }, server.id, { reason: "reviewed the change" });
    const after = Object.fromEntries(reapproved.tools!.map((t) => [t.name, t.state]));
    expect(after).toEqual({ get_weather: "disabled", list_forecasts: "enabled", send_report: "enabled", delete_station: "enabled" });
    expect((await syncServer({ db, actor: approver }, server.id)).changed).toBe(false);
  });

  it("marks tools removed upstream, and records a failing sync once", async () => {
    const member = await makeUser(db, "member");
    const admin = await makeUser(db, "admin");
    const server = await request(member);
    upstream.mutate("add");
    await syncServer({ db, actor: admin }, server.id);
    upstream.mutate("reset");
    const back = await syncServer({ db, actor: admin }, server.id);
    expect(back.removed).toEqual(["send_report"]);
    const [removed] = await db
      .select()
      .from(serverTools)
      .where(and(eq(serverTools.serverId, server.id), eq(serverTools.name, "send_report")));
    expect(removed?.state).toBe("removed");

    await db.update(servers).set({ endpointUrl: `${upstream.origin}/gone/mcp` }).where(eq(servers.id, server.id));
    await expect(syncServer({ db, actor: admin }, server.id)).rejects.toMatchObject({ code: "UPSTREAM_NOT_MCP" });
    await expect(syncServer({ db, actor: admin }, server.id)).rejects.toMatchObject({ code: "UPSTREAM_NOT_MCP" });
    const detail = await getServerDetail({ db, actor: admin }, server.id);
    expect(detail.timeline.filter((e) => e.kind === "sync_failed")).toHaveLength(1);
    expect(detail.server.lastSyncError).toMatch(/\/gone\/mcp answered HTTP 404 .*: there is no MCP endpoint there\. Check that the URL is the server.s MCP endpoint/);
    await expect(syncServer({ db, actor: member }, server.id)).rejects.toBeInstanceOf(ForbiddenError);
  });

  it("rejects with a reason, switches every tool off, and refuses a second rejection", async () => {
    const { approver, server } = await requestApproved();
    const withdrawn = await rejectServer({ db, actor: approver }, server.id, { reason: "vendor breach" });
    expect(withdrawn.status).toBe("rejected");
    expect(withdrawn.tools!.every((t) => t.state === "disabled")).toBe(true);
    await expect(rejectServer({ db, actor: approver }, server.id, { reason: "again" })).rejects.toBeInstanceOf(ConflictError);
    await expect(approveServer({ db, actor: approver }, server.id, { reason: "back" })).rejects.toBeInstanceOf(ConflictError);
    await expect(rejectServer({ db, actor: approver }, server.id, { reason: "" })).rejects.toThrow(/reason/);
  });

  it("lists with status filter and text search", async () => {
    const { member, server: a } = await requestApproved({ name: "Zebra Weather", description: "stripes" });
    const found = await listServers({ db, actor: member }, { q: "stripes" });
    expect(found.map((s) => s.id)).toEqual([a.id]);
    expect((await listServers({ db, actor: member }, { status: "approved", q: "zebra" })).map((s) => s.id)).toEqual([a.id]);
    expect(await listServers({ db, actor: member }, { status: "rejected", q: "zebra" })).toEqual([]);
  });

  it("the periodic pass re-syncs approved servers as the scheduler and quarantines changes", async () => {
    const { member, server } = await requestApproved();
    upstream.mutate("schema");
    const report = await syncApprovedServers(db);
    expect(report.changed).toContain(server.slug);
    const detail = await getServerDetail({ db, actor: member }, server.id);
    expect(detail.server.tools!.find((t) => t.name === "list_forecasts")!.state).toBe("quarantined");
    expect(detail.timeline[0]).toMatchObject({ kind: "changed", actor: "portcullis (scheduled sync)" });
  });
});
