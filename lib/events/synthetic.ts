/**
 * A synthetic company's audit and usage events, for the benchmark (bench/events/run.mjs), the seed
 * (`npm run seed:events`) and the demo (`npm run demo`): one model, in SQL for bulk fills and in
 * JavaScript for events sent through the signed ingest.
 *
 * The company: users on a power law (the most active makes ~0.6 % of all calls, the median a few a
 * day), servers on a power law too and their tools on a milder one; 85 % tool calls, 8 % tool lists,
 * 5 % initialize, 2 % prompts; 3 % denied (by policy, rate limit or an unapproved tool), 2 % errors,
 * 5 % Code Mode; a share of LLM calls to three providers and six models, 3 % rate-limited (429), 10 %
 * cache hits, 2 % admitted over a `flag` budget. Working days carry more calls than weekends, and
 * working hours (07–18 UTC) more than nights.
 *
 * Bulk fills are `INSERT … SELECT … FROM generate_series`, one statement per table and day into that
 * day's partition: the tables' statement triggers keep the rollups from the rows really inserted,
 * exactly as for ingest. Ids are random, so filling twice adds events and never collides.
 */
import { createHash, randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { ensureEventPartitions } from "./partitions";

export interface SyntheticUser {
  id: string;
  email: string;
  /** Every team of the user; the first is the one MCP events name. May be empty. */
  teamIds: string[];
}

export interface SyntheticServer {
  id: string;
  slug: string;
  url: string;
  /** The tools calls go to, most used first. */
  tools: string[];
}

/** Who makes the calls, most active first, and the servers they call, most used first. */
export interface SyntheticCompany {
  users: SyntheticUser[];
  servers: SyntheticServer[];
}

export interface SyntheticTeam {
  id: string;
  slug: string;
  name: string;
}

export const USER_POWER = 1.8;
export const SERVER_POWER = 2;
export const TOOL_POWER = 1.5;
export const DEFAULT_LLM_SHARE = 0.2;
/** How busy a weekend day is next to a working day. */
export const WEEKEND_WEIGHT = 0.35;
const DAY_MS = 86_400_000;
/** Tools per server in the SQL fill: each server's list is cycled to this length (a rectangular array). */
const TOOL_SLOTS = 10;

/** A stable version-4-form UUID for a name (the event contract checks the version and variant). */
export function syntheticUuid(text: string): string {
  const h = createHash("md5").update(text).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20)}`;
}

/** Names that read like a company's MCP servers and their tools (for a company with none approved). */
const SERVER_CATALOGUE: [string, string[]][] = [
  ["github", ["search_code", "get_file_contents", "create_pull_request", "list_issues", "create_issue", "get_pull_request", "merge_pull_request", "list_commits"]],
  ["jira", ["search_issues", "get_issue", "create_issue", "transition_issue", "add_comment"]],
  ["slack", ["post_message", "search_messages", "list_channels", "get_thread"]],
  ["notion", ["search", "get_page", "create_page", "update_page"]],
  ["postgres", ["query", "list_tables", "describe_table"]],
  ["sentry", ["list_issues", "get_issue_details", "resolve_issue"]],
  ["confluence", ["search_pages", "get_page", "create_page"]],
  ["linear", ["list_issues", "create_issue", "update_issue"]],
  ["gdrive", ["search_files", "read_file"]],
  ["datadog", ["query_metrics", "list_monitors", "get_logs"]],
  ["stripe", ["list_charges", "get_customer", "create_refund"]],
  ["figma", ["get_file", "get_comments"]],
];

/**
 * A company made up from names alone (stable ids): `teams` teams, `users` users (user i in team
 * i % teams, every seventh also in the next), `servers` servers (named from a catalogue, then
 * `srvN`; not registered anywhere: their events name them, as events of a removed server would).
 */
export function syntheticCompany(options: { teams: number; users: number; servers: number; domain?: string; prefix?: string }): { teams: SyntheticTeam[]; company: SyntheticCompany } {
  const { domain = "example.com", prefix = "synthetic" } = options;
  const teams = Array.from({ length: options.teams }, (_, i) => ({ id: syntheticUuid(`${prefix}:team${i}`), slug: `${prefix}-team-${i}`, name: `Team ${i}` }));
  const users = Array.from({ length: options.users }, (_, i) => {
    const teamIds = teams.length ? [teams[i % teams.length]!.id] : [];
    if (teams.length > 1 && i % 7 === 0) teamIds.push(teams[(i + 1) % teams.length]!.id);
    return { id: syntheticUuid(`${prefix}:user${i}`), email: `user${i}@${domain}`, teamIds };
  });
  const servers = Array.from({ length: options.servers }, (_, i) => {
    const [slug, tools] = SERVER_CATALOGUE[i] ?? [`srv${i}`, Array.from({ length: TOOL_SLOTS }, (_, k) => `tool_${k}`)];
    return { id: syntheticUuid(`${prefix}:server${i}`), slug, url: `https://${slug}.mcp.${domain}/mcp`, tools };
  });
  return { teams, company: { users, servers } };
}

/** Stores a synthetic company's teams, users (members) and memberships; what exists already is kept. */
export async function insertCompany(db: Queryable, teams: readonly SyntheticTeam[], company: SyntheticCompany): Promise<void> {
  if (teams.length) {
    await db.execute(sql`insert into teams (id, slug, name)
      select * from unnest(${array(teams.map((t) => t.id))}::uuid[], ${array(teams.map((t) => t.slug))}::text[], ${array(teams.map((t) => t.name))}::text[])
      on conflict do nothing`);
  }
  const { users } = company;
  if (!users.length) return;
  await db.execute(sql`insert into users (id, email, role, email_verified, auth_source)
    select id, email, 'member', true, 'provisioned' from unnest(${array(users.map((u) => u.id))}::uuid[], ${array(users.map((u) => u.email))}::text[]) as u (id, email)
    on conflict do nothing`);
  const pairs = users.flatMap((u) => u.teamIds.map((t) => [t, u.id] as const));
  if (pairs.length) {
    await db.execute(sql`insert into memberships (team_id, user_id, role, source)
      select team_id, user_id, 'member', 'manual' from unnest(${array(pairs.map((p) => p[0]))}::uuid[], ${array(pairs.map((p) => p[1]))}::uuid[]) as m (team_id, user_id)
      join teams t on t.id = m.team_id join users u on u.id = m.user_id
      on conflict do nothing`);
  }
}

/** An array as one parameter (drizzle would spread a bare array into a list of parameters). */
const array = (values: readonly unknown[]) => sql.param(values);

/** The company's arrays, as the fill statements read them (1-based in SQL). */
function companyParams(company: SyntheticCompany) {
  if (!company.users.length) throw new Error("a synthetic company needs at least one user");
  if (!company.servers.length) throw new Error("a synthetic company needs at least one server");
  const tools = company.servers.flatMap((s) => {
    const list = s.tools.length ? s.tools : ["ping"];
    return Array.from({ length: TOOL_SLOTS }, (_, k) => list[k % list.length]!);
  });
  return {
    userIds: company.users.map((u) => u.id),
    emails: company.users.map((u) => u.email),
    teams: company.users.map((u) => u.teamIds[0] ?? null),
    secondTeams: company.users.map((u) => u.teamIds[1] ?? null),
    serverIds: company.servers.map((s) => s.id),
    slugs: company.servers.map((s) => s.slug),
    urls: company.servers.map((s) => s.url),
    tools,
  };
}

/**
 * A time in [start, end) with a working day's shape: 70 % within working hours (07–18 UTC of a whole
 * day), the rest at any hour; a partial day (today, up to now) is the same shape compressed into it.
 * A plain expression, not a subquery: an uncorrelated subquery would be evaluated once per statement
 * and give every row the same time.
 */
const timeOfDay = (start: string, end: string) =>
  sql`(${start}::timestamptz + (CASE WHEN random() < 0.7 THEN (7 + 11 * random()) / 24 ELSE random() END) * (${end}::timestamptz - ${start}::timestamptz))`;

/** One day's MCP requests: `n` of them in [start, end). */
function mcpFill(company: SyntheticCompany, start: string, end: string, n: number, bundleVersion: number) {
  const p = companyParams(company);
  const users = p.userIds.length;
  const servers = p.serverIds.length;
  return sql`
INSERT INTO mcp_events (id, time, user_id, email, team_id, auth_method, client_name, client_version, client_ip, client_country, session_id, method, endpoint,
  server_id, server_slug, server_url, tool, prompt, decision, reason, success, error, duration_ms, bytes_in, bytes_out, result_tokens, server_tokens, bundle_version, via, parent_id)
SELECT gen_random_uuid(), t, (${array(p.userIds)}::uuid[])[u], (${array(p.emails)}::text[])[u], (${array(p.teams)}::uuid[])[u], 'oauth',
  CASE WHEN u % 3 = 0 THEN 'cursor' WHEN u % 5 = 0 THEN 'vscode' ELSE 'claude-code' END, '1.2.3', '10.0.0.1', 'PT', 'sess-' || u,
  m, CASE WHEN m = 'tools/list' AND NOT agg THEN '/mcp/' || slug ELSE '/mcp' END,
  CASE WHEN m IN ('tools/call', 'prompts/get') THEN (${array(p.serverIds)}::uuid[])[s] END, CASE WHEN m IN ('tools/call', 'prompts/get') THEN slug END,
  CASE WHEN m = 'tools/call' THEN (${array(p.urls)}::text[])[s] END, CASE WHEN m = 'tools/call' THEN (${array(p.tools)}::text[])[(s - 1) * ${TOOL_SLOTS} + k] END,
  CASE WHEN m = 'prompts/get' THEN 'summarise' END,
  CASE WHEN denied THEN 'denied' ELSE 'allowed' END,
  CASE WHEN NOT denied THEN 'allowed by rule everyone' WHEN r3 < 1.0 / 3 THEN 'POLICY_DENIED: rule 7' WHEN r3 < 2.0 / 3 THEN 'RATE_LIMITED: per user (600/min)' ELSE 'TOOL_NOT_APPROVED' END,
  NOT denied AND NOT failed, CASE WHEN failed THEN 'upstream error' END,
  CASE WHEN denied THEN NULL WHEN r4 < 0.05 THEN (1000 + r5 * 5000)::int ELSE (10 + r5 * r5 * 400)::int END,
  200, 1500, CASE WHEN denied THEN NULL WHEN m = 'tools/list' THEN 3000 ELSE (r6 * 2000)::int END,
  CASE WHEN agg THEN jsonb_build_object((${array(p.slugs)}::text[])[1], 1200) END, ${bundleVersion}::int,
  CASE WHEN codemode THEN 'codemode' END, CASE WHEN codemode AND r6 < 0.5 THEN gen_random_uuid() END
FROM (
  SELECT t, u, s, (${array(p.slugs)}::text[])[s] AS slug, k, m, r3, r4, r5, r6, denied, NOT denied AND r7 < 0.02 AS failed, m = 'tools/call' AND r8 < 0.05 AS codemode, m = 'tools/list' AND r8 < 0.5 AS agg
  FROM (
    SELECT ${timeOfDay(start, end)} AS t,
      1 + floor(power(random(), ${USER_POWER}) * ${users})::int AS u, 1 + floor(power(random(), ${SERVER_POWER}) * ${servers})::int AS s,
      1 + floor(power(random(), ${TOOL_POWER}) * ${TOOL_SLOTS})::int AS k,
      CASE WHEN r1 < 0.85 THEN 'tools/call' WHEN r1 < 0.93 THEN 'tools/list' WHEN r1 < 0.98 THEN 'initialize' ELSE 'prompts/get' END AS m,
      random() < 0.03 AS denied, random() AS r3, random() AS r4, random() AS r5, random() AS r6, random() AS r7, random() AS r8
    FROM (SELECT random() AS r1 FROM generate_series(1, ${n}::int)) AS g
  ) AS a
) AS b`;
}

/** One day's LLM calls: `n` of them in [start, end). A user's API key: a stable id per odd user. */
function llmFill(company: SyntheticCompany, start: string, end: string, n: number, bundleVersion: number) {
  const p = companyParams(company);
  return sql`
INSERT INTO llm_events (id, time, user_id, email, team_ids, token_id, client_ip, provider_slug, provider_kind, operation, model, stream, status, success, error, decision, reason,
  cache, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cost_micro_usd, over_budget, duration_ms, bundle_version)
SELECT gen_random_uuid(), t, (${array(p.userIds)}::uuid[])[u], (${array(p.emails)}::text[])[u],
  array_remove(ARRAY[(${array(p.teams)}::uuid[])[u], (${array(p.secondTeams)}::uuid[])[u]], NULL),
  CASE WHEN u % 2 = 0 THEN overlay(overlay(md5('token' || (${array(p.userIds)}::uuid[])[u]) PLACING '4' FROM 13) PLACING '8' FROM 17)::uuid END,
  '10.0.0.1', p, CASE WHEN p = 'claude' THEN 'anthropic' ELSE 'openai' END,
  CASE WHEN p = 'claude' THEN 'messages' ELSE 'chat.completions' END,
  CASE WHEN p = 'claude' THEN (ARRAY['claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-1'])[1 + floor(power(random(), 2) * 3)::int]
    ELSE (ARRAY['gpt-4.1-mini', 'gpt-4.1', 'o4-mini'])[1 + floor(power(random(), 2) * 3)::int] END, random() < 0.3,
  CASE WHEN limited THEN 429 WHEN r < 0.05 THEN 500 ELSE 200 END, r >= 0.05, CASE WHEN r < 0.05 THEN 'upstream said no' END,
  CASE WHEN limited THEN 'denied' ELSE 'allowed' END, CASE WHEN limited THEN 'RATE_LIMITED: per user (60/min)' ELSE 'allowed by rule everyone' END,
  CASE WHEN limited THEN NULL WHEN random() < 0.1 THEN 'hit' ELSE 'miss' END,
  CASE WHEN NOT limited THEN input END, CASE WHEN NOT limited THEN output END, CASE WHEN NOT limited THEN input / 4 END, CASE WHEN NOT limited THEN 0 END,
  CASE WHEN NOT limited THEN input * 2 + output * 8 END, NOT limited AND r > 0.98, (300 + random() * 4000)::int, ${bundleVersion}::int
FROM (
  SELECT ${timeOfDay(start, end)} AS t, 1 + floor(power(random(), ${USER_POWER}) * ${p.userIds.length})::int AS u,
    (ARRAY['openai', 'claude', 'azure'])[1 + floor(power(random(), 2) * 3)::int] AS p, r, r < 0.03 AS limited,
    (200 + random() * 4000)::int AS input, (20 + random() * 800)::int AS output
  FROM (SELECT random() AS r FROM generate_series(1, ${n}::int)) AS g
) AS a`;
}

/** `count` events split over days by weight: a weekend day weighs WEEKEND_WEIGHT, today what part of it has passed. */
export function eventsPerDay(count: number, days: number, now: Date): { day: string; start: string; end: string; events: number }[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  // Nothing is stored from the future: today's events stop a minute before now.
  const stop = now.getTime() - 60_000;
  const list = Array.from({ length: days }, (_, i) => {
    const start = today - (days - 1 - i) * DAY_MS;
    const end = Math.min(start + DAY_MS, stop);
    const weekday = new Date(start).getUTCDay();
    const weight = (weekday === 0 || weekday === 6 ? WEEKEND_WEIGHT : 1) * Math.max(0, (end - start) / DAY_MS);
    return { day: new Date(start).toISOString().slice(0, 10), start: new Date(start).toISOString(), end: new Date(end).toISOString(), weight };
  }).filter((d) => d.weight > 0);
  const total = list.reduce((sum, d) => sum + d.weight, 0);
  let given = 0;
  return list.map((d, i) => {
    const events = i === list.length - 1 ? count - given : Math.round((count * d.weight) / total);
    given += events;
    return { day: d.day, start: d.start, end: d.end, events };
  });
}

export interface FillOptions {
  /** Events in all, MCP and LLM together. */
  count: number;
  /** Over the last `days` UTC days, today included (default 30). */
  days?: number;
  now?: Date;
  /** Share of LLM calls (default 0.2). */
  llmShare?: number;
  bundleVersion?: number;
  /** Called after each day is filled. */
  onDay?: (day: string, filled: number) => void;
}

/** Fills the company's events over the last days, making each day's partitions first. */
export async function fillEvents(db: Queryable, company: SyntheticCompany, options: FillOptions): Promise<{ mcp: number; llm: number; days: string[] }> {
  const { count, days = 30, now = new Date(), llmShare = DEFAULT_LLM_SHARE, bundleVersion = 1 } = options;
  const plan = eventsPerDay(count, days, now);
  let mcp = 0;
  let llm = 0;
  for (const d of plan) {
    await ensureEventPartitions(db, "mcp_events", [d.day]);
    await ensureEventPartitions(db, "llm_events", [d.day]);
    const llmCount = Math.round(d.events * llmShare);
    if (d.events - llmCount > 0) await db.execute(mcpFill(company, d.start, d.end, d.events - llmCount, bundleVersion));
    if (llmCount > 0) await db.execute(llmFill(company, d.start, d.end, llmCount, bundleVersion));
    mcp += d.events - llmCount;
    llm += llmCount;
    options.onDay?.(d.day, mcp + llm);
  }
  return { mcp, llm, days: plan.map((d) => d.day) };
}

const powerPick = <T>(random: () => number, list: readonly T[], power: number): T => list[Math.floor(random() ** power * list.length)]!;

/**
 * One event of the same company as the edge sends it (the JSON of `POST /api/v1/events`), at `at`
 * (ms): for deliveries through the signed ingest.
 */
export function syntheticEvent(random: () => number, at: number, company: SyntheticCompany, llmShare = DEFAULT_LLM_SHARE, bundleVersion = 1): Record<string, unknown> {
  const u = Math.floor(random() ** USER_POWER * company.users.length);
  const user = company.users[u]!;
  const r = random();
  const id = randomUUID();
  const time = new Date(at).toISOString();
  if (random() < llmShare) {
    const provider = ["openai", "claude", "azure"][Math.floor(random() ** 2 * 3)]!;
    const limited = r < 0.03;
    const input = Math.floor(200 + random() * 4_000);
    const output = Math.floor(20 + random() * 800);
    const models = provider === "claude" ? ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"] : ["gpt-4.1-mini", "gpt-4.1", "o4-mini"];
    return {
      kind: "llm", id, time, userId: user.id, email: user.email, teamIds: user.teamIds.slice(0, 2),
      tokenId: u % 2 ? null : syntheticUuid(`token${user.id}`), clientIp: "10.0.0.1", providerSlug: provider, providerKind: provider === "claude" ? "anthropic" : "openai",
      operation: provider === "claude" ? "messages" : "chat.completions", model: powerPick(random, models, 2), stream: random() < 0.3,
      status: limited ? 429 : r < 0.05 ? 500 : 200, success: r >= 0.05, error: r < 0.05 ? "upstream said no" : null,
      decision: limited ? "denied" : "allowed", reason: limited ? "RATE_LIMITED: per user (60/min)" : "allowed by rule everyone", ruleId: null,
      cache: limited ? null : random() < 0.1 ? "hit" : "miss", inputTokens: limited ? null : input, outputTokens: limited ? null : output,
      cachedInputTokens: limited ? null : Math.floor(input / 4), cacheWriteTokens: limited ? null : 0, costMicroUsd: limited ? null : input * 2 + output * 8,
      overBudget: !limited && r > 0.98, durationMs: Math.floor(300 + random() * 4_000), requestLog: null, responseLog: null, bundleVersion,
    };
  }
  const server = powerPick(random, company.servers, SERVER_POWER);
  const method = r < 0.85 ? "tools/call" : r < 0.93 ? "tools/list" : r < 0.98 ? "initialize" : "prompts/get";
  const denied = random() < 0.03;
  const failed = !denied && random() < 0.02;
  const codemode = method === "tools/call" && random() < 0.05;
  const aggregateList = method === "tools/list" && random() < 0.5;
  const named = method === "tools/call" || method === "prompts/get";
  return {
    id, time, userId: user.id, email: user.email, teamId: user.teamIds[0] ?? null, tokenId: null, authMethod: "oauth", clientName: "claude-code", clientVersion: "1.2.3",
    clientIp: "10.0.0.1", clientCountry: "PT", sessionId: `sess-${u}`, method, endpoint: method === "tools/list" && !aggregateList ? `/mcp/${server.slug}` : "/mcp",
    serverId: named ? server.id : null, serverSlug: named ? server.slug : null, serverUrl: method === "tools/call" ? server.url : null,
    tool: method === "tools/call" ? powerPick(random, server.tools.length ? server.tools : ["ping"], TOOL_POWER) : null,
    prompt: method === "prompts/get" ? "summarise" : null, resourceUri: null, decision: denied ? "denied" : "allowed",
    reason: denied ? ["POLICY_DENIED: rule 7", "RATE_LIMITED: per user (600/min)", "TOOL_NOT_APPROVED"][Math.floor(random() * 3)] : "allowed by rule everyone",
    ruleId: null, success: !denied && !failed, error: failed ? "upstream error" : null, durationMs: denied ? null : random() < 0.05 ? Math.floor(1_000 + random() * 5_000) : Math.floor(10 + random() ** 2 * 400),
    bytesIn: 200, bytesOut: 1_500, resultTokens: denied ? null : method === "tools/list" ? 3_000 : Math.floor(random() * 2_000),
    ...(aggregateList ? { serverTokens: { [company.servers[0]!.slug]: 1_200 } } : {}), bundleVersion,
    ...(codemode ? { via: "codemode", parentId: random() < 0.5 ? randomUUID() : null } : {}),
  };
}
