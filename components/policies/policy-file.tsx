"use client";

import type { FormAction } from "@/lib/auth/action-result";
import type { ImportPoliciesOutput } from "@/lib/policies/schemas";
import { ActionForm, SubmitButton } from "../ui/action-form";
import { Button } from "../ui/button";
import { Field, Select } from "../ui/field";

/** Saves text as a file in the browser (the export is already on the page; no second request). */
export function DownloadButton({ content, filename, type, label }: { content: string; filename: string; type: string; label: string }) {
  return (
    <Button
      type="button"
      variant="secondary"
      className="whitespace-nowrap"
      onClick={() => {
        const url = URL.createObjectURL(new Blob([content], { type }));
        const a = document.createElement("a");
        a.href = url;
        a.download = filename;
        a.click();
        URL.revokeObjectURL(url);
      }}
    >
      {label}
    </Button>
  );
}

function Report({ r }: { r: ImportPoliciesOutput }) {
  const parts = [`${r.created.length} created`, `${r.updated.length} updated`, `${r.deleted.length} deleted`, `${r.unchanged} unchanged`];
  return (
    <div className="mt-2 rounded-md border border-emerald-200 bg-emerald-50 p-3 text-sm" role="status" data-testid="import-result">
      <p className="font-medium">{r.dryRun ? "Dry run — nothing changed. Would be: " : "Imported: "}{parts.join(", ")}.</p>
      {[...r.created.map((n) => `+ ${n}`), ...r.updated.map((n) => `~ ${n}`), ...r.deleted.map((n) => `− ${n}`)].slice(0, 50).map((l) => (
        <p key={l} className="font-mono text-xs">
          {l}
        </p>
      ))}
    </div>
  );
}

export function ImportForm({ action, initial }: { action: FormAction<ImportPoliciesOutput>; initial: string }) {
  return (
    <ActionForm action={action} className="space-y-3" success={(r) => <Report r={r} />}>
      <Field label="Policy file (YAML or JSON)">
        <textarea name="content" rows={14} defaultValue={initial} spellCheck={false} className="block w-full rounded-md border border-zinc-300 px-2.5 py-1.5 font-mono text-xs" />
      </Field>
      <div className="flex flex-wrap items-end gap-3">
        <Field label="Format">
          <Select name="format" defaultValue="yaml">
            <option value="yaml">YAML</option>
            <option value="json">JSON</option>
          </Select>
        </Field>
        <Field label="Mode">
          <Select name="mode" defaultValue="merge">
            <option value="merge">Merge (by name)</option>
            <option value="replace">Replace all</option>
          </Select>
        </Field>
        <label className="flex items-center gap-2 pb-1.5 text-sm">
          <input type="checkbox" name="dryRun" defaultChecked /> Dry run
        </label>
        <SubmitButton variant="secondary" pendingLabel="Importing…">
          Import
        </SubmitButton>
      </div>
    </ActionForm>
  );
}
