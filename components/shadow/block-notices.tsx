import type { FormAction } from "@/lib/auth/action-result";
import type { MyBlockNotice } from "@/lib/shadow/my-notices";
import { ActionForm, SubmitButton } from "../ui/action-form";
import { Badge } from "../ui/badge";
import { utc } from "./format";

/** A long link's text: its origin and path, the query left out (the prefilled request's runs to hundreds of characters). */
function shortLink(url: string): string {
  if (url.length <= 80) return url;
  const u = new URL(url);
  return `${u.origin}${u.pathname}${u.search ? "?…" : ""}`;
}

/** The message with its http(s) URLs as links (the "request this server" link above all). */
function Linked({ text }: { text: string }) {
  return text.split(/(https?:\/\/[^\s<>"]+)/g).map((part, i) =>
    i % 2 === 1 ? (
      <a key={i} className="break-all text-indigo-700 underline" href={part} title={part}>
        {shortLink(part)}
      </a>
    ) : (
      part
    ),
  );
}

/** The block-list notices security sent to the signed-in person, each with its entry's rollout as it stands now. */
export function BlockNotices({ notices, dismiss }: { notices: MyBlockNotice[]; dismiss: FormAction<void> }) {
  if (notices.length === 0) return null;
  return (
    <section aria-label="Notices from security" className="space-y-3">
      {notices.map((n) => (
        <div key={n.id} data-testid="block-notice" className="rounded-lg border border-amber-300 bg-amber-50 p-4">
          <div className="flex items-start justify-between gap-4">
            <div className="min-w-0">
              <p className="text-sm font-semibold text-amber-900">
                From security, about <span className="break-all font-mono text-xs">{n.target}</span>
              </p>
              <p className="mt-1">
                <Badge tone={n.status.state === "logging" ? "amber" : "indigo"}>{n.status.label}</Badge>
              </p>
              <p className="mt-2 whitespace-pre-wrap break-words text-sm text-zinc-800">
                <Linked text={n.message} />
              </p>
              <p className="mt-2 text-xs text-zinc-500">
                Sent {utc(n.sentAt)} by {n.sentBy}
              </p>
            </div>
            <ActionForm action={dismiss} className="shrink-0">
              <input type="hidden" name="id" value={n.id} />
              <SubmitButton variant="secondary" pendingLabel="Dismissing…">
                Dismiss
              </SubmitButton>
            </ActionForm>
          </div>
        </div>
      ))}
    </section>
  );
}
