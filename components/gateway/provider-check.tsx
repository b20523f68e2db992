import type { FormAction } from "@/lib/auth/action-result";
import type { ProviderCheck, ProviderOutput } from "@/lib/llm-providers/schemas";
import { formatUtc } from "@core/text/format";
import { ActionForm, SubmitButton } from "../ui/action-form";
import { Badge } from "../ui/badge";

/** What the editor says after a save: the outcome of the test that followed it (the provider is saved either way). */
export function ProviderCheckNote({ check }: { check: ProviderCheck | null }) {
  if (!check) return null;
  return check.ok ? (
    <p role="status" data-testid="provider-check-note" className="text-xs text-emerald-700">
      Tested: {check.message}
    </p>
  ) : (
    <p role="status" data-testid="provider-check-note" className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
      Saved, but the provider failed its test: {check.message}
    </p>
  );
}

/** A provider's row in the list: its last test, and "Test again" for those who may. */
export function ProviderCheckCell({ provider, testAgain }: { provider: ProviderOutput; testAgain?: FormAction<ProviderOutput> }) {
  const { check } = provider;
  return (
    <div className="space-y-1" data-testid="provider-check">
      {check ? (
        <>
          {check.ok ? <Badge tone="green">reachable</Badge> : <Badge tone="amber">failing</Badge>}
          <span className="block text-zinc-600">{check.message}</span>
          <span className="block text-zinc-400">tested {formatUtc(check.checkedAt)}</span>
        </>
      ) : (
        <Badge>not tested</Badge>
      )}
      {testAgain && (
        <ActionForm action={testAgain}>
          <input type="hidden" name="id" value={provider.id} />
          <SubmitButton variant="secondary" pendingLabel="Testing…">
            Test again
          </SubmitButton>
        </ActionForm>
      )}
    </div>
  );
}
