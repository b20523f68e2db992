"use client";

import type { FormAction } from "@/lib/auth/action-result";
import type { PublishOutput, PushOutput } from "@/lib/config/schemas";
import { ActionForm, SubmitButton } from "../ui/action-form";
import { count } from "@core/text/count";
import { AckList } from "./ack-list";

function Published({ result }: { result: PublishOutput }) {
  const s = result.summary;
  return (
    <div className="mt-3 space-y-2 rounded-md border border-emerald-200 bg-emerald-50 p-3" role="status" data-testid="publish-result">
      <p className="text-sm font-medium text-emerald-900">
        {result.kind === "rollback" ? `Version ${result.rolledBackFrom} re-published as version ${result.version}` : `Published version ${result.version}`}:{" "}
        <span className="font-normal">
          {[count(s.servers, "server"), count(s.tools, "tool"), count(s.tokens, "token"), count(s.users, "user"), count(s.rules, "rule")].join(", ")}
        </span>
      </p>
      {s.skipped.length > 0 && (
        <p className="text-xs text-amber-800">
          Left out: {s.skipped.map((k) => `${k.slug} (${k.reason})`).join("; ")}
        </p>
      )}
      <AckList acks={result.pushed} />
    </div>
  );
}

export function PublishButton({ action }: { action: FormAction<PublishOutput> }) {
  return (
    <ActionForm action={action} success={(r) => <Published result={r} />}>
      <SubmitButton pendingLabel="Publishing…">Publish</SubmitButton>
    </ActionForm>
  );
}

export function PushAgainButton({ action }: { action: FormAction<PushOutput> }) {
  return (
    <ActionForm
      action={action}
      className="flex flex-col items-end gap-2"
      success={(r) => (
        <div className="text-left" role="status" data-testid="push-result">
          <p className="text-xs text-zinc-600">Version {r.version} pushed again:</p>
          <AckList acks={r.pushed} />
        </div>
      )}
    >
      <SubmitButton variant="secondary" pendingLabel="Pushing…">
        Push again
      </SubmitButton>
    </ActionForm>
  );
}

export function RollbackButton({ action, version }: { action: FormAction<PublishOutput>; version: number }) {
  return (
    <ActionForm action={action} confirm={`Re-publish the content of version ${version} as a new version?`} success={(r) => <Published result={r} />}>
      <input type="hidden" name="version" value={version} />
      <SubmitButton variant="secondary" pendingLabel="Rolling back…">
        Roll back to v{version}
      </SubmitButton>
    </ActionForm>
  );
}
