"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import type { TrafficIngestOutput } from "@/lib/shadow/schemas";
import { useHydrated } from "../ui/action-form";
import { Button } from "../ui/button";
import { Field, Select } from "../ui/field";
import { count } from "@core/text/count";
import { formatCount } from "@core/text/format";

type Phase = { kind: "idle" } | { kind: "sending"; sent: number; total: number } | { kind: "processing" } | { kind: "done"; result: TrafficIngestOutput } | { kind: "error"; message: string };

/** How often the page shows the findings a big upload has committed so far. */
const REFRESH_MS = 5_000;

const mb = (n: number) => `${(n / 1_048_576).toLocaleString("en-US", { maximumFractionDigits: 1 })} MB`;

/**
 * Uploads a traffic log with a progress bar (XMLHttpRequest: fetch has no upload progress). The
 * console reads the file as it arrives, so the bar is also the detector's progress; it merges the
 * findings every 50,000 lines, so while a big file uploads the page refreshes to show them.
 */
export function TrafficUpload() {
  const router = useRouter();
  const hydrated = useHydrated();
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState("");
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const busy = phase.kind === "sending" || phase.kind === "processing";
  useEffect(() => {
    if (!busy) return;
    const timer = setInterval(() => router.refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [busy, router]);

  function upload() {
    if (!file) return;
    const qs = new URLSearchParams({ filename: file.name.slice(0, 300) });
    if (format) qs.set("format", format);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/shadow/upload?${qs}`);
    xhr.setRequestHeader("content-type", "application/x-ndjson");
    xhr.upload.onprogress = (e) => setPhase({ kind: "sending", sent: e.loaded, total: e.lengthComputable ? e.total : file.size });
    xhr.upload.onload = () => setPhase({ kind: "processing" });
    xhr.onerror = () => setPhase({ kind: "error", message: "The console could not be reached. Check the connection and upload the file again." });
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // Not JSON: reported below by status.
      }
      if (xhr.status >= 200 && xhr.status < 300 && body) {
        setPhase({ kind: "done", result: body as TrafficIngestOutput });
        router.refresh();
      } else {
        const message = (body as { error?: { message?: string } } | null)?.error?.message ?? `The console answered HTTP ${xhr.status} without a reason. Upload the file again; if it fails again, the console's log says why.`;
        setPhase({ kind: "error", message });
      }
    };
    setPhase({ kind: "sending", sent: 0, total: file.size });
    xhr.send(file);
  }

  const percent = phase.kind === "sending" ? Math.min(100, Math.round((phase.sent / Math.max(1, phase.total)) * 100)) : phase.kind === "idle" ? 0 : 100;
  // Red when the upload failed, amber when some lines could not be read, green when all were.
  const outcome = phase.kind === "error" ? "failed" : phase.kind === "done" ? (phase.result.upload.badLines > 0 ? "partial" : "clean") : "working";
  const barColor = { failed: "bg-red-600", partial: "bg-amber-500", clean: "bg-emerald-600", working: "bg-indigo-600" }[outcome];
  return (
    <div className="space-y-3">
      <div className="grid gap-3 sm:grid-cols-[1fr_14rem_auto] sm:items-end">
        <Field label="Log file (NDJSON)" hint="Plain or gzip (.log.gz as Logpush writes it).">
          <input
            type="file"
            accept=".ndjson,.jsonl,.json,.log,.txt,.gz,application/x-ndjson,application/json,text/plain,application/gzip"
            className="block w-full text-sm text-zinc-700 file:mr-3 file:rounded-md file:border-0 file:bg-zinc-100 file:px-3 file:py-1.5 file:text-sm file:font-medium"
            onChange={(e) => {
              setFile(e.target.files?.[0] ?? null);
              setPhase({ kind: "idle" });
            }}
            disabled={busy}
          />
        </Field>
        <Field label="Format">
          <Select value={format} onChange={(e) => setFormat(e.target.value)} disabled={busy}>
            <option value="">Detect per line</option>
            <option value="cloudflare">Cloudflare Gateway HTTP (Logpush)</option>
            <option value="generic">Generic proxy NDJSON</option>
          </Select>
        </Field>
        <Button type="button" onClick={upload} disabled={!hydrated || !file || busy}>
          {busy ? "Uploading…" : "Upload and scan"}
        </Button>
      </div>
      {phase.kind !== "idle" && (
        <div>
          <div
            role="progressbar"
            aria-label="Upload progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={percent}
            data-outcome={outcome}
            className="h-2 w-full overflow-hidden rounded bg-zinc-100"
          >
            <div className={`h-full ${barColor} transition-[width]`} style={{ width: `${percent}%` }} />
          </div>
          {phase.kind === "error" ? (
            <p role="alert" className="mt-1 text-sm text-red-700" data-testid="upload-status">
              <span className="font-medium">Upload failed. </span>
              {phase.message}
            </p>
          ) : (
            <p className={`mt-1 text-xs ${outcome === "partial" ? "text-amber-800" : "text-zinc-600"}`} data-testid="upload-status">
              {phase.kind === "sending" && `Sending and scanning… ${mb(phase.sent)} of ${mb(phase.total)} (${percent}%)`}
              {phase.kind === "processing" && "All bytes sent; merging findings…"}
              {phase.kind === "done" && <UploadSummary result={phase.result} />}
            </p>
          )}
        </div>
      )}
    </div>
  );
}

function UploadSummary({ result }: { result: TrafficIngestOutput }) {
  const u = result.upload;
  const created = result.findings.filter((f) => f.created).length;
  const firstBad = u.badLineSamples[0];
  return (
    <span>
      {u.duplicateOf ? "This file was uploaded before: nothing was counted twice. " : ""}
      Scanned {count(u.lines, "line")}: {count(u.shadowServers, "shadow MCP server")} ({created} new), {result.approved.length} approved or portal, {count(u.badLines, "bad line")}
      {firstBad && ` (first: line ${formatCount(firstBad.line)}: ${firstBad.error})`}.
    </span>
  );
}
