import type { ReactNode } from "react";
import { Field, Input, Suggestions } from "../ui/field";

/** The "Who" field of an edge editor: a subject (team:…, user:…, …) typed freely, with the known ones suggested. */
export function SubjectField({ listId, hint, suggestions, defaultValue, placeholder }: { listId: string; hint: ReactNode; suggestions: string[]; defaultValue: string; placeholder?: string }) {
  return (
    <>
      <Field label="Who" hint={hint}>
        <Input name="subject" required list={listId} defaultValue={defaultValue} placeholder={placeholder} />
      </Field>
      <Suggestions id={listId} values={suggestions} />
    </>
  );
}
