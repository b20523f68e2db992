"use client";

import { createContext, useActionState, useContext, useEffect, useRef, useSyncExternalStore, useTransition, type FormEvent, type ReactNode } from "react";
import { useFormStatus } from "react-dom";
import type { ActionResult, FormAction } from "@/lib/auth/action-result";
import { Button } from "./button";
import { FormError } from "./form-message";

const noSubscription = () => () => undefined;

/** False in the server render and during hydration, true once React owns the page. */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
}

/** What a form bound with `useKeptForm` tells the controls inside it: busy, and each field's error. */
interface FormState {
  pending: boolean;
  fields: Record<string, string>;
  /** The code of the last submit's error (for a control that appears only after a given refusal). */
  errorCode?: string;
}
const FormStateContext = createContext<FormState>({ pending: false, fields: {} });

/**
 * A checkbox that appears once the action refused with `code` (a warning the person must accept,
 * such as blocking an approved server's URL), so that submitting again with it ticked goes through.
 */
export function AcknowledgeAfter({ code, name, children }: { code: string; name: string; children: ReactNode }) {
  if (useContext(FormStateContext).errorCode !== code) return null;
  return (
    <label className="col-span-full flex items-center gap-2 text-sm font-medium text-red-800">
      <input type="checkbox" name={name} /> {children}
    </label>
  );
}

/** The error of the field named `name` in the enclosing form's last failed submit, if any. */
export function useFieldError(name: string | undefined): string | undefined {
  const { fields } = useContext(FormStateContext);
  return name ? fields[name] : undefined;
}

/**
 * A server action bound to a form that keeps what the person typed when the action fails.
 * React resets an uncontrolled form after every `<form action>` submit, even a refused one, which
 * left the error describing values no longer on screen; here the submit goes through `onSubmit`
 * (no automatic reset) and the form is reset only after a success (as React would have done).
 * Wrap the form's children in `<KeptFormProvider value={context}>` so `SubmitButton` shows progress
 * and `Field` shows its own error.
 */
export function useKeptForm<T>(action: FormAction<T>, options: { confirm?: string; resetOnSuccess?: boolean } = {}) {
  const [state, dispatch, pending] = useActionState<ActionResult<T> | null, FormData>(action, null);
  const [, startTransition] = useTransition();
  const submitted = useRef<HTMLFormElement>(null);
  const resetOnSuccess = options.resetOnSuccess ?? true;
  useEffect(() => {
    if (state?.ok && resetOnSuccess) submitted.current?.reset();
  }, [state, resetOnSuccess]);
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (options.confirm && !window.confirm(options.confirm)) return;
    submitted.current = event.currentTarget;
    const data = new FormData(event.currentTarget, (event.nativeEvent as SubmitEvent).submitter);
    startTransition(() => dispatch(data));
  }
  const context: FormState = state && !state.ok ? { pending, fields: state.fields ?? {}, errorCode: state.error.code } : { pending, fields: {} };
  return { state, onSubmit, context };
}

export const KeptFormProvider = FormStateContext.Provider;

export function SubmitButton({ children, variant = "primary", pendingLabel }: { children: ReactNode; variant?: "primary" | "secondary" | "danger"; pendingLabel?: string }) {
  const status = useFormStatus();
  const pending = useContext(FormStateContext).pending || status.pending;
  // A click before hydration would be lost with what the person typed; the button waits for React.
  const hydrated = useHydrated();
  return (
    <Button type="submit" variant={variant} disabled={pending || !hydrated}>
      {pending ? (pendingLabel ?? "Working…") : children}
    </Button>
  );
}

/**
 * A form bound to a server action, showing the action's error (or a success note) beside it. What
 * was typed stays after an error; each field's own error shows beside it (`Field` reads it).
 */
export function ActionForm<T>({
  action,
  children,
  className = "",
  success,
  successNote,
  confirm,
}: {
  action: FormAction<T>;
  children: ReactNode;
  className?: string;
  success?: (data: T) => ReactNode;
  /** Shown after a successful submit; usable from server components, which cannot pass functions. */
  successNote?: ReactNode;
  /** Ask before submitting, for destructive actions. */
  confirm?: string;
}) {
  const form = useKeptForm(action, { confirm });
  const { state } = form;
  return (
    <form onSubmit={form.onSubmit} className={className}>
      <KeptFormProvider value={form.context}>
        {children}
        <FormError state={state} />
        {state?.ok && success ? success(state.data) : null}
        {state?.ok && successNote ? successNote : null}
      </KeptFormProvider>
    </form>
  );
}
