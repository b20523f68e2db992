import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { auditLog, serverAccessGrants, servers, serverTools } from "@/db/schema";
import { BOOTSTRAP_ACTOR } from "../auth/actor";
import { ForbiddenError, NotFoundError, ValidationError } from "../errors";
import { createTeam } from "../teams/create-team";
import { makeUser } from "@/testing/users";
import { getServerAccess } from "./access";
import { approveServer } from "./approve-server";
import { setServerAccess } from "./set-server-access";

const uniq = () => Math.random().toString(36).slice(2, 8);

describe.each(testDatabases())("server access grants on $name", (database) => {
  const { db } = useTestDatabase(database);

  const newTeam = async () => createTeam({ db, actor: BOOTSTRAP_ACTOR }, { slug: `t-${uniq()}`, name: `Team ${uniq()}` });
  async function newServer(ownerTeamId: string | null = null) {
    const slug = `s-${uniq()}`;
    const [row] = await db
      .insert(servers)
      .values({ slug, name: slug, url: `https://${slug}.example.com/mcp`, endpointUrl: `https://${slug}.example.com/mcp`, transport: "streamable-http", ownerTeamId })
      .returning();
    await db.insert(serverTools).values({ serverId: row!.id, name: "t", state: "disabled", definition: { name: "t" }, hash: "a".repeat(64), tokensJson: 1, tokensTypescript: 1 });
    return row!;
  }

  it("replaces the grants with teams, or with everyone, and records who changed what", async () => {
    const approver = await makeUser(db, "approver");
    const [a, b] = [await newTeam(), await newTeam()];
    const server = await newServer();
    const teams = await setServerAccess({ db, actor: approver }, server.id, { everyone: false, teamIds: [a.id, b.id, a.id] });
    expect(teams.everyone).toBe(false);
    expect(teams.teams.map((t) => t.id).sort()).toEqual([a.id, b.id].sort());
    const everyone = await setServerAccess({ db, actor: approver }, server.id, { everyone: true });
    expect(everyone).toEqual({ serverId: server.id, everyone: true, teams: [] });
    expect(await db.select().from(serverAccessGrants).where(eq(serverAccessGrants.serverId, server.id))).toHaveLength(1);
    const audit = await db.select().from(auditLog).where(and(eq(auditLog.action, "server.access"), eq(auditLog.targetId, server.id)));
    expect(audit).toHaveLength(2);
    expect(audit.map((r) => r.details)).toContainEqual({ slug: server.slug, everyone: true, teams: [], before: { everyone: false, teams: [a.slug, b.slug].sort() } });
    // Nobody: allowed on purpose (a lock-down before publishing).
    expect(await setServerAccess({ db, actor: approver }, server.id, { everyone: false, teamIds: [] })).toEqual({ serverId: server.id, everyone: false, teams: [] });
    expect(await getServerAccess({ db, actor: await makeUser(db, "viewer") }, server.id)).toEqual({ serverId: server.id, everyone: false, teams: [] });
  });

  it("refuses unknown teams, both everyone and teams, and unknown servers", async () => {
    const admin = await makeUser(db, "admin");
    const server = await newServer();
    const team = await newTeam();
    await expect(setServerAccess({ db, actor: admin }, server.id, { everyone: false, teamIds: [crypto.randomUUID()] })).rejects.toBeInstanceOf(ValidationError);
    await expect(setServerAccess({ db, actor: admin }, server.id, { everyone: true, teamIds: [team.id] })).rejects.toBeInstanceOf(ZodError);
    await expect(setServerAccess({ db, actor: admin }, server.id, { teamIds: [] })).rejects.toBeInstanceOf(ZodError);
    await expect(setServerAccess({ db, actor: admin }, crypto.randomUUID(), { everyone: true })).rejects.toBeInstanceOf(NotFoundError);
    await expect(setServerAccess({ db, actor: admin }, "not-a-uuid", { everyone: true })).rejects.toBeInstanceOf(NotFoundError);
    expect(await db.select().from(serverAccessGrants).where(eq(serverAccessGrants.serverId, server.id))).toEqual([]);
  });

  it("refuses members, security and viewers", async () => {
    const server = await newServer();
    for (const role of ["viewer", "member", "security"] as const) {
      await expect(setServerAccess({ db, actor: await makeUser(db, role) }, server.id, { everyone: true })).rejects.toBeInstanceOf(ForbiddenError);
    }
    expect(await db.select().from(serverAccessGrants).where(eq(serverAccessGrants.serverId, server.id))).toEqual([]);
  });

  it("grants the owner team, else everyone, on first approval — and never overrides grants set before", async () => {
    const approver = await makeUser(db, "approver");
    const team = await newTeam();
    const owned = await newServer(team.id);
    await approveServer({ db, actor: approver }, owned.id, { reason: "ok" });
    expect(await getServerAccess({ db, actor: approver }, owned.id)).toMatchObject({ everyone: false, teams: [{ id: team.id }] });

    const unowned = await newServer();
    await approveServer({ db, actor: approver }, unowned.id, { reason: "ok" });
    expect(await getServerAccess({ db, actor: approver }, unowned.id)).toMatchObject({ everyone: true, teams: [] });
    // Re-approval leaves access alone, even when someone narrowed it to nobody.
    await setServerAccess({ db, actor: approver }, unowned.id, { everyone: false, teamIds: [] });
    await approveServer({ db, actor: approver }, unowned.id, { reason: "again" });
    expect(await getServerAccess({ db, actor: approver }, unowned.id)).toMatchObject({ everyone: false, teams: [] });

    const preset = await newServer(team.id);
    const other = await newTeam();
    await setServerAccess({ db, actor: approver }, preset.id, { everyone: false, teamIds: [other.id] });
    await approveServer({ db, actor: approver }, preset.id, { reason: "ok" });
    expect(await getServerAccess({ db, actor: approver }, preset.id)).toMatchObject({ everyone: false, teams: [{ id: other.id }] });
  });
});
