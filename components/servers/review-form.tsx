"use client";

import { useRouter } from "next/navigation";
import { useActionState, useEffect } from "react";
import type { ActionResult, FormAction } from "@/lib/auth/action-result";
import type { ToolOutput } from "@/lib/servers/schemas";
import { SubmitButton } from "../ui/action-form";
import { FormError } from "../ui/form-message";
import { SeverityBadge, ToolStateBadge } from "./badges";

type Decision = { id: string; status: "pending_review" | "approved" | "rejected" };
const TEXTAREA = "block w-full rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm focus:border-indigo-500 focus:outline-none";

function useGoBack(state: ActionResult<Decision> | null, serverId: string) {
  const router = useRouter();
  useEffect(() => {
    if (state?.ok) router.push(`/servers/${serverId}`);
  }, [state, router, serverId]);
}

export function ApproveForm({ serverId, tools, action, reapproval }: { serverId: string; tools: ToolOutput[]; action: FormAction<Decision>; reapproval: boolean }) {
  const [state, formAction] = useActionState<ActionResult<Decision> | null, FormData>(action, null);
  useGoBack(state, serverId);
  const live = tools.filter((t) => t.state !== "removed");
  // Default: what is on now stays on; new or changed tools and tools with high findings start off.
  const defaultOn = (t: ToolOutput) => t.highestSeverity !== "high" && (reapproval ? t.state === "enabled" || t.state === "quarantined" : true);
  return (
    <form action={formAction} className="space-y-4">
      <input type="hidden" name="id" value={serverId} />
      <fieldset className="divide-y divide-zinc-100 rounded-md border border-zinc-200">
        <legend className="sr-only">Tools to enable</legend>
        {live.map((t) => (
          <label key={t.name} className="flex items-start gap-3 px-3 py-2 text-sm" data-testid="review-tool">
            <input type="checkbox" name="tools" value={t.name} defaultChecked={defaultOn(t)} className="mt-1" aria-label={`Enable ${t.name}`} />
            <span className="min-w-0 flex-1">
              <span className="flex flex-wrap items-center gap-2">
                <code className="font-mono font-medium">{t.name}</code>
                {reapproval ? <ToolStateBadge state={t.state} /> : null}
                {t.findings.map((f, i) => (
                  <SeverityBadge key={i} severity={f.severity} title={`${f.rule}: ${f.match}`} />
                ))}
              </span>
              {t.quarantineReason && <span className="block text-xs text-red-700">{t.quarantineReason}</span>}
              <span className="block text-xs text-zinc-600">{t.description}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <label className="block space-y-1">
        <span className="text-sm font-medium">Reason</span>
        <textarea name="reason" required rows={2} maxLength={4000} className={TEXTAREA} placeholder="Reviewed the tools; read-only use by the platform team." />
      </label>
      <FormError state={state} />
      <SubmitButton pendingLabel="Approving…">{reapproval ? "Re-approve with these tools" : "Approve with these tools"}</SubmitButton>
    </form>
  );
}

export function RejectForm({ serverId, action, withdraw }: { serverId: string; action: FormAction<Decision>; withdraw: boolean }) {
  const [state, formAction] = useActionState<ActionResult<Decision> | null, FormData>(action, null);
  useGoBack(state, serverId);
  return (
    <form action={formAction} className="space-y-3">
      <input type="hidden" name="id" value={serverId} />
      <label className="block space-y-1">
        <span className="text-sm font-medium">Reason</span>
        <textarea name="reason" required rows={2} maxLength={4000} className={TEXTAREA} />
      </label>
      <FormError state={state} />
      <SubmitButton variant="danger" pendingLabel="Working…">
        {withdraw ? "Withdraw approval" : "Reject request"}
      </SubmitButton>
    </form>
  );
}
