import Link from "next/link";
import type { ReactNode } from "react";
import type { FormAction } from "@/lib/auth/action-result";
import { ActionForm, SubmitButton } from "./action-form";
import { Card } from "./card";
import { Td } from "./table";

/** The "Edit" link of a table row or card. */
export function EditLink({ href }: { href: string }) {
  return (
    <Link className="text-sm text-indigo-700 hover:underline" href={href}>
      Edit
    </Link>
  );
}

interface DeleteButtonProps<T> {
  action: FormAction<T>;
  id: string;
  confirm: string;
  label?: string;
  pendingLabel?: string;
}

/** A one-button form that deletes (or removes) one thing by id, after the browser asks `confirm`. */
export function DeleteButton<T>({ action, id, confirm, label = "Delete", pendingLabel = "Deleting…" }: DeleteButtonProps<T>) {
  return (
    <ActionForm action={action} confirm={confirm}>
      <input type="hidden" name="id" value={id} />
      <SubmitButton variant="danger" pendingLabel={pendingLabel}>
        {label}
      </SubmitButton>
    </ActionForm>
  );
}

/** The last two cells of a table row the caller may edit and delete; empty cells for one who may not. */
export function EditDeleteCells<T>({ canManage, editHref, ...remove }: { canManage: boolean; editHref: string } & DeleteButtonProps<T>) {
  return (
    <>
      <Td>{canManage && <EditLink href={editHref} />}</Td>
      <Td>{canManage && <DeleteButton {...remove} />}</Td>
    </>
  );
}

/**
 * The card around a page's editor: "Edit "<name>"" with a link back to `pageHref` for a new one
 * instead (the page without `?edit=`), or `newTitle` for a new one.
 */
export function EditorCard({ editing, newTitle, pageHref, children }: { editing?: { name: string }; newTitle: string; pageHref: string; children: ReactNode }) {
  return (
    <Card
      title={editing ? `Edit "${editing.name}"` : newTitle}
      actions={
        editing ? (
          <Link className="text-sm text-indigo-700 hover:underline" href={pageHref}>
            {newTitle} instead
          </Link>
        ) : undefined
      }
    >
      {children}
    </Card>
  );
}

/** The link to the Portal page, where saved edge configuration is published. */
export function PublishLink({ children = "publish" }: { children?: ReactNode }) {
  return (
    <Link className="text-indigo-700 underline" href="/portal">
      {children}
    </Link>
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

/**
 * The form of an editor for one thing the edge enforces (policy, budget, rate limit, provider):
 * uncontrolled, so it remounts with the saved values whenever the thing changes (`key` from id and
 * `updatedAt`; a new one's form comes back empty after a save), carries the id when editing, ends
 * with "Save <noun>" (or "<createVerb> <noun>" for a new one), and says that nothing changes at the
 * edge until Publish.
 */
export function EdgeEditorForm<T>({
  action,
  item,
  noun,
  createVerb = "Create",
  what,
  success,
  children,
}: {
  action: FormAction<T>;
  item?: { id: string; updatedAt: string };
  noun: string;
  createVerb?: string;
  what?: string;
  /** Said after a save, above the publish note, from what the action answered. */
  success?: (saved: T) => ReactNode;
  children: ReactNode;
}) {
  return (
    <ActionForm
      key={item ? `${item.id}-${item.updatedAt}` : "new"}
      action={action}
      className="space-y-3"
      success={success}
      successNote={<PublishToApplyNote what={what} />}
    >
      {item && <input type="hidden" name="id" value={item.id} />}
      {children}
      <SubmitButton pendingLabel="Saving…">{item ? `Save ${noun}` : `${createVerb} ${noun}`}</SubmitButton>
    </ActionForm>
  );
}
