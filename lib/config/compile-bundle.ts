import { and, asc, eq, inArray, isNotNull, isNull } from "drizzle-orm";
import { codemodeApprovalRule, compileCodemode } from "@/lib/codemode/settings";
import { compileAudit } from "@/lib/audit/detail-settings";
import { needsApproval } from "@core/codemode/approval";
import { discoverOAuthServerInfo } from "@modelcontextprotocol/sdk/client/auth.js";
import { apiTokens, memberships, serverAccessGrants, servers, serverTools, teams, users } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { TOKEN_SCOPES, type TokenScope } from "@core/auth/roles";
import { pruneDangling } from "@core/bundle/prune";
import { BUNDLE_SCHEMA_VERSION, ConfigBundle, type BundleServer, type PolicyRule, type SealedCredential } from "@core/bundle/schema";
import { sha256Hex } from "@core/crypto/sha256";
import { edgeCredentialAad, type EdgeCredential } from "@core/edge/credential";
import { sealForEdgeReusing, type EdgeSecret } from "@core/edge/secret";
import { canonicalJson, hashedToolView } from "@core/tools/tool-hash";
import type { McpToolDefinition } from "@core/tools/tool-types";
import { redactUrlsInText } from "@core/net/redact-url";
import { openCredential } from "../servers/credentials";
import { guardedFetch } from "../servers/upstream";
import { compileBudgets } from "@/lib/budgets/compile-budgets";
import { compileBudgetBaselines } from "@/lib/budgets/spend";
import { compileBlocklist } from "@/lib/shadow/blocks";
import { compileLlm } from "@/lib/llm-providers/compile-llm";
import { compilePolicyRules } from "../policies/store";
import { compileRateLimits } from "@/lib/rate-limits/compile-rate-limits";
import type { DeploymentSummary, SkippedServer } from "./schemas";

/** Priority of the allow rules compiled from server access grants (room for deny rules above and below). */
export const ACCESS_RULE_PRIORITY = 100;
const TOKEN_URL_TIMEOUT_MS = 5_000;

/** Finds an upstream's OAuth token endpoint (for client-credentials servers, which the edge authenticates itself). */
export type ResolveTokenUrl = (serverUrl: string) => Promise<string>;

/** RFC 9728 → RFC 8414 discovery, as the SDK client does it, through the upstream SSRF guard and time-boxed. */
export const discoverTokenUrl: ResolveTokenUrl = async (serverUrl) => {
  const guarded = guardedFetch();
  const fetchFn: typeof fetch = (input, init) => guarded(input, { ...init, signal: AbortSignal.timeout(TOKEN_URL_TIMEOUT_MS) });
  const info = await discoverOAuthServerInfo(serverUrl, { fetchFn });
  const tokenUrl = info.authorizationServerMetadata?.token_endpoint;
  if (!tokenUrl) throw new Error("the authorization server publishes no token endpoint");
  return tokenUrl;
};

/**
 * Token endpoints of the approved client-credentials servers, found before the publishing
 * transaction opens (network calls do not belong inside it). A failure is kept as its message.
 */
export async function resolveTokenUrls(db: Queryable, resolve: ResolveTokenUrl = discoverTokenUrl): Promise<Map<string, string | Error>> {
  const rows = await db
    .select({ id: servers.id, endpointUrl: servers.endpointUrl })
    .from(servers)
    .where(and(eq(servers.status, "approved"), eq(servers.authType, "oauth_client_credentials")));
  const entries = await Promise.all(
    rows.map(async (s): Promise<[string, string | Error]> => {
      try {
        return [s.id, await resolve(s.endpointUrl)];
      } catch (error) {
        return [s.id, error instanceof Error ? error : new Error(String(error))];
      }
    }),
  );
  return new Map(entries);
}

export interface CompileOptions {
  version: number;
  issuer: string;
  edgeSecrets: EdgeSecret[];
  issuedAt?: Date;
  /** The last published bundle: a sealed credential is reused when it still opens to the same plaintext. */
  previous?: ConfigBundle | null;
  /** From {@link resolveTokenUrls}. */
  tokenUrls?: Map<string, string | Error>;
}

export interface CompiledBundle {
  bundle: ConfigBundle;
  skipped: SkippedServer[];
}

class CredentialUnavailable extends Error {}

/** What the edge needs to call the upstream: see lib/core/edge/credential.ts. */
function edgeCredential(server: { id: string; credentialCiphertext: string | null }, tokenUrls: Map<string, string | Error> | undefined): EdgeCredential | null {
  const { auth, provider } = openCredential(server.id, server.credentialCiphertext);
  switch (auth.type) {
    case "none":
      return null;
    case "bearer":
      return { type: "headers", headers: { Authorization: `Bearer ${auth.token}` } };
    case "headers":
      return { type: "headers", headers: { ...auth.headers } };
    case "oauth_authorization_code": {
      const token = provider?.data.tokens?.access_token;
      if (!token) throw new CredentialUnavailable("no OAuth access token is stored: sign in at the provider again (Sync now or re-register)");
      return { type: "headers", headers: { Authorization: `Bearer ${token}` } };
    }
    case "oauth_client_credentials": {
      const tokenUrl = tokenUrls?.get(server.id);
      if (tokenUrl === undefined) throw new CredentialUnavailable("its OAuth token endpoint was not looked up; publish again");
      if (tokenUrl instanceof Error) throw new CredentialUnavailable(`its OAuth token endpoint could not be found: ${redactUrlsInText(tokenUrl.message)}`);
      return { type: "oauth_client_credentials", tokenUrl, clientId: auth.clientId, clientSecret: auth.clientSecret, ...(auth.scope ? { scope: auth.scope } : {}) };
    }
  }
}

const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Who exists at the edge: teams, enabled users with their teams, and live API tokens — the part of
 * the bundle that must follow the console at once (a revoked token must stop working without
 * waiting for the next full publish; see sync-identities.ts). Sorted, so equal state compiles equal.
 */
export async function compileIdentities(db: Queryable, now: Date): Promise<Pick<ConfigBundle, "teams" | "users" | "tokens">> {
  // In turn, not at once: this runs inside the publishing transaction (one connection).
  const teamRows = await db.select({ id: teams.id, slug: teams.slug }).from(teams);
  const userRows = await db.select({ id: users.id, email: users.email, emailVerified: users.emailVerified, role: users.role, groups: users.idpGroups }).from(users).where(isNull(users.disabledAt));
  const membershipRows = await db.select({ userId: memberships.userId, teamId: memberships.teamId }).from(memberships);
  const tokenRows = await db
    .select({ id: apiTokens.id, hash: apiTokens.hash, userId: apiTokens.userId, scopes: apiTokens.scopes, expiresAt: apiTokens.expiresAt })
    .from(apiTokens)
    .where(isNull(apiTokens.revokedAt));
  const teamsOut = teamRows.map((t) => ({ id: t.id, slug: t.slug })).sort(byId);
  const teamIds = new Set(teamsOut.map((t) => t.id));
  const teamsOfUser = new Map<string, string[]>();
  for (const m of membershipRows) if (teamIds.has(m.teamId)) teamsOfUser.set(m.userId, [...(teamsOfUser.get(m.userId) ?? []), m.teamId]);
  const usersOut = userRows
    .map((u) => ({ id: u.id, email: u.email, emailVerified: u.emailVerified, role: u.role, teamIds: (teamsOfUser.get(u.id) ?? []).sort(), groups: [...u.groups].sort() }))
    .sort(byId);
  const userIds = new Set(usersOut.map((u) => u.id));
  const tokensOut = tokenRows
    .filter((t) => userIds.has(t.userId) && (t.expiresAt === null || t.expiresAt > now))
    .map((t) => ({
      id: t.id,
      hash: t.hash,
      userId: t.userId,
      scopes: TOKEN_SCOPES.filter((s) => t.scopes.includes(s)) as TokenScope[],
      expiresAt: t.expiresAt ? t.expiresAt.toISOString() : null,
    }))
    .filter((t) => t.scopes.length > 0)
    .sort(byId);
  return { teams: teamsOut, users: usersOut, tokens: tokensOut };
}

/**
 * Whether the approved definition says `readOnlyHint: true`. Only the stored definition whose hash
 * is the pin is the approved one; a drifted tool is refused at the edge anyway, so it stays false.
 */
function approvedReadOnly(t: { hash: string; pinnedHash: string | null; definition: Record<string, unknown> }): boolean {
  const annotations = t.definition.annotations as { readOnlyHint?: unknown } | undefined;
  return t.hash === t.pinnedHash && annotations?.readOnlyHint === true;
}

/** What the edge enforces about access, before credentials are sealed: see {@link compileAccess}. */
export interface CompiledAccess {
  serverRows: (typeof servers.$inferSelect)[];
  servers: Omit<BundleServer, "credential">[];
  /** Allow rules of server access grants. */
  grantRules: PolicyRule[];
  /** The enabled policies. */
  policyRules: PolicyRule[];
  identities: Pick<ConfigBundle, "teams" | "users" | "tokens">;
  limits: ConfigBundle["limits"];
}

/**
 * Approved servers with their enabled, pinned tools; enabled users, teams and live tokens; one
 * allow rule per server access grant (priority {@link ACCESS_RULE_PRIORITY}) and the enabled
 * policies. Shared by publishing and by the policy simulator and impact preview, so what they
 * show is what the next publish enforces.
 */
export async function compileAccess(db: Queryable, now: Date): Promise<CompiledAccess> {
  // One query at a time: publishing compiles inside a transaction, whose single connection must
  // not be asked to run two at once (node-postgres deprecates it).
  const serverRows = await db.select().from(servers).where(eq(servers.status, "approved")).orderBy(asc(servers.slug));
  const toolRows = await db
    .select({ serverId: serverTools.serverId, name: serverTools.name, pinnedHash: serverTools.pinnedHash, hash: serverTools.hash, definition: serverTools.definition, approval: serverTools.approval })
    .from(serverTools)
    .innerJoin(servers, eq(servers.id, serverTools.serverId))
    .where(and(eq(servers.status, "approved"), eq(serverTools.state, "enabled"), isNotNull(serverTools.pinnedHash)))
    .orderBy(asc(serverTools.name));
  const grantRows = await db.select().from(serverAccessGrants);
  const approvalRule = await codemodeApprovalRule(db);
  const identities = await compileIdentities(db, now);
  const teamIds = new Set(identities.teams.map((t) => t.id));
  const userIds = new Set(identities.users.map((u) => u.id));
  const toolsOf = new Map<string, BundleServer["tools"]>();
  for (const t of toolRows) {
    // The stored definition is the approved one while its hash is the pin (a drifted tool is
    // quarantined, not enabled; should the two ever differ, the edge lists nothing rather than a definition nobody approved).
    const definition = t.hash === t.pinnedHash ? hashedToolView(t.definition as unknown as McpToolDefinition) : undefined;
    // Code Mode's approval pause (only while Code Mode is on): the tool's flag, else the portal's rule on the approved annotations.
    const approval = approvalRule !== null && needsApproval(t.approval, t.hash === t.pinnedHash ? t.definition.annotations : undefined, approvalRule);
    toolsOf.set(t.serverId, [
      ...(toolsOf.get(t.serverId) ?? []),
      { name: t.name, hash: t.pinnedHash!, state: "enabled", ...(approvedReadOnly(t) ? { readOnly: true } : {}), ...(approval ? { approval: true as const } : {}), ...(definition ? { definition } : {}) },
    ]);
  }
  const serversOut = serverRows.map((s) => ({
    id: s.id,
    slug: s.slug,
    name: s.name,
    url: s.endpointUrl,
    transport: s.transport,
    tools: toolsOf.get(s.id) ?? [],
    ownerTeamId: s.ownerTeamId && teamIds.has(s.ownerTeamId) ? s.ownerTeamId : null,
  }));
  const slugOf = new Map(serversOut.map((s) => [s.id, s.slug]));
  const grantRules: PolicyRule[] = grantRows
    .filter((g) => slugOf.has(g.serverId) && (g.teamId === null || teamIds.has(g.teamId)))
    .map((g) => ({
      id: g.id,
      effect: "allow" as const,
      subject: g.teamId === null ? { type: "everyone" as const } : { type: "team" as const, teamId: g.teamId },
      resource: { serverSlug: slugOf.get(g.serverId)!, tool: "*" },
      priority: ACCESS_RULE_PRIORITY,
    }))
    .sort(byId);
  const policyRules = await compilePolicyRules(db, { userIds, teamIds });
  const budgetSpecs = await compileBudgets(db, { userIds, teamIds });
  const baselines = await compileBudgetBaselines(db, budgetSpecs, now);
  const limits = { rateLimits: await compileRateLimits(db, { userIds, teamIds }), budgets: budgetSpecs, ...(baselines.length ? { baselines } : {}) };
  return { serverRows, servers: serversOut, grantRules, policyRules, identities, limits };
}

/**
 * The bundle the next publish would produce, without credentials, version or signature: what the
 * simulator and the impact preview evaluate (with the same index and evaluator as the edge).
 */
export async function draftBundle(db: Queryable, now: Date): Promise<ConfigBundle> {
  const access = await compileAccess(db, now);
  const llm = withoutClashes(await compileLlm(db, { edgeSecrets: [] }), access.servers, () => undefined);
  return {
    schemaVersion: BUNDLE_SCHEMA_VERSION,
    version: 1,
    issuedAt: now.toISOString(),
    issuer: "draft",
    servers: access.servers.map((s) => ({ ...s, credential: null })),
    ...access.identities,
    policies: { rules: [...access.grantRules, ...providerRules(llm), ...access.policyRules] },
    limits: access.limits,
    llm,
    shadow: { blocklist: await compileBlocklist(db) },
    ...(await codemodeOf(db)),
    ...(await compileAudit(db)),
  };
}

/**
 * LLM providers and servers share the policy namespace (a provider's slug is its "server"): a
 * provider named like an approved server is left out, reported like a skipped server.
 */
function withoutClashes(llm: ConfigBundle["llm"], servers: readonly { slug: string }[], skip: (s: SkippedServer) => void): ConfigBundle["llm"] {
  const taken = new Set(servers.map((s) => s.slug));
  return {
    ...llm,
    providers: llm.providers.filter((p) => {
      if (!taken.has(p.slug)) return true;
      skip({ id: p.id, slug: p.slug, reason: `LLM provider "${p.slug}" has the slug of an approved MCP server; rename one of them` });
      return false;
    }),
  };
}

/** Every enabled provider is open to everyone at the access level; policies restrict it (e.g. `deny team:interns → openai/gpt-5*`). */
function providerRules(llm: ConfigBundle["llm"]): PolicyRule[] {
  return llm.providers.map((p) => ({ id: p.id, effect: "allow", subject: { type: "everyone" }, resource: { serverSlug: p.slug, tool: "*" }, priority: ACCESS_RULE_PRIORITY }));
}

/**
 * Compiles the config bundle from the database ({@link compileAccess}) and seals each server's
 * credential for the edge. Every array is in a fixed order, so equal state compiles to equal
 * content. References are filtered to what the bundle holds (a row changing between two reads
 * drops out rather than dangling), and the result is validated with the shared schema.
 *
 * A server whose credential cannot be prepared for the edge is left out and reported in `skipped`,
 * instead of failing the publish: publishing is also how a revoked token or a disabled user stops
 * working at the edge, and that must never wait on one upstream's authorization server.
 */
export async function compileBundle(db: Queryable, options: CompileOptions): Promise<CompiledBundle> {
  const now = options.issuedAt ?? new Date();
  const access = await compileAccess(db, now);
  const rowOf = new Map(access.serverRows.map((s) => [s.id, s]));
  const previousCredential = new Map((options.previous?.servers ?? []).map((s) => [s.id, s.credential]));

  const skipped: SkippedServer[] = [];
  const serversOut: BundleServer[] = [];
  for (const s of access.servers) {
    let credential: SealedCredential | null = null;
    try {
      const edge = edgeCredential(rowOf.get(s.id)!, options.tokenUrls);
      if (edge) credential = await sealForEdgeReusing(JSON.stringify(edge), options.edgeSecrets, edgeCredentialAad(s.id), previousCredential.get(s.id));
    } catch (error) {
      // Never the error itself for other failures: it could quote the credential.
      skipped.push({ id: s.id, slug: s.slug, reason: error instanceof CredentialUnavailable ? error.message : "its stored credential could not be opened" });
      continue;
    }
    serversOut.push({ ...s, credential });
  }
  const skippedSlugs = new Set(skipped.map((s) => s.slug));
  const llm = withoutClashes(
    await compileLlm(db, { edgeSecrets: options.edgeSecrets, previous: options.previous?.llm, onSkip: (p) => skipped.push(p) }),
    serversOut,
    (s) => skipped.push(s),
  );
  // A skipped server's access grants go with it; policies naming its slug stay (they match nothing).
  const rules = [...access.grantRules.filter((r) => !skippedSlugs.has(r.resource.serverSlug)), ...providerRules(llm), ...access.policyRules];

  const bundle = ConfigBundle.parse({
    schemaVersion: BUNDLE_SCHEMA_VERSION,
    version: options.version,
    issuedAt: now.toISOString(),
    issuer: options.issuer,
    servers: serversOut,
    ...access.identities,
    policies: { rules },
    limits: access.limits,
    llm,
    shadow: { blocklist: await compileBlocklist(db) },
    ...(await codemodeOf(db)),
    ...(await compileAudit(db)),
  });
  return { bundle, skipped };
}

/** SHA-256 of the bundle's canonical JSON without version, issuedAt and expiresAt: equal hash, same content. */
export function bundleContentHash(bundle: ConfigBundle): Promise<string> {
  const { version: _version, issuedAt: _issuedAt, expiresAt: _expiresAt, ...content } = bundle;
  return sha256Hex(canonicalJson(content));
}

export function summarize(bundle: ConfigBundle, skipped: SkippedServer[]): DeploymentSummary {
  return {
    servers: bundle.servers.length,
    tools: bundle.servers.reduce((n, s) => n + s.tools.length, 0),
    tokens: bundle.tokens.length,
    users: bundle.users.length,
    teams: bundle.teams.length,
    rules: bundle.policies.rules.length,
    blocks: bundle.shadow.blocklist.length,
    rateLimits: bundle.limits.rateLimits.length,
    budgets: bundle.limits.budgets.length,
    llmProviders: bundle.llm.providers.length,
    ...(bundle.codemode ? { codemode: bundle.codemode.mode } : {}),
    skipped,
  };
}

/** Keeps from an earlier bundle only what is still allowed: used by rollback. */
export async function withoutRevoked(db: Queryable, bundle: ConfigBundle, now: Date): Promise<ConfigBundle> {
  const tokenIds = bundle.tokens.map((t) => t.id);
  const userIds = bundle.users.map((u) => u.id);
  // In turn: rollback runs this inside its transaction (one connection).
  const liveTokens = tokenIds.length ? await db.select({ id: apiTokens.id, expiresAt: apiTokens.expiresAt }).from(apiTokens).where(and(inArray(apiTokens.id, tokenIds), isNull(apiTokens.revokedAt))) : [];
  const liveUsers = userIds.length ? await db.select({ id: users.id }).from(users).where(and(inArray(users.id, userIds), isNull(users.disabledAt))) : [];
  const tokenOk = new Set(liveTokens.filter((t) => t.expiresAt === null || t.expiresAt > now).map((t) => t.id));
  const userOk = new Set(liveUsers.map((u) => u.id));
  return pruneDangling({
    ...bundle,
    users: bundle.users.filter((u) => userOk.has(u.id)),
    tokens: bundle.tokens.filter((t) => tokenOk.has(t.id) && userOk.has(t.userId)),
  });
}

/** Code Mode's setting, as the bundle carries it (nothing while it is off). */
async function codemodeOf(db: Queryable): Promise<{ codemode?: ConfigBundle["codemode"] }> {
  const codemode = await compileCodemode(db);
  return codemode ? { codemode } : {};
}
