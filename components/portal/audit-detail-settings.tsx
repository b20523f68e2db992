"use client";

import type { FormAction } from "@/lib/auth/action-result";
import type { AuditDetailOutput } from "@/lib/audit/detail-settings";
import { ActionForm, SubmitButton } from "../ui/action-form";
import { RadioChoices } from "../ui/radio-choices";

const MODES = [
  ["masked", "Arguments and results, masked", "Each tool call's arguments and an excerpt of its result, with credentials and e-mail addresses masked (the default)."],
  ["secrets", "Arguments and results, credentials masked", "As above, but e-mail addresses are kept: when audits look for whom a tool wrote to."],
  ["off", "Not recorded", "Events keep who called which tool, when and how it went — nothing of what was sent or returned."],
] as const;

/** What audit events keep of tool calls; security and admins change it, everyone sees it. */
export function AuditDetailForm({ settings, action, canEdit }: { settings: AuditDetailOutput; action: FormAction<AuditDetailOutput>; canEdit: boolean }) {
  const current = MODES.find(([m]) => m === settings.detail)!;
  if (!canEdit) {
    return (
      <p className="text-sm" data-testid="audit-detail-setting">
        <span className="font-medium">{current[1]}</span> — {current[2]}
      </p>
    );
  }
  return (
    <ActionForm
      action={action}
      className="space-y-3 text-sm"
      success={(r) => (
        <p className="text-xs text-emerald-800" role="status" data-testid="audit-detail-saved">
          Saved: {MODES.find(([m]) => m === r.detail)![1]}. It reaches the portal with the next publish.
        </p>
      )}
    >
      <RadioChoices name="detail" legend="Tool call content in audit events" choices={MODES} value={settings.detail} testId="audit-detail-setting" />
      <SubmitButton variant="secondary" pendingLabel="Saving…">
        Save audit setting
      </SubmitButton>
    </ActionForm>
  );
}
