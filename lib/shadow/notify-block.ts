/**
 * Notifying the people a block-list entry covers before (or when) it blocks them: one message,
 * shown to each of them in the console (their Overview, until they dismiss it or the entry is
 * gone), and posted to a chat webhook when one is given (Slack-compatible `{"text": …}`).
 *
 * Why the webhook URL comes with each notice and is not kept: a chat webhook's URL is itself the
 * credential (anyone holding it posts to the channel). Not storing it leaves nothing to encrypt,
 * leak or show back; a rollout sends one or two notices, so pasting it costs little. Portal
 * settings were the other candidate, but they are compiled into the edge's bundle and only admins
 * edit them, while notifying is security's job. Only the webhook's origin is recorded.
 */
import { eq } from "drizzle-orm";
import { shadowBlockNoticeRecipients, shadowBlockNotices, shadowFindings, type ShadowBlock } from "@/db/schema";
import type { Queryable } from "@/db/client";
import { actorLabel, authorize } from "@/lib/auth/actor";
import { recordAudit } from "@/lib/audit/record-audit";
import type { Ctx } from "@/lib/context";
import { ValidationError } from "@/lib/errors";
import { postWebhook } from "@/lib/net/webhook";
import { findingPrefill, registrationRequestUrl } from "./approve-finding";
import { blockImpact } from "./block-impact";
import { loadBlock } from "./blocks";
import { formatEnforceDate, inHowLong, rolloutStatus } from "./rollout";
import { NotifyBlockInput, type BlockNoticeOutput } from "./schemas";

/** The "request this server" link of a notice: the finding's Adopt form, or the entry's URL when it came from no finding. */
export async function requestLinkFor(db: Queryable, entry: ShadowBlock, consoleOrigin: string): Promise<string> {
  const [f] = entry.findingId ? await db.select().from(shadowFindings).where(eq(shadowFindings.id, entry.findingId)) : [];
  const url = `${entry.origin}${entry.pathPrefix}`;
  const prefill = f?.url
    ? findingPrefill(f)
    : { url, host: new URL(entry.origin).hostname, names: [], vendor: null, justification: `Needed before the block-list entry for ${url} blocks it (${entry.reason.slice(0, 200)}).` };
  return new URL(registrationRequestUrl(prefill), consoleOrigin).toString();
}

/** The message a notice starts from: what will be blocked, when, why, and where to request the server. */
export function defaultNoticeMessage(entry: ShadowBlock, requestLink: string, now: Date): string {
  const what = entry.pathPrefix === "" ? `every MCP server and API on ${entry.origin}` : `${entry.origin}${entry.pathPrefix} (and every path under it)`;
  const status = rolloutStatus(entry, now);
  const when =
    status.state === "blocking"
      ? `Calls through the Portcullis portal to ${what} are blocked${status.ended ? ` since ${formatEnforceDate(entry.enforceAt!)}` : ""}.`
      : entry.enforceAt
        ? `From ${formatEnforceDate(entry.enforceAt)} (${inHowLong(entry.enforceAt, now)}), calls through the Portcullis portal to ${what} will be blocked. Until then they still work, and are logged.`
        : `Calls through the Portcullis portal to ${what} will be blocked; no date is set yet. Until then they still work, and are logged.`;
  return [
    `Heads-up from your security team: you have used a server that is not approved for AI clients.`,
    when,
    `Why: ${entry.reason}`,
    `If your work needs it, request it for review (the form is filled in for you): ${requestLink}`,
  ].join("\n\n");
}

/** The message the notify form starts with for an entry. */
export async function draftNoticeMessage({ db, actor }: Ctx, id: string, consoleOrigin: string, now = new Date()): Promise<string> {
  authorize(actor, "shadow.read");
  const entry = await loadBlock(db, id);
  return defaultNoticeMessage(entry, await requestLinkFor(db, entry, consoleOrigin), now);
}

export interface NotifyResult {
  notice: BlockNoticeOutput;
  /** The e-mail addresses it was shown to in the console. */
  recipients: string[];
}

/**
 * Sends the notice: to everyone the entry covered in the window (portal events and shadow traffic
 * with an e-mail address) in the console, and to the chat webhook if given. The webhook is posted
 * first, outside the transaction (up to 5 s); then the notice, its recipients and the audit row
 * are written together, with the webhook's outcome. A failed webhook is recorded, not thrown: the
 * console notices went out.
 */
export async function notifyBlock(ctx: Ctx, id: string, rawInput: unknown, options: { consoleOrigin: string; now?: Date; fetch?: typeof fetch }): Promise<NotifyResult> {
  const { db, actor } = ctx;
  authorize(actor, "shadow.triage");
  const input = NotifyBlockInput.parse(rawInput);
  const now = options.now ?? new Date();
  const impact = await blockImpact(ctx, id, { days: input.days }, now);
  const recipients = impact.people.map((p) => p.email);
  if (recipients.length === 0 && !input.webhookUrl) {
    throw new ValidationError(`Nobody to notify: no one with an e-mail address used a server this entry covers in the last ${input.days} days. Give a chat webhook to tell a channel instead.`, {
      webhookUrl: "no one to notify in the console: give a webhook",
    });
  }
  const entry = await loadBlock(db, id);
  // A browser's textarea sends CRLF line breaks; chat tools and the Overview want LF.
  const message = input.message?.replace(/\r\n?/g, "\n") ?? defaultNoticeMessage(entry, await requestLinkFor(db, entry, options.consoleOrigin), now);
  const webhookOrigin = input.webhookUrl ? new URL(input.webhookUrl).origin : null;
  const webhookStatus = input.webhookUrl ? await postWebhook(input.webhookUrl, { text: message }, { userAgent: "portcullis-block-notices", ...(options.fetch ? { fetch: options.fetch } : {}) }) : null;

  const notice = await db.transaction(async (tx) => {
    const locked = await loadBlock(tx, id, true);
    const [row] = await tx
      .insert(shadowBlockNotices)
      .values({ blockId: id, message, recipients: recipients.length, webhookOrigin, webhookStatus, createdBy: actor.userId, createdByLabel: actorLabel(actor), createdAt: now })
      .returning();
    for (let i = 0; i < recipients.length; i += 1000) {
      await tx.insert(shadowBlockNoticeRecipients).values(recipients.slice(i, i + 1000).map((email) => ({ noticeId: row!.id, email })));
    }
    await recordAudit(tx, actor, {
      action: "blocklist.notify",
      targetType: "shadow_block",
      targetId: id,
      details: { origin: locked.origin, pathPrefix: locked.pathPrefix, recipients: recipients.length, days: input.days, webhook: webhookOrigin, webhookStatus },
    });
    return row!;
  });
  return {
    notice: { id: notice.id, message, recipients: notice.recipients, webhookOrigin, webhookStatus, createdBy: notice.createdByLabel, createdAt: notice.createdAt.toISOString() },
    recipients,
  };
}
