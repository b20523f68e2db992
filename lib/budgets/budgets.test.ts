import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { auditLog, budgetAlerts, budgets, llmEvents, users } from "@/db/schema";
import { toProblem } from "../api/problem";
import { BOOTSTRAP_ACTOR, type Actor } from "../auth/actor";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../errors";
import { BudgetSpec } from "@core/limits/schema";
import { createTeam } from "../teams/create-team";
import { setMembership } from "@/lib/teams/set-membership";
import { makeToken, makeUser } from "@/testing/users";
import { startWebhookReceiver } from "@/testing/webhook-receiver";
import { authenticateBearer } from "../tokens/authenticate-token";
import { compileBudgets } from "./compile-budgets";
import { createBudget } from "./create-budget";
import { deleteBudget } from "./delete-budget";
import { getBudget, listBudgets } from "./queries";
import { updateBudget } from "./update-budget";
import { budgetInputFromForm } from "./form";
import { budgetStatus } from "./spend";
import { checkBudgetAlerts } from "./check-budget-alerts";
import { getBudgetBurnDowns, getBudgetStatus, listBudgetAlerts } from "./queries";
import { totalTokens } from "@core/llm/usage";
import type { BudgetWebhookPayload } from "./schemas";
import { sendBudgetWebhook } from "./webhook";

const uniq = () => Math.random().toString(36).slice(2, 8);

describe("budget tokens", () => {
  it("counts each token once: OpenAI's input already holds its cached tokens, Anthropic's does not", () => {
    // The edge meters with totalTokens (lib/core/llm/usage.ts); the console's SQL must agree with it.
    const usage = { model: null, inputTokens: 1000, outputTokens: 200, cachedInputTokens: 600, cacheWriteTokens: 50 };
    expect(totalTokens("openai", usage)).toBe(1250);
    expect(totalTokens("anthropic", usage)).toBe(1850);
  });
});

const startReceiver = () => startWebhookReceiver<BudgetWebhookPayload>();

describe.each(testDatabases())("budgets on $name", (database) => {
  const { db } = useTestDatabase(database);

  const admin = () => ({ db, actor: BOOTSTRAP_ACTOR });

  async function event(e: {
    at: string;
    userId?: string | null;
    teamIds?: string[];
    tokenId?: string | null;
    kind?: "openai" | "anthropic";
    input?: number | null;
    output?: number | null;
    cached?: number | null;
    cacheWrite?: number | null;
    micro?: number | null;
    decision?: "allowed" | "denied";
  }) {
    await db.insert(llmEvents).values({
      id: crypto.randomUUID(),
      time: e.at,
      userId: e.userId ?? null,
      teamIds: e.teamIds ?? [],
      tokenId: e.tokenId ?? null,
      providerSlug: "test",
      providerKind: e.kind ?? "openai",
      operation: "chat.completions",
      model: "gpt-4o",
      stream: false,
      status: 200,
      success: true,
      decision: e.decision ?? "allowed",
      inputTokens: e.input ?? null,
      outputTokens: e.output ?? null,
      cachedInputTokens: e.cached ?? null,
      cacheWriteTokens: e.cacheWrite ?? null,
      costMicroUsd: e.micro ?? null,
    });
  }

  async function tokenIdOf(secret: string): Promise<string> {
    const actor = await authenticateBearer(db, `Bearer ${secret}`);
    if (actor.kind !== "token") throw new Error("not a token");
    return actor.tokenId;
  }

  it("creates, reads, edits and deletes a budget in dollars, stored in micro-dollars, each change audited", async () => {
    const team = await createTeam(admin(), { slug: `t-${uniq()}`, name: "Platform" });
    const security = await makeUser(db, "security");
    const created = await createBudget({ db, actor: security }, { name: `Platform ${uniq()}`, subject: `team:${team.slug}`, metric: "usd", limit: 19.99, period: "month" });
    expect(created).toMatchObject({ subject: `team:${team.slug}`, metric: "usd", limit: 19.99, period: "month", onExceed: "block", alertWebhookUrl: null, hasAlertWebhook: false, enabled: true });
    const [row] = await db.select().from(budgets).where(eq(budgets.id, created.id));
    expect(row!.limit).toBe(19_990_000);
    expect(await getBudget(admin(), created.id)).toEqual(created);

    await updateBudget({ db, actor: security }, created.id, { onExceed: "flag", enabled: false });
    const edited = await updateBudget({ db, actor: security }, created.id, { limit: 0.000001, alertWebhookUrl: "https://hooks.example.com/x" });
    expect(edited).toMatchObject({ limit: 0.000001, onExceed: "flag", enabled: false, alertWebhookUrl: "https://hooks.example.com/x", hasAlertWebhook: true });
    const retyped = await updateBudget({ db, actor: security }, created.id, { metric: "tokens", limit: 5000, period: "day", alertWebhookUrl: null });
    expect(retyped).toMatchObject({ metric: "tokens", limit: 5000, period: "day", alertWebhookUrl: null });

    const trail = await db.select().from(auditLog).where(eq(auditLog.targetId, created.id));
    expect(trail.map((a) => a.action).sort()).toEqual(["budget.create", "budget.update", "budget.update", "budget.update"]);
    expect(trail.find((a) => a.action === "budget.create")!.details).toMatchObject({ budget: { limit: 19.99, metric: "usd" } });

    await deleteBudget({ db, actor: security }, created.id);
    expect((await db.select().from(auditLog).where(eq(auditLog.targetId, created.id))).some((a) => a.action === "budget.delete")).toBe(true);
    await expect(getBudget(admin(), created.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(getBudget(admin(), "nope")).rejects.toBeInstanceOf(NotFoundError);
    await expect(deleteBudget(admin(), crypto.randomUUID())).rejects.toBeInstanceOf(NotFoundError);
  });

  it("refuses bad input with field names and writes nothing", async () => {
    const team = await createTeam(admin(), { slug: `t-${uniq()}`, name: "T" });
    const before = (await db.select().from(budgets)).length;
    const ok = { name: "x", subject: `team:${team.slug}`, metric: "usd", limit: 10, period: "week" };
    const bad: [Record<string, unknown>, string][] = [
      [{ ...ok, subject: "everyone" }, "subject"],
      [{ ...ok, subject: "group:eng" }, "subject"],
      [{ ...ok, subject: "domain:acme.com" }, "subject"],
      [{ ...ok, metric: "eur" }, "metric"],
      [{ ...ok, limit: 0 }, "limit"],
      [{ ...ok, limit: -5 }, "limit"],
      [{ ...ok, limit: 0.0000001 }, "limit"],
      [{ ...ok, limit: 1.1234567 }, "limit"],
      [{ ...ok, metric: "tokens", limit: 10.5 }, "limit"],
      [{ ...ok, limit: "10" }, "limit"],
      [{ ...ok, period: "year" }, "period"],
      [{ ...ok, onExceed: "warn" }, "onExceed"],
      [{ ...ok, alertWebhookUrl: "http://hooks.example.com/x" }, "alertWebhookUrl"],
      [{ ...ok, alertWebhookUrl: "ftp://hooks.example.com/x" }, "alertWebhookUrl"],
      [{ ...ok, alertWebhookUrl: "https://user:pw@hooks.example.com/x" }, "alertWebhookUrl"],
      [{ ...ok, extra: 1 }, "(root)"],
    ];
    for (const [body, field] of bad) {
      const error = await createBudget(admin(), body).catch((e: unknown) => e);
      expect(error, JSON.stringify(body)).toBeInstanceOf(ZodError);
      expect(Object.keys(toProblem(error).body.error.fields ?? {}), JSON.stringify(body)).toContain(field);
    }
    expect(toProblem(await createBudget(admin(), { ...ok, subject: "everyone" }).catch((e: unknown) => e)).body.error.message).toMatch(/a budget applies to user:<e-mail>, team:<slug> or token:<token id>/);
    await expect(createBudget(admin(), { ...ok, subject: "team:no-such" })).rejects.toThrow(/no team with slug no-such/);
    await expect(createBudget(admin(), { ...ok, subject: "user:ghost@example.test" })).rejects.toBeInstanceOf(ValidationError);
    // http is fine for loopback receivers.
    const name = `Taken ${uniq()}`;
    const made = await createBudget(admin(), { ...ok, name, alertWebhookUrl: "http://127.0.0.1:9/x" });
    await expect(createBudget(admin(), { ...ok, name: name.toUpperCase() })).rejects.toBeInstanceOf(ConflictError);
    const metricOnly = await updateBudget(admin(), made.id, { metric: "tokens" }).catch((e: unknown) => e);
    expect(metricOnly).toBeInstanceOf(ValidationError);
    expect((metricOnly as ValidationError).fieldErrors).toHaveProperty("limit");
    expect((await db.select().from(budgets)).length).toBe(before + 1);
  });

  it("lets everyone read budgets and spend, only security and admins write, and hides webhook URLs from readers", async () => {
    const team = await createTeam(admin(), { slug: `t-${uniq()}`, name: "T" });
    const viewer = await makeUser(db, "viewer");
    const approver = await makeUser(db, "approver");
    const body = { name: `n ${uniq()}`, subject: `team:${team.slug}`, metric: "tokens", limit: 1000, period: "day", alertWebhookUrl: "https://hooks.example.com/secret-path" };
    await expect(createBudget({ db, actor: approver }, body)).rejects.toBeInstanceOf(ForbiddenError);
    const created = await createBudget(admin(), body);
    await expect(updateBudget({ db, actor: viewer }, created.id, { limit: 5 })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(deleteBudget({ db, actor: approver }, created.id)).rejects.toBeInstanceOf(ForbiddenError);
    const seen = (await listBudgets({ db, actor: viewer })).find((b) => b.id === created.id)!;
    expect(seen).toMatchObject({ alertWebhookUrl: null, hasAlertWebhook: true });
    expect((await getBudget({ db, actor: viewer }, created.id)).alertWebhookUrl).toBeNull();
    expect((await getBudget(admin(), created.id)).alertWebhookUrl).toBe(body.alertWebhookUrl);
    const status = await getBudgetStatus({ db, actor: viewer });
    expect(status.budgets.find((s) => s.budget.id === created.id)!.budget.alertWebhookUrl).toBeNull();
    expect(Array.isArray(await listBudgetAlerts({ db, actor: viewer }, { limit: 5 }))).toBe(true);
  });

  it("reads the editor's form fields", () => {
    const form = new FormData();
    for (const [k, v] of Object.entries({ name: "F", subject: "team:x", metric: "usd", limit: "$1,250.50", period: "month", onExceed: "flag", alertWebhookUrl: "", enabled: "on" })) form.set(k, v);
    expect(budgetInputFromForm(form)).toEqual({ name: "F", subject: "team:x", metric: "usd", limit: 1250.5, period: "month", onExceed: "flag", alertWebhookUrl: null, enabled: true });
    form.set("limit", "lots");
    expect(budgetInputFromForm(form).limit).toBe("lots");
  });

  it("compiles enabled budgets into bundle specs in micro-dollars, dropping subjects that are not in the bundle", async () => {
    await db.delete(budgets);
    const alice = await makeUser(db, "member", `alice-${uniq()}@acme.test`);
    const team = await createTeam(admin(), { slug: `t-${uniq()}`, name: "Ops" });
    const tokenId = await tokenIdOf(await makeToken(db, alice.userId));
    const forTeam = await createBudget(admin(), { name: `team ${uniq()}`, subject: `team:${team.slug}`, metric: "usd", limit: 250.5, period: "month", onExceed: "flag" });
    const forAlice = await createBudget(admin(), { name: `alice ${uniq()}`, subject: `user:${alice.email}`, metric: "tokens", limit: 1_000_000, period: "day" });
    const forToken = await createBudget(admin(), { name: `token ${uniq()}`, subject: `token:${tokenId}`, metric: "usd", limit: 1, period: "week" });
    const off = await createBudget(admin(), { name: `off ${uniq()}`, subject: `team:${team.slug}`, metric: "tokens", limit: 1, period: "day", enabled: false });

    const specs = await compileBudgets(db, { userIds: new Set([alice.userId]), teamIds: new Set([team.id]) });
    for (const spec of specs) expect(() => BudgetSpec.parse(spec)).not.toThrow();
    expect(specs.map((s) => s.id).sort()).toEqual([forTeam.id, forAlice.id, forToken.id].sort());
    expect(specs.some((s) => s.id === off.id)).toBe(false);
    expect(specs.find((s) => s.id === forTeam.id)).toEqual({
      id: forTeam.id,
      name: forTeam.name,
      subject: { type: "team", teamId: team.id },
      metric: "usd",
      limit: 250_500_000,
      period: "month",
      onExceed: "flag",
    });
    expect(specs.find((s) => s.id === forAlice.id)).toMatchObject({ subject: { type: "user", userId: alice.userId }, limit: 1_000_000, onExceed: "block" });
    expect(specs.find((s) => s.id === forToken.id)).toMatchObject({ subject: { type: "token", tokenId }, limit: 1_000_000 });

    await db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, alice.userId));
    const pruned = await compileBudgets(db, { userIds: new Set(), teamIds: new Set([team.id]) });
    expect(pruned.map((s) => s.id).sort()).toEqual([forTeam.id, forToken.id].sort());
  });

  it("measures spend in the current period along the hierarchy: a member's calls count for their team, themselves and the key used", async () => {
    await db.delete(budgets);
    const now = new Date("2026-11-26T12:00:00Z");
    const team = await createTeam(admin(), { slug: `t-${uniq()}`, name: "Team" });
    const alice = await makeUser(db, "member", `alice-${uniq()}@acme.test`);
    const bob = await makeUser(db, "member", `bob-${uniq()}@acme.test`);
    await setMembership(admin(), team.id, alice.userId, {});
    const aliceKey = await tokenIdOf(await makeToken(db, alice.userId));
    const bobKey = await tokenIdOf(await makeToken(db, bob.userId));

    const teamUsd = await createBudget(admin(), { name: `team ${uniq()}`, subject: `team:${team.slug}`, metric: "usd", limit: 10, period: "month" });
    const aliceTokens = await createBudget(admin(), { name: `alice ${uniq()}`, subject: `user:${alice.email}`, metric: "tokens", limit: 10_000, period: "day" });
    const keyUsd = await createBudget(admin(), { name: `key ${uniq()}`, subject: `token:${aliceKey}`, metric: "usd", limit: 4, period: "week" });
    const bobUsd = await createBudget(admin(), { name: `bob ${uniq()}`, subject: `user:${bob.email}`, metric: "usd", limit: 1, period: "month" });

    // Alice with her personal key (OpenAI: cached tokens are inside the input).
    await event({ at: "2026-11-26T08:00:00Z", userId: alice.userId, teamIds: [team.id], tokenId: aliceKey, kind: "openai", input: 1000, output: 500, cached: 400, micro: 2_000_000 });
    // Alice through OAuth (no key), Anthropic: cache reads and writes are on top of the input.
    await event({ at: "2026-11-26T09:00:00Z", userId: alice.userId, teamIds: [team.id], kind: "anthropic", input: 100, output: 50, cached: 1000, cacheWrite: 10, micro: 1_500_000 });
    // Earlier this month, not today, not this ISO week (2026-W48 starts Monday 23rd).
    await event({ at: "2026-11-02T09:00:00Z", userId: alice.userId, teamIds: [team.id], tokenId: aliceKey, input: 5, micro: 500_000 });
    // Last month, and a denied call: neither counts.
    await event({ at: "2026-10-31T23:59:59Z", userId: alice.userId, teamIds: [team.id], tokenId: aliceKey, input: 99_999, micro: 9_000_000 });
    await event({ at: "2026-11-26T10:00:00Z", userId: alice.userId, teamIds: [team.id], tokenId: aliceKey, input: 99_999, micro: 9_000_000, decision: "denied" });
    // Bob is not in the team: his spend counts for his budget only.
    await event({ at: "2026-11-26T10:30:00Z", userId: bob.userId, teamIds: [], tokenId: bobKey, input: 7000, micro: 750_000 });
    // An unpriced call adds tokens but no dollars.
    await event({ at: "2026-11-26T11:00:00Z", userId: alice.userId, teamIds: [team.id], tokenId: aliceKey, input: 10, output: 5, micro: null });

    const status = new Map((await budgetStatus(db, now)).map((s) => [s.budget.id, s]));
    expect(status.get(teamUsd.id)).toMatchObject({ periodKey: "2026-11", spent: 4, percent: 40, level: "ok", resetsAt: "2026-12-01T00:00:00.000Z", periodStart: "2026-11-01T00:00:00.000Z" });
    // 1000 + 500 (OpenAI) + 100 + 50 + 1000 + 10 (Anthropic) + 15 (unpriced) = 2675 tokens today.
    expect(status.get(aliceTokens.id)).toMatchObject({ periodKey: "2026-11-26", spent: 2675, percent: 26.8, resetsAt: "2026-11-27T00:00:00.000Z" });
    expect(status.get(keyUsd.id)).toMatchObject({ periodKey: "2026-W48", spent: 2, percent: 50, level: "ok", resetsAt: "2026-11-30T00:00:00.000Z" });
    expect(status.get(bobUsd.id)).toMatchObject({ spent: 0.75, percent: 75, level: "ok" });
    expect(status.get(teamUsd.id)!.covers).toMatch(/any member of team:/);

    await event({ at: "2026-11-26T11:30:00Z", userId: bob.userId, teamIds: [], tokenId: bobKey, micro: 300_000 });
    await event({ at: "2026-11-26T11:40:00Z", userId: alice.userId, teamIds: [team.id], tokenId: aliceKey, micro: 1_000_000 });
    const later = new Map((await budgetStatus(db, now)).map((s) => [s.budget.id, s]));
    expect(later.get(bobUsd.id)).toMatchObject({ spent: 1.05, percent: 105, level: "exceeded" });
    expect(later.get(keyUsd.id)).toMatchObject({ spent: 3, percent: 75, level: "ok" });
    expect(later.get(teamUsd.id)).toMatchObject({ spent: 5, percent: 50 });
    await event({ at: "2026-11-26T11:50:00Z", userId: alice.userId, teamIds: [team.id], tokenId: aliceKey, micro: 250_000 });
    expect((await budgetStatus(db, now)).find((s) => s.budget.id === keyUsd.id)).toMatchObject({ percent: 81.3, level: "warning" });
  });

  it("draws each budget's burn-down from its daily spend, for the budgets that cover the caller (all for security and admins)", async () => {
    await db.delete(budgets);
    const now = new Date("2026-11-26T12:00:00Z");
    const team = await createTeam(admin(), { slug: `t-${uniq()}`, name: "Team" });
    const alice = await makeUser(db, "member", `alice-${uniq()}@acme.test`);
    const bob = await makeUser(db, "member", `bob-${uniq()}@acme.test`);
    const security = await makeUser(db, "security");
    await setMembership(admin(), team.id, alice.userId, {});
    const aliceKey = await tokenIdOf(await makeToken(db, alice.userId));
    const teamUsd = await createBudget(admin(), { name: `team ${uniq()}`, subject: `team:${team.slug}`, metric: "usd", limit: 10, period: "month" });
    const keyTokens = await createBudget(admin(), { name: `key ${uniq()}`, subject: `token:${aliceKey}`, metric: "tokens", limit: 1000, period: "week" });
    const bobUsd = await createBudget(admin(), { name: `bob ${uniq()}`, subject: `user:${bob.email}`, metric: "usd", limit: 1, period: "month" });
    await event({ at: "2026-11-02T09:00:00Z", userId: alice.userId, teamIds: [team.id], tokenId: aliceKey, input: 5, micro: 500_000 });
    await event({ at: "2026-11-24T09:00:00Z", userId: alice.userId, teamIds: [team.id], tokenId: aliceKey, input: 100, output: 20, micro: 1_000_000 });
    await event({ at: "2026-11-26T08:00:00Z", userId: alice.userId, teamIds: [team.id], tokenId: aliceKey, input: 300, micro: 2_500_000 });
    await event({ at: "2026-11-26T09:00:00Z", userId: alice.userId, teamIds: [team.id], tokenId: aliceKey, input: 999, micro: 9_000_000, decision: "denied" });
    await event({ at: "2026-11-26T10:00:00Z", userId: bob.userId, micro: 250_000 });

    const ids = async (actor: Actor) => (await getBudgetBurnDowns({ db, actor }, now)).map((b) => b.budgetId).sort();
    const all = new Map((await getBudgetBurnDowns({ db, actor: security }, now)).map((b) => [b.budgetId, b.burnDown]));
    expect((await getBudgetBurnDowns({ db, actor: security }, now)).find((b) => b.budgetId === teamUsd.id)).toMatchObject({ name: teamUsd.name, metric: "usd", teamId: team.id });
    expect([...all.keys()].sort()).toEqual([teamUsd.id, keyTokens.id, bobUsd.id].sort());
    const team$ = all.get(teamUsd.id)!;
    // Dollars, cumulative at the end of each day of November so far; the denied call never counts.
    expect(team$.start).toBe(Date.parse("2026-11-01T00:00:00Z"));
    expect(team$.actual.find((p) => p.t === Date.parse("2026-11-03T00:00:00Z"))!.spent).toBe(0.5);
    expect(team$.actual.find((p) => p.t === Date.parse("2026-11-25T00:00:00Z"))!.spent).toBe(1.5);
    expect(team$.actual.at(-1)).toEqual({ t: now.getTime(), spent: 4 });
    // The same figure the status shows.
    expect((await budgetStatus(db, now)).find((s) => s.budget.id === teamUsd.id)!.spent).toBe(team$.spent);
    expect(team$.thresholds).toEqual([
      { percent: 50, amount: 5 },
      { percent: 80, amount: 8 },
      { percent: 100, amount: 10 },
    ]);
    // 4 dollars in 25.5 of 30 days.
    expect(team$.projected).toBeCloseTo((4 * 30) / 25.5);
    // The key's tokens this ISO week (from Monday 23rd): 120 + 300.
    expect(all.get(keyTokens.id)!.spent).toBe(420);

    // Alice: her team's budget and her key's; Bob: his own. Neither sees the other's.
    expect(await ids(alice)).toEqual([teamUsd.id, keyTokens.id].sort());
    expect(await ids(bob)).toEqual([bobUsd.id]);
    await expect(getBudgetBurnDowns({ db, actor: { ...bob, scopes: [] } }, now)).rejects.toThrow(ForbiddenError);
  });

  it("fires each alert threshold once per period, again in the next period, and POSTs new ones to the webhook", async () => {
    await db.delete(budgets);
    const receiver = await startReceiver();
    try {
      const alice = await makeUser(db, "member", `alice-${uniq()}@acme.test`);
      const hooked = await createBudget(admin(), { name: `hooked ${uniq()}`, subject: `user:${alice.email}`, metric: "usd", limit: 10, period: "month", alertWebhookUrl: receiver.url });
      const silent = await createBudget(admin(), { name: `silent ${uniq()}`, subject: `user:${alice.email}`, metric: "tokens", limit: 100, period: "month" });
      const disabled = await createBudget(admin(), { name: `off ${uniq()}`, subject: `user:${alice.email}`, metric: "tokens", limit: 1, period: "month", enabled: false });
      const nov = new Date("2026-11-20T12:00:00Z");

      expect(await checkBudgetAlerts(db, nov)).toEqual([]);
      await event({ at: "2026-11-20T10:00:00Z", userId: alice.userId, micro: 5_500_000, input: 60 });
      const first = await checkBudgetAlerts(db, nov);
      const by = (list: typeof first, id: string) => list.filter((a) => a.budgetId === id).map((a) => [a.threshold, a.webhookStatus]);
      expect(by(first, hooked.id)).toEqual([[50, "sent"]]);
      expect(by(first, silent.id)).toEqual([[50, null]]);
      expect(first).toHaveLength(2);
      expect(receiver.received).toHaveLength(1);
      expect(receiver.received[0]!.contentType).toBe("application/json");
      expect(receiver.received[0]!.body).toEqual({
        budget: { id: hooked.id, name: hooked.name, subject: `user:${alice.email}`, metric: "usd", limit: 10, period: "month" },
        periodKey: "2026-11",
        threshold: 50,
        spent: 5.5,
        limit: 10,
        at: nov.toISOString(),
      });

      // Same spend again: nothing new fires.
      expect(await checkBudgetAlerts(db, nov)).toEqual([]);
      // Past 80 and 100 at once: both fire, in order; 50 does not fire again.
      await event({ at: "2026-11-20T11:00:00Z", userId: alice.userId, micro: 5_000_000, input: 50 });
      const second = await checkBudgetAlerts(db, nov);
      expect(second.filter((a) => a.budgetId === hooked.id).map((a) => a.threshold)).toEqual([80, 100]);
      expect(second.filter((a) => a.budgetId === silent.id).map((a) => a.threshold)).toEqual([80, 100]);
      expect(receiver.received.map((r) => r.body.threshold)).toEqual([50, 80, 100]);
      expect(receiver.received[2]!.body).toMatchObject({ spent: 10.5, limit: 10 });
      expect(second.some((a) => a.budgetId === disabled.id)).toBe(false);
      await event({ at: "2026-11-20T11:30:00Z", userId: alice.userId, micro: 5_000_000, input: 500 });
      expect(await checkBudgetAlerts(db, nov)).toEqual([]);

      const stored = await db.select().from(budgetAlerts).where(eq(budgetAlerts.budgetId, hooked.id));
      expect(stored.map((a) => [a.periodKey, a.threshold, a.webhookStatus, a.limit]).sort()).toEqual([
        ["2026-11", 100, "sent", 10_000_000],
        ["2026-11", 50, "sent", 10_000_000],
        ["2026-11", 80, "sent", 10_000_000],
      ]);

      // December: a new period; its spend fires the thresholds again, and a failing receiver is recorded, not thrown.
      receiver.status = 500;
      const dec = new Date("2026-12-03T08:00:00Z");
      await event({ at: "2026-12-02T10:00:00Z", userId: alice.userId, micro: 8_000_000 });
      const third = await checkBudgetAlerts(db, dec);
      expect(third.filter((a) => a.budgetId === hooked.id).map((a) => [a.periodKey, a.threshold, a.webhookStatus])).toEqual([
        ["2026-12", 50, "failed: HTTP 500"],
        ["2026-12", 80, "failed: HTTP 500"],
      ]);
      expect(receiver.received.map((r) => r.body.periodKey)).toEqual(["2026-11", "2026-11", "2026-11", "2026-12", "2026-12"]);

      const listed = await listBudgetAlerts(admin(), { limit: 3 });
      expect(listed).toHaveLength(3);
      expect(listed[0]).toMatchObject({ budgetName: hooked.name, periodKey: "2026-12", threshold: 80, spent: 8, limit: 10, webhookStatus: "failed: HTTP 500" });
    } finally {
      await receiver.close();
    }
  });

  it("sends a webhook through the SSRF guard: a loopback receiver only in local mode, never with an identity provider configured", async () => {
    const receiver = await startReceiver();
    const payload = { budget: { id: crypto.randomUUID(), name: "b", subject: "everyone", metric: "tokens", limit: 10, period: "day" } } as unknown as BudgetWebhookPayload;
    const saved = { ...process.env };
    try {
      expect(await sendBudgetWebhook(receiver.url, payload)).toBe("sent");
      Object.assign(process.env, { OIDC_ISSUER: "https://idp.example.test", OIDC_CLIENT_ID: "console", OIDC_CLIENT_SECRET: "secret" });
      expect(await sendBudgetWebhook(receiver.url, payload)).toMatch(/^failed: .*(refused|not allowed|loopback)/i);
      expect(receiver.received).toHaveLength(1);
    } finally {
      process.env = saved;
      await receiver.close();
    }
  });

  it("records an unreachable or throwing webhook as failed and never throws", async () => {
    await db.delete(budgets);
    const closed = await startReceiver();
    await closed.close();
    const alice = await makeUser(db, "member", `alice-${uniq()}@acme.test`);
    const down = await createBudget(admin(), { name: `down ${uniq()}`, subject: `user:${alice.email}`, metric: "tokens", limit: 10, period: "day", alertWebhookUrl: closed.url });
    const now = new Date("2026-11-20T12:00:00Z");
    await event({ at: "2026-11-20T10:00:00Z", userId: alice.userId, input: 10 });
    const alerts = await checkBudgetAlerts(db, now);
    expect(alerts.map((a) => a.threshold)).toEqual([50, 80, 100]);
    for (const a of alerts) expect(a.webhookStatus).toMatch(/^failed: .*(ECONNREFUSED|fetch failed)/);

    await updateBudget(admin(), down.id, { period: "week", alertWebhookUrl: "https://hooks.example.com/x" });
    const thrown = await checkBudgetAlerts(db, now, {
      fetch: async () => {
        throw new Error("boom");
      },
    });
    expect(thrown.map((a) => [a.periodKey, a.threshold, a.webhookStatus])).toEqual([
      ["2026-W47", 50, "failed: boom"],
      ["2026-W47", 80, "failed: boom"],
      ["2026-W47", 100, "failed: boom"],
    ]);
    const stored = await db.select().from(budgetAlerts).where(eq(budgetAlerts.periodKey, "2026-W47"));
    expect(stored.every((a) => a.webhookStatus === "failed: boom")).toBe(true);
  });
});
