import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { auditLog, llmEvents, policies, serverAccessGrants, servers, serverTools, users } from "@/db/schema";
import { toProblem } from "../api/problem";
import { BOOTSTRAP_ACTOR } from "../auth/actor";
import { compileBundle, draftBundle } from "../config/compile-bundle";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../errors";
import { createTeam } from "../teams/create-team";
import { setMembership } from "@/lib/teams/set-membership";
import { makeUser } from "@/testing/users";
import { createPolicy } from "./create-policy";
import { deletePolicy } from "./delete-policy";
import { getPolicy, listPolicies } from "./queries";
import { updatePolicy } from "./update-policy";
import { exportPolicies } from "./export-policies";
import { importPolicies } from "./import-policies";
import { simulatePolicy } from "./simulate";
import { computeImpact } from "./impact";
import { createBlock } from "../shadow/create-block";
import { recordDeployment } from "../config/record-deployment";
import { generateSigningKeyPair } from "@core/bundle/sign";
import { createBudget } from "@/lib/budgets/create-budget";
import { llmCredentialAad } from "@core/edge/credential";
import { generateEdgeSecret, openAtEdge, parseEdgeSecrets } from "@core/edge/secret";
import { createLlmProvider } from "@/lib/llm-providers/create-llm-provider";
import { createRateLimit } from "@/lib/rate-limits/create-rate-limit";

const uniq = () => Math.random().toString(36).slice(2, 8);
process.env.PORTCULLIS_ENCRYPTION_KEYS ??= `test1:${Buffer.alloc(32, 5).toString("base64")}`;

describe.each(testDatabases())("access policies on $name", (database) => {
  const { db } = useTestDatabase(database);

  const admin = () => ({ db, actor: BOOTSTRAP_ACTOR });

  /** An approved server with enabled, pinned tools, usable by everyone (an access grant). */
  async function approvedServer(tools: string[], grant: "everyone" | "none" = "everyone") {
    const slug = `s${uniq()}`;
    const [row] = await db
      .insert(servers)
      .values({ slug, name: slug, url: `https://${slug}.example.com/mcp`, endpointUrl: `https://${slug}.example.com/mcp`, transport: "streamable-http", status: "approved" })
      .returning();
    for (const name of tools) {
      await db.insert(serverTools).values({ serverId: row!.id, name, state: "enabled", definition: { name }, hash: "a".repeat(64), pinnedHash: "a".repeat(64), tokensJson: 1, tokensTypescript: 1 });
    }
    if (grant === "everyone") await db.insert(serverAccessGrants).values({ serverId: row!.id, teamId: null });
    return row!;
  }

  it("creates, reads, edits and deletes a policy, each change audited with before and after", async () => {
    const team = await createTeam(admin(), { slug: `t-${uniq()}`, name: "Platform" });
    const security = await makeUser(db, "security");
    const created = await createPolicy({ db, actor: security }, {
      name: `No deletes ${uniq()}`,
      effect: "deny",
      subject: ` team:${team.slug} `,
      server: "github",
      tool: "delete_*",
      priority: 300,
      conditions: { timeWindow: { days: ["sat", "sun"], start: "00:00", end: "23:59" }, clientCidrs: ["10.0.0.0/8"] },
    });
    expect(created).toMatchObject({ effect: "deny", subject: `team:${team.slug}`, server: "github", tool: "delete_*", priority: 300, enabled: true });
    expect(created.conditions).toEqual({ timeWindow: { days: ["sun", "sat"], start: "00:00", end: "23:59" }, clientCidrs: ["10.0.0.0/8"] });
    expect(await getPolicy(admin(), created.id)).toEqual(created);

    const edited = await updatePolicy({ db, actor: security }, created.id, { priority: 50, conditions: null, enabled: false });
    expect(edited).toMatchObject({ priority: 50, conditions: null, enabled: false, name: created.name, tool: "delete_*" });
    const trail = await db.select().from(auditLog).where(eq(auditLog.targetId, created.id));
    expect(trail.map((a) => a.action).sort()).toEqual(["policy.create", "policy.update"]);
    const update = trail.find((a) => a.action === "policy.update")!;
    expect(update.details).toMatchObject({ before: { priority: 300 }, after: { priority: 50, enabled: false } });
    // Fields not sent keep their values (no defaults sneak in).
    expect(await updatePolicy({ db, actor: security }, created.id, { description: "weekend freeze" })).toMatchObject({ enabled: false, tool: "delete_*", priority: 50, description: "weekend freeze" });

    await deletePolicy({ db, actor: security }, created.id);
    await expect(getPolicy(admin(), created.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(getPolicy(admin(), "not-a-uuid")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("refuses bad input with a message and writes nothing", async () => {
    const before = (await db.select().from(policies)).length;
    const bad = [
      { name: "x", effect: "maybe", subject: "everyone", server: "*" },
      { name: "x", effect: "deny", subject: "someone", server: "*" },
      { name: "x", effect: "deny", subject: "user:not-an-email", server: "*" },
      { name: "x", effect: "deny", subject: "everyone", server: "Git_Hub" },
      { name: "x", effect: "deny", subject: "everyone", server: "*", tool: "two words" },
      { name: "x", effect: "deny", subject: "everyone", server: "*", priority: -1 },
      { name: "x", effect: "deny", subject: "everyone", server: "*", conditions: { clientCidrs: ["10.0.0.0/40"] } },
      { name: "x", effect: "deny", subject: "everyone", server: "*", conditions: { timeWindow: { start: "09:00", end: "09:00" } } },
      { name: "x", effect: "deny", subject: "everyone", server: "*", extra: true },
    ];
    for (const body of bad) await expect(createPolicy(admin(), body), JSON.stringify(body)).rejects.toBeInstanceOf(ZodError);
    await expect(createPolicy(admin(), { name: "x", effect: "deny", subject: "team:no-such-team", server: "*" })).rejects.toThrow(/no team with slug no-such-team/);
    await expect(createPolicy(admin(), { name: "x", effect: "deny", subject: "user:ghost@example.test", server: "*" })).rejects.toBeInstanceOf(ValidationError);
    const name = `Taken ${uniq()}`;
    await createPolicy(admin(), { name, effect: "allow", subject: "group:eng", server: "zzz-none" });
    await expect(createPolicy(admin(), { name: name.toUpperCase(), effect: "deny", subject: "everyone", server: "zzz-none" })).rejects.toBeInstanceOf(ConflictError);
    expect((await db.select().from(policies)).length).toBe(before + 1);
  });

  it("two creates racing for one name: one wins, the other is a conflict (409), never a 500", async () => {
    const name = `Race ${uniq()}`;
    const body = { name, effect: "deny", subject: "everyone", server: "zzz-none" };
    const results = await Promise.allSettled([createPolicy(admin(), body), createPolicy(admin(), body)]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(toProblem(lost.reason).status).toBe(409);
  });

  it("lets only security and admins write, and approvers read", async () => {
    const approver = await makeUser(db, "approver");
    const member = await makeUser(db, "member");
    const body = { name: `n ${uniq()}`, effect: "deny", subject: "everyone", server: "zzz-none" };
    await expect(createPolicy({ db, actor: approver }, body)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(listPolicies({ db, actor: member })).rejects.toBeInstanceOf(ForbiddenError);
    expect(Array.isArray(await listPolicies({ db, actor: approver }))).toBe(true);
  });

  it("compiles enabled policies into the bundle with ids, and a disabled user's policies drop out", async () => {
    const alice = await makeUser(db, "member", `alice-${uniq()}@acme.test`);
    const slug = `zz${uniq()}`;
    const forAlice = await createPolicy(admin(), { name: `alice ${uniq()}`, effect: "allow", subject: `user:${alice.email}`, server: slug, tool: "get_*", conditions: { clientCidrs: ["192.0.2.0/24"] } });
    const off = await createPolicy(admin(), { name: `off ${uniq()}`, effect: "deny", subject: "domain:acme.test", server: slug, enabled: false });
    const group = await createPolicy(admin(), { name: `grp ${uniq()}`, effect: "deny", subject: "group:contractors", server: slug, tool: "*", priority: 900 });
    const { bundle } = await compileBundle(db, { version: 1, issuer: "test", edgeSecrets: [] });
    const rules = bundle.policies.rules.filter((r) => r.resource.serverSlug === slug);
    expect(rules.map((r) => r.id).sort()).toEqual([forAlice.id, group.id].sort());
    expect(rules.find((r) => r.id === forAlice.id)).toEqual({
      id: forAlice.id,
      effect: "allow",
      subject: { type: "user", userId: alice.userId },
      resource: { serverSlug: slug, tool: "get_*" },
      priority: 100,
      conditions: { clientCidrs: ["192.0.2.0/24"] },
    });
    expect(rules.some((r) => r.id === off.id)).toBe(false);
    await db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, alice.userId));
    const again = await compileBundle(db, { version: 2, issuer: "test", edgeSecrets: [] });
    expect(again.bundle.policies.rules.some((r) => r.id === forAlice.id)).toBe(false);
  });

  it("exports YAML and JSON that import back unchanged; a bad file changes nothing", async () => {
    const name = `Round trip ${uniq()}`;
    await createPolicy(admin(), { name, effect: "deny", subject: "domain:contractor.io", server: "github", tool: "delete_*", priority: 250, conditions: { timeWindow: { days: ["fri", "mon"], start: "22:00", end: "06:00" } } });
    for (const format of ["yaml", "json"] as const) {
      const exported = await exportPolicies(admin(), { format });
      expect(exported.content).toContain(name);
      const report = await importPolicies(admin(), { format, content: exported.content, mode: "replace" });
      expect(report).toMatchObject({ created: [], updated: [], deleted: [] });
      expect(report.unchanged).toBe(exported.count);
    }
    const before = await listPolicies(admin());
    const broken = [
      { format: "yaml", content: "version: 1\npolicies: [\n" },
      { format: "json", content: "{" },
      { format: "yaml", content: "version: 2\npolicies: []\n" },
      { format: "yaml", content: `version: 1\npolicies:\n  - name: a\n    effect: deny\n    subject: everyone\n    server: "*"\n  - name: A\n    effect: allow\n    subject: everyone\n    server: "*"\n` },
      { format: "yaml", content: `version: 1\npolicies:\n  - name: ok\n    effect: deny\n    subject: everyone\n    server: "*"\n  - name: bad\n    effect: deny\n    subject: team:does-not-exist\n    server: "*"\n` },
    ];
    for (const file of broken) await expect(importPolicies(admin(), { ...file, mode: "replace" }), file.content).rejects.toBeInstanceOf(ValidationError);
    expect(await listPolicies(admin())).toEqual(before);
  });

  it("imports by name: merge keeps others, dry run reports without writing, replace deletes the rest", async () => {
    const keep = await createPolicy(admin(), { name: `Keep ${uniq()}`, effect: "allow", subject: "group:eng", server: "zzz-none" });
    const edit = await createPolicy(admin(), { name: `Edit ${uniq()}`, effect: "allow", subject: "group:eng", server: "zzz-none" });
    const fresh = `Fresh ${uniq()}`;
    const file = `version: 1\npolicies:\n  - name: ${edit.name}\n    effect: deny\n    subject: group:eng\n    server: zzz-none\n  - name: ${fresh}\n    effect: allow\n    subject: everyone\n    server: zzz-none\n    tool: get_*\n`;
    const dry = await importPolicies(admin(), { content: file, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, created: [fresh], updated: [edit.name], deleted: [] });
    expect((await getPolicy(admin(), edit.id)).effect).toBe("allow");
    const merged = await importPolicies(admin(), { content: file });
    expect(merged).toMatchObject({ dryRun: false, created: [fresh], updated: [edit.name] });
    expect((await getPolicy(admin(), edit.id)).effect).toBe("deny");
    expect((await getPolicy(admin(), keep.id)).name).toBe(keep.name);
    const replaced = await importPolicies(admin(), { content: file, mode: "replace" });
    expect(replaced.deleted).toContain(keep.name);
    expect((await listPolicies(admin())).map((p) => p.name).sort()).toEqual([edit.name, fresh].sort());
    const audit = await db.select().from(auditLog).where(eq(auditLog.action, "policy.import"));
    expect(audit.length).toBe(2);
  });

  it("simulates against the draft: user, server, tool and policy checks, groups, CIDRs and time windows", async () => {
    await importPolicies(admin(), { content: "version: 1\npolicies: []\n", mode: "replace" });
    const server = await approvedServer(["get_issue", "delete_repo"]);
    const alice = await makeUser(db, "member", `alice-${uniq()}@acme.test`);
    await db.update(users).set({ idpGroups: ["contractors"] }).where(eq(users.id, alice.userId));
    const ask = (tool: string, extra: Record<string, unknown> = {}) => simulatePolicy(admin(), { user: alice.email.toUpperCase(), tool, ...extra });

    const allowed = await ask(`${server.slug}_get_issue`);
    expect(allowed).toMatchObject({ decision: "allow", stage: "policy", rule: { kind: "server access" } });
    expect(await ask(`${server.slug}_nope`)).toMatchObject({ decision: "deny", stage: "tool" });
    expect(await ask("ghost_get_issue")).toMatchObject({ decision: "deny", stage: "server" });
    expect(await simulatePolicy(admin(), { user: "ghost@example.test", tool: `${server.slug}_get_issue` })).toMatchObject({ decision: "deny", stage: "user" });

    const group = await createPolicy(admin(), { name: `Contractors ${uniq()}`, effect: "deny", subject: "group:contractors", server: server.slug, tool: "delete_*", priority: 100 });
    expect(await ask(`${server.slug}/delete_repo`)).toMatchObject({ decision: "deny", stage: "policy", rule: { id: group.id, name: group.name, kind: "policy" } });
    expect((await ask(`${server.slug}/delete_repo`)).reason).toBe(`Denied by policy "${group.name}".`);

    const office = await createPolicy(admin(), {
      name: `Office ${uniq()}`,
      effect: "allow",
      subject: "domain:acme.test",
      server: server.slug,
      tool: "delete_*",
      priority: 200,
      conditions: { clientCidrs: ["10.0.0.0/8"], timeWindow: { days: ["mon", "tue", "wed", "thu", "fri"], start: "08:00", end: "18:00" } },
    });
    const monday = "2026-11-23T09:30:00Z";
    expect(await ask(`${server.slug}_delete_repo`, { clientIp: "10.1.2.3", at: monday })).toMatchObject({ decision: "allow", rule: { id: office.id } });
    // The same person with an address the IdP did not verify: the domain rule is not hers.
    await db.update(users).set({ emailVerified: false }).where(eq(users.id, alice.userId));
    expect(await ask(`${server.slug}_delete_repo`, { clientIp: "10.1.2.3", at: monday })).toMatchObject({ decision: "deny", rule: { id: group.id } });
    await db.update(users).set({ emailVerified: true }).where(eq(users.id, alice.userId));
    expect(await ask(`${server.slug}_delete_repo`, { clientIp: "192.0.2.1", at: monday })).toMatchObject({ decision: "deny", rule: { id: group.id } });
    expect(await ask(`${server.slug}_delete_repo`, { at: monday })).toMatchObject({ decision: "deny", rule: { id: group.id } });
    expect(await ask(`${server.slug}_delete_repo`, { clientIp: "10.1.2.3", at: "2026-11-28T09:30:00Z" })).toMatchObject({ decision: "deny", rule: { id: group.id } });
    await expect(ask(`${server.slug}_delete_repo`, { clientIp: "10.1.2" })).rejects.toBeInstanceOf(ValidationError);
    await expect(ask("nounderscore")).rejects.toBeInstanceOf(ValidationError);
    await expect(ask(`${server.slug}_get_issue`, { against: "deployed" })).rejects.toThrow(/Nothing has been published/);
  });

  it("previews the impact of the next publish against the deployed bundle", async () => {
    await importPolicies(admin(), { content: "version: 1\npolicies: []\n", mode: "replace" });
    const team = await createTeam(admin(), { slug: `t-${uniq()}`, name: "Ops" });
    const bob = await makeUser(db, "member", `bob-${uniq()}@acme.test`);
    await setMembership(admin(), team.id, bob.userId, {});
    const server = await approvedServer(["read_log", "wipe_log"]);
    const { bundle } = await compileBundle(db, { version: 1, issuer: "test", edgeSecrets: [] });
    const pair = await generateSigningKeyPair();
    const keys = { signing: { privateKeyJwk: pair.privateKeyJwk, keyId: pair.keyId, source: "env" as const }, publicKeys: { [pair.keyId]: pair.publicKeyJwk }, edgeSecrets: [] };
    await db.transaction((tx) => recordDeployment(tx, BOOTSTRAP_ACTOR, keys, bundle, { kind: "publish", skipped: [] }));

    expect(await computeImpact(db)).toMatchObject({ gained: 0, lost: 0, changes: [] });
    const deny = await createPolicy(admin(), { name: `No wipes ${uniq()}`, effect: "deny", subject: `team:${team.slug}`, server: server.slug, tool: "wipe_*", priority: 100 });
    const impact = await computeImpact(db);
    expect(impact.lost).toBe(1);
    expect(impact.gained).toBe(0);
    expect(impact.changes).toEqual([
      { change: "lost", server: server.slug, tool: "wipe_log", user: { id: bob.userId, email: bob.email, teams: [team.slug] }, because: `denied by policy "${deny.name}"` },
    ]);
    expect((await draftBundle(db, new Date())).policies.rules.some((r) => r.id === deny.id)).toBe(true);
  });

  it("says a block list entry is why access goes, naming the entry, not a default deny", async () => {
    await importPolicies(admin(), { content: "version: 1\npolicies: []\n", mode: "replace" });
    const carol = await makeUser(db, "member", `carol-${uniq()}@acme.test`);
    const server = await approvedServer(["read_log"]);
    const { bundle } = await compileBundle(db, { version: 2, issuer: "test", edgeSecrets: [] });
    const pair = await generateSigningKeyPair();
    const keys = { signing: { privateKeyJwk: pair.privateKeyJwk, keyId: pair.keyId, source: "env" as const }, publicKeys: { [pair.keyId]: pair.publicKeyJwk }, edgeSecrets: [] };
    await db.transaction((tx) => recordDeployment(tx, BOOTSTRAP_ACTOR, keys, bundle, { kind: "publish", skipped: [] }));
    await createBlock(admin(), { url: server.endpointUrl, scope: "origin", reason: "Shadow MCP: exfiltration risk", blockApproved: true });
    const impact = await computeImpact(db);
    expect(impact.changes.filter((c) => c.server === server.slug && c.user.id === carol.userId)).toEqual([
      { change: "lost", server: server.slug, tool: "read_log", user: { id: carol.userId, email: carol.email, teams: [] }, because: `blocked by the shadow-MCP block list (entry https://${server.slug}.example.com: Shadow MCP: exfiltration risk)` },
    ]);
  });

  it("publishes rate limits, budgets and LLM providers (key sealed, open to everyone at the access level); a provider named like a server is left out", async () => {
    const team = await createTeam(admin(), { slug: `t-${uniq()}`, name: "Gateway users" });
    const server = await approvedServer(["x"]);
    const limit = await createRateLimit(admin(), { name: `rl ${uniq()}`, subject: `team:${team.slug}`, per: "user", scope: "llm", limit: 10, window: 60 });
    const budget = await createBudget(admin(), { name: `b ${uniq()}`, subject: `team:${team.slug}`, metric: "usd", limit: 12.5, period: "month", onExceed: "block" });
    const slug = `llm${uniq()}`;
    const good = await createLlmProvider(admin(), { slug, name: "OpenAI", kind: "openai", baseUrl: "https://api.openai.com/v1", apiKey: "sk-test-abcdefghijklmnop" });
    const clash = await createLlmProvider(admin(), { slug: server.slug, name: "Clash", kind: "anthropic", baseUrl: "https://api.anthropic.com/v1" });
    // Usage the console has seen this month for a member: reconciled into the bundle as a baseline.
    await db.insert(llmEvents).values({ id: crypto.randomUUID(), time: new Date().toISOString(), teamIds: [team.id], providerSlug: slug, providerKind: "openai", operation: "chat.completions", stream: false, status: 200, success: true, decision: "allowed", costMicroUsd: 3_000_000 });
    const secrets = await parseEdgeSecrets(generateEdgeSecret());
    const { bundle, skipped } = await compileBundle(db, { version: 9, issuer: "test", edgeSecrets: secrets });
    const month = new Date().toISOString().slice(0, 7);
    expect(bundle.limits.baselines).toEqual([{ budgetId: budget.id, periodKey: month, spent: 3_000_000 }]);
    expect(bundle.limits.rateLimits.find((r) => r.id === limit.id)).toMatchObject({ subject: { type: "team", teamId: team.id }, per: "user", scope: { kind: "llm" }, limit: 10, windowSeconds: 60 });
    expect(bundle.limits.budgets.find((b) => b.id === budget.id)).toMatchObject({ metric: "usd", limit: 12_500_000, period: "month", onExceed: "block" });
    const provider = bundle.llm.providers.find((p) => p.id === good.id)!;
    expect(provider).toMatchObject({ slug, kind: "openai", baseUrl: "https://api.openai.com/v1" });
    expect(await openAtEdge(provider.credential!, secrets, llmCredentialAad(good.id))).toBe(JSON.stringify({ apiKey: "sk-test-abcdefghijklmnop" }));
    expect(JSON.stringify(bundle)).not.toContain("sk-test-abcdefghijklmnop");
    expect(bundle.policies.rules.find((r) => r.id === good.id)).toEqual({ id: good.id, effect: "allow", subject: { type: "everyone" }, resource: { serverSlug: slug, tool: "*" }, priority: 100 });
    expect(bundle.llm.providers.some((p) => p.id === clash.id)).toBe(false);
    expect(skipped).toContainEqual({ id: clash.id, slug: server.slug, reason: expect.stringContaining("slug of an approved MCP server") });
    // The simulator answers for models too: the provider is open to everyone, a policy narrows it.
    const someone = bundle.users[0]!.email;
    const ask = (tool: string) => simulatePolicy(admin(), { user: someone, tool });
    expect(await ask(`${slug}/gpt-5`)).toMatchObject({ decision: "allow", rule: { id: good.id, kind: "server access" } });
    const deny = await createPolicy(admin(), { name: `No gpt-5 ${uniq()}`, effect: "deny", subject: "everyone", server: slug, tool: "gpt-5*" });
    expect(await ask(`${slug}/gpt-5-mini`)).toMatchObject({ decision: "deny", rule: { id: deny.id, kind: "policy" } });
    expect(await ask(`${slug}/o3`)).toMatchObject({ decision: "allow" });
    // The draft (simulator, impact) carries the same, without sealed keys.
    const draft = await draftBundle(db, new Date());
    expect(draft.llm.providers.find((p) => p.id === good.id)?.credential).toBeNull();
    expect(draft.limits).toEqual(bundle.limits);
  });
});
