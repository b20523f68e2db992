import { gte, sql } from "drizzle-orm";
import { auditLog } from "@/db/schema";
import { authorize } from "../auth/actor";
import type { Ctx } from "../context";

import type { DailyActivity } from "./activity-types";

const DAY_MS = 86_400_000;

/** Console activity per UTC day for the last `days` days, zero-filled, oldest first. */
export async function dailyActivity({ db, actor }: Ctx, days = 14, now = new Date()): Promise<DailyActivity[]> {
  authorize(actor, "audit.read");
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const since = new Date(today - (days - 1) * DAY_MS);
  const day = sql<string>`to_char(${auditLog.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`;
  const rows = await db
    .select({
      day,
      signIns: sql<number>`count(*) filter (where ${auditLog.action} in ('user.sign_in', 'user.create') and ${auditLog.actorId}::text = ${auditLog.targetId})::int`,
      total: sql<number>`count(*)::int`,
    })
    .from(auditLog)
    .where(gte(auditLog.createdAt, since))
    .groupBy(day);
  const byDay = new Map(rows.map((r) => [r.day, r]));
  return Array.from({ length: days }, (_, i) => {
    const key = new Date(since.getTime() + i * DAY_MS).toISOString().slice(0, 10);
    const r = byDay.get(key);
    return { day: key, signIns: r?.signIns ?? 0, changes: (r?.total ?? 0) - (r?.signIns ?? 0) };
  });
}
