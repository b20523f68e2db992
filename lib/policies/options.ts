import { asc, eq, isNull, sql } from "drizzle-orm";
import { servers, serverTools, teams, users } from "@/db/schema";
import { authorize } from "../auth/actor";
import type { Ctx } from "../context";

export interface PolicyOptions {
  /** Approved server slugs. */
  servers: string[];
  /** Subject suggestions: team:…, group:…, domain:…, user:… */
  subjects: string[];
  /** Active users' e-mail addresses (the simulator's suggestions). */
  users: string[];
  /** Enabled tools as the portal names them (`<server>_<tool>`). */
  tools: string[];
}

/** Suggestions for the policy editor and simulator: what exists, so people pick rather than type. */
export async function policyOptions({ db, actor }: Ctx): Promise<PolicyOptions> {
  authorize(actor, "policies.read");
  const [serverRows, teamRows, userRows, toolRows] = await Promise.all([
    db.select({ slug: servers.slug }).from(servers).where(eq(servers.status, "approved")).orderBy(asc(servers.slug)),
    db.select({ slug: teams.slug, group: teams.idpGroup }).from(teams).orderBy(asc(teams.slug)),
    db.select({ email: users.email, groups: users.idpGroups }).from(users).where(isNull(users.disabledAt)).orderBy(asc(sql`lower(${users.email})`)).limit(2000),
    db
      .select({ slug: servers.slug, name: serverTools.name })
      .from(serverTools)
      .innerJoin(servers, eq(servers.id, serverTools.serverId))
      .where(sql`${servers.status} = 'approved' and ${serverTools.state} = 'enabled'`)
      .orderBy(asc(servers.slug), asc(serverTools.name))
      .limit(5000),
  ]);
  const groups = new Set<string>();
  for (const t of teamRows) if (t.group) groups.add(t.group);
  for (const u of userRows) for (const g of u.groups) groups.add(g);
  const domains = new Set(userRows.map((u) => u.email.slice(u.email.lastIndexOf("@") + 1).toLowerCase()).filter(Boolean));
  return {
    servers: serverRows.map((s) => s.slug),
    subjects: [
      "everyone",
      ...teamRows.map((t) => `team:${t.slug}`),
      ...[...groups].sort().map((g) => `group:${g}`),
      ...[...domains].sort().map((d) => `domain:${d}`),
      ...userRows.map((u) => `user:${u.email.toLowerCase()}`),
    ],
    users: userRows.map((u) => u.email),
    tools: toolRows.map((t) => `${t.slug}_${t.name}`),
  };
}
