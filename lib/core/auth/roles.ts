/**
 * Roles and permissions: pure, shared by every boundary (pages, actions, API) and, later, the
 * edge. One table says which role may do what; nothing else hand-rolls a role check.
 */
export const ROLES = ["viewer", "member", "approver", "security", "admin"] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  viewer: "Read-only: sees the console, usage and teams; manages its own API tokens (read-only by default).",
  member: "Uses approved servers and requests new ones; manages its own API tokens.",
  approver: "Everything a member can, plus reviewing and approving MCP server requests.",
  security: "Reads the audit trail and all users and tokens, revokes any token, triages shadow MCP.",
  admin: "Everything: users, roles, teams, settings, publishing configuration.",
};

/** API token scopes: a token can do at most what its user's role allows, and only its scopes. */
export const TOKEN_SCOPES = ["read", "write"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

type PermissionSpec = { roles: readonly Role[]; scope: TokenScope };

const EVERYONE = ROLES;

export const PERMISSIONS = {
  "me.read": { roles: EVERYONE, scope: "read" },
  /** Dismiss the notices security sent to oneself (a block coming to a server one uses). */
  "me.dismiss-notices": { roles: EVERYONE, scope: "write" },
  "tokens.read-own": { roles: EVERYONE, scope: "read" },
  "tokens.manage-own": { roles: EVERYONE, scope: "write" },
  "tokens.read-all": { roles: ["security", "admin"], scope: "read" },
  "tokens.revoke-any": { roles: ["security", "admin"], scope: "write" },
  "tokens.create-for-others": { roles: ["admin"], scope: "write" },
  "users.read": { roles: ["security", "admin"], scope: "read" },
  "users.manage": { roles: ["admin"], scope: "write" },
  "teams.read": { roles: EVERYONE, scope: "read" },
  "teams.manage": { roles: ["admin"], scope: "write" },
  "audit.read": { roles: ["security", "admin"], scope: "read" },
  "servers.read": { roles: EVERYONE, scope: "read" },
  "servers.request": { roles: ["member", "approver", "security", "admin"], scope: "write" },
  "servers.review": { roles: ["approver", "admin"], scope: "write" },
  "servers.sync": { roles: ["approver", "security", "admin"], scope: "write" },
  /** Who may use an approved server at the edge (its access grants). */
  "servers.access": { roles: ["approver", "admin"], scope: "write" },
  /** The Portal page: endpoint URL, connect instructions, deployed version. */
  "portal.read": { roles: EVERYONE, scope: "read" },
  /**
   * Use the portal itself: list and call approved tools (as policies allow), read prompts and
   * resources, call the LLM gateway; connect an MCP client (OAuth consent). Viewers never. A
   * credential with only the `read` scope lists and reads, and calls only tools whose approved
   * definition says `readOnlyHint: true`; LLM calls spend budget, so they need `write`.
   */
  "portal.use": { roles: ["member", "approver", "security", "admin"], scope: "read" },
  /** Publish a config bundle to the edge, and roll back to an earlier one. */
  "config.publish": { roles: ["admin"], scope: "write" },
  /** Access policies: list, read, export, simulate, and the impact preview of the next publish. */
  "policies.read": { roles: ["approver", "security", "admin"], scope: "read" },
  /** Write access policies (create, edit, delete, import); they reach the edge with the next publish. */
  "policies.manage": { roles: ["security", "admin"], scope: "write" },
  /** Published bundles, their diffs and the versions the portals acknowledged. */
  "config.read": { roles: ["approver", "security", "admin"], scope: "read" },
  /** Rate limits: list and read. */
  "limits.read": { roles: ["approver", "security", "admin"], scope: "read" },
  /** Write rate limits and budgets; they reach the edge with the next publish. */
  "limits.manage": { roles: ["security", "admin"], scope: "write" },
  /** Budgets, their spend in the current period and their alerts: every team sees where it stands. */
  "budgets.read": { roles: EVERYONE, scope: "read" },
  /** The LLM gateway: providers (never their API keys) and the price table. */
  "gateway.read": { roles: ["approver", "security", "admin"], scope: "read" },
  /** Add, change and remove LLM providers and their API keys; edit the price table. */
  "gateway.manage": { roles: ["admin"], scope: "write" },
  /** Usage (MCP context tokens, LLM calls, tokens and spend): everyone sees their own. */
  "usage.read": { roles: EVERYONE, scope: "read" },
  /** Everyone's usage, by user and team; without it `usage.read` shows only the caller's own. */
  "usage.read-all": { roles: ["security", "admin"], scope: "read" },
  /** Shadow MCP: findings, their evidence and timeline, uploads, scan reports, the block list and its exports. */
  "shadow.read": { roles: ["security", "admin"], scope: "read" },
  /** Upload traffic logs, triage findings (state, assignee, notes), approve or block, edit the block list. */
  "shadow.triage": { roles: ["security", "admin"], scope: "write" },
  /** Forwarding (Settings → Forwarding): the sinks events and alerts go to, and their delivery status; never their secrets. */
  "forwarding.read": { roles: ["security", "admin"], scope: "read" },
  /** Add, change and remove sinks; queue dead letters again. */
  "forwarding.manage": { roles: ["security", "admin"], scope: "write" },
  /** Report a laptop scan (`npm run scan -- --console …`): everyone may report their own machine. */
  "shadow.report-scan": { roles: EVERYONE, scope: "write" },
} as const satisfies Record<string, PermissionSpec>;

export type Permission = keyof typeof PERMISSIONS;

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

export function roleAllows(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission].roles as readonly Role[]).includes(role);
}

/** Roles ordered for "the highest of several" (IdP group mapping): approver and security are lateral, admin wins. */
const RANK: Record<Role, number> = { viewer: 0, member: 1, approver: 2, security: 3, admin: 4 };

export function highestRole(roles: readonly Role[]): Role | undefined {
  return roles.reduce<Role | undefined>((best, r) => (best === undefined || RANK[r] > RANK[best] ? r : best), undefined);
}
