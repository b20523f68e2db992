import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import { RateLimitInput, UpdateRateLimitInput, type RateLimitOutput } from "./schemas";
import { rateLimitTable, rateLimitValues, toRateLimitInput } from "./store";

/** Changes the fields sent; the rest stays as it was. */
export async function updateRateLimit({ db, actor }: Ctx, id: string, rawInput: unknown): Promise<RateLimitOutput> {
  authorize(actor, "limits.manage");
  const patch = UpdateRateLimitInput.parse(rawInput);
  return db.transaction(async (tx) => {
    const before = await rateLimitTable.read(tx, id);
    const input = RateLimitInput.parse({ ...toRateLimitInput(before), ...patch });
    await rateLimitTable.assertNameFree(tx, input.name, id);
    return rateLimitTable.update(tx, actor, id, before, { ...(await rateLimitValues(tx, input)), updatedAt: new Date() });
  });
}
