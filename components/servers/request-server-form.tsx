"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState, useTransition } from "react";
import type { FormAction } from "@/lib/auth/action-result";
import { KeptFormProvider, SubmitButton, useKeptForm } from "../ui/action-form";
import { Field, Input, Select } from "../ui/field";
import { NameSlugFields } from "../ui/name-slug-fields";
import { FormError } from "../ui/form-message";

const TEXTAREA = "block w-full rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm focus:border-indigo-500 focus:outline-none focus:ring-1 focus:ring-indigo-500";

type Draft = Partial<Record<"name" | "slug" | "url" | "description" | "justification" | "ownerTeamId" | "scope", string>>;
const DRAFT_KEY = "portcullis.serverRequestDraft";

export function RequestServerForm({
  action,
  startOAuth,
  teams,
  oauthFlow,
  oauthError,
  prefill,
}: {
  /** Values to start from (a shadow-MCP finding being adopted), with the finding's id. */
  prefill?: Draft & { finding?: string };
  action: FormAction<{ id: string }>;
  startOAuth: FormAction<{ flowId: string; authorizationUrl: string }>;
  teams: { id: string; name: string }[];
  /** Set when the browser comes back from the upstream's authorization server. */
  oauthFlow?: string;
  oauthError?: string;
}) {
  // On success the page moves to the new server; on an error everything typed stays.
  const form = useKeptForm(action, { resetOnSuccess: false });
  const { state } = form;
  const [authType, setAuthType] = useState(oauthFlow || oauthError ? "oauth_authorization_code" : "none");
  const [draft, setDraft] = useState<Draft>(prefill ?? {});
  const [oauthMessage, setOauthMessage] = useState<string | undefined>(oauthError);
  const [authorizing, startAuthorizing] = useTransition();
  const router = useRouter();
  useEffect(() => {
    if (state?.ok) router.push(`/servers/${state.data.id}`);
  }, [state, router]);
  useEffect(() => {
    // Back from the authorization server: put back what the person had typed before leaving.
    if (!oauthFlow && !oauthError) return;
    const saved = sessionStorage.getItem(DRAFT_KEY);
    if (!saved) return;
    const restored = JSON.parse(saved) as Draft;
    // eslint-disable-next-line react-hooks/set-state-in-effect -- sessionStorage exists only after hydration
    setDraft(restored);
  }, [oauthFlow, oauthError]);

  function authorize(form: HTMLFormElement) {
    const data = new FormData(form);
    const saved: Draft = {};
    for (const k of ["name", "slug", "url", "description", "justification", "ownerTeamId", "scope"] as const) saved[k] = String(data.get(k) ?? "");
    if (!saved.url) {
      setOauthMessage("Enter the server URL first.");
      return;
    }
    startAuthorizing(async () => {
      const result = await startOAuth(null, data);
      if (!result.ok) {
        setOauthMessage(result.error.message);
        return;
      }
      sessionStorage.setItem(DRAFT_KEY, JSON.stringify(saved));
      window.location.assign(result.data.authorizationUrl);
    });
  }

  return (
    <form onSubmit={form.onSubmit} className="space-y-4" key={JSON.stringify(draft)}>
      <KeptFormProvider value={form.context}>
        {prefill?.finding && <input type="hidden" name="finding" value={prefill.finding} />}
        <div className="grid gap-4 sm:grid-cols-2">
          <NameSlugFields
            defaultName={draft.name}
            defaultSlug={draft.slug}
            namePlaceholder="GitHub"
            slugHint="Tools appear at the portal as {slug}_{tool}: lowercase letters, digits and hyphens."
          />
        </div>
        <Field label="URL" hint="The remote MCP endpoint. Ending in /mcp means Streamable HTTP, /sse the legacy SSE transport; otherwise both are tried.">
          <Input name="url" type="url" required placeholder="https://mcp.example.com/mcp" defaultValue={draft.url} />
        </Field>
        <Field label="Description (optional)">
          <Input name="description" maxLength={2000} defaultValue={draft.description} />
        </Field>
        <Field label="Why does your team need it?">
          <textarea name="justification" required rows={3} maxLength={4000} className={TEXTAREA} defaultValue={draft.justification} />
        </Field>
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Owner team (optional)">
            <Select name="ownerTeamId" defaultValue={draft.ownerTeamId ?? ""}>
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
              <option value="oauth_authorization_code">OAuth (sign in at the provider)</option>
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
        {authType === "oauth_authorization_code" && (
          <div className="space-y-2 rounded-md border border-zinc-200 p-3" data-testid="oauth-step">
            <p className="text-xs text-zinc-600">
              Portcullis registers itself with the server&apos;s authorization server and sends you there to sign in and consent. The tokens it receives are
              encrypted and used only by Portcullis.
            </p>
            <div className="flex items-end gap-2">
              <Field label="Scope (optional)">
                <Input name="scope" defaultValue={draft.scope} />
              </Field>
              {oauthFlow ? (
                <p className="text-sm font-medium text-emerald-700" role="status">
                  ✓ Authorized
                </p>
              ) : (
                <button
                  type="button"
                  disabled={authorizing}
                  onClick={(e) => authorize(e.currentTarget.form!)}
                  className="rounded-md border border-zinc-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-zinc-50 disabled:text-zinc-400"
                >
                  {authorizing ? "Contacting the server…" : "Authorize"}
                </button>
              )}
            </div>
            {oauthFlow && <input type="hidden" name="oauthFlowId" value={oauthFlow} />}
            {oauthMessage && (
              <p role="alert" className="text-sm text-red-700">
                {oauthMessage}
              </p>
            )}
          </div>
        )}
        <FormError state={state} />
        <SubmitButton pendingLabel="Connecting and discovering…">Request server</SubmitButton>
      </KeptFormProvider>
    </form>
  );
}
