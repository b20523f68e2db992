"use server";

import { sessionAction } from "@/lib/auth/action";
import { createBlock } from "@/lib/shadow/create-block";
import { deleteBlock } from "@/lib/shadow/delete-block";
import { approveFinding } from "@/lib/shadow/approve-finding";
import { updateFinding } from "@/lib/shadow/update-finding";

const field = (form: FormData, name: string) => String(form.get(name) ?? "");
const optional = (form: FormData, name: string) => (form.get(name) === null || field(form, name).trim() === "" ? undefined : field(form, name));

/** The triage form: one select carries state and resolution ("resolved:blocked"). */
export const triageFindingAction = sessionAction(async (ctx, form) => {
  const [state, resolution] = field(form, "state").split(":");
  const assignee = form.get("assigneeId");
  await updateFinding(ctx, field(form, "id"), {
    ...(state ? { state, ...(resolution ? { resolution } : {}) } : {}),
    ...(resolution === "blocked" && optional(form, "blockScope") ? { blockScope: field(form, "blockScope") } : {}),
    ...(resolution === "blocked" && form.get("blockApproved") === "on" ? { blockApproved: true } : {}),
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
    createBlock(ctx, { url: field(form, "url"), scope: field(form, "scope") || "url", reason: field(form, "reason"), ...(form.get("blockApproved") === "on" ? { blockApproved: true } : {}) }),
  { revalidate: "/shadow" },
);

export const deleteBlockAction = sessionAction((ctx, form) => deleteBlock(ctx, field(form, "id")), { revalidate: "/shadow" });
