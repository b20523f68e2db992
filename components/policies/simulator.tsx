"use client";

import { useState } from "react";
import type { FormAction } from "@/lib/auth/action-result";
import type { SimulateOutput } from "@/lib/policies/schemas";
import { ActionForm, SubmitButton } from "../ui/action-form";
import { Badge } from "../ui/badge";
import { Field, Input, Select, Suggestions } from "../ui/field";

function Answer({ r }: { r: SimulateOutput }) {
  const allowed = r.decision === "allow";
  return (
    <div className={`mt-3 space-y-1 rounded-md border p-3 ${allowed ? "border-emerald-200 bg-emerald-50" : "border-red-200 bg-red-50"}`} role="status" data-testid="simulation-result">
      <p className="flex items-center gap-2 text-sm font-medium">
        <Badge tone={allowed ? "green" : "red"}>{allowed ? "Allow" : "Deny"}</Badge>
        <span>{r.reason}</span>
      </p>
      {r.rule && <p className="font-mono text-xs text-zinc-600">rule {r.rule.description}</p>}
      <p className="text-xs text-zinc-500">
        {r.against === "draft" ? "Against the draft (what Publish would enforce)" : `Against deployed version ${r.bundleVersion}`}, at {r.at.slice(0, 16).replace("T", " ")} UTC · decided by the {r.stage} check
      </p>
    </div>
  );
}

/** Controlled fields: asking again after changing one field must not clear the others (React resets uncontrolled forms after an action). */
export function Simulator({ action, users, tools }: { action: FormAction<SimulateOutput>; users: string[]; tools: string[] }) {
  const [values, setValues] = useState({ user: "", tool: "", clientIp: "", at: "", against: "draft" });
  const bind = (name: keyof typeof values) => ({ name, value: values[name], onChange: (e: { target: { value: string } }) => setValues((v) => ({ ...v, [name]: e.target.value })) });
  return (
    <ActionForm action={action} className="space-y-3" success={(r) => <Answer r={r} />}>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="User">
          <Input {...bind("user")} required list="sim-users" placeholder="alice@acme.com" />
        </Field>
        <Field label="Tool" hint="As the portal names it: <server>_<tool>">
          <Input {...bind("tool")} required list="sim-tools" placeholder="github_create_issue" />
        </Field>
        <Field label="From IP (optional)">
          <Input {...bind("clientIp")} placeholder="10.1.2.3" />
        </Field>
        <Field label="At (UTC, optional: now)">
          <Input {...bind("at")} type="datetime-local" />
        </Field>
      </div>
      <Suggestions id="sim-users" values={users} />
      <Suggestions id="sim-tools" values={tools} />
      <div className="flex items-end gap-3">
        <Field label="Against">
          <Select {...bind("against")}>
            <option value="draft">Draft (next publish)</option>
            <option value="deployed">Deployed bundle</option>
          </Select>
        </Field>
        <SubmitButton variant="secondary" pendingLabel="Checking…">
          Check
        </SubmitButton>
      </div>
    </ActionForm>
  );
}
