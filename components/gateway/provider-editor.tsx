"use client";

import type { FormAction } from "@/lib/auth/action-result";
import { DEFAULT_BASE_URLS, type ProviderOutput } from "@/lib/llm-providers/schemas";
import { Field, Input, Select } from "../ui/field";
import { EdgeEditorForm } from "../ui/row-actions";
import { ProviderCheckNote } from "./provider-check";

export interface ProviderEditorProps {
  action: FormAction<ProviderOutput>;
  /** The provider being edited; absent for a new one. */
  provider?: ProviderOutput;
}

/**
 * Add or edit one LLM provider. The API key is write-only: the field is always empty, and on an
 * edit leaving it empty keeps the stored key. Every save tests the provider; the outcome is said
 * below the form (and kept in the list).
 */
export function ProviderEditor({ action, provider }: ProviderEditorProps) {
  return (
    <EdgeEditorForm
      action={action}
      item={provider}
      noun="provider"
      createVerb="Add"
      what="make it available"
      success={(saved) => <ProviderCheckNote check={saved.check} />}
    >
      <div className="grid gap-3 sm:grid-cols-3">
        <Field label="Slug" hint="The gateway path: /llm/<slug>/v1/…">
          <Input name="slug" required maxLength={40} defaultValue={provider?.slug} placeholder="openai" />
        </Field>
        <Field label="Name">
          <Input name="name" required maxLength={100} defaultValue={provider?.name} placeholder="OpenAI" />
        </Field>
        <Field label="Kind" hint="Wire format; openai also covers vLLM, Ollama, LiteLLM">
          <Select name="kind" defaultValue={provider?.kind ?? "openai"}>
            <option value="openai">OpenAI-compatible</option>
            <option value="anthropic">Anthropic</option>
          </Select>
        </Field>
      </div>
      <Field label="Base URL" hint={`Up to and including the version path; empty: ${DEFAULT_BASE_URLS.openai} or ${DEFAULT_BASE_URLS.anthropic}`}>
        <Input name="baseUrl" type="url" defaultValue={provider?.baseUrl ?? ""} placeholder={DEFAULT_BASE_URLS.openai} />
      </Field>
      <Field label="API key" hint={provider?.hasApiKey ? "A key is stored. Leave empty to keep it." : "Stored encrypted; never shown again."}>
        <Input name="apiKey" type="password" autoComplete="off" spellCheck={false} placeholder={provider?.hasApiKey ? "•••••••• (stored)" : "sk-…"} />
      </Field>
      {provider?.hasApiKey && (
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" name="removeApiKey" /> Remove the stored key
        </label>
      )}
      <div className="grid gap-3 sm:grid-cols-3">
        <Field label="Response cache (seconds)" hint="Exact-match cache; 0: off (at most 604800, a week)">
          <Input name="cacheTtlSeconds" inputMode="numeric" defaultValue={String(provider?.cacheTtlSeconds ?? 0)} />
        </Field>
        <label className="flex items-center gap-2 pt-6 text-sm">
          <input type="checkbox" name="logBodies" defaultChecked={provider?.logBodies ?? false} /> Log redacted bodies
        </label>
        <label className="flex items-center gap-2 pt-6 text-sm">
          <input type="checkbox" name="enabled" defaultChecked={provider?.enabled ?? true} /> Enabled
        </label>
      </div>
    </EdgeEditorForm>
  );
}
