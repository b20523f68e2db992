import type { Metadata } from "next";
import { connection } from "next/server";
import { CreateLogpushJobForm, LogpushJobTable } from "@/components/settings/logpush-jobs";
import { Card } from "@/components/ui/card";
import { consoleOrigin } from "@/lib/auth/console-origin";
import { requirePage } from "@/lib/auth/page";
import { listLogpushJobs, LOGPUSH_MAX_BYTES, LOGPUSH_PATH, LOGPUSH_SECRET_HEADER } from "@/lib/shadow/logpush";
import { createLogpushJobAction, revokeLogpushJobAction } from "../actions";

export const metadata: Metadata = { title: "Logpush" };

export default async function LogpushPage() {
  await connection();
  const ctx = await requirePage("shadow.triage");
  const [jobs, origin] = await Promise.all([listLogpushJobs(ctx), consoleOrigin()]);
  const endpoint = new URL(LOGPUSH_PATH, origin).toString();
  const maxBytes = LOGPUSH_MAX_BYTES.toLocaleString("en-US");
  return (
    <div className="space-y-6">
      <Card
        title="Create a Logpush job"
        description={
          <>
            Cloudflare Logpush can push Gateway HTTP logs to this console as they are written, so shadow MCP findings update without anyone uploading
            files. Each job gets its own secret, which Logpush sends as the <code>{LOGPUSH_SECRET_HEADER}</code> header.
          </>
        }
      >
        {!origin.startsWith("https://") && (
          <p role="note" className="mb-4 rounded-md border border-amber-300 bg-amber-50 p-2 text-xs text-amber-900">
            Logpush pushes only to a public <code>https://</code> endpoint, and this console is reached at <code>{origin}</code>. Set <code>AUTH_URL</code>{" "}
            to the console&apos;s public HTTPS address so the destination below names it.
          </p>
        )}
        <CreateLogpushJobForm action={createLogpushJobAction} maxBytes={LOGPUSH_MAX_BYTES} />
      </Card>

      <Card title="Connect it on Cloudflare">
        <ol className="list-decimal space-y-1.5 pl-5 text-sm text-zinc-700">
          <li>Create a job above and copy its destination_conf (the secret is shown once).</li>
          <li>
            In the Cloudflare dashboard, on the account&apos;s <strong>Logpush</strong> page (not a domain&apos;s): <strong>Create a Logpush job</strong>, choose{" "}
            <strong>HTTP destination</strong>, paste the destination_conf as the endpoint, and pick the dataset <code>gateway_http</code> (Gateway HTTP
            requests) for the Cloudflare format. Send all fields, or at least <code>Datetime</code>, <code>Email</code>, <code>DeviceName</code>,{" "}
            <code>HTTPMethod</code>, <code>HTTPHost</code>, <code>URL</code>, <code>HTTPStatusCode</code>, <code>UserAgent</code> and the{" "}
            <code>…MatchedDlpProfile…</code> fields.
          </li>
          <li>
            Or with the API: <code>POST https://api.cloudflare.com/client/v4/accounts/&lt;account_id&gt;/logpush/jobs</code> with{" "}
            <code>{`{"dataset": "gateway_http", "destination_conf": "…", "max_upload_bytes": ${LOGPUSH_MAX_BYTES}, "enabled": true}`}</code> (the
            exact command appears when you create a job).
          </li>
          <li>
            Cloudflare checks the destination when the job is created (it posts a small test file, answered and not stored); then batches arrive every
            few minutes and appear below. Keep <code>max_upload_bytes</code> at {maxBytes} or less: larger batches are refused.
          </li>
        </ol>
        <p className="mt-3 text-xs text-zinc-500">
          Endpoint: <code>{endpoint}</code>. A batch Logpush sends again (a retry) is recognized and counted once.
        </p>
      </Card>

      <Card title="Logpush jobs">
        <LogpushJobTable jobs={jobs} revoke={revokeLogpushJobAction} />
      </Card>
    </div>
  );
}
