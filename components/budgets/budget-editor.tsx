"use client";

import type { FormAction } from "@/lib/auth/action-result";
import type { BudgetOutput } from "@/lib/budgets/schemas";
import { SubjectField } from "../policies/subject-field";
import { Field, Input, Select } from "../ui/field";
import { EdgeEditorForm } from "../ui/row-actions";

export interface BudgetEditorProps {
  action: FormAction<BudgetOutput>;
  /** The budget being edited; absent for a new one. */
  budget?: BudgetOutput;
  /** Suggestions for the subject field: team:…, user:… */
  subjects: string[];
}

/** Create or edit one budget. Uncontrolled: defaults come from the saved budget; a new one's form comes back empty. */
export function BudgetEditor({ action, budget, subjects }: BudgetEditorProps) {
  return (
    <EdgeEditorForm action={action} item={budget} noun="budget">
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Name">
          <Input name="name" required maxLength={100} defaultValue={budget?.name} placeholder="Platform team monthly" />
        </Field>
        <SubjectField listId="budget-subjects" hint="team:<slug> (all members, any key), user:<e-mail> (any of their keys) or token:<id>" suggestions={subjects} defaultValue={budget?.subject ?? ""} placeholder="team:platform" />
      </div>
      <div className="grid gap-3 sm:grid-cols-3">
        <Field label="Metric">
          <Select name="metric" defaultValue={budget?.metric ?? "usd"}>
            <option value="usd">US dollars</option>
            <option value="tokens">Tokens</option>
          </Select>
        </Field>
        <Field label="Limit" hint="Dollars (up to 6 decimals) or whole tokens">
          <Input name="limit" required inputMode="decimal" defaultValue={budget ? String(budget.limit) : ""} placeholder="500" />
        </Field>
        <Field label="Period" hint="UTC calendar periods">
          <Select name="period" defaultValue={budget?.period ?? "month"}>
            <option value="day">Day</option>
            <option value="week">Week (ISO, Monday–Sunday)</option>
            <option value="month">Month</option>
          </Select>
        </Field>
      </div>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="When exceeded">
          <Select name="onExceed" defaultValue={budget?.onExceed ?? "block"}>
            <option value="block">Block calls</option>
            <option value="flag">Let through, flag as over budget</option>
          </Select>
        </Field>
        <Field label="Alert webhook (optional)" hint="Gets a JSON POST at 50, 80 and 100 %; https:// (http:// only for localhost)">
          <Input name="alertWebhookUrl" type="url" defaultValue={budget?.alertWebhookUrl ?? ""} placeholder="https://hooks.example.com/budget" />
        </Field>
      </div>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" name="enabled" defaultChecked={budget?.enabled ?? true} /> Enabled
      </label>
    </EdgeEditorForm>
  );
}
