import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import { RateLimitInput, type RateLimitOutput } from "./schemas";
import { rateLimitTable, rateLimitValues } from "./store";

/** Creates a rate limit; it reaches the edge with the next publish. */
export async function createRateLimit({ db, actor }: Ctx, rawInput: unknown): Promise<RateLimitOutput> {
  authorize(actor, "limits.manage");
  const input = RateLimitInput.parse(rawInput);
  return db.transaction(async (tx) => {
    await rateLimitTable.assertNameFree(tx, input.name);
    return rateLimitTable.insert(tx, actor, { ...(await rateLimitValues(tx, input)), createdBy: actor.userId });
  });
}
