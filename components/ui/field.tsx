"use client";

import { isValidElement, type ComponentProps, type ReactNode, type SelectHTMLAttributes } from "react";
import { useFieldError } from "./action-form";

const CONTROL =
  "block w-full rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm shadow-xs focus:border-indigo-500 focus:outline-none focus:ring-1 focus:ring-indigo-500";

/**
 * A labelled control; the hint and error sit outside the label, so the control's accessible name is
 * the label alone. Inside an `ActionForm` (or a `useKeptForm` form) the error of the last submit for
 * the control's `name` shows here, beside it, unless `error` is given.
 */
export function Field({ label, error, hint, name, children }: { label: string; error?: string; hint?: ReactNode; /** The control's name, when the child is not the control itself. */ name?: string; children: ReactNode }) {
  name ??= isValidElement<{ name?: unknown }>(children) && typeof children.props.name === "string" ? children.props.name : undefined;
  const submitted = useFieldError(name);
  error ??= submitted;
  return (
    <div className="space-y-1">
      <label className="block space-y-1">
        <span className="text-sm font-medium text-zinc-800">{label}</span>
        {children}
      </label>
      {hint && !error && <span className="block text-xs text-zinc-500">{hint}</span>}
      {error && (
        <span className="block text-xs text-red-700" data-field-error={name}>
          {error}
        </span>
      )}
    </div>
  );
}

export function Input(props: ComponentProps<"input">) {
  return <input className={CONTROL} {...props} />;
}

export function Select(props: SelectHTMLAttributes<HTMLSelectElement>) {
  return <select className={CONTROL} {...props} />;
}

/** The values a text input offers (`list={id}` on the input); the input still takes any text. */
export function Suggestions({ id, values }: { id: string; values: string[] }) {
  return (
    <datalist id={id}>
      {values.map((v) => (
        <option key={v} value={v} />
      ))}
    </datalist>
  );
}
