import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import type { RateLimitOutput } from "./schemas";
import { rateLimitTable } from "./store";

/** Deletes a rate limit and answers what it was. */
export async function deleteRateLimit({ db, actor }: Ctx, id: string): Promise<RateLimitOutput> {
  authorize(actor, "limits.manage");
  return db.transaction((tx) => rateLimitTable.remove(tx, actor, id));
}
