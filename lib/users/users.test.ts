import { describe, it, expect } from "vitest";
import { eq } from "drizzle-orm";
import { ZodError } from "zod";
import { testDatabases, useTestDatabase } from "@/testing/db";
import type { Database } from "@/db/client";
import { auditLog, memberships, teams, users } from "@/db/schema";
import { BOOTSTRAP_ACTOR, type Actor } from "@/lib/auth/actor";
import { ConflictError, ForbiddenError, NotFoundError } from "@/lib/errors";
import { disableUser, makeToken, makeUser } from "@/testing/users";
import { auditFor } from "@/testing/audit";
import { authenticateBearer } from "@/lib/tokens/authenticate-token";
import { FirstSignInCodeRequired, signInUser, UnverifiedEmailError, type SignInIdentity, type SignInPolicy } from "./sign-in-user";
import { createUser } from "./create-user";
import { updateUser } from "./update-user";
import { getUser, listUsers } from "./queries";
import { describeMe } from "./describe-me";

const ISSUER = "https://idp.example.test";
const uniq = () => crypto.randomUUID().slice(0, 8);

function oidc(over: Partial<SignInIdentity> = {}): SignInIdentity {
  return { source: ISSUER, externalId: crypto.randomUUID(), email: `person-${uniq()}@example.test`, emailVerified: true, name: "Person", groups: [], ...over };
}

function policy(over: Partial<SignInPolicy> = {}): SignInPolicy {
  return { roleGroups: {}, defaultRole: "member", autoCreateTeams: false, unverifiedEmail: "refuse", ...over };
}

async function membershipsOf(db: Database, userId: string) {
  return db.select({ teamId: memberships.teamId, source: memberships.source }).from(memberships).where(eq(memberships.userId, userId));
}

async function makeTeam(db: Database, idpGroup: string | null) {
  const [row] = await db.insert(teams).values({ slug: `t-${uniq()}`, name: "Team", idpGroup }).returning();
  return row!;
}

describe.each(testDatabases())("signInUser on $name (fresh database)", (database) => {
  const { db } = useTestDatabase(database);

  // Runs first: "first user" means an empty users table.
  it("lets a local sign-in become the first admin only with the terminal's sign-in code, writing nothing without it", async () => {
    expect(await db.select().from(users)).toHaveLength(0);
    const local = (email: string, firstAdminCode?: boolean) =>
      signInUser(db, { source: "local", externalId: null, email, emailVerified: false, name: null, groups: [], firstAdminCode }, policy());
    await expect(local("squatter@example.test")).rejects.toThrow(FirstSignInCodeRequired);
    await expect(local("squatter@example.test", false)).rejects.toThrow(FirstSignInCodeRequired);
    expect(await db.select().from(users)).toHaveLength(0);
    expect(await db.select().from(auditLog)).toHaveLength(0);
    const owner = await local("owner@example.test", true);
    expect(owner.role).toBe("admin");
    // Then nobody needs it: the next local sign-in is a member, the owner signs in again as admin.
    expect((await local("colleague@example.test")).role).toBe("member");
    expect((await local("owner@example.test")).role).toBe("admin");
    // Reset for the next test, which starts from an empty table.
    await db.delete(auditLog);
    await db.delete(users);
  });

  it("makes the first user admin and later users the default role", async () => {
    expect(await db.select().from(users)).toHaveLength(0);
    const first = await signInUser(db, oidc(), policy({ defaultRole: "viewer" }));
    expect(first.role).toBe("admin");
    const second = await signInUser(db, oidc(), policy({ defaultRole: "viewer" }));
    expect(second.role).toBe("viewer");

    expect(await auditFor(db, "user.create", first.id)).toHaveLength(1);
    expect((await auditFor(db, "user.create", second.id))[0]!.details).toMatchObject({ role: "viewer", source: ISSUER });
  });

  it("finds the same user again by IdP subject, keeps the role and audits user.sign_in", async () => {
    const identity = oidc();
    const created = await signInUser(db, identity, policy());
    await db.update(users).set({ role: "approver" }).where(eq(users.id, created.id));
    const again = await signInUser(db, { ...identity, email: `renamed-${uniq()}@example.test`, name: "Renamed" }, policy());
    expect(again.id).toBe(created.id);
    expect(again.role).toBe("approver");
    expect(again.name).toBe("Renamed");
    expect(again.lastSignInAt!.getTime()).toBeGreaterThanOrEqual(created.lastSignInAt!.getTime());
    expect(await auditFor(db, "user.create", created.id)).toHaveLength(1);
    const signIns = await auditFor(db, "user.sign_in", created.id);
    expect(signIns).toHaveLength(1);
    expect(signIns[0]!.actorId).toBe(created.id);
  });

  it("takes the role from roleGroups and re-evaluates it at every sign-in", async () => {
    const admins = `admins-${uniq()}`;
    const sec = `sec-${uniq()}`;
    const approvers = `approvers-${uniq()}`;
    const p = policy({ roleGroups: { admin: [admins], security: [sec], approver: [approvers] }, defaultRole: "viewer" });
    const identity = oidc({ groups: [admins, "unrelated"] });

    const u = await signInUser(db, identity, p);
    expect(u.role).toBe("admin");
    expect((await signInUser(db, { ...identity, groups: [approvers, sec] }, p)).role).toBe("security");
    const demoted = await signInUser(db, { ...identity, groups: [] }, p);
    expect(demoted.role).toBe("viewer");
    const [row] = await db.select().from(users).where(eq(users.id, u.id));
    expect(row!.role).toBe("viewer");
    const signIns = await auditFor(db, "user.sign_in", u.id);
    expect(signIns.map((r) => r.details)).toEqual(
      expect.arrayContaining([expect.objectContaining({ role: "viewer", roleChangedFrom: "security" })]),
    );
  });

  it("syncs IdP-group team memberships on every sign-in and leaves manual ones alone", async () => {
    const g1 = `g1-${uniq()}`;
    const g2 = `g2-${uniq()}`;
    const g3 = `g3-${uniq()}`;
    const [t1, t2, t3, manualTeam] = [await makeTeam(db, g1), await makeTeam(db, g2), await makeTeam(db, g3), await makeTeam(db, null)];
    const identity = oidc({ groups: [g1, g2] });
    const u = await signInUser(db, identity, policy());
    await db.insert(memberships).values([
      { teamId: manualTeam.id, userId: u.id, source: "manual" },
      { teamId: t3.id, userId: u.id, source: "manual" },
    ]);
    const sorted = async () => (await membershipsOf(db, u.id)).sort((a, b) => a.teamId.localeCompare(b.teamId));
    const expected = (rows: { teamId: string; source: string }[]) => [...rows].sort((a, b) => a.teamId.localeCompare(b.teamId));

    expect(await sorted()).toEqual(
      expected([
        { teamId: t1.id, source: "idp" },
        { teamId: t2.id, source: "idp" },
        { teamId: manualTeam.id, source: "manual" },
        { teamId: t3.id, source: "manual" },
      ]),
    );

    await signInUser(db, { ...identity, groups: [g2, g3] }, policy());
    expect(await sorted()).toEqual(
      expected([
        { teamId: t2.id, source: "idp" },
        { teamId: manualTeam.id, source: "manual" },
        { teamId: t3.id, source: "manual" },
      ]),
    );
    const signIns = (await auditFor(db, "user.sign_in", u.id)).sort((a, b) => a.id - b.id);
    expect(signIns).toHaveLength(1);
    expect(signIns[0]!.details).toMatchObject({ teamsAdded: 0, teamsRemoved: 1 });

    await signInUser(db, { ...identity, groups: [] }, policy());
    expect(await sorted()).toEqual(
      expected([
        { teamId: manualTeam.id, source: "manual" },
        { teamId: t3.id, source: "manual" },
      ]),
    );
  });

  it("does not sync teams for a local sign-in", async () => {
    const g = `local-${uniq()}`;
    await makeTeam(db, g);
    const u = await signInUser(db, { ...oidc({ groups: [g] }), source: "local", externalId: null }, policy());
    expect(await membershipsOf(db, u.id)).toEqual([]);
  });

  it("creates teams for unknown groups with autoCreateTeams, but not for role-mapping groups", async () => {
    const fresh = `Platform Eng ${uniq()}`;
    const roleGroup = `console-approvers-${uniq()}`;
    const p = policy({ autoCreateTeams: true, roleGroups: { approver: [roleGroup] } });
    const identity = oidc({ groups: [fresh, roleGroup] });
    const u = await signInUser(db, identity, p);
    expect(u.role).toBe("approver");

    const created = await db.select().from(teams).where(eq(teams.idpGroup, fresh));
    expect(created).toHaveLength(1);
    expect(created[0]!.slug).toBe(fresh.toLowerCase().replace(/ /g, "-"));
    expect(created[0]!.name).toBe(fresh);
    expect(await db.select().from(teams).where(eq(teams.idpGroup, roleGroup))).toHaveLength(0);
    expect(await membershipsOf(db, u.id)).toEqual([{ teamId: created[0]!.id, source: "idp" }]);

    await signInUser(db, identity, p);
    expect(await db.select().from(teams).where(eq(teams.idpGroup, fresh))).toHaveLength(1);
  });

  it("gives an auto-created team a suffixed slug when the plain one is taken", async () => {
    const group = `ops-${uniq()}`;
    await db.insert(teams).values({ slug: group, name: "Existing", idpGroup: null });
    await signInUser(db, oidc({ groups: [group] }), policy({ autoCreateTeams: true }));
    const [created] = await db.select().from(teams).where(eq(teams.idpGroup, group));
    expect(created!.slug).toMatch(new RegExp(`^${group}-[0-9a-f]{4}$`));
  });

  it("refuses a disabled user and records nothing", async () => {
    const identity = oidc();
    const u = await signInUser(db, identity, policy());
    await disableUser(db, u.id);
    await expect(signInUser(db, identity, policy())).rejects.toThrow(ForbiddenError);
    expect(await auditFor(db, "user.sign_in", u.id)).toHaveLength(0);
    const [row] = await db.select().from(users).where(eq(users.id, u.id));
    expect(row!.lastSignInAt!.getTime()).toBe(u.lastSignInAt!.getTime());
  });

  it("refuses an address the IdP did not verify, by default, and creates nothing", async () => {
    const identity = oidc({ emailVerified: false });
    await expect(signInUser(db, identity, policy())).rejects.toThrow(UnverifiedEmailError);
    expect(await db.select().from(users).where(eq(users.email, identity.email))).toEqual([]);
  });

  it("with OIDC_UNVERIFIED_EMAIL=allow, signs the person in but keeps the address unverified; verified and local sign-ins are verified", async () => {
    const unverified = await signInUser(db, oidc({ emailVerified: false }), policy({ unverifiedEmail: "allow" }));
    expect(unverified.emailVerified).toBe(false);
    // Verified later by the IdP: the next sign-in records it.
    const again = await signInUser(db, oidc({ email: unverified.email, externalId: unverified.externalId, emailVerified: true }), policy());
    expect(again).toMatchObject({ id: unverified.id, emailVerified: true });
    const local = await signInUser(db, { source: "local", externalId: null, email: `local-${uniq()}@example.test`, emailVerified: false, name: null, groups: [] }, policy());
    expect(local.emailVerified).toBe(true);
  });

  it("links an existing e-mail from another source only when the IdP verified it", async () => {
    const local = await makeUser(db, "approver", `Linked-${uniq()}@Example.test`);
    const identity = oidc({ email: local.email.toLowerCase(), emailVerified: false });
    // Even where unverified addresses may sign in, they never take over an existing account.
    await expect(signInUser(db, identity, policy({ unverifiedEmail: "allow" }))).rejects.toThrow(ForbiddenError);
    expect(await db.select().from(users).where(eq(users.id, local.userId))).toMatchObject([{ authSource: "local", externalId: null }]);

    const linked = await signInUser(db, { ...identity, emailVerified: true }, policy());
    expect(linked.id).toBe(local.userId);
    expect(linked.role).toBe("approver");
    expect(linked.authSource).toBe(ISSUER);
    expect(linked.externalId).toBe(identity.externalId);
    expect(await db.select().from(users).where(eq(users.email, identity.email))).toHaveLength(1);
  });
});

describe.each(testDatabases())("user verbs on $name", (database) => {
  const { db } = useTestDatabase(database);

  /** Leaves exactly the given users as active admins (tests in this file run one after another). */
  async function onlyAdmins(...ids: string[]) {
    await db.update(users).set({ role: "member" }).where(eq(users.role, "admin"));
    for (const id of ids) await db.update(users).set({ role: "admin", disabledAt: null }).where(eq(users.id, id));
  }

  describe("createUser", () => {
    it("lets an admin pre-provision a user, audited", async () => {
      const admin = await makeUser(db, "admin");
      const email = `New-${uniq()}@Example.test`;
      const out = await createUser({ db, actor: admin }, { email, name: "New", role: "approver" });
      expect(out).toMatchObject({ email: email.toLowerCase(), name: "New", role: "approver", authSource: "provisioned", disabled: false, teams: [], lastSignInAt: null });
      const audit = await auditFor(db, "user.create", out.id);
      expect(audit).toHaveLength(1);
      expect(audit[0]!.actorId).toBe(admin.userId);
      expect(audit[0]!.details).toEqual({ email: email.toLowerCase(), role: "approver" });
    });

    it("defaults the role to member", async () => {
      const out = await createUser({ db, actor: BOOTSTRAP_ACTOR }, { email: `d-${uniq()}@example.test` });
      expect(out.role).toBe("member");
    });

    it("refuses a duplicate e-mail address regardless of case", async () => {
      const existing = await makeUser(db, "member", `Dup-${uniq()}@Example.TEST`);
      const before = (await db.select().from(auditLog).where(eq(auditLog.action, "user.create"))).length;
      await expect(createUser({ db, actor: BOOTSTRAP_ACTOR }, { email: existing.email.toLowerCase() })).rejects.toThrow(ConflictError);
      await expect(createUser({ db, actor: BOOTSTRAP_ACTOR }, { email: existing.email.toUpperCase() })).rejects.toThrow(ConflictError);
      expect((await db.select().from(auditLog).where(eq(auditLog.action, "user.create"))).length).toBe(before);
    });

    it("rejects an invalid e-mail address", async () => {
      await expect(createUser({ db, actor: BOOTSTRAP_ACTOR }, { email: "not-an-email" })).rejects.toThrow(ZodError);
      await expect(createUser({ db, actor: BOOTSTRAP_ACTOR }, { email: `x-${uniq()}@example.test`, role: "root" })).rejects.toThrow(ZodError);
    });

    it("forbids a member and a security user", async () => {
      for (const role of ["member", "security"] as const) {
        const email = `nope-${uniq()}@example.test`;
        await expect(createUser({ db, actor: await makeUser(db, role) }, { email })).rejects.toThrow(ForbiddenError);
        expect(await db.select().from(users).where(eq(users.email, email))).toHaveLength(0);
      }
    });
  });

  describe("updateUser", () => {
    it("changes a role and audits it with from and to", async () => {
      const admin = await makeUser(db, "admin");
      const target = await makeUser(db, "member");
      const out = await updateUser({ db, actor: admin }, target.userId, { role: "security", name: "Sec" });
      expect(out).toMatchObject({ id: target.userId, role: "security", name: "Sec" });
      const audit = await auditFor(db, "user.update", target.userId);
      expect(audit).toHaveLength(1);
      expect(audit[0]!.actorId).toBe(admin.userId);
      expect(audit[0]!.details).toMatchObject({ email: target.email, role: { from: "member", to: "security" }, name: { from: null, to: "Sec" } });
    });

    it("disables and re-enables a user", async () => {
      const target = await makeUser(db, "member");
      expect((await updateUser({ db, actor: BOOTSTRAP_ACTOR }, target.userId, { disabled: true })).disabled).toBe(true);
      expect((await updateUser({ db, actor: BOOTSTRAP_ACTOR }, target.userId, { disabled: false })).disabled).toBe(false);
      const audit = await auditFor(db, "user.update", target.userId);
      expect(audit.map((a) => a.details.disabled).sort()).toEqual([false, true]);
    });

    it("writes no audit row when nothing changes", async () => {
      const target = await makeUser(db, "viewer");
      await updateUser({ db, actor: BOOTSTRAP_ACTOR }, target.userId, { role: "viewer" });
      expect(await auditFor(db, "user.update", target.userId)).toHaveLength(0);
    });

    it("refuses to demote or disable the last active admin", async () => {
      const last = await makeUser(db, "admin");
      const disabledAdmin = await makeUser(db, "admin");
      await onlyAdmins(last.userId, disabledAdmin.userId);
      await disableUser(db, disabledAdmin.userId);

      await expect(updateUser({ db, actor: BOOTSTRAP_ACTOR }, last.userId, { role: "security" })).rejects.toThrow(ConflictError);
      await expect(updateUser({ db, actor: last }, last.userId, { disabled: true })).rejects.toThrow(ConflictError);
      const [row] = await db.select().from(users).where(eq(users.id, last.userId));
      expect(row).toMatchObject({ role: "admin", disabledAt: null });
      expect(await auditFor(db, "user.update", last.userId)).toHaveLength(0);
      // Renaming the last admin is fine.
      expect((await updateUser({ db, actor: last }, last.userId, { name: "Still admin" })).role).toBe("admin");
    });

    it("lets one of two active admins be demoted, then protects the other", async () => {
      const a = await makeUser(db, "admin");
      const b = await makeUser(db, "admin");
      await onlyAdmins(a.userId, b.userId);
      expect((await updateUser({ db, actor: a }, a.userId, { role: "member" })).role).toBe("member");
      await expect(updateUser({ db, actor: BOOTSTRAP_ACTOR }, b.userId, { role: "member" })).rejects.toThrow(ConflictError);
      await expect(updateUser({ db, actor: BOOTSTRAP_ACTOR }, b.userId, { disabled: true })).rejects.toThrow(ConflictError);
    });

    it("forbids a non-admin", async () => {
      const target = await makeUser(db, "member");
      for (const role of ["security", "approver", "member"] as const) {
        await expect(updateUser({ db, actor: await makeUser(db, role) }, target.userId, { role: "admin" })).rejects.toThrow(ForbiddenError);
      }
      const [row] = await db.select().from(users).where(eq(users.id, target.userId));
      expect(row!.role).toBe("member");
    });

    it("treats a malformed or unknown id as not found and rejects bad input", async () => {
      await expect(updateUser({ db, actor: BOOTSTRAP_ACTOR }, "nope", { role: "member" })).rejects.toThrow(NotFoundError);
      await expect(updateUser({ db, actor: BOOTSTRAP_ACTOR }, crypto.randomUUID(), { role: "member" })).rejects.toThrow(NotFoundError);
      const target = await makeUser(db, "member");
      await expect(updateUser({ db, actor: BOOTSTRAP_ACTOR }, target.userId, {})).rejects.toThrow(ZodError);
      await expect(updateUser({ db, actor: BOOTSTRAP_ACTOR }, target.userId, { role: "root" })).rejects.toThrow(ZodError);
      await expect(updateUser({ db, actor: BOOTSTRAP_ACTOR }, target.userId, { email: "x@y.z" })).rejects.toThrow(ZodError);
    });
  });

  describe("listUsers and getUser", () => {
    it("let security read users with their teams", async () => {
      const security = await makeUser(db, "security");
      const target = await makeUser(db, "viewer");
      const team = await makeTeam(db, null);
      await db.insert(memberships).values({ teamId: team.id, userId: target.userId, role: "lead" });

      const list = await listUsers({ db, actor: security });
      const listed = list.find((u) => u.id === target.userId);
      expect(listed).toMatchObject({ email: target.email, role: "viewer", teams: [{ id: team.id, slug: team.slug, role: "lead", source: "manual" }] });
      const emails = list.map((u) => u.email);
      expect(emails).toEqual([...emails].sort());

      expect(await getUser({ db, actor: security }, target.userId)).toEqual(listed);
    });

    it("report a malformed or unknown id as not found", async () => {
      const security = await makeUser(db, "security");
      await expect(getUser({ db, actor: security }, "1 or 1=1")).rejects.toThrow(NotFoundError);
      await expect(getUser({ db, actor: security }, crypto.randomUUID())).rejects.toThrow(NotFoundError);
    });

    it("forbid a member", async () => {
      const member = await makeUser(db, "member");
      await expect(listUsers({ db, actor: member })).rejects.toThrow(ForbiddenError);
      await expect(getUser({ db, actor: member }, member.userId)).rejects.toThrow(ForbiddenError);
    });
  });

  describe("describeMe", () => {
    it("describes a signed-in user", async () => {
      const member = await makeUser(db, "member");
      const me = await describeMe({ db, actor: member });
      expect(me).toMatchObject({ kind: "user", role: "member", scopes: ["read", "write"], token: null, user: { id: member.userId, email: member.email } });
    });

    it("describes an API token with its id and prefix", async () => {
      const viewer = await makeUser(db, "viewer");
      const secret = await makeToken(db, viewer.userId, ["read"]);
      const actor = await authenticateBearer(db, `Bearer ${secret}`, undefined);
      const me = await describeMe({ db, actor });
      expect(me).toMatchObject({ kind: "token", role: "viewer", scopes: ["read"], user: { id: viewer.userId } });
      expect(me.token).toEqual({ id: (actor as Extract<Actor, { kind: "token" }>).tokenId, prefix: secret.slice(0, 12) });
    });

    it("describes the bootstrap token without a user", async () => {
      expect(await describeMe({ db, actor: BOOTSTRAP_ACTOR })).toEqual({ kind: "bootstrap", user: null, role: "admin", scopes: ["read", "write"], token: null });
    });

    it("fails for an actor whose user no longer exists", async () => {
      const ghost: Actor = { kind: "user", userId: crypto.randomUUID(), email: "ghost@example.test", role: "member", scopes: ["read"] };
      await expect(describeMe({ db, actor: ghost })).rejects.toThrow(NotFoundError);
    });

    it("forbids a token without the read scope", async () => {
      const member = await makeUser(db, "member");
      const actor = await authenticateBearer(db, `Bearer ${await makeToken(db, member.userId, ["write"])}`, undefined);
      await expect(describeMe({ db, actor })).rejects.toThrow(ForbiddenError);
    });
  });
});
