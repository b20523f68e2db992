import { eq } from "drizzle-orm";
import { shadowFindings } from "@/db/schema";
import type { Queryable } from "@/db/client";

/** Links a registration request to the finding that asked for it (the Request form's `finding`). */
export async function linkFindingToServer(db: Queryable, findingId: string, serverId: string): Promise<void> {
  if (!/^[0-9a-f-]{36}$/i.test(findingId)) return;
  await db.update(shadowFindings).set({ serverId, updatedAt: new Date() }).where(eq(shadowFindings.id, findingId));
}
