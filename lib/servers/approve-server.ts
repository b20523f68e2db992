import { and, eq, ne } from "drizzle-orm";
import { servers, serverTools } from "@/db/schema";
import { authorize } from "../auth/actor";
import { recordAudit } from "../audit/record-audit";
import { ConflictError, ForbiddenError, ValidationError } from "../errors";
import { grantDefaultAccess } from "./access";
import type { Finding } from "@core/poisoning/findings";
import type { Ctx } from "../context";
import { loadServerOutput, loadServerRow } from "./queries";
import { recordServerEvent } from "./record-event";
import { ApproveServerInput, type ServerOutput } from "./schemas";
import { hasHighFinding } from "./snapshot";

/**
 * Approves a server, or re-approves it after upstream changes quarantined tools. The approver
 * picks the tools to enable (default: every tool without a high-severity finding); every tool
 * reviewed is pinned to its current hash. Four eyes: the requester cannot approve their own
 * request, except an admin, and that override is recorded as such.
 */
export async function approveServer({ db, actor }: Ctx, serverId: string, rawInput: unknown): Promise<ServerOutput> {
  authorize(actor, "servers.review");
  const input = ApproveServerInput.parse(rawInput);
  const row = await loadServerRow(db, serverId);
  if (row.status === "rejected") throw new ConflictError("This server was rejected; it must be requested again");
  const override = row.requestedBy !== null && row.requestedBy === actor.userId;
  if (override && actor.role !== "admin") {
    throw new ForbiddenError("You requested this server: another approver must review it (four-eyes rule)");
  }

  await db.transaction(async (tx) => {
    const tools = await tx.select().from(serverTools).where(and(eq(serverTools.serverId, serverId), ne(serverTools.state, "removed")));
    const known = new Set(tools.map((t) => t.name));
    const unknown = (input.tools ?? []).filter((name) => !known.has(name));
    if (unknown.length) throw new ValidationError(`These tools are not offered by the server: ${unknown.join(", ")}`, { tools: "unknown tool" });
    const enable = new Set(input.tools ?? tools.filter((t) => !hasHighFinding(t.findings as unknown as Finding[])).map((t) => t.name));
    const now = new Date();
    for (const tool of tools) {
      await tx
        .update(serverTools)
        .set({ state: enable.has(tool.name) ? "enabled" : "disabled", pinnedHash: tool.hash, quarantineReason: null, updatedAt: now })
        .where(and(eq(serverTools.serverId, serverId), eq(serverTools.name, tool.name)));
    }
    const reapproval = row.status === "approved";
    await tx
      .update(servers)
      .set({ status: "approved", decidedBy: actor.userId, decidedAt: now, decisionReason: input.reason, updatedAt: now })
      .where(eq(servers.id, serverId));
    const details = {
      enabled: tools.filter((t) => enable.has(t.name)).map((t) => t.name),
      disabled: tools.filter((t) => !enable.has(t.name)).map((t) => t.name),
      ...(override ? { fourEyesOverride: true } : {}),
    };
    await recordServerEvent(tx, actor, { serverId, kind: reapproval ? "reapproved" : "approved", reason: input.reason, details });
    if (!reapproval) await grantDefaultAccess(tx, actor, row);
    await recordAudit(tx, actor, { action: reapproval ? "server.reapprove" : "server.approve", targetType: "server", targetId: serverId, details: { slug: row.slug, ...details } });
  });
  return loadServerOutput(db, serverId);
}
