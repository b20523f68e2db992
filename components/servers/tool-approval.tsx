"use client";

import type { FormAction } from "@/lib/auth/action-result";
import type { ToolApprovalOutput } from "@/lib/servers/set-tool-approval";
import { ActionForm, SubmitButton } from "../ui/action-form";

const LABELS = { default: "portal's rule", ask: "ask the user", never: "never ask" } as const;

/** A tool's Code Mode approval flag: reviewers set it, everyone else reads it. */
export function ToolApprovalControl({ serverId, tool, approval, action }: { serverId: string; tool: string; approval: "ask" | "never" | null; action?: FormAction<ToolApprovalOutput> }) {
  const current = approval ?? "default";
  if (!action) return <span className="text-xs text-zinc-600">{LABELS[current]}</span>;
  return (
    <ActionForm action={action} className="flex items-center gap-1" success={(r) => <span className="text-[11px] text-emerald-800" role="status">saved: {LABELS[r.approval]} (next publish)</span>}>
      <input type="hidden" name="id" value={serverId} />
      <input type="hidden" name="tool" value={tool} />
      <select name="approval" defaultValue={current} aria-label={`Code Mode approval for ${tool}`} className="rounded border border-zinc-300 px-1 py-0.5 text-xs">
        {(Object.keys(LABELS) as (keyof typeof LABELS)[]).map((k) => (
          <option key={k} value={k}>
            {LABELS[k]}
          </option>
        ))}
      </select>
      <SubmitButton variant="secondary" pendingLabel="…">
        Set
      </SubmitButton>
    </ActionForm>
  );
}
