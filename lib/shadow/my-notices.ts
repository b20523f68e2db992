import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { shadowBlockNoticeRecipients, shadowBlockNotices, shadowBlocks } from "@/db/schema";
import { authorize } from "@/lib/auth/actor";
import type { Ctx } from "@/lib/context";
import { NotFoundError } from "@/lib/errors";
import { rolloutStatus, type RolloutStatus } from "./rollout";

export interface MyBlockNotice {
  id: string;
  message: string;
  target: string;
  status: RolloutStatus;
  sentBy: string;
  sentAt: string;
}

/**
 * The block-list notices security sent to the signed-in person (matched by e-mail address), not yet
 * dismissed, newest first. A notice goes when its entry does (unblocked: nothing left to warn about).
 */
export async function myBlockNotices({ db, actor }: Ctx, now = new Date()): Promise<MyBlockNotice[]> {
  authorize(actor, "me.read");
  if (!actor.email) return [];
  const rows = await db
    .select({ notice: shadowBlockNotices, block: shadowBlocks })
    .from(shadowBlockNoticeRecipients)
    .innerJoin(shadowBlockNotices, eq(shadowBlockNotices.id, shadowBlockNoticeRecipients.noticeId))
    .innerJoin(shadowBlocks, eq(shadowBlocks.id, shadowBlockNotices.blockId))
    .where(and(eq(shadowBlockNoticeRecipients.email, actor.email.toLowerCase()), isNull(shadowBlockNoticeRecipients.dismissedAt)))
    .orderBy(desc(shadowBlockNotices.createdAt))
    .limit(20);
  return rows.map(({ notice, block }) => ({
    id: notice.id,
    message: notice.message,
    target: `${block.origin}${block.pathPrefix}`,
    status: rolloutStatus(block, now),
    sentBy: notice.createdByLabel,
    sentAt: notice.createdAt.toISOString(),
  }));
}

/** Hides a notice from the caller's Overview (their own copy only; security's record stays). */
export async function dismissBlockNotice({ db, actor }: Ctx, noticeId: string): Promise<void> {
  authorize(actor, "me.dismiss-notices");
  if (!actor.email || !/^[0-9a-f-]{36}$/i.test(noticeId)) throw new NotFoundError("No such notice");
  const done = await db
    .update(shadowBlockNoticeRecipients)
    .set({ dismissedAt: sql`coalesce(${shadowBlockNoticeRecipients.dismissedAt}, now())` })
    .where(and(eq(shadowBlockNoticeRecipients.noticeId, noticeId), eq(shadowBlockNoticeRecipients.email, actor.email.toLowerCase())))
    .returning({ noticeId: shadowBlockNoticeRecipients.noticeId });
  if (done.length === 0) throw new NotFoundError("No such notice");
}
