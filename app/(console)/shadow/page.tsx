import type { Metadata } from "next";
import Link from "next/link";
import { connection } from "next/server";
import { SEVERITY_TONE, stateLabel, stateTone, utc } from "@/components/shadow/format";
import { ShadowCharts } from "@/components/shadow/shadow-charts";
import { TrafficUpload } from "@/components/shadow/traffic-upload";
import { AcknowledgeAfter, ActionForm, SubmitButton } from "@/components/ui/action-form";
import { Badge } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { Field, Input, Select } from "@/components/ui/field";
import { DeleteButton, PublishLink, PublishToApplyNote } from "@/components/ui/row-actions";
import { Table, Td } from "@/components/ui/table";
import { can } from "@/lib/auth/actor";
import { requirePage } from "@/lib/auth/page";
import { listBlocks } from "@/lib/shadow/queries";
import { listFindings } from "@/lib/shadow/queries";
import { listUploads } from "@/lib/shadow/queries";
import { FINDING_SORTS, type FindingSort } from "@/lib/shadow/schemas";
import { shadowStats } from "@/lib/shadow/stats";
import { ValidationError } from "@/lib/errors";
import { defaultEnforceDate, rolloutStatus } from "@/lib/shadow/rollout";
import { RolloutFields } from "@/components/shadow/rollout-fields";
import { createBlockAction, deleteBlockAction } from "./actions";

export const metadata: Metadata = { title: "Shadow MCP" };

const FILTERS = [
  ["open", "Open"],
  ["resolved", "Resolved"],
  ["all", "All"],
  // Servers with MCP evidence below the detector's threshold: kept for review, not findings.
  ["candidates", "Candidates"],
] as const;

export default async function ShadowPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await connection();
  const ctx = await requirePage("shadow.read");
  const sp = await searchParams;
  const filter = FILTERS.some(([f]) => f === sp.state) ? (sp.state as (typeof FILTERS)[number][0]) : "open";
  const q = typeof sp.q === "string" ? sp.q.slice(0, 200) : "";
  const severity = sp.severity === "high" || sp.severity === "medium" || sp.severity === "low" ? sp.severity : undefined;
  const sort = FINDING_SORTS.find((x) => x === sp.sort) ?? "lastSeen";
  const order = sp.order === "asc" ? "asc" : "desc";
  const cursor = typeof sp.cursor === "string" ? sp.cursor.slice(0, 500) : undefined;
  const canTriage = can(ctx.actor, "shadow.triage");
  const now = new Date();
  // The page's URL is its state: filters, sort and cursor, so "Next page" and every header link can be shared.
  const params = { state: filter, ...(q ? { q } : {}), ...(severity ? { severity } : {}), sort, order };
  const hrefWith = (over: Record<string, string>) => `/shadow?${new URLSearchParams({ ...params, ...over })}`;
  const query: Parameters<typeof listFindings>[1] = { ...(filter === "candidates" ? { candidates: true } : filter === "all" ? {} : { state: filter }), ...(q ? { q } : {}), ...(severity ? { severity } : {}), sort, order };
  const [page, stats, blocks, uploads] = await Promise.all([
    // A stale or hand-edited cursor (another sort) is said, not a crash: the first page shows instead.
    listFindings(ctx, { ...query, ...(cursor ? { cursor } : {}) }).catch((error: unknown) => {
      if (!(error instanceof ValidationError)) throw error;
      return listFindings(ctx, query).then((first) => ({ ...first, problem: error.message }));
    }),
    shadowStats(ctx),
    listBlocks(ctx),
    listUploads(ctx, 10),
  ]);
  const findings = page.findings;
  const header = (label: string, key: FindingSort) => (
    <Link href={hrefWith({ sort: key, order: sort === key && order === "desc" ? "asc" : "desc" })} title={`Sort by ${label.toLowerCase()}`} className="hover:text-zinc-900">
      {label}
      {sort === key ? (order === "desc" ? " ↓" : " ↑") : ""}
    </Link>
  );

  return (
    <div className="space-y-6">
      <PageHeader
        title="Shadow MCP"
        description="MCP servers used outside the approved registry: found in traffic logs (Cloudflare Gateway or any proxy) and in MCP client configurations on laptops (npm run scan). Triage each one, then approve it into the portal or block it at the edge."
      />

      {canTriage && (
        <Card
          title="Upload a traffic log"
          description={
            <>
              NDJSON, one record per line: Cloudflare Gateway HTTP Logpush or generic proxy records. Any size: it is scanned as it arrives, and its findings
              are committed every 50,000 lines. To feed this page continuously, connect a Logpush job in{" "}
              <Link className="text-indigo-700 underline" href="/settings/logpush">
                Settings → Logpush
              </Link>
              .
            </>
          }
        >
          <TrafficUpload />
        </Card>
      )}

      <ShadowCharts stats={stats} />

      <Card
        title="Findings"
        actions={
          <div className="flex flex-wrap items-center gap-3">
          <form method="get" action="/shadow" className="flex items-center gap-2 text-sm" role="search">
            <input type="hidden" name="state" value={filter} />
            <input type="hidden" name="sort" value={sort} />
            <input type="hidden" name="order" value={order} />
            <input name="q" defaultValue={q} placeholder="Host, URL, user, name" aria-label="Search findings" className="w-48 rounded-md border border-zinc-300 px-2 py-1 text-sm" />
            <select name="severity" defaultValue={severity ?? ""} aria-label="Severity" className="rounded-md border border-zinc-300 px-2 py-1 text-sm">
              <option value="">Any severity</option>
              <option value="high">High</option>
              <option value="medium">Medium</option>
              <option value="low">Low</option>
            </select>
            <button type="submit" className="rounded-md border border-zinc-300 px-2 py-1 text-zinc-800 hover:bg-zinc-50">
              Filter
            </button>
          </form>
          <nav className="flex gap-1 text-sm" aria-label="Filter findings">
            {FILTERS.map(([f, label]) => (
              <Link key={f} href={`/shadow?${new URLSearchParams({ state: f, sort, order })}`} aria-current={filter === f ? "page" : undefined} className={`rounded px-2 py-1 ${filter === f ? "bg-zinc-900 text-white" : "text-zinc-700 hover:bg-zinc-100"}`}>
                {label}
              </Link>
            ))}
          </nav>
          </div>
        }
      >
        {"problem" in page && <p role="alert" className="mb-3 text-sm text-red-700">{page.problem} — showing the first page.</p>}
        <Table head={[header("Severity", "severity"), "Server", header("Users", "users"), header("Requests", "requests"), header("First seen", "firstSeen"), header("Last seen", "lastSeen"), "Seen in", "State", "Assignee"]} empty={filter === "open" ? "No open findings." : filter === "candidates" ? "No candidates: no server with MCP evidence below the finding threshold." : "No findings."}>
          {findings.map((f) => (
            <tr key={f.id} data-testid="finding-row">
              <Td>
                <Badge tone={SEVERITY_TONE[f.severity]}>{f.severity}</Badge>
              </Td>
              <Td className="max-w-md">
                <Link href={`/shadow/${f.id}`} className="break-all font-mono text-xs text-indigo-700 underline">
                  {f.url ?? f.command}
                </Link>
                <div className="text-xs text-zinc-500">{f.vendor ?? (f.kind === "stdio" ? `local: ${f.names.join(", ")}` : "unknown vendor")}</div>
              </Td>
              <Td className="tabular-nums">{f.userCount}</Td>
              <Td className="tabular-nums">{f.requests.toLocaleString("en-US")}</Td>
              <Td className="whitespace-nowrap text-xs">{utc(f.firstSeen)}</Td>
              <Td className="whitespace-nowrap text-xs">{utc(f.lastSeen)}</Td>
              <Td className="text-xs">{[f.sources.traffic ? "traffic" : "", f.sources.scans ? "laptops" : ""].filter(Boolean).join(", ")}</Td>
              <Td>
                <Badge tone={stateTone(f.state, f.resolution)}>{stateLabel(f.state, f.resolution)}</Badge>
              </Td>
              <Td className="text-xs">{f.assignee?.email ?? "—"}</Td>
            </tr>
          ))}
        </Table>
        <div className="mt-3 flex gap-4 text-sm">
          {cursor && (
            <Link className="text-indigo-700 hover:underline" href={hrefWith({})}>
              ← First page
            </Link>
          )}
          {page.nextCursor && (
            <Link className="text-indigo-700 hover:underline" href={hrefWith({ cursor: page.nextCursor })}>
              Next page →
            </Link>
          )}
        </div>
      </Card>

      <Card
        title="Block list"
        description={
          <>
            The edge refuses every upstream — MCP server or LLM provider — whose URL falls under an entry, whatever policies say, once an admin <PublishLink>publishes</PublishLink>. An entry can log first: calls go through, marked “would block”, until its date, when the edge starts blocking by itself (no publish needed). Companies that enforce at their secure web gateway can download the list as Cloudflare Gateway HTTP rules (a block rule, and a log rule for entries still logging).
          </>
        }
        actions={
          <div className="flex flex-wrap gap-2 text-sm">
            {blocks.length > 0 && (
              <a className="whitespace-nowrap rounded-md border border-zinc-300 px-3 py-1.5 font-medium text-zinc-800 hover:bg-zinc-50" href="/shadow/exports/gateway-policy" download>
                Cloudflare Gateway policy (JSON)
              </a>
            )}
            <a className="whitespace-nowrap rounded-md border border-zinc-300 px-3 py-1.5 font-medium text-zinc-800 hover:bg-zinc-50" href="/shadow/exports/dlp-profile" download>
              MCP DLP profile (JSON)
            </a>
          </div>
        }
      >
        <Table head={["Blocked", "Mode", "Reason", "Added", ...(canTriage ? [""] : [])]} empty="Nothing is blocked.">
          {blocks.map((b) => {
            const status = rolloutStatus(b, now);
            return (
              <tr key={b.id} data-testid="block-row">
                <Td className="max-w-xs text-xs">
                  <span className="break-all font-mono">
                    {b.origin}
                    {b.pathPrefix}
                  </span>
                  {!b.pathPrefix && <span className="text-zinc-500"> (every path)</span>}
                  <div className="mt-1">
                    <Link className="whitespace-nowrap text-indigo-700 hover:underline" href={`/shadow/blocks/${b.id}`}>
                      Who would be cut off →
                    </Link>
                  </div>
                </Td>
                <Td className="text-xs">
                  <Badge tone={status.state === "logging" ? "amber" : "indigo"}>{status.label}</Badge>
                  {b.lastNotifiedAt && <div className="mt-1 text-zinc-500">notified {utc(b.lastNotifiedAt)}</div>}
                </Td>
                <Td className="max-w-xs break-words text-xs">{b.findingId ? <Link className="text-indigo-700 underline" href={`/shadow/${b.findingId}`}>{b.reason}</Link> : b.reason}</Td>
                <Td className="text-xs">
                  {utc(b.createdAt)} by {b.createdBy}
                </Td>
                {canTriage && (
                  <Td className="whitespace-nowrap">
                    <DeleteButton action={deleteBlockAction} id={b.id} label="Unblock" pendingLabel="Unblocking…" confirm={`Unblock ${b.origin}${b.pathPrefix}?${b.findingId ? " Its finding is reopened." : ""}`} />
                  </Td>
                )}
              </tr>
            );
          })}
        </Table>
        {canTriage && (
          <ActionForm action={createBlockAction} className="mt-4 space-y-3 border-t border-zinc-100 pt-4" successNote={<PublishToApplyNote what="enforce it" />}>
            <div className="grid gap-3 sm:grid-cols-[1fr_12rem_1fr] sm:items-end">
              <Field label="URL to block">
                <Input name="url" type="url" required placeholder="https://mcp.example.com/mcp" />
              </Field>
              <Field label="Scope">
                <Select name="scope" defaultValue="url">
                  <option value="url">This path and below</option>
                  <option value="origin">Whole origin</option>
                </Select>
              </Field>
              <Field label="Reason">
                <Input name="reason" required maxLength={500} placeholder="Why it must not be used" />
              </Field>
            </div>
            <RolloutFields defaultDate={defaultEnforceDate(now)} />
            <AcknowledgeAfter code="BLOCKS_APPROVED_SERVER" name="blockApproved">
              Block approved servers too
            </AcknowledgeAfter>
            <SubmitButton pendingLabel="Adding…">Add to the block list</SubmitButton>
          </ActionForm>
        )}
      </Card>

      <Card title="Recent uploads">
        <Table head={["File", "Uploaded", "Lines", "Bad lines", "MCP servers", "Shadow", "New findings", "Status"]} empty="No traffic uploaded yet.">
          {uploads.map((u) => (
            <tr key={u.id}>
              <Td className="text-xs">{u.filename ?? "(API)"}</Td>
              <Td className="whitespace-nowrap text-xs">
                {utc(u.createdAt)} by {u.createdBy}
              </Td>
              <Td className="tabular-nums">{u.lines.toLocaleString("en-US")}</Td>
              <Td className="tabular-nums" >
                {u.badLines > 0 ? <span title={u.badLineSamples.slice(0, 5).map((b) => `line ${b.line}: ${b.error}`).join("\n")}>{u.badLines.toLocaleString("en-US")}</span> : 0}
              </Td>
              <Td className="tabular-nums">{u.servers}</Td>
              <Td className="tabular-nums">{u.shadowServers}</Td>
              <Td className="tabular-nums">{u.newFindings}</Td>
              <Td className="text-xs">
                {u.duplicateOf
                  ? "duplicate (not counted)"
                  : u.status === "failed"
                    ? `failed: ${u.error ?? ""}`
                    : u.status === "processing"
                      ? `processing: ${u.committedLines.toLocaleString("en-US")} of ${u.lines.toLocaleString("en-US")} lines read committed`
                      : u.status}
              </Td>
            </tr>
          ))}
        </Table>
      </Card>
    </div>
  );
}
