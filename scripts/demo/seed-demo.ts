/**
 * The organisation `npm run demo` starts with (scripts/demo.mjs), made by the console's own verbs,
 * as people would make it in the browser: teams and people, a real MCP server
 * (`@modelcontextprotocol/server-everything`, discovered live) requested by a team lead and approved
 * by the admin, a second one waiting for review, policies, budgets (one near its limit), a published
 * configuration, a month of audit and usage events (lib/events/seed-events.ts, through the ingest
 * triggers), shadow-MCP findings from an uploaded traffic log (the detector's labelled corpus,
 * through the same ingest as Shadow MCP → Upload) and from a member's laptop scan (`npx portcullis
 * scan`, as its CLI reports it: values already redacted, names kept).
 */
import { systemActor, type Actor } from "@/lib/auth/actor";
import type { Database } from "@/db/client";
import { createBudget } from "@/lib/budgets/create-budget";
import { getBudgetStatus } from "@/lib/budgets/queries";
import { updateBudget } from "@/lib/budgets/update-budget";
import { publishConfig, type PublishDeps } from "@/lib/config/publish-config";
import { seedEvents } from "@/lib/events/seed-events";
import { createPolicy } from "@/lib/policies/create-policy";
import { approveServer } from "@/lib/servers/approve-server";
import { registerServer } from "@/lib/servers/register-server";
import { ingestTraffic } from "@/lib/shadow/ingest-traffic";
import { ingestScanReport } from "@/lib/shadow/ingest-scan";
import { createTeam } from "@/lib/teams/create-team";
import { setMembership } from "@/lib/teams/set-membership";
import { createUser } from "@/lib/users/create-user";
import { generateCorpus } from "@/testing/corpora/shadow-traffic";

export const DEMO_DOMAIN = "demo.example";

/** Who a visitor may sign in as (local sign-in: the e-mail address alone). */
export const DEMO_PEOPLE = [
  { email: `admin@${DEMO_DOMAIN}`, name: "Ada Admin", role: "admin", sees: "everything; publishes the configuration" },
  { email: `security@${DEMO_DOMAIN}`, name: "Sam Security", role: "security", sees: "the audit log, shadow-MCP findings and denials of everyone" },
  { email: `lead@${DEMO_DOMAIN}`, name: "Lena Lead", role: "member", sees: "lead of Payments: her team's usage and spend" },
  { email: `dev@${DEMO_DOMAIN}`, name: "Dan Developer", role: "member", sees: "a member of Platform: his own calls" },
] as const;

const TEAMS = [
  { slug: "platform", name: "Platform", description: "Internal developer platform" },
  { slug: "payments", name: "Payments", description: "Checkout and billing" },
  { slug: "data", name: "Data", description: "Analytics and ML" },
  { slug: "support", name: "Support", description: "Customer support" },
] as const;

/** Members per team besides the named people (more people make the power law visible). */
const MEMBERS_PER_TEAM = 8;
export const DEMO_EVENTS = 40_000;

export interface DemoSeedOptions {
  db: Database;
  /** Where `@modelcontextprotocol/server-everything` answers over Streamable HTTP (…/mcp). */
  everythingUrl: string;
  events?: number;
  now?: Date;
  /** Publishing's keys and portals; the demo publishes with the data folder's keys to no portal (the console pushes it once the portal runs). */
  publish?: PublishDeps;
  log?: (line: string) => void;
}

export interface DemoSeedResult {
  teams: number;
  users: number;
  servers: { approved: string[]; pending: string[] };
  policies: number;
  budgets: number;
  events: number;
  findings: number;
  /** From Dan's laptop scan: local (stdio) servers no network log shows, each offering Adopt. */
  laptopFindings: number;
  configVersion: number;
}

/**
 * The corpus's lines with their times (`ts`) moved so that its last request was an hour before `now`:
 * the findings read as this week's. Lines that are not such records pass as they are.
 */
export function recentTraffic(lines: readonly string[], now: Date): string[] {
  const times = lines.map((line) => {
    try {
      const ts = (JSON.parse(line) as { ts?: unknown }).ts;
      return typeof ts === "string" ? Date.parse(ts) : NaN;
    } catch {
      return NaN;
    }
  });
  const latest = Math.max(...times.filter((t) => !Number.isNaN(t)));
  if (!Number.isFinite(latest)) return [...lines];
  const shift = now.getTime() - 3_600_000 - latest;
  return lines.map((line, i) => (Number.isNaN(times[i]) ? line : JSON.stringify({ ...(JSON.parse(line) as object), ts: new Date(times[i]! + shift).toISOString() })));
}

export async function seedDemo(options: DemoSeedOptions): Promise<DemoSeedResult> {
  const { db, now = new Date(), log = () => {} } = options;
  const system: Actor = systemActor("portcullis demo");
  const ctx = (actor: Actor) => ({ db, actor });

  log("people and teams…");
  const teams = new Map<string, string>();
  for (const t of TEAMS) teams.set(t.slug, (await createTeam(ctx(system), t)).id);
  const people = new Map<string, Actor>();
  for (const p of DEMO_PEOPLE) {
    const user = await createUser(ctx(system), { email: p.email, name: p.name, role: p.role });
    people.set(p.email, { kind: "user", userId: user.id, email: user.email, role: user.role, scopes: ["read", "write"] });
  }
  const person = (local: string) => people.get(`${local}@${DEMO_DOMAIN}`) as Actor & { userId: string };
  await setMembership(ctx(system), teams.get("payments")!, person("lead").userId, { role: "lead" });
  await setMembership(ctx(system), teams.get("platform")!, person("dev").userId, { role: "member" });
  await setMembership(ctx(system), teams.get("platform")!, person("admin").userId, { role: "lead" });
  let users = DEMO_PEOPLE.length;
  for (const t of TEAMS) {
    for (let i = 1; i <= MEMBERS_PER_TEAM; i++) {
      const user = await createUser(ctx(system), { email: `${t.slug}${i}@${DEMO_DOMAIN}`, role: "member" });
      await setMembership(ctx(system), teams.get(t.slug)!, user.id, { role: "member" });
      users++;
    }
  }

  log(`servers (discovering ${options.everythingUrl})…`);
  const everything = await registerServer(ctx(person("lead")), {
    name: "Everything",
    slug: "everything",
    url: options.everythingUrl,
    description: "The MCP reference server: tools, prompts and resources of every kind",
    justification: "Payments tries out MCP features before we build our own servers",
    ownerTeamId: teams.get("payments"),
  });
  await approveServer(ctx(person("admin")), everything.id, { reason: "Reference server, no credentials; every tool without a high finding" });
  const staging = await registerServer(ctx(person("dev")), {
    name: "Everything (staging)",
    slug: "everything-staging",
    url: options.everythingUrl,
    description: "A staging copy for the platform team's agents",
    justification: "Platform wants its agents to test against a second server",
    ownerTeamId: teams.get("platform"),
  });

  log("policies and budgets…");
  const policies = [
    { name: "Everyone may use approved servers", effect: "allow", subject: "everyone", server: "*", priority: 100 },
    { name: "Support may not read the environment", effect: "deny", subject: "team:support", server: "everything", tool: "*env*", priority: 200 },
    { name: "Contractors stay out of payments tooling", effect: "deny", subject: "domain:contractor.example", server: "*", priority: 300 },
  ];
  for (const p of policies) await createPolicy(ctx(person("admin")), p);
  const nearLimit = await createBudget(ctx(person("admin")), { name: "Payments monthly spend", subject: "team:payments", metric: "usd", limit: 1_000, period: "month", onExceed: "block" });
  const budgets = [
    nearLimit,
    await createBudget(ctx(person("admin")), { name: "Platform monthly tokens", subject: "team:platform", metric: "tokens", limit: 2_000_000_000, period: "month", onExceed: "flag" }),
    await createBudget(ctx(person("admin")), { name: "Dan's daily tokens", subject: `user:dev@${DEMO_DOMAIN}`, metric: "tokens", limit: 5_000_000, period: "day", onExceed: "flag" }),
  ];

  log("publishing the configuration…");
  const published = await publishConfig(ctx(person("admin")), { portalUrls: [], ...options.publish });

  const count = options.events ?? DEMO_EVENTS;
  log(`a month of events (${count.toLocaleString("en")})…`);
  const seeded = await seedEvents(db, { count, days: 30 }, now);
  // The payments budget at 88 % of what the team has spent this month (at least a cent).
  const status = await getBudgetStatus(ctx(person("admin")), now);
  const spent = status.budgets.find((b) => b.budget.id === nearLimit.id)?.spent ?? 0;
  await updateBudget(ctx(person("admin")), nearLimit.id, { limit: Math.max(0.01, Math.round((spent / 0.88) * 100) / 100) });

  log("shadow-MCP findings from a traffic log…");
  const lines = recentTraffic(generateCorpus("generic").lines.map((l) => l.line), now).join("\n") + "\n";
  const traffic = await ingestTraffic(ctx(person("security")), { body: new Blob([lines]).stream(), format: "generic", filename: "proxy-log-demo.ndjson" });

  log("a laptop scan with local (stdio) servers…");
  const scan = await ingestScanReport(ctx(person("dev")), laptopScan(now));

  return {
    teams: TEAMS.length,
    users,
    servers: { approved: [everything.slug], pending: [staging.slug] },
    policies: policies.length,
    budgets: budgets.length,
    events: seeded.mcp + seeded.llm,
    findings: traffic.findings.length,
    laptopFindings: scan.findings.length,
    configVersion: published.version,
  };
}

/**
 * What `npx portcullis scan` reports from Dan's laptop: two local servers his MCP clients start
 * (GitHub with a token in its environment, a filesystem server on his code folder) and a remote one
 * nobody approved. The CLI sends names, never values (scripts/scan.mjs).
 */
function laptopScan(now: Date) {
  const claude = "~/Library/Application Support/Claude/claude_desktop_config.json";
  const cursor = "~/.cursor/mcp.json";
  const stdio = { transport: "stdio" as const, headerNames: [], redactions: [] };
  return {
    device: { name: "DAN-MBP", os: "darwin", user: "dan" },
    scannedAt: new Date(now.getTime() - 20 * 60_000).toISOString(),
    files: [
      { client: "claude-desktop", path: claude, found: 2 },
      { client: "cursor", path: cursor, found: 1 },
    ],
    servers: [
      { ...stdio, client: "claude-desktop", configPath: claude, name: "github", command: "npx", args: ["-y", "@modelcontextprotocol/server-github"], envNames: ["GITHUB_PERSONAL_ACCESS_TOKEN"] },
      { ...stdio, client: "claude-desktop", configPath: claude, name: "filesystem", command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "/Users/dan/code"], envNames: [] },
      { client: "cursor", configPath: cursor, name: "linear", transport: "http" as const, url: "https://mcp.linear.app/mcp", envNames: [], headerNames: ["Authorization"], redactions: ["header:Authorization"] },
    ],
    redactionReport: { envValues: 1, headerValues: 1, args: 0, urlParts: 0 },
  };
}
