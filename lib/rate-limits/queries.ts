import { authorize } from "../auth/actor";
import type { Ctx } from "../context";
import type { RateLimitOutput } from "./schemas";
import { listRateLimitRows, rateLimitTable, toRateLimitOutput } from "./store";
import { limitSubjectNames } from "./subjects";

export async function listRateLimits({ db, actor }: Ctx): Promise<RateLimitOutput[]> {
  authorize(actor, "limits.read");
  const rows = await listRateLimitRows(db);
  const names = await limitSubjectNames(db, rows);
  return rows.map((r) => toRateLimitOutput(r, names));
}

export async function getRateLimit({ db, actor }: Ctx, id: string): Promise<RateLimitOutput> {
  authorize(actor, "limits.read");
  return rateLimitTable.read(db, id);
}
