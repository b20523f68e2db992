import { asc, eq } from "drizzle-orm";
import { serverAccessGrants, teams } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { authorize, type Actor } from "../auth/actor";
import { recordAudit } from "../audit/record-audit";
import type { Ctx } from "../context";
import { loadServerRow } from "./queries";
import type { ServerAccessOutput } from "./schemas";

/**
 * Who may use a server at the edge: everyone, or the listed teams (neither: nobody). Compiled into
 * the config bundle as allow rules; nothing changes at the edge until the next publish.
 */

export async function loadServerAccess(db: Queryable, serverId: string): Promise<ServerAccessOutput> {
  const rows = await db
    .select({ teamId: serverAccessGrants.teamId, slug: teams.slug, name: teams.name })
    .from(serverAccessGrants)
    .leftJoin(teams, eq(teams.id, serverAccessGrants.teamId))
    .where(eq(serverAccessGrants.serverId, serverId))
    .orderBy(asc(teams.name));
  return {
    serverId,
    everyone: rows.some((r) => r.teamId === null),
    teams: rows.flatMap((r) => (r.teamId && r.slug && r.name ? [{ id: r.teamId, slug: r.slug, name: r.name }] : [])),
  };
}

export async function getServerAccess({ db, actor }: Ctx, serverId: string): Promise<ServerAccessOutput> {
  authorize(actor, "servers.read");
  await loadServerRow(db, serverId);
  return loadServerAccess(db, serverId);
}

/**
 * On a server's first approval, when nobody set its access beforehand: its owner team, or everyone
 * when it has none — so approving a server makes it usable without a second step, and a team's
 * server stays that team's. Runs in the approval's transaction.
 */
export async function grantDefaultAccess(tx: Queryable, actor: Actor, server: { id: string; slug: string; ownerTeamId: string | null }): Promise<void> {
  const existing = await tx.select({ id: serverAccessGrants.id }).from(serverAccessGrants).where(eq(serverAccessGrants.serverId, server.id)).limit(1);
  if (existing.length > 0) return;
  await tx.insert(serverAccessGrants).values({ serverId: server.id, teamId: server.ownerTeamId });
  await recordAudit(tx, actor, {
    action: "server.access",
    targetType: "server",
    targetId: server.id,
    details: { slug: server.slug, default: true, everyone: server.ownerTeamId === null, teamIds: server.ownerTeamId ? [server.ownerTeamId] : [] },
  });
}
