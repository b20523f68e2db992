"use client";

import type { FormAction } from "@/lib/auth/action-result";
import type { CodemodeSettingsOutput } from "@/lib/codemode/settings";
import { ActionForm, SubmitButton } from "../ui/action-form";
import { Select } from "../ui/field";
import { RadioChoices } from "../ui/radio-choices";

const MODES = [
  ["off", "Off", "Clients get every tool's JSON schema; ?codemode= is ignored."],
  ["opt-in", "Opt-in", "Clients that add ?codemode=search_and_execute or ?codemode=code to the URL get Code Mode."],
  ["default", "On by default", "Every client gets Code Mode; ?codemode=off opts out."],
  ["enforced", "Enforced", "Every client gets Code Mode; ?codemode= only picks the shape."],
] as const;

/** The portal's Code Mode setting, with what each choice means; admins change it, everyone sees it. */
export function CodemodeSettingsForm({ settings, action, canEdit }: { settings: CodemodeSettingsOutput; action: FormAction<CodemodeSettingsOutput>; canEdit: boolean }) {
  const current = MODES.find(([m]) => m === settings.mode)!;
  if (!canEdit) {
    return (
      <p className="text-sm" data-testid="codemode-setting">
        <span className="font-medium">{current[1]}</span> — {current[2]}
        {settings.mode !== "off" && settings.mode !== "opt-in" && <> Shape when not chosen: {settings.shape === "code" ? "one code tool" : "search + execute"}.</>}
        {settings.mode !== "off" && <> Approval asked for {settings.approval === "writes" ? "every tool not marked read-only" : "flagged tools"}.</>}
      </p>
    );
  }
  return (
    <ActionForm
      action={action}
      className="space-y-3 text-sm"
      success={(r) => (
        <p className="text-xs text-emerald-800" role="status" data-testid="codemode-saved">
          Saved: {MODES.find(([m]) => m === r.mode)![1]}. It reaches the portal with the next publish.
        </p>
      )}
    >
      <RadioChoices name="mode" legend="Code Mode" choices={MODES} value={settings.mode} testId="codemode-setting" />
      <label className="block space-y-1">
        <span className="block text-xs text-zinc-500">Shape when the client does not choose (on by default, enforced)</span>
        <Select name="shape" defaultValue={settings.shape}>
          <option value="search_and_execute">search + execute — constant size, for any catalog</option>
          <option value="code">one code tool — the whole typed API in its description, for small catalogs</option>
        </Select>
      </label>
      <label className="block space-y-1">
        <span className="block text-xs text-zinc-500">Ask the user before a call from code (tools without their own flag on the server page)</span>
        <Select name="approval" defaultValue={settings.approval}>
          <option value="flagged">only tools flagged "ask the user"</option>
          <option value="writes">every tool not marked read-only, and every destructive one</option>
        </Select>
      </label>
      <SubmitButton variant="secondary" pendingLabel="Saving…">
        Save Code Mode setting
      </SubmitButton>
    </ActionForm>
  );
}
