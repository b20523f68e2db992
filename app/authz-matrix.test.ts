/**
 * The authorization matrix: every route handler and every server action, with the roles allowed
 * to use it. Each entry is called as anonymous, viewer, member, approver, security and admin, and
 * the outcome must match the table. A route or action missing from the table fails the test.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Database } from "@/db/client";
import { testDatabases, useTestDatabase } from "@/testing/db";
import type { Actor } from "@/lib/auth/actor";
import { ROLES, type Role } from "@core/auth/roles";
import { makeToken, makeUser } from "@/testing/users";
import { createTeam } from "@/lib/teams/create-team";
import { BOOTSTRAP_ACTOR } from "@/lib/auth/actor";
import type { ActionResult } from "@/lib/auth/action-result";
import { PAGES } from "@/testing/e2e/pages";
import { startMutableServer } from "@/testing/servers/mutable-mcp-server.mjs";
import { registerServer } from "@/lib/servers/register-server";
import { publishConfig } from "@/lib/config/publish-config";
import { createPolicy } from "@/lib/policies/create-policy";
import { generateEdgeSecret, generateSigningKey } from "@/scripts/lib/local-keys.mjs";
import { makeEvent } from "@/testing/events";
import { createRateLimit } from "@/lib/rate-limits/create-rate-limit";
import { createSink } from "@/lib/forwarding/create-sink";
import { createBudget } from "@/lib/budgets/create-budget";
import { createLlmProvider } from "@/lib/llm-providers/create-llm-provider";
import { DEFAULT_PRICES } from "@core/llm/pricing";
import { ingestScanReport } from "@/lib/shadow/ingest-scan";
import { createBlock } from "@/lib/shadow/create-block";
import { createLogpushJob } from "@/lib/shadow/create-logpush-job";
import { saveView } from "@/lib/audit/save-view";
import { mcpEvents, shadowBlockNoticeRecipients, shadowBlockNotices } from "@/db/schema";

// Server actions read the session through this one helper; the test decides who is signed in.
const session = vi.hoisted(() => ({ actor: null as Actor | null }));
vi.mock("@/lib/auth/session", () => ({ currentActor: async () => session.actor }));
vi.mock("next/cache", () => ({ revalidatePath: () => undefined }));

type Caller = "anonymous" | Role;
const CALLERS: Caller[] = ["anonymous", ...ROLES];
const EVERYONE: Role[] = [...ROLES];

interface Prepared {
  params?: Record<string, string>;
  body?: unknown;
  /** A body sent as is (the traffic ingest's NDJSON) instead of JSON. */
  rawBody?: string;
  query?: string;
}
interface RouteEntry {
  /** Roles allowed; "public" means anonymous callers are allowed too. */
  allowed: Role[] | "public";
  /** Builds fresh objects for one call, so a delete or update never depends on another call. */
  prepare?: (db: Database, caller: Actor | null) => Promise<Prepared>;
  /** Public routes whose behaviour belongs to a library (Auth.js) are listed but not called here. */
  notCalled?: string;
  /** Browser routes authenticated by the console session (not a Bearer token); they answer allowed callers with a redirect (303) or 200. */
  session?: boolean;
  /**
   * Routes authenticated by a secret of their own, where a Bearer token counts for nothing: the edge
   * secret's signature (the portal's event delivery) or a Logpush job's secret header. Called without
   * it, every caller — admin included — must get 401. (With it: app/api/v1/events/route.test.ts,
   * app/api/v1/traffic/logpush/route.test.ts.)
   */
  signature?: boolean;
}

const uniq = () => Math.random().toString(36).slice(2, 10);
const newTeam = async (db: Database) => (await createTeam({ db, actor: BOOTSTRAP_ACTOR }, { slug: `t-${uniq()}`, name: "Team" })).id;
/** A new team with a new member in it. */
const newMembership = async (db: Database) => {
  const teamId = await newTeam(db);
  const userId = (await makeUser(db, "member")).userId;
  const { setMembership } = await import("@/lib/teams/set-membership");
  await setMembership({ db, actor: BOOTSTRAP_ACTOR }, teamId, userId, {});
  return { teamId, userId };
};
// A real MCP server on loopback for the registry's routes (the test runs in local mode, which allows loopback).
const upstream = { url: "" };
const serverBody = () => ({ name: "Weather", slug: `w-${uniq()}`, url: upstream.url, justification: "matrix" });
const newServer = async (db: Database) => (await registerServer({ db, actor: BOOTSTRAP_ACTOR }, serverBody())).id;
const REQUESTERS: Role[] = ["member", "approver", "security", "admin"];
/** `portal.use`: everyone but viewers may use the portal and connect MCP clients to it. */
const PORTAL_USERS: Role[] = ["member", "approver", "security", "admin"];
const REVIEWERS: Role[] = ["approver", "admin"];
const SYNCERS: Role[] = ["approver", "security", "admin"];
const CONFIG_READERS: Role[] = ["approver", "security", "admin"];
// Edge keys come from the environment (set in beforeAll), so nothing is written under .data/; pushes go to the
// local-mode default portal URL, where an unreachable or refusing portal is a recorded answer, not a failure.
const newDeployment = async (db: Database) => (await publishConfig({ db, actor: BOOTSTRAP_ACTOR })).version;
const POLICY_READERS: Role[] = ["approver", "security", "admin"];
const POLICY_WRITERS: Role[] = ["security", "admin"];
const policyBody = () => ({ name: `matrix ${uniq()}`, effect: "deny", subject: "domain:example.test", server: "*", tool: "delete_*" });
const newPolicy = async (db: Database) => (await createPolicy({ db, actor: BOOTSTRAP_ACTOR }, policyBody())).id;
const LIMIT_READERS: Role[] = ["approver", "security", "admin"];
const LIMIT_WRITERS: Role[] = ["security", "admin"];
const GATEWAY_READERS: Role[] = ["approver", "security", "admin"];
const GATEWAY_WRITERS: Role[] = ["admin"];
const rateLimitBody = () => ({ name: `matrix ${uniq()}`, subject: "everyone", per: "user", scope: "mcp", tool: "delete_*", limit: 10, window: "1m" });
const newRateLimit = async (db: Database) => (await createRateLimit({ db, actor: BOOTSTRAP_ACTOR }, rateLimitBody())).id;
const budgetBody = async (db: Database) => {
  const team = await createTeam({ db, actor: BOOTSTRAP_ACTOR }, { slug: `b-${uniq()}`, name: "Budgeted" });
  return { name: `matrix ${uniq()}`, subject: `team:${team.slug}`, metric: "usd", limit: 12.5, period: "month" };
};
const newBudget = async (db: Database) => (await createBudget({ db, actor: BOOTSTRAP_ACTOR }, await budgetBody(db))).id;
const providerBody = () => ({ slug: `p-${uniq()}`, name: "Provider", kind: "openai" });
const newProvider = async (db: Database) => (await createLlmProvider({ db, actor: BOOTSTRAP_ACTOR }, providerBody())).id;

/** A saved view of the caller's own when they are a person (else an id that names nothing: they are refused before it matters). */
const newSavedViewOf = async (db: Database, caller: Actor | null) =>
  caller?.userId ? (await saveView({ db, actor: caller }, { name: `matrix ${uniq()}`, query: "server=matrix" })).id : crypto.randomUUID();

const SHADOW_READERS: Role[] = ["security", "admin"];
const SHADOW_TRIAGERS: Role[] = ["security", "admin"];
const scanReport = (url = `https://mcp-${uniq()}.shadow.test/mcp`) => ({
  device: { name: `laptop-${uniq()}`, os: "linux", user: "alice" },
  scannedAt: new Date().toISOString(),
  files: [{ client: "cursor", path: "/home/alice/.cursor/mcp.json", found: 1 }],
  servers: [{ client: "cursor", configPath: "/home/alice/.cursor/mcp.json", name: "shadow", transport: "http", url, envNames: [], headerNames: [], redactions: [] }],
  redactionReport: { envValues: 0, headerValues: 0, args: 0, urlParts: 0 },
});
// A fresh remote finding (through the scan ingest), so each call triages its own.
const newFinding = async (db: Database) => (await ingestScanReport({ db, actor: BOOTSTRAP_ACTOR }, scanReport())).findings[0]!.id;
/** A fresh local (stdio) finding, for Adopt. */
const newStdioFinding = async (db: Database) => {
  const server = { client: "cursor", configPath: "/home/alice/.cursor/mcp.json", name: "notes", transport: "stdio", command: "npx", args: ["-y", `notes-mcp-${uniq()}`], envNames: ["NOTES_TOKEN"], headerNames: [], redactions: [] };
  return (await ingestScanReport({ db, actor: BOOTSTRAP_ACTOR }, { ...scanReport(), servers: [server] })).findings[0]!.id;
};
const newBlock = async (db: Database) => (await createBlock({ db, actor: BOOTSTRAP_ACTOR }, { url: `https://blocked-${uniq()}.test/mcp`, reason: "matrix" })).id;
const newLogpushJob = async (db: Database) => (await createLogpushJob({ db, actor: BOOTSTRAP_ACTOR }, { name: `matrix ${uniq()}`, format: "generic" }, "https://console.test")).id;
/** A block-list entry someone called through the portal (an event marked with it), so there is someone to notify. */
const newUsedBlock = async (db: Database) => {
  const id = await newBlock(db);
  await db.insert(mcpEvents).values(makeEvent({ email: `used-${uniq()}@example.test`, blockId: id, wouldBlock: true }));
  return id;
};
/** A notice about a new entry, sent to the caller (or to someone, for an anonymous caller). */
const newNoticeFor = async (db: Database, caller: Actor | null) => {
  const blockId = await newBlock(db);
  const [notice] = await db.insert(shadowBlockNotices).values({ blockId, message: "matrix", recipients: 1, createdByLabel: "matrix" }).returning();
  await db.insert(shadowBlockNoticeRecipients).values({ noticeId: notice!.id, email: (caller?.email ?? "nobody@example.test").toLowerCase() });
  return notice!.id;
};
const FORWARDING: Role[] = ["security", "admin"];
const sinkBody = () => ({ kind: "webhook", name: `matrix ${uniq()}`, url: "https://siem.example.test/hook" });
const newSink = async (db: Database) => (await createSink({ db, actor: BOOTSTRAP_ACTOR }, sinkBody())).id;
const trafficLine = () => JSON.stringify({ ts: "2026-11-20T10:00:00Z", user: "a@example.test", method: "POST", url: `https://mcp-${uniq()}.traffic.test/mcp`, status: 200, request_body_prefix: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' });

const ROUTES: Record<string, RouteEntry> = {
  "GET /api/auth/[...nextauth]": { allowed: "public", notCalled: "Auth.js sign-in endpoints; covered by the e2e sign-in specs" },
  "POST /api/auth/[...nextauth]": { allowed: "public", notCalled: "Auth.js sign-in endpoints; covered by the e2e sign-in specs" },
  "GET /api/health": { allowed: "public" },
  // An unknown state passes authorization and comes back to the form with an error (303).
  "GET /api/oauth/upstream/callback": { allowed: REQUESTERS, session: true, prepare: async () => ({ query: "?state=unknown&code=x" }) },
  "GET /api/v1/openapi.json": { allowed: "public" },
  "POST /api/v1/events": { allowed: [], signature: true, prepare: async () => ({ body: { events: [makeEvent()] } }) },
  // Everyone: security and admins every call, anyone else their own and their led teams' (lib/audit/event-scope.ts; list-events and explorer tests).
  "GET /api/v1/audit": { allowed: EVERYONE, prepare: async () => ({ query: "?limit=5&decision=denied" }) },
  "GET /api/v1/events/export": { allowed: EVERYONE, prepare: async () => ({ query: "?decision=denied&format=ndjson&profile=cloudflare" }) },
  "GET /audit/export": { allowed: EVERYONE, session: true, prepare: async () => ({ query: "?server=matrix&format=csv" }) },
  "GET /api/v1/saved-views": { allowed: EVERYONE },
  "POST /api/v1/saved-views": { allowed: EVERYONE, prepare: async () => ({ body: { name: `matrix ${uniq()}`, query: "decision=denied" } }) },
  "DELETE /api/v1/saved-views/[id]": { allowed: EVERYONE, prepare: async (db, caller) => ({ params: { id: await newSavedViewOf(db, caller) } }) },
  "GET /api/v1/me": { allowed: EVERYONE },
  "GET /api/v1/tokens": { allowed: EVERYONE },
  // An API token creates tokens only if it is an administrator's (people create theirs from a console session: createTokenAction).
  "POST /api/v1/tokens": { allowed: ["admin"], prepare: async () => ({ body: { name: "matrix" } }) },
  "DELETE /api/v1/tokens/[id]": {
    allowed: EVERYONE,
    // Revoking one's own token: every role may. (Others' tokens: see the verb tests.)
    prepare: async (db, caller) => {
      const owner = caller?.userId ?? (await makeUser(db, "member")).userId;
      const secret = await makeToken(db, owner);
      const { authenticateBearer } = await import("@/lib/tokens/authenticate-token");
      const actor = await authenticateBearer(db, `Bearer ${secret}`, undefined);
      return { params: { id: actor.kind === "token" ? actor.tokenId : "" } };
    },
  },
  "GET /api/v1/users": { allowed: ["security", "admin"] },
  "POST /api/v1/users": { allowed: ["admin"], prepare: async () => ({ body: { email: `new-${uniq()}@example.test` } }) },
  "GET /api/v1/users/[id]": { allowed: ["security", "admin"], prepare: async (db) => ({ params: { id: (await makeUser(db, "member")).userId } }) },
  "PATCH /api/v1/users/[id]": {
    allowed: ["admin"],
    prepare: async (db) => ({ params: { id: (await makeUser(db, "member")).userId }, body: { role: "viewer" } }),
  },
  "GET /api/v1/servers": { allowed: EVERYONE },
  "POST /api/v1/servers": { allowed: REQUESTERS, prepare: async () => ({ body: serverBody() }) },
  "GET /api/v1/servers/[id]": { allowed: EVERYONE, prepare: async (db) => ({ params: { id: await newServer(db) } }) },
  "POST /api/v1/servers/[id]/sync": { allowed: SYNCERS, prepare: async (db) => ({ params: { id: await newServer(db) } }) },
  "POST /api/v1/servers/[id]/approve": { allowed: REVIEWERS, prepare: async (db) => ({ params: { id: await newServer(db) }, body: { reason: "ok" } }) },
  "POST /api/v1/servers/[id]/reject": { allowed: REVIEWERS, prepare: async (db) => ({ params: { id: await newServer(db) }, body: { reason: "no" } }) },
  "GET /api/v1/teams": { allowed: EVERYONE },
  "POST /api/v1/teams": { allowed: ["admin"], prepare: async () => ({ body: { slug: `s-${uniq()}`, name: "New" } }) },
  "GET /api/v1/teams/[id]": { allowed: EVERYONE, prepare: async (db) => ({ params: { id: await newTeam(db) } }) },
  "PATCH /api/v1/teams/[id]": { allowed: ["admin"], prepare: async (db) => ({ params: { id: await newTeam(db) }, body: { name: "Renamed" } }) },
  "DELETE /api/v1/teams/[id]": { allowed: ["admin"], prepare: async (db) => ({ params: { id: await newTeam(db) } }) },
  "GET /api/v1/teams/[id]/members": { allowed: EVERYONE, prepare: async (db) => ({ params: { id: await newTeam(db) } }) },
  "PUT /api/v1/teams/[id]/members/[userId]": {
    allowed: ["admin"],
    prepare: async (db) => ({ params: { id: await newTeam(db), userId: (await makeUser(db, "member")).userId }, body: { role: "lead" } }),
  },
  "DELETE /api/v1/teams/[id]/members/[userId]": {
    allowed: ["admin"],
    prepare: async (db) => {
      const { teamId, userId } = await newMembership(db);
      return { params: { id: teamId, userId } };
    },
  },
  "GET /api/v1/servers/[id]/access": { allowed: EVERYONE, prepare: async (db) => ({ params: { id: await newServer(db) } }) },
  "PUT /api/v1/servers/[id]/access": { allowed: REVIEWERS, prepare: async (db) => ({ params: { id: await newServer(db) }, body: { everyone: true } }) },
  "PUT /api/v1/servers/[id]/tools/[name]/approval": { allowed: REVIEWERS, prepare: async (db) => ({ params: { id: await newServer(db), name: "get_weather" }, body: { approval: "ask" } }) },
  "POST /api/v1/config/publish": { allowed: ["admin"] },
  "POST /api/v1/config/push": { allowed: ["admin"], prepare: async (db) => (await newDeployment(db), {}) },
  "POST /api/v1/config/rollback": { allowed: ["admin"], prepare: async (db) => ({ body: { version: await newDeployment(db) } }) },
  "GET /api/v1/config/codemode": { allowed: EVERYONE },
  "PUT /api/v1/config/codemode": { allowed: ["admin"], prepare: async () => ({ body: { mode: "opt-in", shape: "search_and_execute" } }) },
  "GET /api/v1/config/audit-detail": { allowed: EVERYONE },
  // Security and admins (policies.manage): what the audit trail keeps of tool calls.
  "PUT /api/v1/config/audit-detail": { allowed: ["security", "admin"], prepare: async () => ({ body: { detail: "masked" } }) },
  "GET /api/v1/config/deployments": { allowed: CONFIG_READERS },
  "GET /api/v1/config/deployments/[version]": { allowed: CONFIG_READERS, prepare: async (db) => ({ params: { version: String(await newDeployment(db)) } }) },
  "GET /api/v1/policies": { allowed: POLICY_READERS },
  "POST /api/v1/policies": { allowed: POLICY_WRITERS, prepare: async () => ({ body: policyBody() }) },
  "GET /api/v1/policies/[id]": { allowed: POLICY_READERS, prepare: async (db) => ({ params: { id: await newPolicy(db) } }) },
  "PATCH /api/v1/policies/[id]": { allowed: POLICY_WRITERS, prepare: async (db) => ({ params: { id: await newPolicy(db) }, body: { priority: 300 } }) },
  "DELETE /api/v1/policies/[id]": { allowed: POLICY_WRITERS, prepare: async (db) => ({ params: { id: await newPolicy(db) } }) },
  "POST /api/v1/policies/simulate": { allowed: POLICY_READERS, prepare: async () => ({ body: { user: "nobody@example.test", tool: "weather_get_weather" } }) },
  "GET /api/v1/policies/export": { allowed: POLICY_READERS, prepare: async () => ({ query: "?format=json" }) },
  "POST /api/v1/policies/import": {
    allowed: POLICY_WRITERS,
    prepare: async () => ({ body: { format: "json", content: JSON.stringify({ version: 1, policies: [policyBody()] }), dryRun: true } }),
  },
  "GET /api/v1/policies/impact": { allowed: POLICY_READERS },
  "GET /api/v1/forwarding/sinks": { allowed: FORWARDING },
  "POST /api/v1/forwarding/sinks": { allowed: FORWARDING, prepare: async () => ({ body: sinkBody() }) },
  "GET /api/v1/forwarding/sinks/[id]": { allowed: FORWARDING, prepare: async (db) => ({ params: { id: await newSink(db) } }) },
  "PATCH /api/v1/forwarding/sinks/[id]": { allowed: FORWARDING, prepare: async (db) => ({ params: { id: await newSink(db) }, body: { enabled: false } }) },
  "DELETE /api/v1/forwarding/sinks/[id]": { allowed: FORWARDING, prepare: async (db) => ({ params: { id: await newSink(db) } }) },
  "POST /api/v1/forwarding/sinks/[id]/retry": { allowed: FORWARDING, prepare: async (db) => ({ params: { id: await newSink(db) } }) },
  "GET /api/v1/rate-limits": { allowed: LIMIT_READERS },
  "POST /api/v1/rate-limits": { allowed: LIMIT_WRITERS, prepare: async () => ({ body: rateLimitBody() }) },
  "GET /api/v1/rate-limits/[id]": { allowed: LIMIT_READERS, prepare: async (db) => ({ params: { id: await newRateLimit(db) } }) },
  "PATCH /api/v1/rate-limits/[id]": { allowed: LIMIT_WRITERS, prepare: async (db) => ({ params: { id: await newRateLimit(db) }, body: { limit: 20, window: 30 } }) },
  "DELETE /api/v1/rate-limits/[id]": { allowed: LIMIT_WRITERS, prepare: async (db) => ({ params: { id: await newRateLimit(db) } }) },
  "GET /api/v1/budgets": { allowed: EVERYONE },
  "POST /api/v1/budgets": { allowed: LIMIT_WRITERS, prepare: async (db) => ({ body: await budgetBody(db) }) },
  "GET /api/v1/budgets/status": { allowed: EVERYONE },
  "GET /api/v1/budgets/alerts": { allowed: EVERYONE, prepare: async () => ({ query: "?limit=5" }) },
  "GET /api/v1/budgets/[id]": { allowed: EVERYONE, prepare: async (db) => ({ params: { id: await newBudget(db) } }) },
  "PATCH /api/v1/budgets/[id]": { allowed: LIMIT_WRITERS, prepare: async (db) => ({ params: { id: await newBudget(db) }, body: { limit: 20, onExceed: "flag" } }) },
  "DELETE /api/v1/budgets/[id]": { allowed: LIMIT_WRITERS, prepare: async (db) => ({ params: { id: await newBudget(db) } }) },
  "GET /api/v1/llm/providers": { allowed: GATEWAY_READERS },
  "POST /api/v1/llm/providers": { allowed: GATEWAY_WRITERS, prepare: async () => ({ body: providerBody() }) },
  "GET /api/v1/llm/providers/[id]": { allowed: GATEWAY_READERS, prepare: async (db) => ({ params: { id: await newProvider(db) } }) },
  "PATCH /api/v1/llm/providers/[id]": { allowed: GATEWAY_WRITERS, prepare: async (db) => ({ params: { id: await newProvider(db) }, body: { cacheTtlSeconds: 60 } }) },
  "DELETE /api/v1/llm/providers/[id]": { allowed: GATEWAY_WRITERS, prepare: async (db) => ({ params: { id: await newProvider(db) } }) },
  "POST /api/v1/llm/providers/[id]/check": { allowed: GATEWAY_WRITERS, prepare: async (db) => ({ params: { id: await newProvider(db) } }) },
  "GET /api/v1/llm/prices": { allowed: GATEWAY_READERS },
  "PUT /api/v1/llm/prices": { allowed: GATEWAY_WRITERS, prepare: async () => ({ body: { prices: DEFAULT_PRICES.slice(0, 3) } }) },
  "POST /api/v1/llm/prices/reset": { allowed: GATEWAY_WRITERS },
  // Everyone sees usage: their own, or everyone's with usage.read-all (lib/usage/usage.test.ts).
  "GET /api/v1/usage": { allowed: EVERYONE, prepare: async () => ({ query: "?from=2030-01-01&to=2030-01-31" }) },
  // Approvers, security and admins (config.read): everyone's operations figures.
  "GET /api/v1/usage/operations": { allowed: ["approver", "security", "admin"], prepare: async () => ({ query: "?from=2030-01-01&to=2030-01-02" }) },
  "POST /api/v1/traffic": { allowed: SHADOW_TRIAGERS, prepare: async () => ({ rawBody: `${trafficLine()}\n`, query: "?filename=matrix.ndjson" }) },
  "GET /api/v1/traffic/uploads": { allowed: SHADOW_READERS },
  // Cloudflare Logpush's destination: only a job's secret (X-Portcullis-Logpush-Secret) lets a batch in.
  "POST /api/v1/traffic/logpush": { allowed: [], signature: true, prepare: async () => ({ rawBody: `${trafficLine()}\n` }) },
  "GET /api/v1/traffic/logpush/jobs": { allowed: SHADOW_TRIAGERS },
  "POST /api/v1/traffic/logpush/jobs": { allowed: SHADOW_TRIAGERS, prepare: async () => ({ body: { name: `matrix ${uniq()}`, format: "generic" } }) },
  "DELETE /api/v1/traffic/logpush/jobs/[id]": { allowed: SHADOW_TRIAGERS, prepare: async (db) => ({ params: { id: await newLogpushJob(db) } }) },
  "GET /api/v1/shadow/findings": { allowed: SHADOW_READERS, prepare: async () => ({ query: "?state=open&severity=high&sort=users&order=asc&limit=10" }) },
  "GET /api/v1/shadow/findings/[id]": { allowed: SHADOW_READERS, prepare: async (db) => ({ params: { id: await newFinding(db) } }) },
  "PATCH /api/v1/shadow/findings/[id]": { allowed: SHADOW_TRIAGERS, prepare: async (db) => ({ params: { id: await newFinding(db) }, body: { state: "investigating", note: "looking" } }) },
  "GET /api/v1/shadow/findings/[id]/adoption": { allowed: SHADOW_TRIAGERS, prepare: async (db) => ({ params: { id: await newStdioFinding(db) } }) },
  "POST /api/v1/shadow/findings/[id]/approve": { allowed: SHADOW_TRIAGERS, prepare: async (db) => ({ params: { id: await newFinding(db) }, body: {} }) },
  "GET /api/v1/shadow/stats": { allowed: SHADOW_READERS },
  // Everyone may report their own laptop's scan.
  "POST /api/v1/shadow/scans": { allowed: EVERYONE, prepare: async () => ({ body: scanReport() }) },
  "GET /api/v1/shadow/blocklist": { allowed: SHADOW_READERS },
  "POST /api/v1/shadow/blocklist": { allowed: SHADOW_TRIAGERS, prepare: async () => ({ body: { url: `https://b-${uniq()}.test/mcp`, reason: "matrix" } }) },
  "DELETE /api/v1/shadow/blocklist/[id]": { allowed: SHADOW_TRIAGERS, prepare: async (db) => ({ params: { id: await newBlock(db) } }) },
  "PATCH /api/v1/shadow/blocklist/[id]": { allowed: SHADOW_TRIAGERS, prepare: async (db) => ({ params: { id: await newBlock(db) }, body: { mode: "log", enforceAt: null } }) },
  "GET /api/v1/shadow/blocklist/[id]/affected": { allowed: SHADOW_READERS, prepare: async (db) => ({ params: { id: await newUsedBlock(db) }, query: "?days=30" }) },
  "POST /api/v1/shadow/blocklist/[id]/notify": { allowed: SHADOW_TRIAGERS, prepare: async (db) => ({ params: { id: await newUsedBlock(db) }, body: { message: "matrix" } }) },
  "GET /api/v1/shadow/exports/gateway-policy": { allowed: SHADOW_READERS, prepare: async (db) => (await newBlock(db), {}) },
  "GET /api/v1/shadow/exports/dlp-profile": { allowed: SHADOW_READERS },
  // The console's own upload and downloads, by session (answering 200 to allowed callers).
  "POST /shadow/upload": { allowed: SHADOW_TRIAGERS, session: true, prepare: async () => ({ rawBody: `${trafficLine()}\n` }) },
  "GET /shadow/exports/gateway-policy": { allowed: SHADOW_READERS, session: true, prepare: async (db) => (await newBlock(db), {}) },
  "GET /shadow/exports/dlp-profile": { allowed: SHADOW_READERS, session: true },
  "GET /api/v1/config/diff": {
    allowed: CONFIG_READERS,
    prepare: async (db) => {
      const version = await newDeployment(db);
      return { query: `?from=${version}&to=${version}` };
    },
  },
};

interface ActionEntry {
  allowed: Role[] | "public";
  /** Error codes that mean "authorized, then failed on purpose-built input" for allowed callers. */
  passedAuthorization?: string[];
  prepare?: (db: Database, caller: Actor | null) => Promise<Record<string, string | string[]>>;
  notCalled?: string;
}

const ACTIONS: Record<string, ActionEntry> = {
  "app/(console)/servers/actions.ts#requestServerAction": { allowed: REQUESTERS, prepare: async () => ({ ...serverBody(), authType: "none" }) },
  // The fixture needs no OAuth, so an allowed caller gets as far as the upstream saying so.
  "app/(console)/servers/actions.ts#startUpstreamOAuthAction": {
    allowed: REQUESTERS,
    passedAuthorization: ["UPSTREAM_AUTH_FAILED"],
    prepare: async () => ({ url: upstream.url }),
  },
  "app/(console)/servers/actions.ts#syncServerAction": { allowed: SYNCERS, prepare: async (db) => ({ id: await newServer(db) }) },
  "app/(console)/servers/actions.ts#approveServerAction": { allowed: REVIEWERS, prepare: async (db) => ({ id: await newServer(db), reason: "ok", tools: ["get_weather"] }) },
  "app/(console)/servers/actions.ts#rejectServerAction": { allowed: REVIEWERS, prepare: async (db) => ({ id: await newServer(db), reason: "no" }) },
  // Deny needs no signing key; allow (a signed consent statement) is covered by lib/auth/answer-consent.test.ts and the OAuth e2e.
  "app/(auth)/oauth/consent/actions.ts#answerConsentAction": {
    allowed: PORTAL_USERS,
    prepare: async () => ({ state: "matrix-state-0123456789", returnTo: "http://127.0.0.1:8787/oauth/callback", decision: "deny" }),
  },
  "app/(auth)/sign-in/actions.ts#signInLocalAction": { allowed: "public", notCalled: "starts a sign-in; loopback-only, covered by e2e/console/local-mode.spec.ts" },
  "app/(auth)/sign-in/actions.ts#signInOidcAction": { allowed: "public", notCalled: "redirects to the IdP; covered by e2e/console/oidc-sign-in.spec.ts" },
  "app/(console)/actions.ts#signOutAction": { allowed: "public", notCalled: "ends the caller's own session; covered by e2e" },
  "app/(console)/settings/actions.ts#createTokenAction": { allowed: EVERYONE, prepare: async () => ({ name: "matrix", scopes: ["read"], expiresInDays: "30" }) },
  "app/(console)/settings/actions.ts#revokeTokenAction": {
    allowed: EVERYONE,
    prepare: async (db, caller) => {
      const owner = caller?.userId ?? (await makeUser(db, "member")).userId;
      const { createToken } = await import("@/lib/tokens/create-token");
      return { id: (await createToken({ db, actor: BOOTSTRAP_ACTOR }, { name: "t", userId: owner })).id };
    },
  },
  "app/(console)/settings/actions.ts#createUserAction": { allowed: ["admin"], prepare: async () => ({ email: `a-${uniq()}@example.test`, role: "member" }) },
  "app/(console)/settings/actions.ts#updateUserRoleAction": { allowed: ["admin"], prepare: async (db) => ({ id: (await makeUser(db, "member")).userId, role: "approver" }) },
  "app/(console)/settings/actions.ts#setUserDisabledAction": { allowed: ["admin"], prepare: async (db) => ({ id: (await makeUser(db, "member")).userId, disabled: "true" }) },
  "app/(console)/settings/actions.ts#createTeamAction": { allowed: ["admin"], prepare: async () => ({ slug: `a-${uniq()}`, name: "A" }) },
  "app/(console)/settings/actions.ts#deleteTeamAction": { allowed: ["admin"], prepare: async (db) => ({ id: await newTeam(db) }) },
  "app/(console)/settings/actions.ts#addTeamMemberAction": {
    allowed: ["admin"],
    prepare: async (db) => ({ teamId: await newTeam(db), userId: (await makeUser(db, "member")).userId, role: "member" }),
  },
  "app/(console)/settings/actions.ts#removeTeamMemberAction": {
    allowed: ["admin"],
    prepare: newMembership,
  },
  "app/(console)/servers/actions.ts#setServerAccessAction": { allowed: REVIEWERS, prepare: async (db) => ({ id: await newServer(db), mode: "everyone" }) },
  "app/(console)/servers/actions.ts#setToolApprovalAction": { allowed: REVIEWERS, prepare: async (db) => ({ id: await newServer(db), tool: "get_weather", approval: "never" }) },
  "app/(console)/portal/actions.ts#publishConfigAction": { allowed: ["admin"] },
  "app/(console)/portal/actions.ts#updateCodemodeAction": { allowed: ["admin"], prepare: async () => ({ mode: "default", shape: "code", approval: "writes" }) },
  "app/(console)/portal/actions.ts#updateAuditDetailAction": { allowed: ["security", "admin"], prepare: async () => ({ detail: "masked" }) },
  "app/(console)/policies/actions.ts#createPolicyAction": {
    allowed: POLICY_WRITERS,
    prepare: async () => ({ name: `matrix ${uniq()}`, effect: "deny", subject: "domain:example.test", server: "*", tool: "delete_*", priority: "300", enabled: "on" }),
  },
  "app/(console)/policies/actions.ts#updatePolicyAction": {
    allowed: POLICY_WRITERS,
    prepare: async (db) => ({ id: await newPolicy(db), name: `matrix ${uniq()}`, effect: "allow", subject: "everyone", server: "*", tool: "get_*", priority: "150", enabled: "on" }),
  },
  "app/(console)/policies/actions.ts#deletePolicyAction": { allowed: POLICY_WRITERS, prepare: async (db) => ({ id: await newPolicy(db) }) },
  "app/(console)/policies/actions.ts#simulatePolicyAction": { allowed: POLICY_READERS, prepare: async () => ({ user: "nobody@example.test", tool: "weather_get_weather" }) },
  "app/(console)/policies/actions.ts#importPoliciesAction": {
    allowed: POLICY_WRITERS,
    prepare: async () => ({ format: "json", mode: "merge", content: JSON.stringify({ version: 1, policies: [policyBody()] }), dryRun: "on" }),
  },
  "app/(console)/budgets/actions.ts#createBudgetAction": {
    allowed: LIMIT_WRITERS,
    prepare: async (db) => ({ ...(await budgetBody(db)), limit: "12.50", onExceed: "flag", enabled: "on" }),
  },
  "app/(console)/budgets/actions.ts#updateBudgetAction": {
    allowed: LIMIT_WRITERS,
    prepare: async (db) => ({ id: await newBudget(db), ...(await budgetBody(db)), limit: "30", period: "week", enabled: "on" }),
  },
  "app/(console)/budgets/actions.ts#deleteBudgetAction": { allowed: LIMIT_WRITERS, prepare: async (db) => ({ id: await newBudget(db) }) },
  "app/(console)/budgets/actions.ts#createRateLimitAction": {
    allowed: LIMIT_WRITERS,
    prepare: async () => ({ name: `matrix ${uniq()}`, subject: "everyone", per: "user", scope: "mcp", tool: "get_*", limit: "60", window: "1m", enabled: "on" }),
  },
  "app/(console)/budgets/actions.ts#updateRateLimitAction": {
    allowed: LIMIT_WRITERS,
    prepare: async (db) => ({ id: await newRateLimit(db), name: `matrix ${uniq()}`, subject: "everyone", per: "token", scope: "llm", limit: "5", window: "1h", enabled: "on" }),
  },
  "app/(console)/budgets/actions.ts#deleteRateLimitAction": { allowed: LIMIT_WRITERS, prepare: async (db) => ({ id: await newRateLimit(db) }) },
  "app/(console)/gateway/actions.ts#createLlmProviderAction": {
    allowed: GATEWAY_WRITERS,
    prepare: async () => ({ ...providerBody(), baseUrl: "", cacheTtlSeconds: "0", enabled: "on" }),
  },
  "app/(console)/gateway/actions.ts#updateLlmProviderAction": {
    allowed: GATEWAY_WRITERS,
    prepare: async (db) => ({ id: await newProvider(db), ...providerBody(), kind: "anthropic", baseUrl: "", cacheTtlSeconds: "300", logBodies: "on", enabled: "on" }),
  },
  "app/(console)/gateway/actions.ts#checkLlmProviderAction": { allowed: GATEWAY_WRITERS, prepare: async (db) => ({ id: await newProvider(db) }) },
  "app/(console)/gateway/actions.ts#deleteLlmProviderAction": { allowed: GATEWAY_WRITERS, prepare: async (db) => ({ id: await newProvider(db) }) },
  "app/(console)/gateway/actions.ts#saveLlmPricesAction": { allowed: GATEWAY_WRITERS, prepare: async () => ({ prices: JSON.stringify(DEFAULT_PRICES.slice(0, 3)) }) },
  "app/(console)/gateway/actions.ts#resetLlmPricesAction": { allowed: GATEWAY_WRITERS },
  "app/(console)/shadow/actions.ts#triageFindingAction": {
    allowed: SHADOW_TRIAGERS,
    prepare: async (db) => ({ id: await newFinding(db), state: "resolved:false_positive", assigneeId: "", note: "matrix" }),
  },
  "app/(console)/shadow/actions.ts#approveFindingAction": { allowed: SHADOW_TRIAGERS, prepare: async (db) => ({ id: await newFinding(db) }) },
  "app/(console)/shadow/actions.ts#createBlockAction": { allowed: SHADOW_TRIAGERS, prepare: async () => ({ url: `https://a-${uniq()}.test/mcp`, scope: "origin", reason: "matrix", mode: "log", enforceAt: "" }) },
  "app/(console)/shadow/actions.ts#deleteBlockAction": { allowed: SHADOW_TRIAGERS, prepare: async (db) => ({ id: await newBlock(db) }) },
  "app/(console)/settings/actions.ts#createLogpushJobAction": { allowed: SHADOW_TRIAGERS, prepare: async () => ({ name: `matrix ${uniq()}`, format: "cloudflare" }) },
  "app/(console)/settings/actions.ts#revokeLogpushJobAction": { allowed: SHADOW_TRIAGERS, prepare: async (db) => ({ id: await newLogpushJob(db) }) },
  "app/(console)/settings/actions.ts#createSinkAction": { allowed: FORWARDING, prepare: async () => ({ kind: "otlp", name: `matrix ${uniq()}`, url: "https://otel.example.test", headerName: "x-api-key", headerValue: "k", kinds: "mcp", forwardEvents: "true" }) },
  "app/(console)/settings/actions.ts#deleteSinkAction": { allowed: FORWARDING, prepare: async (db) => ({ id: await newSink(db) }) },
  "app/(console)/settings/actions.ts#retryDeadLettersAction": { allowed: FORWARDING, prepare: async (db) => ({ id: await newSink(db) }) },
  "app/(console)/settings/actions.ts#setSinkEnabledAction": { allowed: FORWARDING, prepare: async (db) => ({ id: await newSink(db), enabled: "false" }) },
  "app/(console)/shadow/actions.ts#updateBlockAction": { allowed: SHADOW_TRIAGERS, prepare: async (db) => ({ id: await newBlock(db), mode: "log", enforceAt: new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10) }) },
  "app/(console)/shadow/actions.ts#notifyBlockAction": { allowed: SHADOW_TRIAGERS, prepare: async (db) => ({ id: await newUsedBlock(db), message: "matrix", webhookUrl: "", days: "14" }) },
  // Everyone: the live pages' poll, scoped to what the caller may see (lib/live/stamp.test.ts).
  "app/(console)/actions.ts#liveStampAction": { allowed: EVERYONE },
  // Everyone may dismiss the notices sent to them.
  "app/(console)/actions.ts#dismissBlockNoticeAction": { allowed: EVERYONE, prepare: async (db, caller) => ({ id: await newNoticeFor(db, caller) }) },
  "app/(console)/audit/actions.ts#saveViewAction": { allowed: EVERYONE, prepare: async () => ({ name: `matrix ${uniq()}`, query: "decision=denied&status=error" }) },
  "app/(console)/audit/actions.ts#deleteSavedViewAction": { allowed: EVERYONE, prepare: async (db, caller) => ({ id: await newSavedViewOf(db, caller) }) },
  "app/(console)/portal/actions.ts#pushConfigAction": { allowed: ["admin"], prepare: async (db) => (await newDeployment(db), {}) },
  "app/(console)/portal/actions.ts#rollbackConfigAction": { allowed: ["admin"], prepare: async (db) => ({ version: String(await newDeployment(db)) }) },
};

const APP = path.join(process.cwd(), "app");
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;

function walk(dir: string, match: (file: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? walk(full, match) : match(e.name) ? [full] : [];
  });
}

async function discoverRoutes(): Promise<Map<string, (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>>> {
  const found = new Map();
  for (const file of walk(APP, (f) => f === "route.ts")) {
    const route = "/" + path.relative(APP, path.dirname(file)).split(path.sep).filter((s) => !s.startsWith("(")).join("/");
    const mod = await import(/* @vite-ignore */ file);
    for (const m of METHODS) if (typeof mod[m] === "function") found.set(`${m} ${route}`, mod[m]);
  }
  return found;
}

async function discoverActions(): Promise<Map<string, (prev: unknown, form: FormData) => Promise<ActionResult>>> {
  const found = new Map();
  for (const file of walk(APP, (f) => f === "actions.ts")) {
    expect(readFileSync(file, "utf8").trimStart().startsWith('"use server"'), `${file} must start with "use server"`).toBe(true);
    const mod = await import(/* @vite-ignore */ file);
    for (const [name, value] of Object.entries(mod)) if (typeof value === "function") found.set(`${path.relative(process.cwd(), file)}#${name}`, value);
  }
  return found;
}

const isAllowed = (allowed: Role[] | "public", caller: Caller) => allowed === "public" || (caller !== "anonymous" && allowed.includes(caller));

describe.each(testDatabases())("authorization matrix on $name", (database) => {
  const { db } = useTestDatabase(database, { getDb: true });
  let fixture: Awaited<ReturnType<typeof startMutableServer>>;
  const actors = new Map<Caller, Actor | null>();
  const tokens = new Map<Caller, string | null>();

  beforeAll(async () => {
    fixture = await startMutableServer({ port: 0 });
    // Server actions that build console URLs read the public origin from AUTH_URL outside a request.
    process.env.AUTH_URL ??= "http://console.test";
    process.env.PORTCULLIS_BUNDLE_SIGNING_KEY ??= JSON.stringify(generateSigningKey());
    process.env.PORTCULLIS_EDGE_SECRET ??= generateEdgeSecret();
    upstream.url = fixture.url;
    actors.set("anonymous", null);
    tokens.set("anonymous", null);
    for (const role of ROLES) {
      const actor = await makeUser(db, role);
      actors.set(role, actor);
      tokens.set(role, await makeToken(db, actor.userId));
    }
  });
  afterAll(() => fixture.close());

  it("lists every route handler on disk, and nothing that is not there", async () => {
    const routes = await discoverRoutes();
    expect([...routes.keys()].sort()).toEqual(Object.keys(ROUTES).sort());
  });

  it("lists every page on disk in the e2e page-access table", () => {
    const pages = walk(APP, (f) => f === "page.tsx").map(
      (file) => "/" + path.relative(APP, path.dirname(file)).split(path.sep).filter((s) => s && !s.startsWith("(")).join("/"),
    );
    expect(pages.sort()).toEqual(Object.keys(PAGES).sort());
  });

  it("lists every server action on disk, and nothing that is not there", async () => {
    const actions = await discoverActions();
    expect([...actions.keys()].sort()).toEqual(Object.keys(ACTIONS).sort());
  });

  it("answers every route as the table says for every caller", async () => {
    const routes = await discoverRoutes();
    const outcomes: string[] = [];
    const expected: string[] = [];
    for (const [key, entry] of Object.entries(ROUTES)) {
      if (entry.notCalled) continue;
      const [method, route] = key.split(" ") as [string, string];
      const handler = routes.get(key)!;
      for (const caller of CALLERS) {
        const prepared = (await entry.prepare?.(db, actors.get(caller) ?? null)) ?? {};
        const url = "http://console.test" + route.replace(/\[(\w+)\]/g, (_, p: string) => prepared.params?.[p] ?? "x") + (prepared.query ?? "");
        const token = entry.session ? null : tokens.get(caller);
        if (entry.session) session.actor = actors.get(caller) ?? null;
        const request = new Request(url, {
          method,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(prepared.rawBody !== undefined ? { "content-type": "application/x-ndjson" } : prepared.body ? { "content-type": "application/json" } : {}),
          },
          body: prepared.rawBody ?? (prepared.body ? JSON.stringify(prepared.body) : undefined),
        });
        const res = await handler(request, { params: Promise.resolve(prepared.params ?? {}) });
        const allowedStatus = entry.session ? res.status === 303 || res.status === 200 : res.status < 300;
        const verdict = allowedStatus ? "allow" : res.status === 401 || res.status === 403 ? "deny" : `unexpected ${res.status}: ${await res.text()}`;
        outcomes.push(`${key} as ${caller}: ${verdict}`);
        expected.push(`${key} as ${caller}: ${isAllowed(entry.allowed, caller) ? "allow" : "deny"}`);
        if (caller === "anonymous" && entry.allowed !== "public") expect(res.status, key).toBe(401);
        if (entry.signature) expect(res.status, `${key} as ${caller}`).toBe(401);
      }
    }
    expect(outcomes).toEqual(expected);
    // Every route × every caller, each a real request against the database: seconds alone, far
    // more on a loaded 2-core machine (CI once needed over 30 s).
  }, 180_000);

  it("answers every server action as the table says for every caller", async () => {
    const actions = await discoverActions();
    const outcomes: string[] = [];
    const expected: string[] = [];
    for (const [key, entry] of Object.entries(ACTIONS)) {
      if (entry.notCalled) {
        expect(entry.allowed, `${key} is not called here, so it must be public`).toBe("public");
        continue;
      }
      const action = actions.get(key)!;
      for (const caller of CALLERS) {
        session.actor = actors.get(caller) ?? null;
        const fields = (await entry.prepare?.(db, session.actor)) ?? {};
        const form = new FormData();
        for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) form.append(k, one);
        const result = await action(null, form);
        const verdict = result.ok || entry.passedAuthorization?.includes(result.error.code)
          ? "allow"
          : ["UNAUTHENTICATED", "FORBIDDEN"].includes(result.error.code)
            ? "deny"
            : `unexpected ${result.error.code}: ${result.error.message}`;
        outcomes.push(`${key} as ${caller}: ${verdict}`);
        expected.push(`${key} as ${caller}: ${isAllowed(entry.allowed, caller) ? "allow" : "deny"}`);
      }
    }
    session.actor = null;
    expect(outcomes).toEqual(expected);
  }, 180_000);
});
