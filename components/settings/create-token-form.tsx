"use client";

import type { FormAction } from "@/lib/auth/action-result";
import type { CreateTokenOutput } from "@/lib/tokens/schemas";
import { ActionForm, SubmitButton } from "../ui/action-form";
import { CopyButton } from "../ui/copy-button";
import { Field, Input, Select } from "../ui/field";

export function CreateTokenForm({ action, allowWrite }: { action: FormAction<CreateTokenOutput>; allowWrite: boolean }) {
  return (
    <ActionForm
      action={action}
      className="space-y-4"
      success={(token) => (
        <div className="rounded-md border border-emerald-300 bg-emerald-50 p-3" data-testid="new-token">
          <p className="text-sm font-medium text-emerald-900">Token “{token.name}” created. Copy it now: it will not be shown again.</p>
          <div className="mt-2 flex items-center gap-2">
            <code className="flex-1 break-all rounded bg-white px-2 py-1.5 font-mono text-sm ring-1 ring-emerald-200" data-testid="new-token-secret">
              {token.secret}
            </code>
            <CopyButton value={token.secret} />
          </div>
        </div>
      )}
    >
      <div className="grid gap-4 sm:grid-cols-3">
        <Field label="Name" hint="What the token is for, e.g. “CI pipeline”.">
          <Input name="name" required maxLength={100} placeholder="My laptop" />
        </Field>
        <Field label="Expires">
          <Select name="expiresInDays" defaultValue="90">
            <option value="7">in 7 days</option>
            <option value="30">in 30 days</option>
            <option value="90">in 90 days</option>
            <option value="365">in a year</option>
            <option value="never">never</option>
          </Select>
        </Field>
        <fieldset className="space-y-1">
          <legend className="text-sm font-medium text-zinc-800">Scopes</legend>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" name="scopes" value="read" defaultChecked /> read
          </label>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" name="scopes" value="write" defaultChecked={allowWrite} /> write
          </label>
        </fieldset>
      </div>
      <SubmitButton pendingLabel="Creating…">Create token</SubmitButton>
    </ActionForm>
  );
}
