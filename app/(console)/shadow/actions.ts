"use server";

import { sessionAction } from "@/lib/auth/action";
import { consoleOrigin } from "@/lib/auth/console-origin";
import { createBlock } from "@/lib/shadow/create-block";
import { deleteBlock } from "@/lib/shadow/delete-block";
import { approveFinding } from "@/lib/shadow/approve-finding";
import { notifyBlock } from "@/lib/shadow/notify-block";
import { enforceAtFromDate } from "@/lib/shadow/rollout";
import { updateBlock } from "@/lib/shadow/update-block";
import { updateFinding } from "@/lib/shadow/update-finding";

const field = (form: FormData, name: string) => String(form.get(name) ?? "");
const optional = (form: FormData, name: string) => (form.get(name) === null || field(form, name).trim() === "" ? undefined : field(form, name));

/** The rollout fields (components/shadow/rollout-fields.tsx): `mode`, and for "log" the date to block from ("" = until changed). */
function rolloutFromForm(form: FormData): { mode: string; enforceAt?: string | null } {
  const mode = field(form, "mode") || "block";
  return mode === "log" ? { mode, enforceAt: enforceAtFromDate(field(form, "enforceAt")) } : { mode };
}

/** The triage form: one select carries state and resolution ("resolved:blocked"). */
export const triageFindingAction = sessionAction(async (ctx, form) => {
  const [state, resolution] = field(form, "state").split(":");
  const assignee = form.get("assigneeId");
  const rollout = resolution === "blocked" ? rolloutFromForm(form) : null;
  await updateFinding(ctx, field(form, "id"), {
    ...(state ? { state, ...(resolution ? { resolution } : {}) } : {}),
    ...(resolution === "blocked" && optional(form, "blockScope") ? { blockScope: field(form, "blockScope") } : {}),
    ...(resolution === "blocked" && form.get("blockApproved") === "on" ? { blockApproved: true } : {}),
    ...(rollout ? { blockMode: rollout.mode, ...(rollout.enforceAt !== undefined ? { enforceAt: rollout.enforceAt } : {}) } : {}),
    ...(assignee !== null ? { assigneeId: field(form, "assigneeId") || null } : {}),
    ...(optional(form, "note") ? { note: field(form, "note") } : {}),
  });
  return { saved: true };
}, { revalidate: "/shadow" });

/**
 * Approve: the form opens the prefilled registration request it answers with (the finding is
 * resolved when that request is saved). No revalidation: re-rendering the finding page would unmount the form before it navigates
 * (pages under /shadow are dynamic, so they are fresh when visited again).
 */
export const approveFindingAction = sessionAction(async (ctx, form) => {
  const { requestUrl } = await approveFinding(ctx, field(form, "id"), optional(form, "note"));
  return { requestUrl };
});

export const createBlockAction = sessionAction(
  (ctx, form) =>
    createBlock(ctx, { url: field(form, "url"), scope: field(form, "scope") || "url", reason: field(form, "reason"), ...rolloutFromForm(form), ...(form.get("blockApproved") === "on" ? { blockApproved: true } : {}) }),
  { revalidate: "/shadow" },
);

export const deleteBlockAction = sessionAction((ctx, form) => deleteBlock(ctx, field(form, "id")), { revalidate: "/shadow" });

/** Changes an entry's rollout (the entry page): block now, log until a date, or until changed. */
export const updateBlockAction = sessionAction((ctx, form) => updateBlock(ctx, field(form, "id"), rolloutFromForm(form)), { revalidate: "/shadow" });

export const notifyBlockAction = sessionAction(
  async (ctx, form) => {
    const { notice } = await notifyBlock(
      ctx,
      field(form, "id"),
      { message: field(form, "message"), ...(optional(form, "webhookUrl") ? { webhookUrl: field(form, "webhookUrl").trim() } : {}), ...(optional(form, "days") ? { days: field(form, "days") } : {}) },
      { consoleOrigin: await consoleOrigin() },
    );
    return { recipients: notice.recipients, webhookOrigin: notice.webhookOrigin, webhookStatus: notice.webhookStatus };
  },
  { revalidate: "/shadow" },
);
