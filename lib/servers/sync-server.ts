import { and, eq } from "drizzle-orm";
import { servers, serverSnapshots, serverTools, type ServerTool } from "@/db/schema";
import { authorize } from "../auth/actor";
import { recordAudit } from "../audit/record-audit";
import { DiscoveryError, type DiscoveryResult } from "./discover";
import { diffTools } from "@core/tools/tool-diff";
import type { McpToolDefinition } from "@core/tools/tool-types";
import type { Ctx } from "../context";
import { openCredential, sealCredential } from "./credentials";
import { loadServerOutput, loadServerRow } from "./queries";
import { recordServerEvent } from "./record-event";
import type { ServerOutput } from "./schemas";
import { analyzeDiscovery } from "./snapshot";
import { storeSnapshot } from "./store-snapshot";
import { guardedDiscover, type Discover } from "./upstream";

export interface SyncResult {
  server: ServerOutput;
  changed: boolean;
  added: string[];
  removed: string[];
  modified: string[];
  quarantined: string[];
}

/**
 * Re-runs discovery. When anything a client sees changed, a new snapshot is stored and, for an
 * approved server, every new or changed tool is quarantined until an approver re-approves it —
 * upstream changes never reach clients on their own (the "rug pull" defence).
 */
export async function syncServer({ db, actor }: Ctx, serverId: string, discover: Discover = guardedDiscover): Promise<SyncResult> {
  authorize(actor, "servers.sync");
  const row = await loadServerRow(db, serverId);
  let discovered: DiscoveryResult;
  const credential = openCredential(row.id, row.credentialCiphertext);
  const tokensBefore = JSON.stringify(credential.provider?.data.tokens ?? null);
  try {
    discovered = await discover({ url: row.endpointUrl, auth: credential.auth });
  } catch (error) {
    if (error instanceof DiscoveryError) {
      await db.transaction(async (tx) => {
        await tx.update(servers).set({ lastSyncError: error.message, updatedAt: new Date() }).where(eq(servers.id, row.id));
        // One timeline line per new failure, not one per scheduled retry.
        if (row.lastSyncError !== error.message) {
          await recordServerEvent(tx, actor, { serverId: row.id, kind: "sync_failed", reason: error.message, details: { code: error.code } });
        }
      });
    }
    throw error;
  }

  // The SDK refreshed an expired OAuth access token during discovery: keep the new tokens.
  if (credential.provider && JSON.stringify(credential.provider.data.tokens ?? null) !== tokensBefore) {
    const resealed = sealCredential(row.id, { type: "oauth_authorization_code", oauth: credential.provider.data });
    await db.update(servers).set({ credentialCiphertext: resealed.ciphertext, credentialKeyId: resealed.keyId }).where(eq(servers.id, row.id));
  }
  const analyzed = await analyzeDiscovery(discovered);
  const [current] = row.currentSnapshotId
    ? await db.select().from(serverSnapshots).where(eq(serverSnapshots.id, row.currentSnapshotId))
    : [];
  const now = new Date();
  if (current && current.toolsHash === analyzed.toolsHash) {
    await db.update(servers).set({ lastSyncedAt: now, lastSyncError: null }).where(eq(servers.id, row.id));
    return { server: await loadServerOutput(db, row.id), changed: false, added: [], removed: [], modified: [], quarantined: [] };
  }

  const diff = diffTools((current?.tools ?? []) as unknown as McpToolDefinition[], discovered.tools);
  const approved = row.status === "approved";
  const quarantined: string[] = [];

  await db.transaction(async (tx) => {
    const snapshotId = await storeSnapshot(tx, row.id, discovered, analyzed);
    const existing = new Map<string, ServerTool>((await tx.select().from(serverTools).where(eq(serverTools.serverId, row.id))).map((t) => [t.name, t]));
    for (const tool of analyzed.tools) {
      const before = existing.get(tool.name);
      existing.delete(tool.name);
      const values = {
        definition: tool.definition as unknown as Record<string, unknown>,
        hash: tool.hash,
        findings: tool.findings as unknown as Record<string, unknown>[],
        tokensJson: tool.tokensJson,
        tokensTypescript: tool.tokensTypescript,
        updatedAt: now,
      };
      if (!before) {
        const state = approved ? "quarantined" : "disabled";
        if (approved) quarantined.push(tool.name);
        await tx.insert(serverTools).values({ serverId: row.id, name: tool.name, state, ...values, quarantineReason: approved ? "New upstream tool: not yet approved" : null });
        continue;
      }
      const changed = before.hash !== tool.hash;
      const reappeared = before.state === "removed";
      if (!changed && !reappeared) continue;
      let state = before.state;
      let quarantineReason = before.quarantineReason;
      if (approved && tool.hash !== before.pinnedHash) {
        state = "quarantined";
        quarantineReason = reappeared ? "Tool reappeared upstream: not yet re-approved" : "Definition changed upstream since approval";
        quarantined.push(tool.name);
      } else if (reappeared) {
        state = approved ? "quarantined" : "disabled";
      }
      await tx
        .update(serverTools)
        .set({ ...values, state, quarantineReason })
        .where(and(eq(serverTools.serverId, row.id), eq(serverTools.name, tool.name)));
    }
    for (const gone of existing.values()) {
      if (gone.state === "removed") continue;
      await tx
        .update(serverTools)
        .set({ state: "removed", updatedAt: now })
        .where(and(eq(serverTools.serverId, row.id), eq(serverTools.name, gone.name)));
    }
    await tx.update(servers).set({ currentSnapshotId: snapshotId, lastSyncedAt: now, lastSyncError: null, updatedAt: now }).where(eq(servers.id, row.id));
    const summary = {
      added: diff.added.map((t) => t.name),
      removed: diff.removed.map((t) => t.name),
      changed: diff.changed.map((t) => t.name),
      quarantined,
    };
    await recordServerEvent(tx, actor, { serverId: row.id, kind: "changed", snapshotId, details: summary });
    await recordAudit(tx, actor, { action: "server.sync", targetType: "server", targetId: row.id, details: { slug: row.slug, ...summary } });
  });

  return {
    server: await loadServerOutput(db, row.id),
    changed: true,
    added: diff.added.map((t) => t.name),
    removed: diff.removed.map((t) => t.name),
    modified: diff.changed.map((t) => t.name),
    quarantined,
  };
}
