"use client";

import { useRouter } from "next/navigation";
import { useActionState, useEffect, useState } from "react";
import type { ActionResult, FormAction } from "@/lib/auth/action-result";
import { SubmitButton } from "../ui/action-form";
import { Field, Input, Select } from "../ui/field";
import { FormError } from "../ui/form-message";

const TEXTAREA = "block w-full rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm focus:border-indigo-500 focus:outline-none focus:ring-1 focus:ring-indigo-500";

function slugify(name: string) {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40);
}

export function RequestServerForm({ action, teams }: { action: FormAction<{ id: string }>; teams: { id: string; name: string }[] }) {
  const [state, formAction] = useActionState<ActionResult<{ id: string }> | null, FormData>(action, null);
  const [authType, setAuthType] = useState("none");
  const [slug, setSlug] = useState("");
  const [slugTouched, setSlugTouched] = useState(false);
  const router = useRouter();
  useEffect(() => {
    if (state?.ok) router.push(`/servers/${state.data.id}`);
  }, [state, router]);
  const fields = state && !state.ok ? (state.fields ?? {}) : {};
  return (
    <form action={formAction} className="space-y-4">
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Name" error={fields.name}>
          <Input name="name" required maxLength={100} placeholder="GitHub" onChange={(e) => !slugTouched && setSlug(slugify(e.target.value))} />
        </Field>
        <Field label="Slug" error={fields.slug} hint="Tools appear at the portal as {slug}_{tool}: lowercase letters, digits and hyphens.">
          <Input
            name="slug"
            required
            value={slug}
            onChange={(e) => {
              setSlugTouched(true);
              setSlug(e.target.value);
            }}
            pattern="[a-z0-9]+(-[a-z0-9]+)*"
            maxLength={40}
          />
        </Field>
      </div>
      <Field label="URL" error={fields.url} hint="The remote MCP endpoint. Ending in /mcp means Streamable HTTP, /sse the legacy SSE transport; otherwise both are tried.">
        <Input name="url" type="url" required placeholder="https://mcp.example.com/mcp" />
      </Field>
      <Field label="Description (optional)" error={fields.description}>
        <Input name="description" maxLength={2000} />
      </Field>
      <Field label="Why does your team need it?" error={fields.justification}>
        <textarea name="justification" required rows={3} maxLength={4000} className={TEXTAREA} />
      </Field>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Owner team (optional)">
          <Select name="ownerTeamId" defaultValue="">
            <option value="">— none —</option>
            {teams.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Upstream authentication">
          <Select name="authType" value={authType} onChange={(e) => setAuthType(e.target.value)}>
            <option value="none">None</option>
            <option value="bearer">Bearer token</option>
            <option value="headers">Custom headers</option>
            <option value="oauth_client_credentials">OAuth client credentials</option>
          </Select>
        </Field>
      </div>
      {authType === "bearer" && (
        <Field label="Bearer token" hint="Encrypted at rest; never shown again.">
          <Input name="token" type="password" required autoComplete="off" />
        </Field>
      )}
      {authType === "headers" && (
        <Field label="Headers" hint="One per line, as Name: value. Encrypted at rest; never shown again.">
          <textarea name="headers" required rows={3} className={`${TEXTAREA} font-mono`} placeholder="X-Api-Key: …" autoComplete="off" />
        </Field>
      )}
      {authType === "oauth_client_credentials" && (
        <div className="grid gap-4 sm:grid-cols-3">
          <Field label="Client ID">
            <Input name="clientId" required autoComplete="off" />
          </Field>
          <Field label="Client secret" hint="Encrypted at rest.">
            <Input name="clientSecret" type="password" required autoComplete="off" />
          </Field>
          <Field label="Scope (optional)">
            <Input name="scope" />
          </Field>
        </div>
      )}
      <FormError state={state} />
      <SubmitButton pendingLabel="Connecting and discovering…">Request server</SubmitButton>
    </form>
  );
}
