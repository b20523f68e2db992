"use client";

import Link from "next/link";
import { useActionState, useEffect, useState } from "react";
import type { ActionResult, FormAction } from "@/lib/auth/action-result";
import { AcknowledgeAfter, ActionForm, SubmitButton, useHydrated } from "../ui/action-form";
import { Field, Select } from "../ui/field";
import { FormError } from "../ui/form-message";
import { RolloutFields } from "./rollout-fields";

interface Props {
  id: string;
  kind: "remote" | "stdio";
  state: "new" | "investigating" | "resolved";
  resolution: "approved" | "blocked" | "false_positive" | null;
  assigneeId: string | null;
  people: { id: string; email: string }[];
  triage: FormAction<{ saved: boolean }>;
  approve: FormAction<{ requestUrl: string }>;
  /** The finding's own block-list entry, when blocked: "change what is blocked" starts from its rollout. */
  block: { mode: "log" | "block"; enforceAt: string | null } | null;
  /** The date a new rollout offers (YYYY-MM-DD, from the server). */
  defaultEnforceDate: string;
}

/** Triage: state (with the block scope when blocking), assignee, a note; and Approve, which opens the prefilled request. */
export function TriageForm({ id, kind, state, resolution, assigneeId, people, triage, approve, block, defaultEnforceDate }: Props) {
  const current = state === "resolved" ? `resolved:${resolution}` : state;
  const [next, setNext] = useState("");
  // Controlled: a choice made before hydration would be reset by React, so the select waits for it.
  const hydrated = useHydrated();
  const options = [
    ["investigating", "Investigating"],
    ...(kind === "remote" ? [["resolved:blocked", current === "resolved:blocked" ? "Blocked: change what is blocked" : "Resolve: blocked (add to the block list)"]] : []),
    ["resolved:false_positive", "Resolve: false positive"],
  ].filter(([v]) => v !== current || v === "resolved:blocked");
  return (
    <div className="space-y-4">
      <ActionForm action={triage} className="space-y-3" successNote={<p className="text-sm text-emerald-700">Saved.</p>}>
        <input type="hidden" name="id" value={id} />
        <Field label="Move to">
          <Select name="state" value={next} onChange={(e) => setNext(e.target.value)} disabled={!hydrated}>
            <option value="">Keep: {current.replace("resolved:", "resolved — ").replace("_", " ")}</option>
            {options.map(([v, label]) => (
              <option key={v} value={v}>
                {label}
              </option>
            ))}
          </Select>
        </Field>
        {next === "resolved:blocked" && (
          <Field label="Block" hint="Blocking reaches the edge when an admin publishes.">
            <Select name="blockScope" defaultValue="url">
              <option value="url">This server&apos;s URL (its path and below)</option>
              <option value="origin">The whole origin (every path on this host and port)</option>
            </Select>
          </Field>
        )}
        {next === "resolved:blocked" && (
          <RolloutFields
            legend="Roll out"
            defaultDate={defaultEnforceDate}
            initialMode={block?.mode ?? "block"}
            {...(block?.mode === "log" ? { initialDate: block.enforceAt?.slice(0, 10) ?? null } : {})}
            blockNowLabel="Block now (after the next publish)"
          />
        )}
        {next === "resolved:blocked" && (
          <AcknowledgeAfter code="BLOCKS_APPROVED_SERVER" name="blockApproved">
            Block approved servers too
          </AcknowledgeAfter>
        )}
        <Field label="Assignee">
          <Select name="assigneeId" defaultValue={assigneeId ?? ""} key={assigneeId ?? "none"}>
            <option value="">Nobody</option>
            {people.map((p) => (
              <option key={p.id} value={p.id}>
                {p.email}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Note">
          <textarea name="note" rows={3} maxLength={5000} className="block w-full rounded-md border border-zinc-300 px-2.5 py-1.5 text-sm" placeholder="What you found, who you talked to…" />
        </Field>
        <SubmitButton pendingLabel="Saving…">Save</SubmitButton>
      </ActionForm>
      {kind === "remote" && !(state === "resolved" && resolution === "approved") && <ApproveButton id={id} approve={approve} />}
      {kind === "stdio" && !(state === "resolved" && resolution === "approved") && (
        <div className="border-t border-zinc-100 pt-3">
          <p className="mb-2 text-xs text-zinc-600">
            Adopt it instead: the command that runs this server behind the portal (secrets left as placeholders), and its registration request filled in. The finding stays
            open until the request is saved.
          </p>
          <Link href={`/shadow/${id}/adopt`} className="inline-flex items-center rounded-md border border-zinc-300 bg-white px-3 py-1.5 text-sm font-medium text-zinc-800 hover:bg-zinc-50">
            Adopt
          </Link>
        </div>
      )}
    </div>
  );
}

function ApproveButton({ id, approve }: { id: string; approve: FormAction<{ requestUrl: string }> }) {
  const [result, action] = useActionState<ActionResult<{ requestUrl: string }> | null, FormData>(approve, null);
  useEffect(() => {
    if (result?.ok) window.location.assign(result.data.requestUrl);
  }, [result]);
  return (
    <form action={action} className="border-t border-zinc-100 pt-3">
      <input type="hidden" name="id" value={id} />
      <p className="mb-2 text-xs text-zinc-600">
        Adopt it instead: opens a server registration request filled in from it, for the usual review. The finding stays open until the request is saved; then it is
        resolved as approved and linked to the server.
      </p>
      <SubmitButton variant="secondary" pendingLabel="Opening…">
        Approve and request registration
      </SubmitButton>
      <FormError state={result} />
    </form>
  );
}
