import { describe, it, expect, beforeAll } from "vitest";
import { and, eq, sql } from "drizzle-orm";
import { ZodError } from "zod";
import { testDatabases, useTestDatabase } from "@/testing/db";
import type { Database } from "@/db/client";
import { auditLog, memberships, teams, users } from "@/db/schema";
import type { Actor } from "@/lib/auth/actor";
import { ConflictError, ForbiddenError, NotFoundError } from "@/lib/errors";
import { makeUser } from "@/testing/users";
import { auditFor } from "@/testing/audit";
import { createTeam } from "./create-team";
import { updateTeam } from "./update-team";
import { deleteTeam } from "./delete-team";
import { removeMembership } from "./remove-membership";
import { setMembership } from "./set-membership";
import { getTeam, listTeamMembers, listTeams } from "./queries";

const uniq = () => crypto.randomUUID().slice(0, 8);
const slug = () => `team-${uniq()}`;

async function auditWithSlug(db: Database, action: string, teamSlug: string) {
  return db.select().from(auditLog).where(and(eq(auditLog.action, action), sql`${auditLog.details}->>'slug' = ${teamSlug}`));
}

describe.each(testDatabases())("teams on $name", (database) => {
  const { db } = useTestDatabase(database);
  let admin: Actor;
  beforeAll(async () => {
    admin = await makeUser(db, "admin");
  });

  describe("createTeam", () => {
    it("creates a team and audits it", async () => {
      const s = slug();
      const group = `grp-${uniq()}`;
      const out = await createTeam({ db, actor: admin }, { slug: s, name: " Platform ", description: "Infra", idpGroup: group });
      expect(out).toMatchObject({ slug: s, name: "Platform", description: "Infra", idpGroup: group, memberCount: 0 });
      const audit = await auditFor(db, "team.create", out.id);
      expect(audit).toHaveLength(1);
      expect(audit[0]!.actorId).toBe(admin.userId);
      expect(audit[0]!.details).toEqual({ slug: s, name: "Platform", idpGroup: group });
    });

    it("rejects a malformed slug", async () => {
      for (const bad of ["Bad_Slug", "a", "-lead", "trail-", "double--hyphen", "UPPER", "x".repeat(41)]) {
        await expect(createTeam({ db, actor: admin }, { slug: bad, name: "Bad" }), bad).rejects.toThrow(ZodError);
      }
      expect(await db.select().from(teams).where(eq(teams.name, "Bad"))).toHaveLength(0);
    });

    it("refuses a duplicate slug or IdP group, and the failed attempt leaves no audit row", async () => {
      const s = slug();
      const group = `grp-${uniq()}`;
      await createTeam({ db, actor: admin }, { slug: s, name: "First", idpGroup: group });
      await expect(createTeam({ db, actor: admin }, { slug: s, name: "Second" })).rejects.toThrow(ConflictError);
      const other = slug();
      await expect(createTeam({ db, actor: admin }, { slug: other, name: "Third", idpGroup: group })).rejects.toThrow(ConflictError);

      expect(await db.select().from(teams).where(eq(teams.slug, s))).toMatchObject([{ name: "First" }]);
      expect(await db.select().from(teams).where(eq(teams.slug, other))).toHaveLength(0);
      expect(await auditWithSlug(db, "team.create", s)).toHaveLength(1);
      expect(await auditWithSlug(db, "team.create", other)).toHaveLength(0);
    });

    it("rolls the audit row back with the change when the transaction fails after the audit insert", async () => {
      // A deferred constraint trigger fails at COMMIT, i.e. after both the team and its audit row were inserted.
      const setup = [
        `create or replace function test_refuse_boom() returns trigger language plpgsql as $$
         begin
           if new.slug like 'boom-%' then raise exception 'refused at commit'; end if;
           return null;
         end $$`,
        `drop trigger if exists test_refuse_boom on teams`,
        `create constraint trigger test_refuse_boom after insert on teams
           deferrable initially deferred for each row execute function test_refuse_boom()`,
      ];
      for (const statement of setup) await db.execute(sql.raw(statement));
      const s = `boom-${uniq()}`;
      try {
        await expect(createTeam({ db, actor: admin }, { slug: s, name: "Boom" })).rejects.toThrow(/refused at commit|Failed query: commit/);
      } finally {
        await db.execute(sql.raw(`drop trigger if exists test_refuse_boom on teams`));
        await db.execute(sql.raw(`drop function if exists test_refuse_boom()`));
      }
      expect(await db.select().from(teams).where(eq(teams.slug, s))).toHaveLength(0);
      expect(await auditWithSlug(db, "team.create", s)).toHaveLength(0);
      // And the same verb still works once nothing refuses the commit.
      const ok = await createTeam({ db, actor: admin }, { slug: s, name: "Boom" });
      expect(await auditFor(db, "team.create", ok.id)).toHaveLength(1);
    });

    it("forbids a viewer, a member and security", async () => {
      for (const role of ["viewer", "member", "security"] as const) {
        const s = slug();
        await expect(createTeam({ db, actor: await makeUser(db, role) }, { slug: s, name: "Nope" })).rejects.toThrow(ForbiddenError);
        expect(await db.select().from(teams).where(eq(teams.slug, s))).toHaveLength(0);
      }
    });
  });

  describe("updateTeam", () => {
    it("renames a team and changes its IdP group, audited", async () => {
      const t = await createTeam({ db, actor: admin }, { slug: slug(), name: "Old", idpGroup: `grp-${uniq()}` });
      const group = `grp-${uniq()}`;
      const out = await updateTeam({ db, actor: admin }, t.id, { name: "New", description: null, idpGroup: group });
      expect(out).toMatchObject({ id: t.id, slug: t.slug, name: "New", description: null, idpGroup: group });
      const audit = await auditFor(db, "team.update", t.id);
      expect(audit).toHaveLength(1);
      expect(audit[0]!.details).toEqual({ slug: t.slug, changes: { name: "New", description: null, idpGroup: group } });
      // Re-setting its own group is not a clash; clearing it is allowed.
      expect((await updateTeam({ db, actor: admin }, t.id, { idpGroup: group })).idpGroup).toBe(group);
      expect((await updateTeam({ db, actor: admin }, t.id, { idpGroup: null })).idpGroup).toBeNull();
    });

    it("refuses an IdP group another team already has", async () => {
      const group = `grp-${uniq()}`;
      await createTeam({ db, actor: admin }, { slug: slug(), name: "Holder", idpGroup: group });
      const t = await createTeam({ db, actor: admin }, { slug: slug(), name: "Other" });
      await expect(updateTeam({ db, actor: admin }, t.id, { idpGroup: group })).rejects.toThrow(ConflictError);
      expect((await getTeam({ db, actor: admin }, t.id)).idpGroup).toBeNull();
      expect(await auditFor(db, "team.update", t.id)).toHaveLength(0);
    });

    it("reports unknown ids and bad input", async () => {
      await expect(updateTeam({ db, actor: admin }, "x", { name: "N" })).rejects.toThrow(NotFoundError);
      await expect(updateTeam({ db, actor: admin }, crypto.randomUUID(), { name: "N" })).rejects.toThrow(NotFoundError);
      const t = await createTeam({ db, actor: admin }, { slug: slug(), name: "T" });
      await expect(updateTeam({ db, actor: admin }, t.id, {})).rejects.toThrow(ZodError);
      await expect(updateTeam({ db, actor: admin }, t.id, { slug: "renamed" })).rejects.toThrow(ZodError);
    });

    it("forbids a viewer", async () => {
      const t = await createTeam({ db, actor: admin }, { slug: slug(), name: "T" });
      await expect(updateTeam({ db, actor: await makeUser(db, "viewer") }, t.id, { name: "Hacked" })).rejects.toThrow(ForbiddenError);
      expect((await getTeam({ db, actor: admin }, t.id)).name).toBe("T");
    });
  });

  describe("deleteTeam", () => {
    it("deletes a team and its memberships but not its users, audited", async () => {
      const t = await createTeam({ db, actor: admin }, { slug: slug(), name: "Doomed" });
      const member = await makeUser(db, "member");
      await setMembership({ db, actor: admin }, t.id, member.userId, {});
      await deleteTeam({ db, actor: admin }, t.id);

      expect(await db.select().from(teams).where(eq(teams.id, t.id))).toHaveLength(0);
      expect(await db.select().from(memberships).where(eq(memberships.teamId, t.id))).toHaveLength(0);
      expect(await db.select().from(users).where(eq(users.id, member.userId))).toHaveLength(1);
      const audit = await auditFor(db, "team.delete", t.id);
      expect(audit).toHaveLength(1);
      expect(audit[0]!.details).toEqual({ slug: t.slug, name: "Doomed" });
    });

    it("reports an unknown or already deleted team as not found", async () => {
      const t = await createTeam({ db, actor: admin }, { slug: slug(), name: "Once" });
      await deleteTeam({ db, actor: admin }, t.id);
      await expect(deleteTeam({ db, actor: admin }, t.id)).rejects.toThrow(NotFoundError);
      await expect(deleteTeam({ db, actor: admin }, "not-a-uuid")).rejects.toThrow(NotFoundError);
      expect(await auditFor(db, "team.delete", t.id)).toHaveLength(1);
    });

    it("forbids a viewer", async () => {
      const t = await createTeam({ db, actor: admin }, { slug: slug(), name: "Kept" });
      await expect(deleteTeam({ db, actor: await makeUser(db, "viewer") }, t.id)).rejects.toThrow(ForbiddenError);
      expect(await db.select().from(teams).where(eq(teams.id, t.id))).toHaveLength(1);
    });
  });

  describe("setMembership and removeMembership", () => {
    it("adds a member, changes the team role, and audits both", async () => {
      const t = await createTeam({ db, actor: admin }, { slug: slug(), name: "T" });
      const u = await makeUser(db, "member");
      const added = await setMembership({ db, actor: admin }, t.id, u.userId, {});
      expect(added).toMatchObject({ userId: u.userId, email: u.email, role: "member", source: "manual" });
      const lead = await setMembership({ db, actor: admin }, t.id, u.userId, { role: "lead" });
      expect(lead.role).toBe("lead");
      expect((await getTeam({ db, actor: admin }, t.id)).memberCount).toBe(1);
      const audit = await auditFor(db, "membership.set", t.id);
      expect(audit.map((a) => a.details.role).sort()).toEqual(["lead", "member"]);
    });

    it("pins an IdP membership as manual when an admin sets it", async () => {
      const t = await createTeam({ db, actor: admin }, { slug: slug(), name: "T" });
      const u = await makeUser(db, "member");
      await db.insert(memberships).values({ teamId: t.id, userId: u.userId, source: "idp" });
      expect((await setMembership({ db, actor: admin }, t.id, u.userId, { role: "member" })).source).toBe("manual");
    });

    it("reports an unknown team or user as not found, and rejects a bad role", async () => {
      const t = await createTeam({ db, actor: admin }, { slug: slug(), name: "T" });
      const u = await makeUser(db, "member");
      await expect(setMembership({ db, actor: admin }, crypto.randomUUID(), u.userId, {})).rejects.toThrow(NotFoundError);
      await expect(setMembership({ db, actor: admin }, t.id, crypto.randomUUID(), {})).rejects.toThrow(NotFoundError);
      await expect(setMembership({ db, actor: admin }, t.id, "bad", {})).rejects.toThrow(NotFoundError);
      await expect(setMembership({ db, actor: admin }, t.id, u.userId, { role: "owner" })).rejects.toThrow(ZodError);
      expect(await auditFor(db, "membership.set", t.id)).toHaveLength(0);
    });

    it("removes a member, audited, and refuses a non-member", async () => {
      const t = await createTeam({ db, actor: admin }, { slug: slug(), name: "T" });
      const u = await makeUser(db, "member");
      await setMembership({ db, actor: admin }, t.id, u.userId, {});
      await removeMembership({ db, actor: admin }, t.id, u.userId);
      expect(await listTeamMembers({ db, actor: admin }, t.id)).toEqual([]);
      const audit = await auditFor(db, "membership.remove", t.id);
      expect(audit).toHaveLength(1);
      expect(audit[0]!.details).toEqual({ userId: u.userId, source: "manual" });
      await expect(removeMembership({ db, actor: admin }, t.id, u.userId)).rejects.toThrow(NotFoundError);
    });

    it("forbids a viewer to set or remove memberships", async () => {
      const t = await createTeam({ db, actor: admin }, { slug: slug(), name: "T" });
      const viewer = await makeUser(db, "viewer");
      const u = await makeUser(db, "member");
      await expect(setMembership({ db, actor: viewer }, t.id, viewer.userId, { role: "lead" })).rejects.toThrow(ForbiddenError);
      await setMembership({ db, actor: admin }, t.id, u.userId, {});
      await expect(removeMembership({ db, actor: viewer }, t.id, u.userId)).rejects.toThrow(ForbiddenError);
      expect((await listTeamMembers({ db, actor: admin }, t.id)).map((m) => m.userId)).toEqual([u.userId]);
    });
  });

  describe("listTeams, getTeam and listTeamMembers", () => {
    it("let a viewer read teams and members", async () => {
      const viewer = await makeUser(db, "viewer");
      const t = await createTeam({ db, actor: admin }, { slug: slug(), name: "Readable" });
      const a = await makeUser(db, "member", `a-${uniq()}@example.test`);
      const b = await makeUser(db, "member", `b-${uniq()}@example.test`);
      await setMembership({ db, actor: admin }, t.id, b.userId, { role: "lead" });
      await setMembership({ db, actor: admin }, t.id, a.userId, {});

      const listed = (await listTeams({ db, actor: viewer })).find((x) => x.id === t.id);
      expect(listed).toMatchObject({ slug: t.slug, name: "Readable", memberCount: 2 });
      expect(await getTeam({ db, actor: viewer }, t.id)).toEqual(listed);
      const members = await listTeamMembers({ db, actor: viewer }, t.id);
      expect(members.map((m) => [m.email, m.role])).toEqual([
        [a.email, "member"],
        [b.email, "lead"],
      ]);
    });

    it("report an unknown team as not found", async () => {
      const viewer = await makeUser(db, "viewer");
      await expect(getTeam({ db, actor: viewer }, crypto.randomUUID())).rejects.toThrow(NotFoundError);
      await expect(getTeam({ db, actor: viewer }, "../etc")).rejects.toThrow(NotFoundError);
      await expect(listTeamMembers({ db, actor: viewer }, crypto.randomUUID())).rejects.toThrow(NotFoundError);
    });

    it("forbid a token without the read scope", async () => {
      const member = await makeUser(db, "member");
      const writeOnly: Actor = { ...member, scopes: ["write"] };
      const t = await createTeam({ db, actor: admin }, { slug: slug(), name: "T" });
      await expect(listTeams({ db, actor: writeOnly })).rejects.toThrow(ForbiddenError);
      await expect(getTeam({ db, actor: writeOnly }, t.id)).rejects.toThrow(ForbiddenError);
      await expect(listTeamMembers({ db, actor: writeOnly }, t.id)).rejects.toThrow(ForbiddenError);
    });
  });
});
