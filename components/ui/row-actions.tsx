import Link from "next/link";
import type { FormAction } from "@/lib/auth/action-result";
import { ActionForm, SubmitButton } from "./action-form";

/** The "Edit" link of a table row or card. */
export function EditLink({ href }: { href: string }) {
  return (
    <Link className="text-sm text-indigo-700 hover:underline" href={href}>
      Edit
    </Link>
  );
}

/** A one-button form that deletes (or removes) one thing by id, after the browser asks `confirm`. */
export function DeleteButton<T>({ action, id, confirm, label = "Delete", pendingLabel = "Deleting…" }: { action: FormAction<T>; id: string; confirm: string; label?: string; pendingLabel?: string }) {
  return (
    <ActionForm action={action} confirm={confirm}>
      <input type="hidden" name="id" value={id} />
      <SubmitButton variant="danger" pendingLabel={pendingLabel}>
        {label}
      </SubmitButton>
    </ActionForm>
  );
}

/** What a saved change of edge configuration says: nothing changes at the edge until Publish. */
export function PublishToApplyNote({ what = "enforce it" }: { what?: string }) {
  return (
    <p className="text-xs text-emerald-700" role="status">
      Saved. Publish on the Portal page to {what} at the edge.
    </p>
  );
}
