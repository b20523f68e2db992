import { z } from "zod";
import { EVENT_DETAIL_MODES } from "@core/events/detail";
import { BundleSlug, IsoDateTime, Uuid } from "@core/zod/helpers";
import { ROLES, TOKEN_SCOPES } from "@core/auth/roles";
import { parseCidr } from "@core/net/cidr";
import { LimitsConfig } from "@core/limits/schema";
import { LLM_PROVIDERS } from "@core/llm/providers";
import { PriceTable } from "@core/llm/pricing";
import { isCanonicalOrigin, isValidPathPrefix } from "@core/shadow/blocklist";

/**
 * The config bundle: everything the portal Worker enforces, compiled by the console, signed and
 * pushed to the edge; what is not in here does not exist at the edge. Strict, with no transforms, so
 * the Worker acts on exactly what was signed; `schemaVersion` bumps when the edge cannot safely
 * ignore a change. The rules and the version history: docs/config-bundle.md.
 */
export const BUNDLE_SCHEMA_VERSION = 3;

export const BUNDLE_LIMITS = {
  servers: 1_000,
  toolsPerServer: 5_000,
  tokens: 100_000,
  users: 100_000,
  teams: 10_000,
  teamsPerUser: 1_000,
  rules: 10_000,
  groupsPerUser: 1_000,
  cidrsPerRule: 100,
  blocklist: 10_000,
} as const;

/** Lowercase hex SHA-256, as `toolHash` and `hashTokenSecret` produce it. */
const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex characters (SHA-256)");

const ToolName = z.string().min(1).max(200);

export const BundleTool = z
  .object({
    name: ToolName,
    /** The approved hash pin: the edge refuses a tool whose live definition no longer hashes to it. */
    hash: Sha256Hex,
    /** Only enabled tools are published; disabled, quarantined and removed ones never reach the edge. */
    state: z.literal("enabled"),
    /**
     * The approved definition says `annotations.readOnlyHint: true` (the annotation is part of the
     * pinned hash): a read-only credential may call it. Absent means false.
     */
    readOnly: z.boolean().optional(),
    /**
     * The approved definition itself (the fields the pin hashes: name, title, description,
     * inputSchema, outputSchema, annotations, icons, execution, _meta), so the edge answers
     * `tools/list` from the bundle without asking the upstream. Bundles from before it was added
     * lack it; the stateless path lists only tools that carry it.
     */
    definition: z.record(z.string(), z.any()).optional(),
    /**
     * In Code Mode, a call of this tool from code waits for the user's approval (asked through
     * elicitation); clients that cannot be asked are refused. Absent: no approval needed.
     */
    approval: z.literal(true).optional(),
  })
  .strict();
export type BundleTool = z.infer<typeof BundleTool>;

/**
 * The upstream credential, sealed by the console for the edge (the edge alone can open it).
 * Opaque here on purpose: the bundle is signed, not encrypted, so the secret must never appear in
 * clear; `kid` names the edge key it was sealed to, so keys can rotate.
 */
export const SealedCredential = z
  .object({
    kid: z.string().min(1).max(200),
    sealed: z.string().min(1).max(262_144),
  })
  .strict();
export type SealedCredential = z.infer<typeof SealedCredential>;

export const BundleServer = z
  .object({
    id: Uuid,
    slug: BundleSlug,
    name: z.string().min(1).max(100),
    /** The endpoint that answered MCP after transport detection (the servers table's `endpointUrl`). */
    url: z.url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" }).max(2000),
    transport: z.enum(["streamable-http", "sse"]),
    credential: SealedCredential.nullable(),
    tools: z.array(BundleTool).max(BUNDLE_LIMITS.toolsPerServer),
    ownerTeamId: Uuid.nullable().optional(),
  })
  .strict();
export type BundleServer = z.infer<typeof BundleServer>;

export const BundleToken = z
  .object({
    id: Uuid,
    /** SHA-256 of the secret (`hashTokenSecret`); the secret itself never leaves the console. */
    hash: Sha256Hex,
    userId: Uuid,
    scopes: z
      .array(z.enum(TOKEN_SCOPES))
      .min(1)
      .max(TOKEN_SCOPES.length)
      .refine((s) => new Set(s).size === s.length, "scopes must not repeat"),
    expiresAt: IsoDateTime.nullable(),
  })
  .strict();
export type BundleToken = z.infer<typeof BundleToken>;

export const BundleUser = z
  .object({
    id: Uuid,
    /**
     * Any string, not `z.email()`: the address comes from the identity provider, the edge only
     * labels events with it, and one unusual address must not make the whole bundle invalid.
     */
    email: z.string().min(1).max(320),
    /** The address was verified (by the IdP, or an administrator); absent means not: `user:` and `domain:` policies never match it. */
    emailVerified: z.boolean().optional(),
    role: z.enum(ROLES),
    teamIds: z.array(Uuid).max(BUNDLE_LIMITS.teamsPerUser),
    /** IdP group names from the user's last sign-in (policy subjects of type `group`). */
    groups: z.array(z.string().min(1).max(200)).max(BUNDLE_LIMITS.groupsPerUser),
  })
  .strict();
export type BundleUser = z.infer<typeof BundleUser>;

export const BundleTeam = z.object({ id: Uuid, slug: BundleSlug }).strict();
export type BundleTeam = z.infer<typeof BundleTeam>;

export const PolicySubject = z.discriminatedUnion("type", [
  z.object({ type: z.literal("everyone") }).strict(),
  z.object({ type: z.literal("team"), teamId: Uuid }).strict(),
  z.object({ type: z.literal("user"), userId: Uuid }).strict(),
  /** An IdP group name, as the identity provider sends it (case-sensitive). */
  z.object({ type: z.literal("group"), group: z.string().min(1).max(200) }).strict(),
  /** The part after "@" of the user's e-mail address, lowercase. */
  z
    .object({ type: z.literal("emailDomain"), domain: z.string().min(1).max(253).regex(/^[a-z0-9.-]+$/, "a lowercase domain name") })
    .strict(),
  /** One console API token (calls made with it; OAuth callers never match). */
  z.object({ type: z.literal("token"), tokenId: Uuid }).strict(),
]);
export type PolicySubject = z.infer<typeof PolicySubject>;

/** "HH:MM", 00:00–23:59. */
const ClockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a time of day HH:MM (UTC)");

/** The evaluator's conditions (lib/core/policy/evaluate.ts): all given must hold; an unknown fact fails closed. */
export const PolicyConditions = z
  .object({
    timeWindow: z
      .object({
        /** 0 = Sunday … 6 = Saturday; absent: every day. */
        days: z
          .array(z.number().int().min(0).max(6))
          .min(1)
          .max(7)
          .refine((d) => new Set(d).size === d.length, "days must not repeat")
          .optional(),
        start: ClockTime,
        end: ClockTime,
      })
      .strict()
      .refine((w) => w.start !== w.end, "an empty time window (start = end) never matches")
      .optional(),
    clientCidrs: z
      .array(z.string().min(2).max(50).refine((c) => parseCidr(c) !== null, "not an IPv4/IPv6 CIDR"))
      .min(1)
      .max(BUNDLE_LIMITS.cidrsPerRule)
      .optional(),
  })
  .strict();
export type PolicyConditions = z.infer<typeof PolicyConditions>;

export const PolicyRule = z
  .object({
    id: Uuid,
    effect: z.enum(["allow", "deny"]),
    subject: PolicySubject,
    resource: z
      .object({
        /** A server slug, or `*` for every server (including ones approved after the rule). */
        serverSlug: z.union([z.literal("*"), BundleSlug]),
        /** A glob over the upstream tool name; its syntax is the policy evaluator's to define. */
        tool: z.string().min(1).max(200),
      })
      .strict(),
    /** Orders rules for the evaluator; how ties and effects combine is the evaluator's contract. */
    priority: z.number().int().min(0).max(1_000_000),
    conditions: PolicyConditions.optional(),
  })
  .strict();
export type PolicyRule = z.infer<typeof PolicyRule>;

export const BundlePolicies = z.object({ rules: z.array(PolicyRule).max(BUNDLE_LIMITS.rules) }).strict();
export type BundlePolicies = z.infer<typeof BundlePolicies>;

/** One LLM provider behind the gateway: `/llm/{slug}/v1/...` at the portal, in `kind`'s wire format. */
export const BundleLlmProvider = z
  .object({
    id: Uuid,
    slug: BundleSlug,
    name: z.string().min(1).max(100),
    kind: z.enum(LLM_PROVIDERS),
    /** Where requests go, up to and including the version segment, e.g. `https://api.openai.com/v1`. */
    baseUrl: z.url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" }).max(2000),
    /** The provider API key, sealed for the edge like upstream credentials (`{"apiKey": "..."}`). */
    credential: SealedCredential.nullable(),
    /** Exact-match response cache lifetime; 0: no cache. */
    cacheTtlSeconds: z.number().int().min(0).max(604_800),
    /** Keep redacted request/response bodies on usage events (a caller may opt out per request). */
    logBodies: z.boolean(),
  })
  .strict();
export type BundleLlmProvider = z.infer<typeof BundleLlmProvider>;

export const BundleLlm = z.object({ providers: z.array(BundleLlmProvider).max(100), prices: PriceTable }).strict();
export type BundleLlm = z.infer<typeof BundleLlm>;

/** One block-list entry: an origin (as `URL.origin` writes it), optionally narrowed to a path prefix. */
export const BundleBlockEntry = z
  .object({
    id: Uuid,
    origin: z.string().max(2000).refine(isCanonicalOrigin, "must be an http(s) origin as URL.origin writes it (lower-case host, no default port, no path)"),
    /** "" = the whole origin; else "/…" without a trailing slash, matched on segment boundaries. */
    pathPrefix: z.string().max(2000).refine(isValidPathPrefix, 'must be "" or a path such as "/mcp" (no trailing slash, query or fragment)'),
    reason: z.string().max(500),
    findingId: Uuid.optional(),
    /**
     * Rollout ("log for two weeks, then block"): absent or `block` refuses every call to a covered
     * upstream; `log` lets calls through and marks their events `wouldBlock`, until `enforceAt`
     * (when set), from which the edge refuses them by itself, without a new publish.
     */
    mode: z.enum(["log", "block"]).optional(),
    enforceAt: IsoDateTime.optional(),
  })
  .strict()
  .refine((e) => e.enforceAt === undefined || e.mode === "log", { message: "enforceAt is only for entries in log mode", path: ["enforceAt"] });
export type BundleBlockEntry = z.infer<typeof BundleBlockEntry>;

export const BundleShadow = z.object({ blocklist: z.array(BundleBlockEntry).max(BUNDLE_LIMITS.blocklist) }).strict();

/**
 * Code Mode at the portal (docs/codemode.md): the caller's tools as a typed API that code calls
 * from a sandbox, instead of every tool's JSON schema in the context. `mode`: `off` (the URL
 * parameter is ignored), `opt-in` (`?codemode=search_and_execute` or `?codemode=code` turns it on),
 * `default` (on in `shape` unless `?codemode=off`), `enforced` (always on; the parameter only picks
 * the shape). Absent in bundles from before Code Mode: off.
 */
export const CODEMODE_MODES = ["off", "opt-in", "default", "enforced"] as const;
export const CODEMODE_SHAPES = ["search_and_execute", "code"] as const;
export type CodemodeMode = (typeof CODEMODE_MODES)[number];
export type CodemodeShape = (typeof CODEMODE_SHAPES)[number];
export const BundleCodemode = z.object({ mode: z.enum(CODEMODE_MODES), shape: z.enum(CODEMODE_SHAPES) }).strict();
export type BundleCodemode = z.infer<typeof BundleCodemode>;

/**
 * What audit events keep of a tool call's content (lib/core/events/detail.ts): `masked` (arguments
 * and a result excerpt, credentials and e-mail addresses masked), `secrets` (credentials masked),
 * `off` (nothing). Absent: `masked` — a bundle at the default hashes as before.
 */
export const BundleAudit = z.object({ detail: z.enum(EVENT_DETAIL_MODES) }).strict();
export type BundleAudit = z.infer<typeof BundleAudit>;

export const ConfigBundle = z
  .object({
    schemaVersion: z.literal(BUNDLE_SCHEMA_VERSION),
    /** Strictly increasing per publish; the edge refuses a version at or below the one it runs. */
    version: z.number().int().positive().max(2_147_483_647),
    issuedAt: IsoDateTime,
    /**
     * After this the edge stops using the bundle and denies everything (fail closed), unless the
     * console renewed it with a signed lease (lib/core/bundle/lease.ts). A portal cut off from its
     * console cannot keep honouring revoked tokens forever. Absent in bundles from before expiry.
     */
    expiresAt: IsoDateTime.optional(),
    /** Who compiled the bundle (the console's origin); for the edge's logs, not for trust. */
    issuer: z.string().min(1).max(200),
    servers: z.array(BundleServer).max(BUNDLE_LIMITS.servers),
    tokens: z.array(BundleToken).max(BUNDLE_LIMITS.tokens),
    users: z.array(BundleUser).max(BUNDLE_LIMITS.users),
    teams: z.array(BundleTeam).max(BUNDLE_LIMITS.teams),
    policies: BundlePolicies,
    limits: LimitsConfig,
    llm: BundleLlm,
    shadow: BundleShadow,
    codemode: BundleCodemode.optional(),
    audit: BundleAudit.optional(),
  })
  .strict()
  .superRefine((bundle, ctx) => {
    // The edge indexes these by key; a duplicate would make enforcement depend on array order.
    const unique = <T>(items: readonly T[], key: (item: T) => string, path: (string | number)[], what: string) => {
      const seen = new Set<string>();
      items.forEach((item, i) => {
        const k = key(item);
        if (seen.has(k)) ctx.addIssue({ code: "custom", path: [...path, i], message: `duplicate ${what} ${JSON.stringify(k)}` });
        seen.add(k);
      });
      return seen;
    };
    unique(bundle.servers, (s) => s.id, ["servers"], "server id");
    unique(bundle.servers, (s) => s.slug, ["servers"], "server slug");
    bundle.servers.forEach((s, i) => unique(s.tools, (t) => t.name, ["servers", i, "tools"], "tool name"));
    unique(bundle.tokens, (t) => t.id, ["tokens"], "token id");
    unique(bundle.tokens, (t) => t.hash, ["tokens"], "token hash");
    const userIds = unique(bundle.users, (u) => u.id, ["users"], "user id");
    const teamIds = unique(bundle.teams, (t) => t.id, ["teams"], "team id");
    unique(bundle.teams, (t) => t.slug, ["teams"], "team slug");
    unique(bundle.policies.rules, (r) => r.id, ["policies", "rules"], "rule id");
    unique(bundle.llm.providers, (p) => p.id, ["llm", "providers"], "provider id");
    unique(bundle.llm.providers, (p) => p.slug, ["llm", "providers"], "provider slug");
    unique(bundle.shadow.blocklist, (b) => b.id, ["shadow", "blocklist"], "block entry id");

    // References must resolve inside the bundle: the console compiles from one consistent
    // snapshot, so a dangling id is a compiler bug, and the edge keeps its last good bundle.
    const dangling = (path: (string | number)[], what: string, id: string) =>
      ctx.addIssue({ code: "custom", path, message: `unknown ${what} ${JSON.stringify(id)}` });
    bundle.servers.forEach((s, i) => {
      if (s.ownerTeamId != null && !teamIds.has(s.ownerTeamId)) dangling(["servers", i, "ownerTeamId"], "team", s.ownerTeamId);
    });
    bundle.tokens.forEach((t, i) => {
      if (!userIds.has(t.userId)) dangling(["tokens", i, "userId"], "user", t.userId);
    });
    bundle.users.forEach((u, i) => {
      unique(u.teamIds, (id) => id, ["users", i, "teamIds"], "team id");
      u.teamIds.forEach((id, j) => {
        if (!teamIds.has(id)) dangling(["users", i, "teamIds", j], "team", id);
      });
    });
    bundle.policies.rules.forEach((r, i) => {
      if (r.subject.type === "team" && !teamIds.has(r.subject.teamId)) dangling(["policies", "rules", i, "subject", "teamId"], "team", r.subject.teamId);
      if (r.subject.type === "user" && !userIds.has(r.subject.userId)) dangling(["policies", "rules", i, "subject", "userId"], "user", r.subject.userId);
    });
    const budgetIds = new Set(bundle.limits.budgets.map((b) => b.id));
    bundle.limits.baselines?.forEach((b, i) => {
      if (!budgetIds.has(b.budgetId)) dangling(["limits", "baselines", i, "budgetId"], "budget", b.budgetId);
    });
    for (const list of ["rateLimits", "budgets"] as const) {
      bundle.limits[list].forEach((spec, i) => {
        const s = spec.subject;
        if (s.type === "team" && !teamIds.has(s.teamId)) dangling(["limits", list, i, "subject", "teamId"], "team", s.teamId);
        if (s.type === "user" && !userIds.has(s.userId)) dangling(["limits", list, i, "subject", "userId"], "user", s.userId);
      });
    }
  });
export type ConfigBundle = z.infer<typeof ConfigBundle>;

/**
 * Reads a bundle stored by an earlier console (rollback, identity sync and diffs read old
 * deployments): version 1 had users without IdP groups (now empty lists), and no rate limits,
 * budgets or LLM providers (now none); versions 1 and 2 had no block list (now empty).
 * The result is validated as the current schema.
 */
export function upgradeStoredBundle(raw: unknown): ConfigBundle {
  const version = raw && typeof raw === "object" ? (raw as { schemaVersion?: unknown }).schemaVersion : undefined;
  if (version === 1) {
    const old = raw as { users?: unknown };
    const users = Array.isArray(old.users) ? old.users.map((u) => (u && typeof u === "object" ? { groups: [], ...u } : u)) : old.users;
    return ConfigBundle.parse({ ...old, schemaVersion: BUNDLE_SCHEMA_VERSION, users, limits: { rateLimits: [], budgets: [] }, llm: { providers: [], prices: [] }, shadow: { blocklist: [] } });
  }
  if (version === 2) return ConfigBundle.parse({ ...(raw as object), schemaVersion: BUNDLE_SCHEMA_VERSION, shadow: { blocklist: [] } });
  return ConfigBundle.parse(raw);
}
