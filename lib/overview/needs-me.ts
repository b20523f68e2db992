/**
 * The Overview page: what needs the signed-in person now, and which first steps they have done.
 *
 * Who sees what: those who read everyone's usage (security, admin) see the whole organisation —
 * every pending review, budget and denial; everyone else sees their own: the servers they asked for,
 * the budgets that cover them (theirs, their teams', their API keys'), their own denied and failed
 * calls. New high-severity shadow-MCP findings only for those who read findings; the servers waiting
 * for review, for reviewers, all of them.
 *
 * Denials and errors of the last 24 hours come from the rollups (lib/events/rollup-source.ts):
 * everyone's from the hourly rollups, one person's from their daily rollup, whose partial days at
 * the ends read that person's events through the (user, time) index — never a scan of all events.
 */
import { and, count, desc, eq, gte, isNull, or, sql, type SQL } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type { Queryable } from "@/db/client";
import {
  apiTokens,
  bundleAcks,
  bundleDeployments,
  llmEvents,
  llmRollupDaily,
  llmRollupHourly,
  mcpEvents,
  mcpRollupDaily,
  mcpRollupHourly,
  memberships,
  policies,
  servers,
  shadowFindings,
  teams,
  trafficUploads,
} from "@/db/schema";
import { authorize, can } from "@/lib/auth/actor";
import { budgetStatus } from "@/lib/budgets/spend";
import type { BudgetStatusOutput } from "@/lib/budgets/schemas";
import type { Ctx } from "@/lib/context";
import { rollupRange, type RollupSource } from "@/lib/events/rollup-source";

const DAY_MS = 86_400_000;
const LIST_LIMIT = 5;

export interface OverviewStep {
  key: string;
  done: boolean;
  text: string;
  href: string;
}

export interface CallTally {
  calls: number;
  denied: number;
  errors: number;
}

export interface OverviewOutput {
  /** `all`: the organisation's (security, admin); `own`: the caller's own. */
  scope: "all" | "own";
  /** Servers waiting for review: all of them for reviewers, the caller's own requests otherwise. */
  pendingReviews: { count: number; items: { id: string; name: string; slug: string; requestedAt: string }[] };
  /** New (untriaged) high-severity shadow-MCP findings; null for those who do not read findings. */
  newHighFindings: { count: number; items: { id: string; label: string; lastSeen: string; users: number }[] } | null;
  /** Budgets at 80 % or more of their limit in the current period (those covering the caller, for `own`). */
  budgetsNearLimit: BudgetStatusOutput[];
  /** MCP requests and LLM calls of the last 24 hours: how many were denied, how many failed. */
  last24h: { from: string; to: string; mcp: CallTally; llm: CallTally; denialReasons: { code: string; calls: number }[] };
  /** The newest published configuration and when; whether a portal runs it. Null before the first publish. */
  config: { version: number; publishedAt: string; ageMs: number; runningOn: number } | null;
  steps: OverviewStep[];
}

// ------------------------------------------------------------------ denials and errors from the rollups

/** Everyone's rows (daily rollups, hourly at the ends) and one person's (their events, through the events' user index) of one event table. */
function sources(events: PgTable, rollups: { daily: PgTable; hourly: PgTable }, columns: SQL, raw: (where: SQL) => SQL): { all: RollupSource; own: RollupSource } {
  return {
    all: { rollups: [{ grain: "day", table: rollups.daily }, { grain: "hour", table: rollups.hourly }], events, columns, raw },
    own: { rollups: [], events, columns, raw },
  };
}

const MCP = sources(
  mcpEvents,
  { daily: mcpRollupDaily, hourly: mcpRollupHourly },
  sql`bucket, decision, reason_code, calls, errors`,
  (where) => sql`select date_trunc('hour', time, 'UTC') as bucket, decision, portcullis_reason_code(decision, reason) as reason_code,
    count(*) as calls, count(*) filter (where decision = 'allowed' and not success) as errors
  from ${mcpEvents} where ${where} group by 1, 2, 3`,
);
const LLM = sources(
  llmEvents,
  { daily: llmRollupDaily, hourly: llmRollupHourly },
  sql`bucket, decision, reason_code, status, calls`,
  (where) => sql`select date_trunc('hour', time, 'UTC') as bucket, decision, portcullis_reason_code(decision, reason) as reason_code, status, count(*) as calls
  from ${llmEvents} where ${where} group by 1, 2, 3, 4`,
);

type Row = { kind: "mcp" | "llm"; reason_code: string | null; calls: number; denied: number; errors: number };

async function lastDay(db: Queryable, userId: string | null, now: Date): Promise<OverviewOutput["last24h"]> {
  const range = { from: new Date(now.getTime() - DAY_MS), to: now };
  const own = userId ? sql`user_id = ${userId}::uuid` : undefined;
  const mcp = await rollupRange(db, userId ? MCP.own : MCP.all, range, own);
  const llm = await rollupRange(db, userId ? LLM.own : LLM.all, range, own);
  // A denied LLM call is refused by the portal (a rate limit answers 429); an error is an allowed call the provider failed.
  const result = (await db.execute(sql`
    select 'mcp' as kind, reason_code, sum(calls)::int as calls, (sum(calls) filter (where decision = 'denied'))::int as denied, sum(errors)::int as errors
      from (${mcp}) as m group by reason_code
    union all
    select 'llm', reason_code, sum(calls)::int, (sum(calls) filter (where decision = 'denied'))::int, (sum(calls) filter (where decision = 'allowed' and status >= 400))::int
      from (${llm}) as l group by reason_code`)) as unknown as { rows: Row[] };
  const tally = (kind: Row["kind"]): CallTally => {
    const rows = result.rows.filter((r) => r.kind === kind);
    return { calls: rows.reduce((n, r) => n + Number(r.calls ?? 0), 0), denied: rows.reduce((n, r) => n + Number(r.denied ?? 0), 0), errors: rows.reduce((n, r) => n + Number(r.errors ?? 0), 0) };
  };
  const reasons = new Map<string, number>();
  for (const r of result.rows) if (r.reason_code && Number(r.denied)) reasons.set(r.reason_code, (reasons.get(r.reason_code) ?? 0) + Number(r.denied));
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    mcp: tally("mcp"),
    llm: tally("llm"),
    denialReasons: [...reasons].map(([code, calls]) => ({ code, calls })).sort((a, b) => b.calls - a.calls || a.code.localeCompare(b.code)),
  };
}

// ------------------------------------------------------------------ the rest

const exists = async (db: Queryable, table: PgTable, where?: SQL): Promise<boolean> => {
  const rows = await db.select({ one: sql`1` }).from(table).where(where).limit(1);
  return rows.length > 0;
};

/** What subjects of budgets cover a person: `user:<e-mail>`, `team:<slug>` of their teams, `token:<id>` of their keys. */
async function ownSubjects(db: Queryable, userId: string, email: string): Promise<Set<string>> {
  const myTeams = await db.select({ slug: teams.slug }).from(memberships).innerJoin(teams, eq(teams.id, memberships.teamId)).where(eq(memberships.userId, userId));
  const myTokens = await db.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.userId, userId));
  return new Set([`user:${email.toLowerCase()}`, ...myTeams.map((t) => `team:${t.slug}`), ...myTokens.map((t) => `token:${t.id}`)]);
}

export async function getOverview({ db, actor }: Ctx, now: Date = new Date()): Promise<OverviewOutput> {
  authorize(actor, "me.read");
  const all = can(actor, "usage.read-all");
  const userId = actor.userId;
  // Only bootstrap and system actors have no user, and both are admins (they see all).
  const own = all || !userId ? null : userId;
  const reviewer = can(actor, "servers.review");

  const pendingWhere = and(eq(servers.status, "pending_review"), reviewer || all ? undefined : userId ? eq(servers.requestedBy, userId) : sql`false`);
  const [pendingCount] = await db.select({ n: count() }).from(servers).where(pendingWhere);
  const pendingItems = await db
    .select({ id: servers.id, name: servers.name, slug: servers.slug, requestedAt: servers.createdAt })
    .from(servers)
    .where(pendingWhere)
    .orderBy(servers.createdAt)
    .limit(LIST_LIMIT);

  let newHighFindings: OverviewOutput["newHighFindings"] = null;
  if (can(actor, "shadow.read")) {
    const where = and(eq(shadowFindings.state, "new"), eq(shadowFindings.severity, "high"), eq(shadowFindings.candidate, false));
    const [n] = await db.select({ n: count() }).from(shadowFindings).where(where);
    const items = await db
      .select({ id: shadowFindings.id, url: shadowFindings.url, command: shadowFindings.command, key: shadowFindings.key, lastSeen: shadowFindings.lastSeen, users: shadowFindings.userCount })
      .from(shadowFindings)
      .where(where)
      .orderBy(desc(shadowFindings.lastSeen), shadowFindings.id)
      .limit(LIST_LIMIT);
    newHighFindings = { count: n!.n, items: items.map((f) => ({ id: f.id, label: f.url ?? f.command ?? f.key, lastSeen: f.lastSeen.toISOString(), users: f.users })) };
  }

  const statuses = await budgetStatus(db, now);
  const mine = own && actor.email ? await ownSubjects(db, own, actor.email) : null;
  const budgetsNearLimit = statuses.filter((b) => b.level !== "ok" && (!mine || mine.has(b.budget.subject.toLowerCase()))).sort((a, b) => b.percent - a.percent);

  const [latest] = await db.select({ version: bundleDeployments.version, createdAt: bundleDeployments.createdAt }).from(bundleDeployments).orderBy(desc(bundleDeployments.version)).limit(1);
  let config: OverviewOutput["config"] = null;
  if (latest) {
    const running = await db
      .selectDistinct({ portal: bundleAcks.portalUrl })
      .from(bundleAcks)
      .where(eq(bundleAcks.activeVersion, latest.version));
    config = { version: latest.version, publishedAt: latest.createdAt.toISOString(), ageMs: Math.max(0, now.getTime() - latest.createdAt.getTime()), runningOn: running.length };
  }

  return {
    scope: own ? "own" : "all",
    pendingReviews: { count: pendingCount!.n, items: pendingItems.map((s) => ({ ...s, requestedAt: s.requestedAt.toISOString() })) },
    newHighFindings,
    budgetsNearLimit,
    last24h: await lastDay(db, own, now),
    config,
    steps: await gettingStarted({ db, actor }, own, Boolean(latest)),
  };
}

/**
 * The first steps of whoever is signed in, each done or not as the database says: the organisation's
 * (teams, servers, policies, a publish, traffic) for those whose role does them, and a person's own
 * (connect a client, ask for a server, an API token) for everyone who may.
 */
async function gettingStarted({ db, actor }: Ctx, own: string | null, published: boolean): Promise<OverviewStep[]> {
  const steps: OverviewStep[] = [{ key: "sign-in", done: true, text: "Sign in to the console", href: "/" }];
  const userId = actor.userId;
  if (can(actor, "teams.manage")) steps.push({ key: "teams", done: await exists(db, teams), text: "Create teams (or map them to IdP groups)", href: "/settings/teams" });
  if (can(actor, "servers.review")) {
    steps.push({ key: "register", done: await exists(db, servers), text: "Register an MCP server", href: "/servers/new" });
    steps.push({ key: "approve", done: await exists(db, servers, eq(servers.status, "approved")), text: "Review and approve an MCP server", href: "/servers" });
  } else if (can(actor, "servers.request") && userId) {
    steps.push({ key: "request", done: await exists(db, servers, eq(servers.requestedBy, userId)), text: "Ask for an MCP server your team needs", href: "/servers/new" });
  }
  if (can(actor, "policies.manage")) steps.push({ key: "policy", done: await exists(db, policies), text: "Write an access policy", href: "/policies" });
  if (can(actor, "config.publish")) steps.push({ key: "publish", done: published, text: "Publish the configuration to the edge portal", href: "/portal" });
  if (can(actor, "shadow.triage")) steps.push({ key: "traffic", done: await exists(db, trafficUploads), text: "Upload a proxy log to find shadow MCP servers", href: "/shadow" });
  if (can(actor, "portal.use")) {
    // Someone's first call: any event of theirs (the user index) or any row of everyone's daily rollup.
    const called = own ? await exists(db, mcpEvents, eq(mcpEvents.userId, own)) : await exists(db, mcpRollupDaily);
    steps.push({ key: "connect", done: called, text: own ? "Connect your AI client to the portal" : "Connect an AI client to the portal", href: "/portal" });
  }
  if (can(actor, "tokens.manage-own") && userId) {
    const active = and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt), or(isNull(apiTokens.expiresAt), gte(apiTokens.expiresAt, new Date())));
    steps.push({ key: "token", done: await exists(db, apiTokens, active), text: "Create an API token for automation", href: "/settings/tokens" });
  }
  return steps;
}
