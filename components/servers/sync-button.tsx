"use client";

import type { FormAction } from "@/lib/auth/action-result";
import { ActionForm, SubmitButton } from "../ui/action-form";

type SyncSummary = { changed: boolean; added: string[]; removed: string[]; modified: string[]; quarantined: string[] };

export function SyncButton({ serverId, action }: { serverId: string; action: FormAction<SyncSummary> }) {
  return (
    <ActionForm
      action={action}
      className="flex flex-col items-end gap-1"
      success={(r) => (
        <p className="text-xs text-zinc-600" role="status" data-testid="sync-result">
          {r.changed
            ? `Changed upstream: ${[...r.added.map((n) => `+${n}`), ...r.removed.map((n) => `−${n}`), ...r.modified.map((n) => `~${n}`)].join(", ")}${r.quarantined.length ? ` · quarantined: ${r.quarantined.join(", ")}` : ""}`
            : "No change upstream."}
        </p>
      )}
    >
      <input type="hidden" name="id" value={serverId} />
      <SubmitButton variant="secondary" pendingLabel="Syncing…">
        Sync now
      </SubmitButton>
    </ActionForm>
  );
}
