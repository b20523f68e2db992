import { and, eq, ne } from "drizzle-orm";
import { servers, serverTools } from "@/db/schema";
import { authorize } from "../auth/actor";
import { recordAudit } from "../audit/record-audit";
import { ConflictError } from "../errors";
import type { Ctx } from "../context";
import { loadServerOutput, loadServerRow } from "./queries";
import { recordServerEvent } from "./record-event";
import { RejectServerInput, type ServerOutput } from "./schemas";

/** Rejects a pending request, or withdraws an approved server; every tool is switched off. */
export async function rejectServer({ db, actor }: Ctx, serverId: string, rawInput: unknown): Promise<ServerOutput> {
  authorize(actor, "servers.review");
  const input = RejectServerInput.parse(rawInput);
  const row = await loadServerRow(db, serverId);
  if (row.status === "rejected") throw new ConflictError("This server is already rejected");
  await db.transaction(async (tx) => {
    const now = new Date();
    await tx
      .update(serverTools)
      .set({ state: "disabled", updatedAt: now })
      .where(and(eq(serverTools.serverId, serverId), ne(serverTools.state, "removed")));
    await tx
      .update(servers)
      .set({ status: "rejected", decidedBy: actor.userId, decidedAt: now, decisionReason: input.reason, updatedAt: now })
      .where(eq(servers.id, serverId));
    await recordServerEvent(tx, actor, { serverId, kind: row.status === "approved" ? "withdrawn" : "rejected", reason: input.reason });
    await recordAudit(tx, actor, { action: "server.reject", targetType: "server", targetId: serverId, details: { slug: row.slug, from: row.status } });
  });
  return loadServerOutput(db, serverId);
}
