/**
 * Between the three shapes of a policy: as written (`PolicyInput`, names), as stored (the
 * `policies` row, ids) and as enforced (the bundle's `PolicyRule`). Resolution reads the database;
 * the conversions are plain functions.
 */
import { asc, inArray, sql } from "drizzle-orm";
import { policies, teams, users, type Policy, type StoredPolicyConditions } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { toIso } from "@core/zod/helpers";
import type { PolicyRule } from "@core/bundle/schema";
import { auditedTable } from "../audit/audited-table";
import { ValidationError } from "../errors";
import { DAY_NAMES, formatSubjectText, parseSubjectText, type SubjectText } from "@core/policy/subject";
import type { PolicyConditionsInput, PolicyInput, PolicyOutput } from "./schemas";

export type PolicyValues = Pick<
  typeof policies.$inferInsert,
  "name" | "description" | "effect" | "subjectType" | "subjectUserId" | "subjectTeamId" | "subjectValue" | "serverSlug" | "tool" | "priority" | "conditions" | "enabled"
>;

/** Names of the users and teams policies refer to, so outputs and files show e-mails and slugs. */
export interface SubjectNames {
  emails: Map<string, string>;
  teamSlugs: Map<string, string>;
}

export function toStoredConditions(c: PolicyConditionsInput | null | undefined): StoredPolicyConditions | null {
  if (!c || (!c.timeWindow && !c.clientCidrs)) return null;
  const out: StoredPolicyConditions = {};
  if (c.timeWindow) {
    const { days, start, end } = c.timeWindow;
    out.timeWindow = { ...(days ? { days: days.map((d) => DAY_NAMES.indexOf(d)).sort() } : {}), start, end };
  }
  if (c.clientCidrs) out.clientCidrs = [...c.clientCidrs];
  return out;
}

export function fromStoredConditions(c: StoredPolicyConditions | null): PolicyConditionsInput | null {
  if (!c) return null;
  const out: PolicyConditionsInput = {};
  if (c.timeWindow) {
    const { days, start, end } = c.timeWindow;
    out.timeWindow = { ...(days ? { days: days.map((d) => DAY_NAMES[d]!) } : {}), start, end };
  }
  if (c.clientCidrs) out.clientCidrs = [...c.clientCidrs];
  return out;
}

function subjectOf(row: Policy, names: SubjectNames): string {
  switch (row.subjectType) {
    case "everyone":
      return "everyone";
    case "user":
      return formatSubjectText({ kind: "user", ref: names.emails.get(row.subjectUserId!) ?? row.subjectUserId! });
    case "team":
      return formatSubjectText({ kind: "team", ref: names.teamSlugs.get(row.subjectTeamId!) ?? row.subjectTeamId! });
    case "group":
      return formatSubjectText({ kind: "group", ref: row.subjectValue! });
    case "email_domain":
      return formatSubjectText({ kind: "domain", ref: row.subjectValue! });
    case "token":
      return formatSubjectText({ kind: "token", ref: row.subjectValue! });
  }
}

export async function subjectNames(db: Queryable, rows: readonly Policy[]): Promise<SubjectNames> {
  const userIds = [...new Set(rows.flatMap((r) => (r.subjectUserId ? [r.subjectUserId] : [])))];
  const teamIds = [...new Set(rows.flatMap((r) => (r.subjectTeamId ? [r.subjectTeamId] : [])))];
  const [u, t] = await Promise.all([
    userIds.length ? db.select({ id: users.id, email: users.email }).from(users).where(inArray(users.id, userIds)) : [],
    teamIds.length ? db.select({ id: teams.id, slug: teams.slug }).from(teams).where(inArray(teams.id, teamIds)) : [],
  ]);
  return { emails: new Map(u.map((x) => [x.id, x.email])), teamSlugs: new Map(t.map((x) => [x.id, x.slug])) };
}

export function toPolicyOutput(row: Policy, names: SubjectNames): PolicyOutput {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    effect: row.effect,
    subject: subjectOf(row, names),
    server: row.serverSlug,
    tool: row.tool,
    priority: row.priority,
    conditions: fromStoredConditions(row.conditions),
    enabled: row.enabled,
    createdAt: toIso(row.createdAt),
    updatedAt: toIso(row.updatedAt),
  };
}

/** What a file or form says about a policy, without id and timestamps: equal means unchanged. */
export function toPolicyInput(out: PolicyOutput): PolicyInput {
  return {
    name: out.name,
    description: out.description,
    effect: out.effect,
    subject: out.subject,
    server: out.server,
    tool: out.tool,
    priority: out.priority,
    conditions: out.conditions,
    enabled: out.enabled,
  };
}

export async function listPolicyRows(db: Queryable): Promise<Policy[]> {
  return db.select().from(policies).orderBy(sql`${policies.priority} desc`, asc(policies.effect), asc(sql`lower(${policies.name})`));
}

/**
 * Resolves the written subjects of many policies at once (users by e-mail, teams by slug); an
 * unknown user or team is a validation error naming every one that is missing.
 */
export async function resolvePolicyValues(db: Queryable, inputs: readonly PolicyInput[], field = (i: number) => (inputs.length === 1 ? "subject" : `policies.${i}.subject`)): Promise<PolicyValues[]> {
  const parsed = inputs.map((p) => parseSubjectText(p.subject) as SubjectText);
  const emails = [...new Set(parsed.flatMap((s) => (s.kind === "user" ? [s.ref] : [])))];
  const slugs = [...new Set(parsed.flatMap((s) => (s.kind === "team" ? [s.ref] : [])))];
  const [u, t] = await Promise.all([
    emails.length ? db.select({ id: users.id, email: sql<string>`lower(${users.email})` }).from(users).where(inArray(sql`lower(${users.email})`, emails)) : [],
    slugs.length ? db.select({ id: teams.id, slug: teams.slug }).from(teams).where(inArray(teams.slug, slugs)) : [],
  ]);
  const userByEmail = new Map(u.map((x) => [x.email, x.id]));
  const teamBySlug = new Map(t.map((x) => [x.slug, x.id]));
  const problems: Record<string, string> = {};
  const values = inputs.map((p, i): PolicyValues => {
    const s = parsed[i]!;
    const base = {
      name: p.name,
      description: p.description ?? null,
      effect: p.effect,
      serverSlug: p.server,
      tool: p.tool,
      priority: p.priority,
      conditions: toStoredConditions(p.conditions),
      enabled: p.enabled,
      subjectUserId: null as string | null,
      subjectTeamId: null as string | null,
      subjectValue: null as string | null,
    };
    switch (s.kind) {
      case "everyone":
        return { ...base, subjectType: "everyone" };
      case "user": {
        const id = userByEmail.get(s.ref);
        if (!id) problems[field(i)] = `no user with e-mail ${s.ref}`;
        return { ...base, subjectType: "user", subjectUserId: id ?? null };
      }
      case "team": {
        const id = teamBySlug.get(s.ref);
        if (!id) problems[field(i)] = `no team with slug ${s.ref}`;
        return { ...base, subjectType: "team", subjectTeamId: id ?? null };
      }
      case "group":
        return { ...base, subjectType: "group", subjectValue: s.ref };
      case "domain":
        return { ...base, subjectType: "email_domain", subjectValue: s.ref };
      case "token":
        return { ...base, subjectType: "token", subjectValue: s.ref };
    }
  });
  if (Object.keys(problems).length) throw new ValidationError(`Unknown subject: ${Object.values(problems).join("; ")}`, problems);
  return values;
}

/**
 * The enabled policies as bundle rules. A user subject must be one of the bundle's users (a
 * disabled user's rules would dangle), a team subject one of its teams.
 */
export async function compilePolicyRules(db: Queryable, present: { userIds: Set<string>; teamIds: Set<string> }): Promise<PolicyRule[]> {
  const rows = (await listPolicyRows(db)).filter((r) => r.enabled);
  const rules: PolicyRule[] = [];
  for (const r of rows) {
    let subject: PolicyRule["subject"];
    switch (r.subjectType) {
      case "everyone":
        subject = { type: "everyone" };
        break;
      case "user":
        if (!present.userIds.has(r.subjectUserId!)) continue;
        subject = { type: "user", userId: r.subjectUserId! };
        break;
      case "team":
        if (!present.teamIds.has(r.subjectTeamId!)) continue;
        subject = { type: "team", teamId: r.subjectTeamId! };
        break;
      case "group":
        subject = { type: "group", group: r.subjectValue! };
        break;
      case "email_domain":
        subject = { type: "emailDomain", domain: r.subjectValue! };
        break;
      case "token":
        subject = { type: "token", tokenId: r.subjectValue! };
        break;
    }
    rules.push({
      id: r.id,
      effect: r.effect,
      subject,
      resource: { serverSlug: r.serverSlug, tool: r.tool },
      priority: r.priority,
      ...(r.conditions ? { conditions: r.conditions } : {}),
    });
  }
  return rules;
}

async function policyOutput(db: Queryable, row: Policy): Promise<PolicyOutput> {
  return toPolicyOutput(row, await subjectNames(db, [row]));
}

export const policyTable = auditedTable({
  table: policies,
  entity: "policy",
  noun: "policy",
  name: { column: policies.name, caseInsensitive: true, taken: (name) => `A policy named "${name}" already exists` },
  output: policyOutput,
  auditView: toPolicyInput,
  auditKey: "policy",
});
