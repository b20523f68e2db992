/**
 * `npm run demo`'s organisation (scripts/demo/seed-demo.ts) on a fresh database, against a real
 * `@modelcontextprotocol/server-everything`: teams and people, one approved and one pending server
 * with the real server's tools, policies, budgets (one near its limit), a published configuration,
 * events that the rollups count, and shadow-MCP findings from the uploaded log and a laptop scan.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { count, eq, like, max, sum } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { llmEvents, mcpEvents, mcpRollupDaily, memberships, servers, serverTools, shadowFindings, teams } from "@/db/schema";
import { systemActor } from "@/lib/auth/actor";
import { getBudgetStatus } from "@/lib/budgets/queries";
import { adoptFinding } from "@/lib/shadow/adopt-finding";
import { startEverythingServer, type RunningServer } from "@/testing/mcp-servers";
import { testDatabases, useTestDatabase } from "@/testing/db";
import { DEMO_PEOPLE, seedDemo, type DemoSeedResult } from "./seed-demo";

const EVENTS = 3_000;

describe.each(testDatabases())("the demo organisation on $name", (database) => {
  const { db } = useTestDatabase(database);
  let everything: RunningServer;
  let dataDir: string;
  let result: DemoSeedResult;

  beforeAll(async () => {
    // Keys (sealing credentials, signing the bundle) go to a data folder of this test's own.
    dataDir = mkdtempSync(path.join(tmpdir(), "portcullis-demo-"));
    vi.stubEnv("PORTCULLIS_DATA_DIR", dataDir);
    everything = await startEverythingServer("streamableHttp");
    result = await seedDemo({ db, everythingUrl: `${everything.origin}/mcp`, events: EVENTS, publish: { portalUrls: [] } });
  }, 120_000);
  afterAll(async () => {
    await everything?.stop();
    vi.unstubAllEnvs();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("makes teams with members, and the people a visitor signs in as", async () => {
    expect(result.teams).toBe(4);
    const rows = await db.select({ slug: teams.slug, members: count(memberships.userId) }).from(teams).leftJoin(memberships, eq(memberships.teamId, teams.id)).groupBy(teams.slug);
    expect(rows.map((r) => r.slug).sort()).toEqual(["data", "payments", "platform", "support"]);
    for (const r of rows) expect(r.members).toBeGreaterThanOrEqual(8);
    const lead = await db.select({ role: memberships.role }).from(memberships).innerJoin(teams, eq(teams.id, memberships.teamId)).where(eq(teams.slug, "payments"));
    expect(lead.map((m) => m.role)).toContain("lead");
    expect(result.users).toBe(DEMO_PEOPLE.length + 32);
  });

  it("registers the real server-everything: approved with its tools enabled, and a second one pending review", async () => {
    const rows = await db.select({ slug: servers.slug, status: servers.status }).from(servers);
    expect(Object.fromEntries(rows.map((r) => [r.slug, r.status]))).toEqual({ everything: "approved", "everything-staging": "pending_review" });
    const enabled = await db.select({ name: serverTools.name }).from(serverTools).innerJoin(servers, eq(servers.id, serverTools.serverId)).where(eq(servers.slug, "everything"));
    expect(enabled.map((t) => t.name)).toContain("echo");
    expect(result.configVersion).toBe(1);
  });

  it("fills a month of events on the approved server, counted by the rollups", async () => {
    const [mcp] = await db.select({ n: count() }).from(mcpEvents);
    const [llm] = await db.select({ n: count() }).from(llmEvents);
    expect(mcp!.n + llm!.n).toBe(EVENTS);
    expect(result.events).toBe(EVENTS);
    const [rolled] = await db.select({ calls: sum(mcpRollupDaily.calls).mapWith(Number) }).from(mcpRollupDaily);
    expect(rolled!.calls).toBe(mcp!.n);
    const slugs = await db.selectDistinct({ slug: mcpEvents.serverSlug }).from(mcpEvents);
    expect(slugs.map((s) => s.slug).filter(Boolean)).toEqual(["everything"]);
    // Decided under the configuration the demo published.
    const versions = await db.selectDistinct({ version: mcpEvents.bundleVersion }).from(mcpEvents);
    expect(versions).toEqual([{ version: result.configVersion }]);
  });

  it("has policies, and budgets of which the payments one is near its limit", async () => {
    expect(result.policies).toBe(3);
    const status = await getBudgetStatus({ db, actor: systemActor("test") });
    expect(status.budgets).toHaveLength(3);
    const payments = status.budgets.find((b) => b.budget.subject === "team:payments")!;
    expect(payments.spent).toBeGreaterThan(0);
    expect(payments.level).toBe("warning");
  });

  it("has shadow-MCP findings from the uploaded traffic log, seen within the last days", async () => {
    expect(result.findings).toBeGreaterThan(3);
    const [row] = await db.select({ n: count(), latest: max(shadowFindings.lastSeen) }).from(shadowFindings);
    expect(row!.n).toBeGreaterThanOrEqual(result.findings);
    const age = Date.now() - row!.latest!.getTime();
    expect(age).toBeGreaterThan(0);
    expect(age).toBeLessThan(2 * 3_600_000);
  });

  it("has a member's laptop scan whose local servers offer Adopt: the bridge command, the token as a placeholder", async () => {
    expect(result.laptopFindings).toBe(3);
    const rows = await db.select({ id: shadowFindings.id, key: shadowFindings.key }).from(shadowFindings).where(like(shadowFindings.key, "stdio:%"));
    expect(rows.map((r) => r.key).sort()).toEqual(["stdio:npm:@modelcontextprotocol/server-filesystem", "stdio:npm:@modelcontextprotocol/server-github"]);
    const github = rows.find((r) => r.key.endsWith("server-github"))!;
    const adoption = await adoptFinding({ db, actor: systemActor("test") }, github.id);
    expect(JSON.stringify(adoption)).toContain("npx portcullis bridge --name");
    expect(JSON.stringify(adoption)).toContain("<GITHUB_PERSONAL_ACCESS_TOKEN>");
  });
});
