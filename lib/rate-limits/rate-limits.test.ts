import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { auditLog, rateLimits, users } from "@/db/schema";
import { toProblem } from "../api/problem";
import { BOOTSTRAP_ACTOR } from "../auth/actor";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../errors";
import { RateLimitSpec } from "@core/limits/schema";
import { createTeam } from "../teams/create-team";
import { makeToken, makeUser } from "@/testing/users";
import { authenticateBearer } from "../tokens/authenticate-token";
import { rateLimitInputFromForm } from "./form";
import { compileRateLimits } from "./compile-rate-limits";
import { createRateLimit } from "./create-rate-limit";
import { deleteRateLimit } from "./delete-rate-limit";
import { getRateLimit, listRateLimits } from "./queries";
import { updateRateLimit } from "./update-rate-limit";
import { formatWindow, parseWindow } from "./schemas";

const uniq = () => Math.random().toString(36).slice(2, 8);

describe("rate-limit windows", () => {
  it("reads seconds and short durations, and writes the shortest exact text", () => {
    expect(["90", "30s", "1m", "15M", "1h", "1d", " 2 h "].map(parseWindow)).toEqual([90, 30, 60, 900, 3600, 86_400, 7200]);
    expect(["", "1w", "1.5h", "-1", "m", "1 hour"].map(parseWindow)).toEqual([null, null, null, null, null, null]);
    expect([1, 60, 90, 3600, 5400, 86_400].map(formatWindow)).toEqual(["1s", "1m", "90s", "1h", "90m", "1d"]);
  });
});

describe.each(testDatabases())("rate limits on $name", (database) => {
  const { db } = useTestDatabase(database);

  const admin = () => ({ db, actor: BOOTSTRAP_ACTOR });

  it("creates, reads, edits and deletes a rate limit, each change audited with before and after", async () => {
    const team = await createTeam(admin(), { slug: `t-${uniq()}`, name: "Platform" });
    const security = await makeUser(db, "security");
    const created = await createRateLimit({ db, actor: security }, {
      name: `Searches ${uniq()}`,
      subject: ` Team:${team.slug} `,
      per: "team",
      scope: "mcp",
      server: "github",
      tool: "search_*",
      limit: 100,
      window: "1h",
    });
    expect(created).toMatchObject({ subject: `team:${team.slug}`, per: "team", scope: "mcp", server: "github", tool: "search_*", limit: 100, window: 3600, enabled: true });
    expect(await getRateLimit(admin(), created.id)).toEqual(created);

    // Only what is sent changes: enabled stays false through a later edit of another field.
    await updateRateLimit({ db, actor: security }, created.id, { enabled: false });
    const edited = await updateRateLimit({ db, actor: security }, created.id, { limit: 50, window: 30 });
    expect(edited).toMatchObject({ limit: 50, window: 30, enabled: false, tool: "search_*", name: created.name });
    const toLlm = await updateRateLimit({ db, actor: security }, created.id, { scope: "llm", server: null, tool: null });
    expect(toLlm).toMatchObject({ scope: "llm", server: null, tool: null });

    const trail = await db.select().from(auditLog).where(eq(auditLog.targetId, created.id));
    expect(trail.map((a) => a.action).sort()).toEqual(["rate_limit.create", "rate_limit.update", "rate_limit.update", "rate_limit.update"]);
    expect(trail.find((a) => a.action === "rate_limit.create")!.details).toMatchObject({ rateLimit: { subject: `team:${team.slug}`, window: 3600 } });
    expect(trail.some((a) => JSON.stringify(a.details).includes('"before":{') && JSON.stringify(a.details).includes('"limit":50'))).toBe(true);

    const gone = await deleteRateLimit({ db, actor: security }, created.id);
    expect(gone.id).toBe(created.id);
    expect((await db.select().from(auditLog).where(eq(auditLog.targetId, created.id))).some((a) => a.action === "rate_limit.delete")).toBe(true);
    await expect(getRateLimit(admin(), created.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(getRateLimit(admin(), "not-a-uuid")).rejects.toBeInstanceOf(NotFoundError);
    await expect(updateRateLimit(admin(), crypto.randomUUID(), { limit: 1 })).rejects.toBeInstanceOf(NotFoundError);
    await expect(deleteRateLimit(admin(), crypto.randomUUID())).rejects.toBeInstanceOf(NotFoundError);
  });

  it("refuses bad input with field names, group and domain subjects with a clear message, and taken names", async () => {
    const before = (await db.select().from(rateLimits)).length;
    const ok = { name: "x", subject: "everyone", per: "user", scope: "mcp", limit: 1, window: 60 };
    const bad: [Record<string, unknown>, string][] = [
      [{ ...ok, subject: "group:eng" }, "subject"],
      [{ ...ok, subject: "domain:acme.com" }, "subject"],
      [{ ...ok, subject: "someone" }, "subject"],
      [{ ...ok, per: "everyone" }, "per"],
      [{ ...ok, scope: "http" }, "scope"],
      [{ ...ok, scope: "llm", server: "github" }, "server"],
      [{ ...ok, scope: "all", tool: "x_*" }, "tool"],
      [{ ...ok, server: "Git_Hub" }, "server"],
      [{ ...ok, tool: "two words" }, "tool"],
      [{ ...ok, limit: 0 }, "limit"],
      [{ ...ok, limit: 1.5 }, "limit"],
      [{ ...ok, window: 0 }, "window"],
      [{ ...ok, window: 86_401 }, "window"],
      [{ ...ok, window: "2d" }, "window"],
      [{ ...ok, window: "soon" }, "window"],
      [{ ...ok, name: "" }, "name"],
      [{ ...ok, extra: true }, "(root)"],
    ];
    for (const [body, field] of bad) {
      const error = await createRateLimit(admin(), body).catch((e: unknown) => e);
      expect(error, JSON.stringify(body)).toBeInstanceOf(ZodError);
      const problem = toProblem(error, "body");
      expect(problem.status).toBe(400);
      expect(Object.keys(problem.body.error.fields ?? {}), JSON.stringify(body)).toContain(field);
    }
    const group = toProblem(await createRateLimit(admin(), { ...ok, subject: "group:eng" }).catch((e: unknown) => e));
    expect(group.body.error.message).toMatch(/cannot apply to an IdP group or an e-mail domain/);

    await expect(createRateLimit(admin(), { ...ok, subject: "team:no-such-team" })).rejects.toThrow(/no team with slug no-such-team/);
    await expect(createRateLimit(admin(), { ...ok, subject: "user:ghost@example.test" })).rejects.toBeInstanceOf(ValidationError);
    await expect(createRateLimit(admin(), { ...ok, subject: `token:${crypto.randomUUID()}` })).rejects.toThrow(/no API token/);
    const name = `Taken ${uniq()}`;
    const first = await createRateLimit(admin(), { ...ok, name });
    await expect(createRateLimit(admin(), { ...ok, name: name.toUpperCase() })).rejects.toBeInstanceOf(ConflictError);
    const other = await createRateLimit(admin(), { ...ok, name: `Other ${uniq()}` });
    await expect(updateRateLimit(admin(), other.id, { name: name.toLowerCase() })).rejects.toBeInstanceOf(ConflictError);
    await expect(updateRateLimit(admin(), first.id, {})).rejects.toBeInstanceOf(ZodError);
    expect((await db.select().from(rateLimits)).length).toBe(before + 2);
  });

  it("lets only security and admins write, approvers read, and nobody else", async () => {
    const approver = await makeUser(db, "approver");
    const member = await makeUser(db, "member");
    const body = { name: `n ${uniq()}`, subject: "everyone", per: "user", scope: "all", limit: 5, window: "1s" };
    await expect(createRateLimit({ db, actor: approver }, body)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(listRateLimits({ db, actor: member })).rejects.toBeInstanceOf(ForbiddenError);
    const created = await createRateLimit(admin(), body);
    await expect(updateRateLimit({ db, actor: approver }, created.id, { limit: 9 })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(deleteRateLimit({ db, actor: member }, created.id)).rejects.toBeInstanceOf(ForbiddenError);
    expect((await listRateLimits({ db, actor: approver })).some((r) => r.id === created.id)).toBe(true);
    // A read-only token of a security user may read but not write.
    const security = await makeUser(db, "security");
    const secret = await makeToken(db, security.userId, ["read"]);
    const readOnly = await authenticateBearer(db, `Bearer ${secret}`);
    await expect(createRateLimit({ db, actor: readOnly }, { ...body, name: `ro ${uniq()}` })).rejects.toBeInstanceOf(ForbiddenError);
    expect(Array.isArray(await listRateLimits({ db, actor: readOnly }))).toBe(true);
  });

  it("reads the editor's form fields, ignoring server and tool outside an MCP scope", async () => {
    const form = new FormData();
    for (const [k, v] of Object.entries({ name: " Form ", subject: "everyone", per: "token", scope: "llm", server: "github", tool: "x", limit: "12", window: "1h", enabled: "on" })) form.set(k, v);
    expect(rateLimitInputFromForm(form)).toEqual({ name: "Form", subject: "everyone", per: "token", scope: "llm", server: null, tool: null, limit: 12, window: "1h", enabled: true });
    form.set("limit", "12.5");
    await expect(createRateLimit(admin(), { ...rateLimitInputFromForm(form), name: `f ${uniq()}` })).rejects.toBeInstanceOf(ZodError);
  });

  it("compiles enabled limits into bundle specs, dropping subjects that are not in the bundle", async () => {
    await db.delete(rateLimits);
    const alice = await makeUser(db, "member", `alice-${uniq()}@acme.test`);
    const team = await createTeam(admin(), { slug: `t-${uniq()}`, name: "Ops" });
    const secret = await makeToken(db, alice.userId);
    const tokenActor = await authenticateBearer(db, `Bearer ${secret}`);
    const tokenId = tokenActor.kind === "token" ? tokenActor.tokenId : "";
    const everyone = await createRateLimit(admin(), { name: `all ${uniq()}`, subject: "everyone", per: "user", scope: "mcp", server: "github", tool: "search_*", limit: 10, window: "1m" });
    const forAlice = await createRateLimit(admin(), { name: `alice ${uniq()}`, subject: `user:${alice.email}`, per: "user", scope: "llm", limit: 100, window: "1d" });
    const forTeam = await createRateLimit(admin(), { name: `team ${uniq()}`, subject: `team:${team.slug}`, per: "team", scope: "all", limit: 1000, window: 3600 });
    const forToken = await createRateLimit(admin(), { name: `token ${uniq()}`, subject: `token:${tokenId}`, per: "token", scope: "mcp", limit: 5, window: 1 });
    const off = await createRateLimit(admin(), { name: `off ${uniq()}`, subject: "everyone", per: "user", scope: "all", limit: 1, window: 1, enabled: false });

    const all = await compileRateLimits(db, { userIds: new Set([alice.userId]), teamIds: new Set([team.id]) });
    for (const spec of all) expect(() => RateLimitSpec.parse(spec)).not.toThrow();
    expect(all.map((s) => s.id).sort()).toEqual([everyone.id, forAlice.id, forTeam.id, forToken.id].sort());
    expect(all.some((s) => s.id === off.id)).toBe(false);
    expect(all.find((s) => s.id === everyone.id)).toEqual({
      id: everyone.id,
      name: everyone.name,
      subject: { type: "everyone" },
      per: "user",
      scope: { kind: "mcp", serverSlug: "github", tool: "search_*" },
      limit: 10,
      windowSeconds: 60,
    });
    expect(all.find((s) => s.id === forAlice.id)).toMatchObject({ subject: { type: "user", userId: alice.userId }, scope: { kind: "llm" }, windowSeconds: 86_400 });
    expect(all.find((s) => s.id === forTeam.id)).toMatchObject({ subject: { type: "team", teamId: team.id }, per: "team", scope: { kind: "all" } });
    expect(all.find((s) => s.id === forToken.id)).toMatchObject({ subject: { type: "token", tokenId } });

    // A disabled user (not in the bundle) and a team not in the bundle drop out; everyone and token stay.
    await db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, alice.userId));
    const pruned = await compileRateLimits(db, { userIds: new Set(), teamIds: new Set() });
    expect(pruned.map((s) => s.id).sort()).toEqual([everyone.id, forToken.id].sort());
    // Equal state compiles equal.
    expect(await compileRateLimits(db, { userIds: new Set(), teamIds: new Set() })).toEqual(pruned);
  });
});
