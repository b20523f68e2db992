import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
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
 * dismissed, newest first, one per entry (a reminder replaces the first notice). A notice goes when
 * its entry does (unblocked: nothing left to warn about).
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
    .limit(200);
  const seen = new Set<string>();
  const newest = rows
    .filter(({ block }) => {
      if (seen.has(block.id)) return false;
      seen.add(block.id);
      return true;
    })
    .slice(0, 20);
  return newest.map(({ notice, block }) => ({
    id: notice.id,
    message: notice.message,
    target: `${block.origin}${block.pathPrefix}`,
    status: rolloutStatus(block, now),
    sentBy: notice.createdByLabel,
    sentAt: notice.createdAt.toISOString(),
  }));
}

/**
 * Hides a notice from the caller's Overview, with the earlier ones about the same entry (their own
 * copies only; security's record stays).
 */
export async function dismissBlockNotice({ db, actor }: Ctx, noticeId: string): Promise<void> {
  authorize(actor, "me.dismiss-notices");
  if (!actor.email || !/^[0-9a-f-]{36}$/i.test(noticeId)) throw new NotFoundError("No such notice");
  const email = actor.email.toLowerCase();
  const [mine] = await db
    .select({ blockId: shadowBlockNotices.blockId })
    .from(shadowBlockNoticeRecipients)
    .innerJoin(shadowBlockNotices, eq(shadowBlockNotices.id, shadowBlockNoticeRecipients.noticeId))
    .where(and(eq(shadowBlockNoticeRecipients.noticeId, noticeId), eq(shadowBlockNoticeRecipients.email, email)));
  if (!mine) throw new NotFoundError("No such notice");
  await db
    .update(shadowBlockNoticeRecipients)
    .set({ dismissedAt: sql`coalesce(${shadowBlockNoticeRecipients.dismissedAt}, now())` })
    .where(
      and(
        eq(shadowBlockNoticeRecipients.email, email),
        inArray(shadowBlockNoticeRecipients.noticeId, db.select({ id: shadowBlockNotices.id }).from(shadowBlockNotices).where(eq(shadowBlockNotices.blockId, mine.blockId))),
      ),
    );
}
