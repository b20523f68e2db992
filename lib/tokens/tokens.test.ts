import { describe, it, expect } from "vitest";
import { eq, sql } from "drizzle-orm";
import { ZodError } from "zod";
import { testDatabases, useTestDatabase } from "@/testing/db";
import type { Database } from "@/db/client";
import { apiTokens, users } from "@/db/schema";
import { BOOTSTRAP_ACTOR, type Actor } from "@/lib/auth/actor";
import { ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from "@/lib/errors";
import { disableUser, makeToken, makeUser } from "@/testing/users";
import { auditFor } from "@/testing/audit";
import { createToken } from "./create-token";
import { listTokens } from "./queries";
import { revokeToken } from "./revoke-token";
import { authenticateBearer } from "./authenticate-token";
import { hashTokenSecret } from "@core/tokens/secret";

const NO_BOOTSTRAP = undefined;
const bearer = (secret: string) => `Bearer ${secret}`;

/** Every column of the stored row, as Postgres renders it: nothing the driver or schema could hide. */
async function rawTokenRow(db: Database, id: string): Promise<string> {
  const result = await db.execute(sql`select row_to_json(t)::text as j from api_tokens t where t.id = ${id}`);
  const rows = (result as unknown as { rows: { j: string }[] }).rows;
  expect(rows).toHaveLength(1);
  return rows[0]!.j;
}

async function tokenActor(db: Database, userId: string, scopes: ("read" | "write")[]): Promise<Actor> {
  return authenticateBearer(db, bearer(await makeToken(db, userId, scopes)), NO_BOOTSTRAP);
}

describe.each(testDatabases())("API tokens on $name", (database) => {
  const { db } = useTestDatabase(database);

  describe("createToken", () => {
    it("returns a pcs_ secret once and stores only its hash and visible prefix", async () => {
      const member = await makeUser(db, "member");
      const out = await createToken({ db, actor: member }, { name: "laptop", scopes: ["write", "read", "write"] });

      expect(out.secret).toMatch(/^pcs_[A-Za-z0-9_-]{32}$/);
      expect(out.prefix).toBe(out.secret.slice(0, 12));
      expect(out.scopes).toEqual(["read", "write"]);
      expect(out.userId).toBe(member.userId);
      expect(out.status).toBe("active");
      const days = (Date.parse(out.expiresAt!) - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(89.9);
      expect(days).toBeLessThanOrEqual(90);

      const [row] = await db.select().from(apiTokens).where(eq(apiTokens.id, out.id));
      expect(row!.hash).toBe(await hashTokenSecret(out.secret));
      expect(row!.prefix).toBe(out.prefix);
      const raw = await rawTokenRow(db, out.id);
      expect(raw).not.toContain(out.secret);
      expect(raw).not.toContain(out.secret.slice(12));
    });

    it("writes a token.create audit row that names the token but not its secret", async () => {
      const member = await makeUser(db, "member");
      const out = await createToken({ db, actor: member }, { name: "ci", scopes: ["read"], expiresInDays: null });
      expect(out.expiresAt).toBeNull();

      const rows = await auditFor(db, "token.create", out.id);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.actorId).toBe(member.userId);
      expect(rows[0]!.actorLabel).toBe(member.email);
      expect(rows[0]!.details).toMatchObject({ name: "ci", prefix: out.prefix, scopes: ["read"], userId: member.userId, expiresAt: null });
      expect(JSON.stringify(rows[0])).not.toContain(out.secret.slice(12));
    });

    it("refuses scopes the creator lacks", async () => {
      const admin = await makeUser(db, "admin");
      const writeOnly = await tokenActor(db, admin.userId, ["write"]);
      await expect(createToken({ db, actor: writeOnly }, { name: "wider", scopes: ["read", "write"] })).rejects.toThrow(ValidationError);
      await expect(createToken({ db, actor: writeOnly }, { name: "wider", scopes: ["read", "write"] })).rejects.toThrow(/read/);
      const ok = await createToken({ db, actor: writeOnly }, { name: "narrow", scopes: ["write"] });
      expect(ok.scopes).toEqual(["write"]);
      const names = (await db.select().from(apiTokens).where(eq(apiTokens.userId, admin.userId))).map((t) => t.name).sort();
      expect(names).toEqual(["narrow", "test"]);
    });

    it("lets only sessions and administrators' tokens create tokens: a member's stolen write token mints nothing", async () => {
      const member = await makeUser(db, "member");
      const memberToken = await tokenActor(db, member.userId, ["read", "write"]);
      await expect(createToken({ db, actor: memberToken }, { name: "persist", scopes: ["read", "write"], expiresInDays: null })).rejects.toThrow(ForbiddenError);
      expect((await db.select().from(apiTokens).where(eq(apiTokens.userId, member.userId))).map((t) => t.name)).toEqual(["test"]);
      // From a console session the same person may.
      expect((await createToken({ db, actor: member }, { name: "from the console" })).name).toBe("from the console");
    });

    it("never lets a token outlive the token that created it: it expires no later, and revoking the parent revokes it (and its own children)", async () => {
      const admin = await makeUser(db, "admin");
      const parent = await createToken({ db, actor: admin }, { name: "automation", expiresInDays: 7 });
      const asParent = await authenticateBearer(db, bearer(parent.secret), NO_BOOTSTRAP);
      const child = await createToken({ db, actor: asParent }, { name: "child", expiresInDays: null });
      expect(child.expiresAt).toBe(parent.expiresAt);
      const shorter = await createToken({ db, actor: asParent }, { name: "short", expiresInDays: 1 });
      expect(Date.parse(shorter.expiresAt!)).toBeLessThan(Date.parse(parent.expiresAt!));
      const grandchild = await createToken({ db, actor: await authenticateBearer(db, bearer(child.secret), NO_BOOTSTRAP) }, { name: "grandchild" });
      await revokeToken({ db, actor: admin }, parent.id);
      for (const t of [child, shorter, grandchild]) await expect(authenticateBearer(db, bearer(t.secret), NO_BOOTSTRAP)).rejects.toThrow(UnauthenticatedError);
      const [audit] = await auditFor(db, "token.revoke", parent.id);
      expect((audit!.details as { alsoRevoked: string[] }).alsoRevoked.sort()).toEqual([child.id, shorter.id, grandchild.id].sort());
    });

    it("enforces an organisation-wide maximum lifetime (PORTCULLIS_TOKEN_MAX_DAYS)", async () => {
      const member = await makeUser(db, "member");
      const saved = process.env.PORTCULLIS_TOKEN_MAX_DAYS;
      process.env.PORTCULLIS_TOKEN_MAX_DAYS = "30";
      try {
        await expect(createToken({ db, actor: member }, { name: "long", expiresInDays: 90 })).rejects.toThrow(/at most 30 days/);
        await expect(createToken({ db, actor: member }, { name: "forever", expiresInDays: null })).rejects.toThrow(ValidationError);
        expect((await createToken({ db, actor: member }, { name: "ok", expiresInDays: 30 })).name).toBe("ok");
      } finally {
        if (saved === undefined) delete process.env.PORTCULLIS_TOKEN_MAX_DAYS;
        else process.env.PORTCULLIS_TOKEN_MAX_DAYS = saved;
      }
    });

    it("forbids a read-only token from creating tokens", async () => {
      const member = await makeUser(db, "member");
      const readOnly = await tokenActor(db, member.userId, ["read"]);
      await expect(createToken({ db, actor: readOnly }, { name: "x", scopes: ["read"] })).rejects.toThrow(ForbiddenError);
    });

    it("forbids a member to create a token for another user", async () => {
      const member = await makeUser(db, "member");
      const other = await makeUser(db, "member");
      await expect(createToken({ db, actor: member }, { name: "theirs", userId: other.userId })).rejects.toThrow(ForbiddenError);
      expect(await db.select().from(apiTokens).where(eq(apiTokens.userId, other.userId))).toHaveLength(0);
    });

    it("lets an admin create a token for another user, audited as the admin", async () => {
      const admin = await makeUser(db, "admin");
      const bot = await makeUser(db, "viewer");
      const out = await createToken({ db, actor: admin }, { name: "bot", userId: bot.userId, scopes: ["read"] });
      expect(out.userId).toBe(bot.userId);
      expect(out.userEmail).toBe(bot.email);
      const [audit] = await auditFor(db, "token.create", out.id);
      expect(audit!.actorId).toBe(admin.userId);
      expect(audit!.details).toMatchObject({ userId: bot.userId });
    });

    it("refuses a missing or disabled owner", async () => {
      const admin = await makeUser(db, "admin");
      await expect(createToken({ db, actor: admin }, { name: "x", userId: crypto.randomUUID() })).rejects.toThrow(NotFoundError);
      const gone = await makeUser(db, "member");
      await disableUser(db, gone.userId);
      await expect(createToken({ db, actor: admin }, { name: "x", userId: gone.userId })).rejects.toThrow(ValidationError);
    });

    it("needs a userId when the bootstrap token creates one", async () => {
      await expect(createToken({ db, actor: BOOTSTRAP_ACTOR }, { name: "x" })).rejects.toThrow(ValidationError);
      const member = await makeUser(db, "member");
      const out = await createToken({ db, actor: BOOTSTRAP_ACTOR }, { name: "x", userId: member.userId });
      expect(out.userId).toBe(member.userId);
      const [audit] = await auditFor(db, "token.create", out.id);
      expect(audit!.actorId).toBeNull();
      expect(audit!.actorLabel).toBe("bootstrap-token");
    });

    it("rejects invalid input with a ZodError", async () => {
      const member = await makeUser(db, "member");
      const ctx = { db, actor: member };
      await expect(createToken(ctx, { name: "   " })).rejects.toThrow(ZodError);
      await expect(createToken(ctx, { name: "x", scopes: [] })).rejects.toThrow(ZodError);
      await expect(createToken(ctx, { name: "x", scopes: ["admin"] })).rejects.toThrow(ZodError);
      await expect(createToken(ctx, { name: "x", expiresInDays: 0 })).rejects.toThrow(ZodError);
      await expect(createToken(ctx, { name: "x", extra: true })).rejects.toThrow(ZodError);
      expect(await db.select().from(apiTokens).where(eq(apiTokens.userId, member.userId))).toHaveLength(0);
    });
  });

  describe("listTokens", () => {
    it("lists only the caller's own tokens, never a secret", async () => {
      const alice = await makeUser(db, "member");
      const bob = await makeUser(db, "member");
      const a = await createToken({ db, actor: alice }, { name: "a" });
      await createToken({ db, actor: bob }, { name: "b" });
      const list = await listTokens({ db, actor: alice }, { all: false, includeRevoked: false });
      expect(list.map((t) => t.id)).toEqual([a.id]);
      expect(JSON.stringify(list)).not.toContain(a.secret);
      expect(list[0]).not.toHaveProperty("secret");
    });

    it("lists everyone's tokens with all=true for security and admin", async () => {
      const alice = await makeUser(db, "member");
      const bob = await makeUser(db, "member");
      const a = await createToken({ db, actor: alice }, { name: "a" });
      const b = await createToken({ db, actor: bob }, { name: "b" });
      for (const role of ["security", "admin"] as const) {
        const ids = (await listTokens({ db, actor: await makeUser(db, role) }, { all: true, includeRevoked: false })).map((t) => t.id);
        expect(ids).toEqual(expect.arrayContaining([a.id, b.id]));
      }
    });

    it("forbids all=true to a member", async () => {
      const member = await makeUser(db, "member");
      await expect(listTokens({ db, actor: member }, { all: true, includeRevoked: false })).rejects.toThrow(ForbiddenError);
    });

    it("excludes revoked tokens unless includeRevoked", async () => {
      const member = await makeUser(db, "member");
      const kept = await createToken({ db, actor: member }, { name: "kept" });
      const gone = await createToken({ db, actor: member }, { name: "gone" });
      await revokeToken({ db, actor: member }, gone.id);
      const active = await listTokens({ db, actor: member }, { all: false, includeRevoked: false });
      expect(active.map((t) => t.id)).toEqual([kept.id]);
      const all = await listTokens({ db, actor: member }, { all: false, includeRevoked: true });
      expect(all.map((t) => t.id).sort()).toEqual([kept.id, gone.id].sort());
      expect(all.find((t) => t.id === gone.id)!.status).toBe("revoked");
    });

    it("gives the bootstrap token no tokens of its own", async () => {
      expect(await listTokens({ db, actor: BOOTSTRAP_ACTOR }, { all: false, includeRevoked: true })).toEqual([]);
    });
  });

  describe("revokeToken", () => {
    it("lets the owner revoke, once, with one audit row", async () => {
      const member = await makeUser(db, "member");
      const t = await createToken({ db, actor: member }, { name: "t" });
      const first = await revokeToken({ db, actor: member }, t.id);
      expect(first.revokedAt).not.toBeNull();
      expect(first.status).toBe("revoked");
      const second = await revokeToken({ db, actor: member }, t.id);
      expect(second.revokedAt).toBe(first.revokedAt);
      const audit = await auditFor(db, "token.revoke", t.id);
      expect(audit).toHaveLength(1);
      expect(audit[0]!.actorId).toBe(member.userId);
    });

    it("hides another member's token as not found and leaves it active", async () => {
      const owner = await makeUser(db, "member");
      const other = await makeUser(db, "approver");
      const t = await createToken({ db, actor: owner }, { name: "t" });
      await expect(revokeToken({ db, actor: other }, t.id)).rejects.toThrow(NotFoundError);
      const [row] = await db.select().from(apiTokens).where(eq(apiTokens.id, t.id));
      expect(row!.revokedAt).toBeNull();
      expect(await auditFor(db, "token.revoke", t.id)).toHaveLength(0);
    });

    it("lets security revoke anyone's token", async () => {
      const owner = await makeUser(db, "member");
      const security = await makeUser(db, "security");
      const t = await createToken({ db, actor: owner }, { name: "t" });
      const out = await revokeToken({ db, actor: security }, t.id);
      expect(out.status).toBe("revoked");
      const [audit] = await auditFor(db, "token.revoke", t.id);
      expect(audit!.actorId).toBe(security.userId);
    });

    it("treats a malformed or unknown id as not found", async () => {
      const admin = await makeUser(db, "admin");
      await expect(revokeToken({ db, actor: admin }, "not-a-uuid")).rejects.toThrow(NotFoundError);
      await expect(revokeToken({ db, actor: admin }, "'; drop table api_tokens; --")).rejects.toThrow(NotFoundError);
      await expect(revokeToken({ db, actor: admin }, crypto.randomUUID())).rejects.toThrow(NotFoundError);
    });

    it("forbids a read-only token to revoke", async () => {
      const member = await makeUser(db, "member");
      const t = await createToken({ db, actor: member }, { name: "t" });
      const readOnly = await tokenActor(db, member.userId, ["read"]);
      await expect(revokeToken({ db, actor: readOnly }, t.id)).rejects.toThrow(ForbiddenError);
    });
  });

  describe("authenticateBearer", () => {
    it("resolves a valid token to its user's current role and sets last_used_at", async () => {
      const member = await makeUser(db, "member");
      const t = await createToken({ db, actor: member }, { name: "t", scopes: ["read"] });
      const [before] = await db.select().from(apiTokens).where(eq(apiTokens.id, t.id));
      expect(before!.lastUsedAt).toBeNull();

      const actor = await authenticateBearer(db, bearer(t.secret), NO_BOOTSTRAP);
      expect(actor).toEqual({ kind: "token", userId: member.userId, email: member.email, role: "member", scopes: ["read"], tokenId: t.id, tokenPrefix: t.prefix });
      const [after] = await db.select().from(apiTokens).where(eq(apiTokens.id, t.id));
      expect(after!.lastUsedAt).toBeInstanceOf(Date);
      expect(Math.abs(after!.lastUsedAt!.getTime() - Date.now())).toBeLessThan(60_000);

      await db.update(users).set({ role: "security" }).where(eq(users.id, member.userId));
      expect((await authenticateBearer(db, `bearer   ${t.secret}`, NO_BOOTSTRAP)).role).toBe("security");
    });

    it("refuses a revoked token", async () => {
      const member = await makeUser(db, "member");
      const t = await createToken({ db, actor: member }, { name: "t" });
      await revokeToken({ db, actor: member }, t.id);
      await expect(authenticateBearer(db, bearer(t.secret), NO_BOOTSTRAP)).rejects.toThrow(UnauthenticatedError);
    });

    it("refuses an expired token", async () => {
      const member = await makeUser(db, "member");
      const t = await createToken({ db, actor: member }, { name: "t" });
      await expect(authenticateBearer(db, bearer(t.secret), NO_BOOTSTRAP)).resolves.toMatchObject({ tokenId: t.id });
      await db.update(apiTokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(apiTokens.id, t.id));
      await expect(authenticateBearer(db, bearer(t.secret), NO_BOOTSTRAP)).rejects.toThrow(UnauthenticatedError);
    });

    it("refuses the token of a disabled user", async () => {
      const member = await makeUser(db, "member");
      const secret = await makeToken(db, member.userId);
      await disableUser(db, member.userId);
      await expect(authenticateBearer(db, bearer(secret), NO_BOOTSTRAP)).rejects.toThrow(UnauthenticatedError);
    });

    it("refuses missing, malformed and unknown credentials", async () => {
      const member = await makeUser(db, "member");
      const secret = await makeToken(db, member.userId);
      const unknown = `pcs_${"A".repeat(32)}`;
      for (const header of [null, "", "Bearer", "Bearer ", `Basic ${secret}`, `${secret}`, "Bearer garbage", `Bearer ${unknown}`, `Bearer ${secret}x`, `Bearer ${secret} extra`]) {
        await expect(authenticateBearer(db, header, NO_BOOTSTRAP), String(header)).rejects.toThrow(UnauthenticatedError);
      }
    });

    it("accepts a bootstrap token of at least 24 characters and ignores a shorter one", async () => {
      const long = "b".repeat(24);
      await expect(authenticateBearer(db, bearer(long), long)).resolves.toBe(BOOTSTRAP_ACTOR);
      await expect(authenticateBearer(db, bearer(`${long}x`), long)).rejects.toThrow(UnauthenticatedError);
      const short = "s".repeat(23);
      await expect(authenticateBearer(db, bearer(short), short)).rejects.toThrow(UnauthenticatedError);
    });
  });
});
