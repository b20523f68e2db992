"use client";

import Link from "next/link";
import { useRef } from "react";
import { Button } from "@/components/ui/button";
import { auditHref, type McpEventOutput } from "@/lib/audit/schemas";

/** Every stored field of an event, in reading order, with the label the drawer shows. */
const FIELDS: readonly (readonly [keyof McpEventOutput, string])[] = [
  ["time", "Time (UTC)"],
  ["id", "Event id"],
  ["email", "User"],
  ["userId", "User id"],
  ["teamId", "Team id"],
  ["authMethod", "Signed in with"],
  ["tokenId", "API token id"],
  ["clientName", "Client"],
  ["clientVersion", "Client version"],
  ["clientIp", "Client IP"],
  ["clientCountry", "Client country"],
  ["sessionId", "Session"],
  ["method", "Method"],
  ["endpoint", "Portal endpoint"],
  ["serverSlug", "Server"],
  ["serverId", "Server id"],
  ["serverUrl", "Server URL"],
  ["tool", "Tool"],
  ["prompt", "Prompt"],
  ["resourceUri", "Resource"],
  ["decision", "Decision"],
  ["reason", "Reason"],
  ["ruleId", "Rule"],
  ["success", "Succeeded"],
  ["error", "Error"],
  ["durationMs", "Upstream time (ms)"],
  ["bytesIn", "Bytes in"],
  ["bytesOut", "Bytes out"],
  ["resultTokens", "Result tokens (o200k)"],
  ["serverTokens", "Tool-list tokens by server"],
  ["codemodeTokens", "Code Mode list tokens"],
  ["via", "Origin"],
  ["parentId", "Code Mode execute"],
  ["blockId", "Block-list entry"],
  ["wouldBlock", "Would be blocked"],
  ["bundleVersion", "Config version"],
  ["traceId", "Trace"],
  ["spanId", "Span (the portal's)"],
  ["receivedAt", "Received by the console"],
];

const shown = (value: unknown): string => (value === null || value === undefined ? "—" : typeof value === "object" ? JSON.stringify(value) : String(value));

/**
 * A row's "Details" button and the drawer it opens: the whole event as stored, with a tool call's
 * arguments and result excerpt as the portal kept them (redacted at the edge per the Portal page's
 * audit setting, lib/core/events/detail.ts), or why there are none.
 */
export function EventDetails({ event }: { event: McpEventOutput }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const title = `Call ${event.time.slice(0, 19).replace("T", " ")}`;
  const drill: [string, string][] = [];
  if (event.userId || event.email) drill.push(["This user's calls", auditHref({ user: event.userId ?? event.email ?? undefined })]);
  if (event.serverSlug) drill.push(["This server's calls", auditHref({ server: event.serverSlug })]);
  if (event.serverSlug && event.tool) drill.push(["This tool's calls", auditHref({ server: event.serverSlug, tool: event.tool })]);
  return (
    <>
      <Button type="button" variant="ghost" className="px-2 py-0.5 text-xs" onClick={() => dialog.current?.showModal()}>
        Details
      </Button>
      <dialog
        ref={dialog}
        aria-label={title}
        data-testid="event-drawer"
        className="m-0 ml-auto h-full max-h-none w-full max-w-xl overflow-y-auto border-l border-zinc-200 bg-white p-0 shadow-xl backdrop:bg-zinc-900/30"
        onClick={(e) => {
          // A click on the backdrop (the dialog element itself, outside its content) closes it.
          if (e.target === dialog.current) dialog.current?.close();
        }}
      >
        <div className="p-5">
          <div className="mb-4 flex items-start justify-between gap-4">
            <h2 className="text-base font-semibold">{title}</h2>
            <Button type="button" variant="secondary" onClick={() => dialog.current?.close()}>
              Close
            </Button>
          </div>
          <dl className="grid grid-cols-[11rem_1fr] gap-x-3 gap-y-1.5 text-sm">
            {FIELDS.map(([key, label]) => (
              <div key={key} className="contents">
                <dt className="text-zinc-500">{label}</dt>
                <dd className="break-all font-mono text-xs leading-5" data-field={key}>
                  {shown(event[key])}
                </dd>
              </div>
            ))}
          </dl>
          {event.arguments || event.resultExcerpt ? (
            <div className="mt-4 space-y-2" data-testid="event-drawer-content">
              {event.arguments && (
                <div>
                  <h3 className="text-xs font-medium text-zinc-500">Arguments (redacted as the portal&apos;s audit setting says)</h3>
                  <pre className="mt-1 max-h-60 overflow-auto whitespace-pre-wrap break-all rounded bg-zinc-50 p-2 text-xs">{event.arguments}</pre>
                </div>
              )}
              {event.resultExcerpt && (
                <div>
                  <h3 className="text-xs font-medium text-zinc-500">Result (excerpt)</h3>
                  <pre className="mt-1 max-h-60 overflow-auto whitespace-pre-wrap break-all rounded bg-zinc-50 p-2 text-xs">{event.resultExcerpt}</pre>
                </div>
              )}
            </div>
          ) : (
            <p className="mt-4 rounded-md bg-zinc-50 px-3 py-2 text-xs text-zinc-600">
              {event.method === "tools/call"
                ? "Arguments and result: none kept — the portal's audit setting is off, or the call came from a portal older than this setting."
                : "Arguments and result are kept for tool calls only."}
            </p>
          )}
          {drill.length > 0 && (
            <nav aria-label="Related calls" className="mt-4 flex flex-wrap gap-3 text-sm">
              {drill.map(([label, href]) => (
                <Link key={href} href={href} className="text-indigo-700 hover:underline">
                  {label}
                </Link>
              ))}
            </nav>
          )}
        </div>
      </dialog>
    </>
  );
}
