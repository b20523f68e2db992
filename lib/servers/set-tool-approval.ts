/**
 * A tool's Code Mode approval flag (docs/codemode.md, "Approval pause"): "ask" makes a call of it
 * from Code Mode wait for the user's approval, "never" exempts it from the portal's rule, "default"
 * leaves it to the rule. Takes effect with the next publish.
 */
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { serverTools } from "@/db/schema";
import { authorize } from "../auth/actor";
import { recordAudit } from "../audit/record-audit";
import type { Ctx } from "../context";
import { NotFoundError } from "../errors";
import { loadServerRow } from "./queries";
import { recordServerEvent } from "./record-event";

export const SetToolApprovalInput = z
  .object({ approval: z.enum(["ask", "never", "default"], { error: "expected ask, never or default" }).describe("ask: calls from Code Mode wait for the user; never: they do not; default: the portal's rule decides") })
  .strict();
export const ToolApprovalOutput = z.object({ tool: z.string(), approval: z.enum(["ask", "never", "default"]) });
export type ToolApprovalOutput = z.infer<typeof ToolApprovalOutput>;

export async function setToolApproval({ db, actor }: Ctx, serverId: string, toolName: string, rawInput: unknown): Promise<ToolApprovalOutput> {
  authorize(actor, "servers.review");
  const input = SetToolApprovalInput.parse(rawInput);
  const server = await loadServerRow(db, serverId);
  return db.transaction(async (tx) => {
    const [tool] = await tx.select({ approval: serverTools.approval }).from(serverTools).where(and(eq(serverTools.serverId, serverId), eq(serverTools.name, toolName)));
    if (!tool) throw new NotFoundError(`Server ${server.slug} has no tool named ${JSON.stringify(toolName.slice(0, 200))}`);
    const approval = input.approval === "default" ? null : input.approval;
    await tx.update(serverTools).set({ approval }).where(and(eq(serverTools.serverId, serverId), eq(serverTools.name, toolName)));
    const details = { tool: toolName, approval: input.approval, before: tool.approval ?? "default" };
    await recordServerEvent(tx, actor, { serverId, kind: "tool-approval", details });
    await recordAudit(tx, actor, { action: "server.tool-approval", targetType: "server", targetId: serverId, details: { slug: server.slug, ...details } });
    return { tool: toolName, approval: input.approval };
  });
}
