"use client";

import { useActionState, useEffect } from "react";
import { Button } from "@/components/ui/button";
import { useHydrated } from "@/components/ui/action-form";
import { FormError } from "@/components/ui/form-message";
import type { ActionResult, FormAction } from "@/lib/auth/action-result";

/** Allow / Deny for an MCP client's sign-in; on success the browser goes back to the portal. */
export function ConsentForm({ action, state: oauthState, returnTo, client, redirect }: { action: FormAction<{ redirectTo: string }>; state: string; returnTo: string; client: string; redirect: string }) {
  const [result, formAction, pending] = useActionState<ActionResult<{ redirectTo: string }> | null, FormData>(action, null);
  const hydrated = useHydrated();
  useEffect(() => {
    if (result?.ok) window.location.assign(result.data.redirectTo);
  }, [result]);
  const busy = pending || !hydrated || result?.ok === true;
  return (
    <form action={formAction} className="mt-6 space-y-3">
      <input type="hidden" name="state" value={oauthState} />
      <input type="hidden" name="returnTo" value={returnTo} />
      <input type="hidden" name="client" value={client} />
      <input type="hidden" name="redirect" value={redirect} />
      <div className="flex gap-2">
        <Button type="submit" name="decision" value="allow" disabled={busy}>
          Allow
        </Button>
        <Button type="submit" name="decision" value="deny" variant="secondary" disabled={busy}>
          Deny
        </Button>
      </div>
      <FormError state={result} />
    </form>
  );
}
