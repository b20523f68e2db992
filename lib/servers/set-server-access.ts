import { eq, inArray } from "drizzle-orm";
import { serverAccessGrants, teams } from "@/db/schema";
import { authorize } from "../auth/actor";
import { recordAudit } from "../audit/record-audit";
import type { Ctx } from "../context";
import { ValidationError } from "../errors";
import { loadServerAccess } from "./access";
import { SetServerAccessInput, type ServerAccessOutput } from "./schemas";
import { loadServerRow } from "./queries";
import { recordServerEvent } from "./record-event";

/** Replaces who may use a server at the edge (takes effect with the next publish). */
export async function setServerAccess({ db, actor }: Ctx, serverId: string, rawInput: unknown): Promise<ServerAccessOutput> {
  authorize(actor, "servers.access");
  const input = SetServerAccessInput.parse(rawInput);
  const server = await loadServerRow(db, serverId);
  const teamIds = [...new Set(input.teamIds)];
  await db.transaction(async (tx) => {
    const found = teamIds.length ? await tx.select({ id: teams.id, slug: teams.slug }).from(teams).where(inArray(teams.id, teamIds)) : [];
    const unknown = teamIds.filter((id) => !found.some((t) => t.id === id));
    if (unknown.length) throw new ValidationError(`No such team: ${unknown.join(", ")}`, { teamIds: "unknown team" });
    const before = await loadServerAccess(tx, serverId);
    await tx.delete(serverAccessGrants).where(eq(serverAccessGrants.serverId, serverId));
    const rows = input.everyone ? [{ serverId, teamId: null }] : teamIds.map((teamId) => ({ serverId, teamId }));
    if (rows.length) await tx.insert(serverAccessGrants).values(rows);
    const details = {
      everyone: input.everyone,
      teams: found.map((t) => t.slug).sort(),
      before: { everyone: before.everyone, teams: before.teams.map((t) => t.slug).sort() },
    };
    await recordServerEvent(tx, actor, { serverId, kind: "access", details });
    await recordAudit(tx, actor, { action: "server.access", targetType: "server", targetId: serverId, details: { slug: server.slug, ...details } });
  });
  return loadServerAccess(db, serverId);
}
