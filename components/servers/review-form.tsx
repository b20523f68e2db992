"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";
import type { ActionResult, FormAction } from "@/lib/auth/action-result";
import type { ToolOutput } from "@/lib/servers/schemas";
import { KeptFormProvider, SubmitButton, useKeptForm } from "../ui/action-form";
import { FormError } from "../ui/form-message";
import { toolEffect, type ToolEffect } from "@core/tools/tool-effect";
import { Badge, type BadgeTone } from "../ui/badge";
import { SeverityBadge, ToolStateBadge } from "./badges";

type Decision = { id: string; status: "pending_review" | "approved" | "rejected" };
const TEXTAREA = "block w-full rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm focus:border-indigo-500 focus:outline-none";

function useGoBack(state: ActionResult<Decision> | null, serverId: string) {
  const router = useRouter();
  useEffect(() => {
    if (state?.ok) router.push(`/servers/${serverId}`);
  }, [state, router, serverId]);
}

const EFFECT: Record<Exclude<ToolEffect, "read-only">, { tone: BadgeTone; label: string; title: string }> = {
  destructive: { tone: "red", label: "destructive", title: "The server says this tool may delete or overwrite data (destructiveHint)" },
  writes: { tone: "amber", label: "changes data", title: "The server says this tool changes data, without deleting or overwriting (readOnlyHint: false, destructiveHint: false)" },
  undeclared: { tone: "amber", label: "may change data", title: "The server does not mark this tool read-only (no readOnlyHint): by MCP's defaults it may change or delete data" },
};

/** The tool's declared effect, for a reviewer: nothing for read-only tools, a marked badge for the rest. */
export function ToolEffectBadge({ annotations }: { annotations: unknown }) {
  const effect = toolEffect(annotations);
  if (effect === "read-only") return null;
  const e = EFFECT[effect];
  return (
    <span title={e.title} data-testid="tool-effect">
      <Badge tone={e.tone}>{e.label}</Badge>
    </span>
  );
}

export function ApproveForm({ serverId, tools, action, reapproval }: { serverId: string; tools: ToolOutput[]; action: FormAction<Decision>; reapproval: boolean }) {
  // Ticks and reason stay when the decision is refused; on success the page moves on.
  const form = useKeptForm(action, { resetOnSuccess: false });
  const { state } = form;
  useGoBack(state, serverId);
  const live = tools.filter((t) => t.state !== "removed");
  // Default: what is on now stays on; new or changed tools and tools with high findings start off.
  const defaultOn = (t: ToolOutput) => t.highestSeverity !== "high" && (reapproval ? t.state === "enabled" || t.state === "quarantined" : true);
  const changing = live.filter((t) => toolEffect(t.definition.annotations) !== "read-only");
  return (
    <form onSubmit={form.onSubmit} className="space-y-4">
      <KeptFormProvider value={form.context}>
        <input type="hidden" name="id" value={serverId} />
        {changing.length > 0 && (
          <div className="flex flex-wrap items-center gap-3 text-xs text-zinc-700" data-testid="review-effects">
            <span>
              {changing.length} of {live.length} {live.length === 1 ? "tool" : "tools"} may change data (marked); untick what the team does not need.
            </span>
            <button
              type="button"
              className="rounded-md border border-zinc-300 bg-white px-2 py-1 font-medium hover:bg-zinc-50"
              onClick={(e) => {
                for (const box of e.currentTarget.form?.querySelectorAll<HTMLInputElement>("input[data-changes-data]") ?? []) box.checked = false;
              }}
            >
              Untick tools that may change data
            </button>
          </div>
        )}
        <fieldset className="divide-y divide-zinc-100 rounded-md border border-zinc-200">
          <legend className="sr-only">Tools to enable</legend>
          {live.map((t) => (
            <label key={t.name} className="flex items-start gap-3 px-3 py-2 text-sm" data-testid="review-tool">
              <input
                type="checkbox"
                name="tools"
                value={t.name}
                defaultChecked={defaultOn(t)}
                className="mt-1"
                aria-label={`Enable ${t.name}`}
                data-changes-data={toolEffect(t.definition.annotations) === "read-only" ? undefined : ""}
              />
              <span className="min-w-0 flex-1">
                <span className="flex flex-wrap items-center gap-2">
                  <code className="font-mono font-medium">{t.name}</code>
                  {reapproval ? <ToolStateBadge state={t.state} /> : null}
                  <ToolEffectBadge annotations={t.definition.annotations} />
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
      </KeptFormProvider>
    </form>
  );
}

export function RejectForm({ serverId, action, withdraw }: { serverId: string; action: FormAction<Decision>; withdraw: boolean }) {
  const form = useKeptForm(action, { resetOnSuccess: false });
  const { state } = form;
  useGoBack(state, serverId);
  return (
    <form onSubmit={form.onSubmit} className="space-y-3">
      <KeptFormProvider value={form.context}>
        <input type="hidden" name="id" value={serverId} />
        <label className="block space-y-1">
          <span className="text-sm font-medium">Reason</span>
          <textarea name="reason" required rows={2} maxLength={4000} className={TEXTAREA} />
        </label>
        <FormError state={state} />
        <SubmitButton variant="danger" pendingLabel="Working…">
          {withdraw ? "Withdraw approval" : "Reject request"}
        </SubmitButton>
      </KeptFormProvider>
    </form>
  );
}
