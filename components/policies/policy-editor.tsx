"use client";

import type { FormAction } from "@/lib/auth/action-result";
import type { PolicyOutput } from "@/lib/policies/schemas";
import { type DAY_NAMES } from "@core/policy/subject";
import { Field, Input, Select } from "../ui/field";
import { SubjectField } from "./subject-field";
import { ServerSelect } from "../servers/server-select";
import { EdgeEditorForm } from "../ui/row-actions";

export interface PolicyEditorProps {
  action: FormAction<PolicyOutput>;
  /** The policy being edited; absent for a new one. */
  policy?: PolicyOutput;
  servers: string[];
  /** Suggestions for the subject field: team:…, user:…, group:…, domain:… */
  subjects: string[];
}

const DAY_LABELS: Record<(typeof DAY_NAMES)[number], string> = { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" };
const WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

/**
 * Create or edit one policy. Uncontrolled: the defaults come from the saved policy, and the form is
 * reset after a successful save (a new policy's form comes back empty for the next one). A new policy
 * has no effect and no server chosen: name + "everyone" + Create must not be a one-click deny-all,
 * so the person says what the rule does and where.
 */
export function PolicyEditor({ action, policy, servers, subjects }: PolicyEditorProps) {
  const tw = policy?.conditions?.timeWindow;
  return (
    <EdgeEditorForm action={action} item={policy} noun="policy">
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Name">
          <Input name="name" required maxLength={100} defaultValue={policy?.name} placeholder="Contractors may not delete" />
        </Field>
        <Field label="Effect">
          <Select name="effect" defaultValue={policy?.effect ?? ""} required>
            {!policy && (
              <option value="" disabled>
                Choose allow or deny…
              </option>
            )}
            <option value="deny">Deny</option>
            <option value="allow">Allow</option>
          </Select>
        </Field>
      </div>
      <SubjectField listId="policy-subjects" hint="everyone, user:alice@acme.com, team:platform, group:<IdP group>, domain:acme.com or token:<id>" suggestions={subjects} defaultValue={policy?.subject ?? ""} placeholder="domain:contractor.io" />
      <div className="grid gap-3 sm:grid-cols-3">
        <Field label="Server" name="server">
          <ServerSelect servers={servers} every={{ value: "*", label: "* (every server)" }} saved={policy?.server} choose="Choose a server…" />
        </Field>
        <Field label="Tool" hint="Name or glob: delete_*, get_?; * also covers prompts and resources">
          <Input name="tool" defaultValue={policy?.tool ?? "*"} maxLength={200} />
        </Field>
        <Field label="Priority" hint="Higher decides first; equal: deny wins. Server access is 100.">
          <Input name="priority" inputMode="numeric" defaultValue={String(policy?.priority ?? 200)} />
        </Field>
      </div>
      <fieldset className="space-y-2 rounded-md border border-zinc-200 p-3">
        <legend className="px-1 text-xs font-medium text-zinc-600">Conditions (optional; an allow needs them proven, a deny applies when they cannot be checked)</legend>
        <div className="flex flex-wrap items-end gap-3">
          <Field label="From (UTC)">
            <Input name="start" type="time" defaultValue={tw?.start ?? ""} />
          </Field>
          <Field label="Until (UTC)">
            <Input name="end" type="time" defaultValue={tw?.end ?? ""} />
          </Field>
          <div className="flex flex-wrap gap-2 pb-1.5 text-sm" role="group" aria-label="Days">
            {WEEK.map((d) => (
              <label key={d} className="flex items-center gap-1">
                <input type="checkbox" name="days" value={d} defaultChecked={tw?.days ? tw.days.includes(d) : true} /> {DAY_LABELS[d]}
              </label>
            ))}
          </div>
        </div>
        <Field label="Client IP ranges" hint="CIDRs separated by commas or spaces, e.g. 10.0.0.0/8, 2001:db8::/32">
          <Input name="cidrs" defaultValue={policy?.conditions?.clientCidrs?.join(", ") ?? ""} />
        </Field>
      </fieldset>
      <Field label="Description">
        <Input name="description" maxLength={1000} defaultValue={policy?.description ?? ""} />
      </Field>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" name="enabled" defaultChecked={policy?.enabled ?? true} /> Enabled
      </label>
    </EdgeEditorForm>
  );
}
