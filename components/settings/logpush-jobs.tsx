"use client";

import type { FormAction } from "@/lib/auth/action-result";
import type { CreatedLogpushJobOutput, LogpushJobOutput } from "@/lib/shadow/schemas";
import { count } from "@core/text/count";
import { formatCount } from "@core/text/format";
import { ActionForm, SubmitButton } from "../ui/action-form";
import { Badge } from "../ui/badge";
import { CopyButton } from "../ui/copy-button";
import { Field, Input, Select } from "../ui/field";
import { DeleteButton } from "../ui/row-actions";
import { Table, Td } from "../ui/table";

const FORMATS = { cloudflare: "Cloudflare Gateway HTTP (dataset gateway_http)", generic: "Generic proxy NDJSON" } as const;

function when(iso: string | null, fallback: string) {
  return iso ? new Date(iso).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }) + " UTC" : fallback;
}

function Secret({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="space-y-1">
      <p className="text-xs font-medium text-emerald-900">{label}</p>
      <div className="flex items-center gap-2">
        <code className="flex-1 break-all rounded bg-white px-2 py-1.5 font-mono text-sm ring-1 ring-emerald-200" data-testid={testId}>
          {value}
        </code>
        <CopyButton value={value} />
      </div>
    </div>
  );
}

/** What a new job needs on Cloudflare's side: the destination_conf (with the secret), and the API call that creates the job. */
function NewJob({ job, maxBytes }: { job: CreatedLogpushJobOutput; maxBytes: number }) {
  const body = JSON.stringify(
    {
      name: job.name.toLowerCase().replace(/[^a-z0-9-]+/g, "-").slice(0, 50) || "portcullis",
      ...(job.format === "cloudflare" ? { dataset: "gateway_http" } : {}),
      destination_conf: job.destinationConf,
      max_upload_bytes: maxBytes,
      enabled: true,
    },
    null,
    2,
  );
  return (
    <div className="space-y-3 rounded-md border border-emerald-300 bg-emerald-50 p-3" data-testid="new-logpush-job">
      <p className="text-sm font-medium text-emerald-900">Logpush job “{job.name}” created. Copy the destination now: its secret will not be shown again.</p>
      <Secret label="destination_conf (paste it as the Logpush job's HTTP endpoint)" value={job.destinationConf} testId="logpush-destination-conf" />
      <Secret label="Secret (already inside the destination_conf)" value={job.secret} testId="logpush-secret" />
      <details className="text-xs text-emerald-950">
        <summary className="cursor-pointer font-medium">Create the Logpush job with the API</summary>
        <pre className="mt-2 overflow-x-auto rounded bg-white p-2 font-mono ring-1 ring-emerald-200">
          {`curl https://api.cloudflare.com/client/v4/accounts/$ACCOUNT_ID/logpush/jobs \\\n  -H "Authorization: Bearer $CLOUDFLARE_API_TOKEN" -H "Content-Type: application/json" \\\n  --data '${body}'`}
        </pre>
      </details>
    </div>
  );
}

/** `maxBytes`: the largest batch the console takes, which the job's max_upload_bytes must not exceed. */
export function CreateLogpushJobForm({ action, maxBytes }: { action: FormAction<CreatedLogpushJobOutput>; maxBytes: number }) {
  return (
    <ActionForm action={action} className="space-y-4" success={(job) => <NewJob job={job} maxBytes={maxBytes} />}>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Name" hint="Which Logpush job pushes here, e.g. “Gateway HTTP, all accounts”.">
          <Input name="name" required maxLength={100} placeholder="Gateway HTTP" />
        </Field>
        <Field label="Log format">
          <Select name="format" defaultValue="cloudflare">
            {Object.entries(FORMATS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </Select>
        </Field>
      </div>
      <SubmitButton pendingLabel="Creating…">Create Logpush job</SubmitButton>
    </ActionForm>
  );
}

export function LogpushJobTable({ jobs, revoke }: { jobs: LogpushJobOutput[]; revoke: FormAction<LogpushJobOutput> }) {
  return (
    <Table head={["Name", "Format", "Secret", "Created", "Last batch", "Batches", "Lines", "Rejected lines", ""]} empty="No Logpush jobs yet.">
      {jobs.map((j) => {
        const samples = j.lastBatch?.rejectedSamples ?? [];
        return (
          <tr key={j.id} data-testid="logpush-job-row">
            <Td className="font-medium">{j.name}</Td>
            <Td className="text-xs">{FORMATS[j.format]}</Td>
            <Td>
              <code className="font-mono text-xs">{j.secretPrefix}…</code>
            </Td>
            <Td className="whitespace-nowrap text-xs text-zinc-600">
              {when(j.createdAt, "")} by {j.createdBy}
            </Td>
            <Td className="whitespace-nowrap text-xs text-zinc-600">
              <span data-testid="logpush-last-batch">
                {when(j.lastBatchAt, "none yet")}
                {j.lastBatch && ` (${count(j.lastBatch.acceptedLines, "line")}, ${count(j.lastBatch.shadowServers, "shadow server")})`}
              </span>
            </Td>
            <Td className="tabular-nums">
              <span data-testid="logpush-batches">{formatCount(j.batches)}</span>
            </Td>
            <Td className="tabular-nums">{formatCount(j.lines)}</Td>
            <Td className="tabular-nums">
              {j.badLines > 0 ? <span title={samples.map((b) => `last batch, line ${b.line}: ${b.error}`).join("\n")}>{formatCount(j.badLines)}</span> : 0}
            </Td>
            <Td className="text-right">
              {j.revokedAt ? (
                <Badge tone="red">revoked</Badge>
              ) : (
                <DeleteButton action={revoke} id={j.id} confirm={`Revoke “${j.name}”? Its Logpush job's batches are refused from now on.`} label="Revoke" pendingLabel="Revoking…" />
              )}
            </Td>
          </tr>
        );
      })}
    </Table>
  );
}
