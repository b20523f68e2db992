"use client";

import { useActionState, useRef } from "react";
import type { ActionResult, FormAction } from "@/lib/auth/action-result";
import { ROLES, type Role } from "@core/auth/roles";
import type { UserOutput } from "@/lib/users/schemas";
import { ActionForm, SubmitButton, useHydrated } from "../ui/action-form";
import { FormError } from "../ui/form-message";

export function RoleSelect({ user, action }: { user: UserOutput; action: FormAction<UserOutput> }) {
  const [state, formAction] = useActionState<ActionResult<UserOutput> | null, FormData>(action, null);
  const form = useRef<HTMLFormElement>(null);
  const hydrated = useHydrated();
  return (
    <form action={formAction} ref={form} className="space-y-1">
      <input type="hidden" name="id" value={user.id} />
      <select
        name="role"
        aria-label={`Role of ${user.email}`}
        defaultValue={user.role}
        key={user.role}
        disabled={!hydrated}
        onChange={() => form.current?.requestSubmit()}
        className="rounded-md border border-zinc-300 bg-white px-2 py-1 text-sm"
      >
        {ROLES.map((r: Role) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <FormError state={state} />
    </form>
  );
}

export function DisableToggle({ user, action }: { user: UserOutput; action: FormAction<UserOutput> }) {
  return (
    <ActionForm action={action} confirm={user.disabled ? undefined : `Disable ${user.email}? Their sessions and API tokens stop working.`}>
      <input type="hidden" name="id" value={user.id} />
      <input type="hidden" name="disabled" value={user.disabled ? "false" : "true"} />
      <SubmitButton variant={user.disabled ? "secondary" : "danger"}>{user.disabled ? "Enable" : "Disable"}</SubmitButton>
    </ActionForm>
  );
}
