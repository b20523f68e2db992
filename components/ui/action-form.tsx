"use client";

import { useActionState, useSyncExternalStore, type ReactNode } from "react";
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

export function SubmitButton({ children, variant = "primary", pendingLabel }: { children: ReactNode; variant?: "primary" | "secondary" | "danger"; pendingLabel?: string }) {
  const { pending } = useFormStatus();
  // A click before hydration would be lost with what the person typed; the button waits for React.
  const hydrated = useHydrated();
  return (
    <Button type="submit" variant={variant} disabled={pending || !hydrated}>
      {pending ? (pendingLabel ?? "Working…") : children}
    </Button>
  );
}

/** A form bound to a server action, showing the action's error (or a success note) beside it. */
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
  const [state, formAction] = useActionState<ActionResult<T> | null, FormData>(action, null);
  return (
    <form
      action={formAction}
      className={className}
      onSubmit={(e) => {
        if (confirm && !window.confirm(confirm)) e.preventDefault();
      }}
    >
      {children}
      <FormError state={state} />
      {state?.ok && success ? success(state.data) : null}
      {state?.ok && successNote ? successNote : null}
    </form>
  );
}
