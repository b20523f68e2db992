/**
 * Subjects of rate limits and budgets as stored (a subject type and one foreign key): resolving
 * the written text (./subject-text.ts) to ids, naming them again, and compiling them for the bundle.
 */
import { eq, inArray, sql } from "drizzle-orm";
import { apiTokens, teams, users } from "@/db/schema";
import type { Queryable } from "@/db/client";
import type { RateLimitSubject } from "@core/limits/schema";
import { ValidationError } from "../errors";
import { parseSubjectText, type SubjectText } from "@core/policy/subject";
import type { LimitSubjectKind } from "@core/limits/subject-text";

export interface StoredSubject {
  subjectType: LimitSubjectKind;
  subjectUserId: string | null;
  subjectTeamId: string | null;
  subjectTokenId: string | null;
}

/** Resolves a validated subject text to its stored form; an unknown user, team or token is a validation error on `field`. */
export async function resolveLimitSubject(db: Queryable, text: string, field = "subject"): Promise<StoredSubject> {
  const s = parseSubjectText(text) as SubjectText;
  const none: StoredSubject = { subjectType: "everyone", subjectUserId: null, subjectTeamId: null, subjectTokenId: null };
  switch (s.kind) {
    case "everyone":
      return none;
    case "user": {
      const [row] = await db.select({ id: users.id }).from(users).where(sql`lower(${users.email}) = ${s.ref}`);
      if (!row) throw new ValidationError(`Unknown subject: no user with e-mail ${s.ref}`, { [field]: `no user with e-mail ${s.ref}` });
      return { ...none, subjectType: "user", subjectUserId: row.id };
    }
    case "team": {
      const [row] = await db.select({ id: teams.id }).from(teams).where(eq(teams.slug, s.ref));
      if (!row) throw new ValidationError(`Unknown subject: no team with slug ${s.ref}`, { [field]: `no team with slug ${s.ref}` });
      return { ...none, subjectType: "team", subjectTeamId: row.id };
    }
    case "token": {
      const [row] = await db.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.id, s.ref));
      if (!row) throw new ValidationError(`Unknown subject: no API token with id ${s.ref}`, { [field]: `no API token with id ${s.ref}` });
      return { ...none, subjectType: "token", subjectTokenId: row.id };
    }
    default:
      // The zod schema refuses groups and domains before a verb gets here.
      throw new ValidationError(`"${text}" cannot be the subject of a limit`, { [field]: "not a user, team or token" });
  }
}

/** E-mails and team slugs of the users and teams that stored subjects refer to. */
export interface LimitSubjectNames {
  emails: Map<string, string>;
  teamSlugs: Map<string, string>;
}

export async function limitSubjectNames(db: Queryable, rows: readonly StoredSubject[]): Promise<LimitSubjectNames> {
  const userIds = [...new Set(rows.flatMap((r) => (r.subjectUserId ? [r.subjectUserId] : [])))];
  const teamIds = [...new Set(rows.flatMap((r) => (r.subjectTeamId ? [r.subjectTeamId] : [])))];
  // In turn, not at once: this also runs inside transactions, which have a single connection.
  const u = userIds.length ? await db.select({ id: users.id, email: users.email }).from(users).where(inArray(users.id, userIds)) : [];
  const t = teamIds.length ? await db.select({ id: teams.id, slug: teams.slug }).from(teams).where(inArray(teams.id, teamIds)) : [];
  return { emails: new Map(u.map((x) => [x.id, x.email.toLowerCase()])), teamSlugs: new Map(t.map((x) => [x.id, x.slug])) };
}

/** The stored subject as text again (`user:alice@acme.com`). */
export function limitSubjectOf(row: StoredSubject, names: LimitSubjectNames): string {
  switch (row.subjectType) {
    case "everyone":
      return "everyone";
    case "user":
      return `user:${names.emails.get(row.subjectUserId!) ?? row.subjectUserId!}`;
    case "team":
      return `team:${names.teamSlugs.get(row.subjectTeamId!) ?? row.subjectTeamId!}`;
    case "token":
      return `token:${row.subjectTokenId!}`;
  }
}

/**
 * The stored subject as the bundle carries it, or null when it names a user or team that is not in
 * the bundle (a disabled user's limit would dangle, and the bundle schema refuses dangling ids).
 * Token subjects stay: a revoked token's limit matches nothing at the edge.
 */
export function compileLimitSubject(row: StoredSubject, present: { userIds: Set<string>; teamIds: Set<string> }): RateLimitSubject | null {
  switch (row.subjectType) {
    case "everyone":
      return { type: "everyone" };
    case "user":
      return present.userIds.has(row.subjectUserId!) ? { type: "user", userId: row.subjectUserId! } : null;
    case "team":
      return present.teamIds.has(row.subjectTeamId!) ? { type: "team", teamId: row.subjectTeamId! } : null;
    case "token":
      return { type: "token", tokenId: row.subjectTokenId! };
  }
}
