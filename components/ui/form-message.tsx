import type { ActionResult } from "@/lib/auth/action-result";

export function FormError({ state }: { state: ActionResult<unknown> | null }) {
  if (!state || state.ok) return null;
  return (
    <p role="alert" className="col-span-full rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
      {state.error.message}
    </p>
  );
}
