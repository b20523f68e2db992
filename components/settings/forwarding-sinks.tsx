"use client";

import type { FormAction } from "@/lib/auth/action-result";
import type { CreatedSinkOutput, RetryDeadLettersOutput, SinkOutput } from "@/lib/forwarding/schemas";
import { formatCount } from "@core/text/format";
import { ActionForm, SubmitButton } from "../ui/action-form";
import { Badge } from "../ui/badge";
import { CopyButton } from "../ui/copy-button";
import { Field, Input, Select } from "../ui/field";
import { DeleteButton } from "../ui/row-actions";
import { Table, Td } from "../ui/table";

export const SINK_KIND_LABELS = { webhook: "Signed webhook", splunk_hec: "Splunk HEC", otlp: "OpenTelemetry (OTLP/HTTP logs)" } as const;

function when(iso: string | null, fallback: string) {
  return iso ? new Date(iso).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }) + " UTC" : fallback;
}

function Check({ name, value, label, defaultChecked }: { name: string; value: string; label: string; defaultChecked?: boolean }) {
  return (
    <label className="flex items-center gap-1.5 text-sm text-zinc-700">
      <input type="checkbox" name={name} value={value} defaultChecked={defaultChecked} />
      {label}
    </label>
  );
}

function NewSink({ sink }: { sink: CreatedSinkOutput }) {
  return (
    <div className="space-y-2 rounded-md border border-emerald-300 bg-emerald-50 p-3" data-testid="new-sink">
      <p className="text-sm font-medium text-emerald-900">Sink “{sink.name}” created.{sink.secret ? " Copy its signing secret now: it will not be shown again." : ""}</p>
      {sink.secret && (
        <div className="flex items-center gap-2">
          <code className="flex-1 break-all rounded bg-white px-2 py-1.5 font-mono text-sm ring-1 ring-emerald-200" data-testid="sink-secret">
            {sink.secret}
          </code>
          <CopyButton value={sink.secret} />
        </div>
      )}
    </div>
  );
}

export function CreateSinkForm({ action }: { action: FormAction<CreatedSinkOutput> }) {
  return (
    <ActionForm action={action} className="space-y-4" success={(sink) => <NewSink sink={sink} />}>
      <div className="grid gap-4 sm:grid-cols-3">
        <Field label="Name">
          <Input name="name" required maxLength={100} placeholder="SIEM" />
        </Field>
        <Field label="Kind">
          <Select name="kind" defaultValue="webhook">
            {Object.entries(SINK_KIND_LABELS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="URL" hint="Webhook: its URL. Splunk: the HEC base URL. OTLP: the collector's base URL (/v1/logs is added).">
          <Input name="url" required type="url" placeholder="https://siem.example.com/portcullis" />
        </Field>
        <Field label="Splunk HEC token" hint="Splunk only; stored encrypted, never shown again.">
          <Input name="token" autoComplete="off" />
        </Field>
        <Field label="OTLP header name" hint="OTLP only, e.g. an API key header.">
          <Input name="headerName" autoComplete="off" placeholder="x-api-key" />
        </Field>
        <Field label="OTLP header value" hint="Stored encrypted, never shown again.">
          <Input name="headerValue" autoComplete="off" />
        </Field>
      </div>
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium text-zinc-800">Events (nothing ticked on a line: all of them)</legend>
        <div className="flex flex-wrap gap-4">
          <Check name="forwardEvents" value="true" label="Forward events" defaultChecked />
          <Check name="kinds" value="mcp" label="MCP" />
          <Check name="kinds" value="llm" label="LLM" />
          <Check name="decisions" value="allowed" label="Allowed" />
          <Check name="decisions" value="denied" label="Denied" />
        </div>
        <Field label="Servers" hint="MCP server (or LLM provider) slugs, comma-separated; empty: all.">
          <Input name="servers" placeholder="github, weather" />
        </Field>
      </fieldset>
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium text-zinc-800">Alerts</legend>
        <div className="flex flex-wrap gap-4">
          <Check name="shadowHigh" value="true" label="New high-severity shadow MCP finding" />
          <Check name="budgets" value="true" label="Budget thresholds (50, 80, 100 %)" />
        </div>
        <div className="grid gap-4 sm:grid-cols-3">
          <Field label="Spike of">
            <Select name="spikeMetric" defaultValue="">
              <option value="">no spike alert</option>
              <option value="denials">denials</option>
              <option value="errors">errors</option>
            </Select>
          </Field>
          <Field label="more than (count)">
            <Input name="spikeThreshold" type="number" min={1} placeholder="100" />
          </Field>
          <Field label="in the last (minutes)">
            <Input name="spikeWindowMinutes" type="number" min={5} max={1440} placeholder="60" />
          </Field>
        </div>
      </fieldset>
      <SubmitButton pendingLabel="Creating…">Create sink</SubmitButton>
    </ActionForm>
  );
}

function filtersText(sink: SinkOutput): string {
  if (!sink.forwardEvents) return "alerts only";
  const { kinds, decisions, servers } = sink.filters;
  const parts = [kinds.join("+") || "all kinds", decisions.join("+") || "all decisions", servers.length ? servers.join(", ") : "all servers"];
  return parts.join(" · ");
}

function alertsText(sink: SinkOutput): string {
  const { spikes, shadowHigh, budgets } = sink.alertRules;
  const parts = [...spikes.map((s) => `> ${s.threshold} ${s.metric} / ${s.windowMinutes} min`), ...(shadowHigh ? ["high shadow findings"] : []), ...(budgets ? ["budgets"] : [])];
  return parts.join(" · ") || "none";
}

export function SinkTable({ sinks, remove, retry, setEnabled }: { sinks: SinkOutput[]; remove: FormAction<SinkOutput>; retry: FormAction<RetryDeadLettersOutput>; setEnabled: FormAction<SinkOutput> }) {
  return (
    <Table head={["Name", "Kind", "Forwards", "Alerts", "Last success", "Last error", "Delivered", "Pending", "Dead letters", ""]} empty="No sinks yet.">
      {sinks.map((s) => (
        <tr key={s.id} data-testid="sink-row">
          <Td className="font-medium">
            {s.name} {!s.enabled && <Badge tone="neutral">disabled</Badge>}
            <div className="max-w-56 truncate font-mono text-xs font-normal text-zinc-500">{s.url}</div>
          </Td>
          <Td className="text-xs">{SINK_KIND_LABELS[s.kind]}</Td>
          <Td className="text-xs">{filtersText(s)}</Td>
          <Td className="text-xs">{alertsText(s)}</Td>
          <Td className="whitespace-nowrap text-xs text-zinc-600">{when(s.status.lastSuccessAt, "never")}</Td>
          <Td className="text-xs text-zinc-600">
            {s.status.lastError ? (
              <span title={s.status.lastError} data-testid="sink-last-error">
                {when(s.status.lastErrorAt, "")}: {s.status.lastError.slice(0, 80)}
              </span>
            ) : (
              "none"
            )}
          </Td>
          <Td className="tabular-nums">{formatCount(s.status.delivered)}</Td>
          <Td className="tabular-nums" >
            <span data-testid="sink-pending">{formatCount(s.status.pending)}</span>
          </Td>
          <Td className="tabular-nums">
            <span data-testid="sink-dead-letters">{s.status.deadLetters > 0 ? <Badge tone="red">{formatCount(s.status.deadLetters)}</Badge> : 0}</span>
          </Td>
          <Td className="space-y-1 text-right">
            {s.status.deadLetters > 0 && (
              <ActionForm action={retry}>
                <input type="hidden" name="id" value={s.id} />
                <SubmitButton variant="secondary" pendingLabel="Queuing…">
                  Retry dead letters
                </SubmitButton>
              </ActionForm>
            )}
            <ActionForm action={setEnabled}>
              <input type="hidden" name="id" value={s.id} />
              <input type="hidden" name="enabled" value={s.enabled ? "false" : "true"} />
              <SubmitButton variant="secondary" pendingLabel="Saving…">
                {s.enabled ? "Disable" : "Enable"}
              </SubmitButton>
            </ActionForm>
            <DeleteButton action={remove} id={s.id} confirm={`Delete “${s.name}”? Deliveries still waiting for it are dropped.`} />
          </Td>
        </tr>
      ))}
    </Table>
  );
}
