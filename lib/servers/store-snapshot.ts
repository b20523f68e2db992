import { serverSnapshots } from "@/db/schema";
import type { Queryable } from "@/db/client";
import type { DiscoveryResult } from "./discover";
import type { AnalyzedSnapshot } from "./snapshot";

/** Stores what one discovery saw, whole, and returns the snapshot id. */
export async function storeSnapshot(tx: Queryable, serverId: string, discovered: DiscoveryResult, analyzed: AnalyzedSnapshot): Promise<string> {
  const [snapshot] = await tx
    .insert(serverSnapshots)
    .values({
      serverId,
      serverInfo: discovered.serverInfo,
      protocolVersion: discovered.protocolVersion,
      capabilities: discovered.capabilities,
      instructions: discovered.instructions,
      tools: discovered.tools as unknown as Record<string, unknown>[],
      prompts: discovered.prompts,
      resources: discovered.resources,
      resourceTemplates: discovered.resourceTemplates,
      toolsHash: analyzed.toolsHash,
      tokensJson: analyzed.tokensJson,
      tokensTypescript: analyzed.tokensTypescript,
    })
    .returning({ id: serverSnapshots.id });
  if (!snapshot) throw new Error("snapshot insert returned no row");
  return snapshot.id;
}
