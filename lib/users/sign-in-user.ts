import { and, eq, inArray, isNull, notInArray, sql } from "drizzle-orm";
import { memberships, teams, users, type User } from "@/db/schema";
import type { Database, Transaction } from "@/db/client";
import { recordAudit } from "../audit/record-audit";
import type { Actor } from "../auth/actor";
import { highestRole, ROLES, type Role } from "@core/auth/roles";
import { ForbiddenError } from "../errors";

export interface SignInIdentity {
  /** `local`, or the OIDC issuer URL. */
  source: string;
  /** The IdP's `sub`; null for local sign-in. */
  externalId: string | null;
  email: string;
  emailVerified: boolean;
  name: string | null;
  groups: readonly string[];
  /**
   * Local sign-in only: the person typed the code `npm start` printed in its terminal. Without it a
   * local sign-in may not become the first admin (lib/auth/first-sign-in-code.ts).
   */
  firstAdminCode?: boolean;
}

export interface SignInPolicy {
  /** IdP group names per role. When any are set the IdP is authoritative for roles. */
  roleGroups: Partial<Record<Role, readonly string[]>>;
  /** Role for a new user (and, with roleGroups set, for a user in none of the mapped groups). */
  defaultRole: Role;
  /** Create a team for every IdP group that has none yet. */
  autoCreateTeams: boolean;
  /**
   * `refuse` (default): an IdP that does not say `email_verified: true` cannot sign anyone in.
   * `allow`: for IdPs that never send the claim; such addresses are kept unverified (they match no
   * `user:` or `domain:` policy and never take over an existing account).
   */
  unverifiedEmail: "refuse" | "allow";
}

/** An identity provider did not vouch for the address, and the console requires it. */
export class UnverifiedEmailError extends ForbiddenError {}

/** A local sign-in would make the first admin, and the terminal's sign-in code was not given. */
export class FirstSignInCodeRequired extends ForbiddenError {}

const activeAdmins = and(eq(users.role, "admin"), isNull(users.disabledAt));

/** Whether anyone can administer the console yet (local mode asks the first admin for the terminal's code). */
export async function hasActiveAdmin(db: Database | Transaction): Promise<boolean> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(users).where(activeAdmins);
  return (row?.n ?? 0) > 0;
}

function mappedRole(groups: readonly string[], policy: SignInPolicy): Role | undefined {
  const have = new Set(groups);
  return highestRole(ROLES.filter((r) => (policy.roleGroups[r] ?? []).some((g) => have.has(g))));
}

function slugifyGroup(group: string): string {
  const slug = group
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 36);
  return slug.length >= 2 ? slug : `team-${slug || "group"}`;
}

async function findExisting(tx: Transaction, identity: SignInIdentity): Promise<User | undefined> {
  if (identity.externalId) {
    const [byExternal] = await tx
      .select()
      .from(users)
      .where(and(eq(users.authSource, identity.source), eq(users.externalId, identity.externalId)));
    if (byExternal) return byExternal;
  }
  const [byEmail] = await tx.select().from(users).where(sql`lower(${users.email}) = ${identity.email.toLowerCase()}`);
  if (!byEmail) return undefined;
  const sameAccount = byEmail.authSource === identity.source && byEmail.externalId === identity.externalId;
  // Linking an existing row to another identity is only safe when the IdP vouches for the address.
  if (!sameAccount && identity.source !== "local" && !identity.emailVerified) {
    throw new ForbiddenError("Your identity provider did not verify your e-mail address, which is already in use here");
  }
  return byEmail;
}

async function syncTeams(tx: Transaction, userId: string, groups: readonly string[], policy: SignInPolicy) {
  if (policy.autoCreateTeams) {
    // Groups that only grant a console role (OIDC_ROLE_GROUPS) are not teams.
    const roleGroups = new Set(Object.values(policy.roleGroups).flat());
    for (const group of groups.filter((g) => !roleGroups.has(g))) {
      const base = slugifyGroup(group);
      const [taken] = await tx.select({ id: teams.id }).from(teams).where(eq(teams.slug, base));
      await tx
        .insert(teams)
        .values({ slug: taken ? `${base}-${crypto.randomUUID().slice(0, 4)}` : base, name: group, idpGroup: group })
        .onConflictDoNothing();
    }
  }
  const matched = groups.length
    ? await tx.select({ id: teams.id, slug: teams.slug }).from(teams).where(inArray(teams.idpGroup, [...groups]))
    : [];
  const matchedIds = matched.map((t) => t.id);
  const removed = await tx
    .delete(memberships)
    .where(
      and(
        eq(memberships.userId, userId),
        eq(memberships.source, "idp"),
        matchedIds.length ? notInArray(memberships.teamId, matchedIds) : undefined,
      ),
    )
    .returning({ teamId: memberships.teamId });
  const added = matchedIds.length
    ? await tx
        .insert(memberships)
        .values(matchedIds.map((teamId) => ({ teamId, userId, source: "idp" as const })))
        .onConflictDoNothing()
        .returning({ teamId: memberships.teamId })
    : [];
  return { added: added.length, removed: removed.length };
}

/**
 * Creates or updates the user behind a successful sign-in, maps IdP groups to role and teams,
 * and records it. Without role groups, a new user becomes admin while no active admin exists;
 * with role groups configured (OIDC_ROLE_GROUPS) the IdP alone decides roles, so map a group to
 * admin there. Returns the user; throws ForbiddenError for a disabled user.
 */
export async function signInUser(db: Database, identity: SignInIdentity, policy: SignInPolicy): Promise<User> {
  // Local mode signs in only people on this machine, who vouch for themselves.
  const emailVerified = identity.source === "local" || identity.emailVerified;
  if (!emailVerified && policy.unverifiedEmail === "refuse") {
    throw new UnverifiedEmailError("Your identity provider did not verify your e-mail address; ask IT to verify it (or to set OIDC_UNVERIFIED_EMAIL=allow if the provider never sends email_verified)");
  }
  return db.transaction(async (tx) => {
    // Serialises concurrent first sign-ins so exactly one of them becomes the first admin.
    await tx.execute(sql`lock table ${users} in share row exclusive mode`);
    const existing = await findExisting(tx, identity);
    if (existing?.disabledAt) throw new ForbiddenError("Your account is disabled; ask an administrator");

    const idpManagesRoles = Object.values(policy.roleGroups).some((g) => g && g.length > 0);
    let role: Role;
    if (idpManagesRoles) {
      role = mappedRole(identity.groups, policy) ?? policy.defaultRole;
    } else if (existing) {
      role = existing.role;
    } else {
      role = (await hasActiveAdmin(tx)) ? policy.defaultRole : "admin";
    }
    // Whoever sits at this machine first must also see its terminal: a page in the browser (or a
    // proxy) that reaches local sign-in cannot claim the empty console.
    if (role === "admin" && existing?.role !== "admin" && identity.source === "local" && !identity.firstAdminCode) {
      throw new FirstSignInCodeRequired("Nobody administers this console yet: enter the sign-in code that `npm start` printed in its terminal");
    }

    const now = new Date();
    const values = {
      email: identity.email,
      emailVerified,
      name: identity.name ?? existing?.name ?? null,
      role,
      authSource: identity.source,
      externalId: identity.externalId,
      lastSignInAt: now,
      // What policies with a group subject match (also groups that map to no team or role).
      idpGroups: identity.source === "local" ? [] : [...new Set(identity.groups)].sort().slice(0, 1000),
    };
    const [user] = existing
      ? await tx.update(users).set(values).where(eq(users.id, existing.id)).returning()
      : await tx.insert(users).values(values).returning();
    if (!user) throw new Error("user upsert returned no row");

    const teamChanges = identity.source === "local" ? { added: 0, removed: 0 } : await syncTeams(tx, user.id, identity.groups, policy);
    const actor: Actor = { kind: "user", userId: user.id, email: user.email, role: user.role, scopes: ["read", "write"] };
    await recordAudit(tx, actor, {
      action: existing ? "user.sign_in" : "user.create",
      targetType: "user",
      targetId: user.id,
      details: {
        source: identity.source,
        role,
        ...(existing && existing.role !== role ? { roleChangedFrom: existing.role } : {}),
        ...(teamChanges.added || teamChanges.removed ? { teamsAdded: teamChanges.added, teamsRemoved: teamChanges.removed } : {}),
      },
    });
    return user;
  });
}
