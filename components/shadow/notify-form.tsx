"use client";

import type { FormAction } from "@/lib/auth/action-result";
import { ActionForm, SubmitButton } from "../ui/action-form";
import { CopyButton } from "../ui/copy-button";
import { Field, Input } from "../ui/field";
import { people } from "./format";

interface SentNotice {
  recipients: number;
  webhookOrigin: string | null;
  webhookStatus: string | null;
}

/** A mailto: link longer than this is cut off or refused by some mail programs: the addresses are offered to copy instead. */
const MAILTO_LIMIT = 2000;

/**
 * Notify the people a block-list entry covers: the message (prefilled, editable), shown to each of
 * them in the console and posted to a chat webhook if one is given; and their addresses to copy or
 * open in a mail program.
 */
export function NotifyForm({ id, days, emails, draft, subject, notify }: { id: string; days: number; emails: string[]; draft: string; subject: string; notify: FormAction<SentNotice> }) {
  const list = emails.join(", ");
  const mailto = `mailto:?bcc=${emails.map(encodeURIComponent).join(",")}&subject=${encodeURIComponent(subject)}&body=${encodeURIComponent(draft)}`;
  return (
    <div className="space-y-5">
      <ActionForm
        action={notify}
        className="space-y-3"
        success={(n) => (
          <p className="text-sm text-emerald-700" role="status">
            Sent: shown to {people(n.recipients)} in the console
            {n.webhookOrigin ? `; chat webhook (${n.webhookOrigin}): ${n.webhookStatus}` : ""}.
          </p>
        )}
      >
        <input type="hidden" name="id" value={id} />
        <input type="hidden" name="days" value={days} />
        <Field label="Message" hint="Shown on each person's Overview until they dismiss it, and posted to the webhook as is.">
          <textarea name="message" rows={9} maxLength={4000} defaultValue={draft} required className="block w-full rounded-md border border-zinc-300 px-2.5 py-1.5 font-mono text-xs" />
        </Field>
        <Field label="Chat webhook (optional)" hint='A Slack-compatible incoming webhook: it receives {"text": message}. Not stored — only its origin is recorded.'>
          <Input name="webhookUrl" type="url" placeholder="https://hooks.slack.com/services/…" autoComplete="off" />
        </Field>
        <SubmitButton pendingLabel="Sending…">{emails.length ? `Notify ${people(emails.length)}` : "Post to the webhook"}</SubmitButton>
      </ActionForm>
      <div className="space-y-2 border-t border-zinc-100 pt-4">
        <h3 className="text-sm font-medium text-zinc-800">By e-mail</h3>
        {emails.length === 0 ? (
          <p className="text-sm text-zinc-500">No e-mail addresses: nobody with one used a server this entry covers in the window.</p>
        ) : (
          <>
            <textarea readOnly aria-label="E-mail addresses" value={list} rows={Math.min(4, Math.ceil(list.length / 90))} className="block w-full rounded-md border border-zinc-200 bg-zinc-50 px-2.5 py-1.5 font-mono text-xs" />
            <div className="flex flex-wrap items-center gap-3">
              <CopyButton value={list} label="Copy addresses" />
              {mailto.length <= MAILTO_LIMIT ? (
                <a className="text-sm text-indigo-700 underline" href={mailto}>
                  Open in your mail program (addresses in Bcc, the message as above)
                </a>
              ) : (
                <span className="text-xs text-zinc-500">Too many addresses for a mail link: copy them into your mail program.</span>
              )}
            </div>
            <p className="text-xs text-zinc-500">Mail sent from your own program is not recorded here; the console notice above is.</p>
          </>
        )}
      </div>
    </div>
  );
}
