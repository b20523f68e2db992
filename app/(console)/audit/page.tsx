import { Live } from "../live";
import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { PortalEventsTable } from "@/components/audit/portal-events-table";
import { Badge } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { Table, Td } from "@/components/ui/table";
import { listAudit } from "@/lib/audit/list-audit";
import { can } from "@/lib/auth/actor";
import { requirePage } from "@/lib/auth/page";
import type { Ctx } from "@/lib/context";
import { listEvents } from "@/lib/audit/list-events";
import { listSavedViews } from "@/lib/audit/saved-views";
import { auditHref, VIEW_FILTERS, viewSearch } from "@/lib/audit/schemas";
import { parseViewParams, type SearchParams } from "@/lib/audit/view-params";
import { listTeams } from "@/lib/teams/queries";
import { ActionForm, SubmitButton } from "@/components/ui/action-form";
import { DeleteButton } from "@/components/ui/row-actions";
import { deleteSavedViewAction, saveViewAction } from "./actions";

export const metadata: Metadata = { title: "Audit" };

const forInput = (iso: string | undefined) => (iso ? new Date(iso).toISOString().slice(0, 16) : undefined);

const inputClass = "rounded-md border border-zinc-300 px-2 py-1 text-sm";

export default async function AuditPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  // Everyone may read the portal calls they are allowed to see (lib/audit/event-scope.ts): security
  // and admins every call and every console change; anyone else their own calls and their led teams'.
  const ctx = await requirePage("usage.read");
  const params = await searchParams;
  const auditor = can(ctx.actor, "audit.read");
  const tab = params.tab === "console" && auditor ? "console" : "calls";
  const tabs = [["calls", "/audit", "Portal calls"], ...(auditor ? [["console", "/audit?tab=console", "Console changes"]] : [])] as const;
  return (
    <div>
      <PageHeader
        title="Audit"
        description={
          auditor
            ? "Every MCP call through the portal, and every change made in the console or through the API, with who made it."
            : "Your MCP calls through the portal, and those of the teams you lead."
        }
        actions={<Live ctx={ctx} />}
      />
      <nav aria-label="Audit" className="mb-6 flex gap-1 border-b border-zinc-200">
        {tabs.map(([key, href, label]) => (
          <Link
            key={key}
            href={href}
            aria-current={tab === key ? "page" : undefined}
            className={`-mb-px border-b-2 px-3 py-2 text-sm font-medium ${tab === key ? "border-indigo-600 text-indigo-700" : "border-transparent text-zinc-600 hover:border-zinc-300 hover:text-zinc-900"}`}
          >
            {label}
          </Link>
        ))}
      </nav>
      {tab === "calls" ? <PortalCalls ctx={ctx} params={params} /> : <ConsoleChanges ctx={ctx} params={params} />}
    </div>
  );
}

async function PortalCalls({ ctx, params }: { ctx: Ctx; params: SearchParams }) {
  const view = parseViewParams(params);
  const { filters, cursor } = view;
  // The filter form sends its empty fields too: answer with the view's clean link, the one to share.
  const blank = VIEW_FILTERS.some((key) => typeof params[key] === "string" && params[key].trim() === "");
  if (blank && !view.problem) redirect(auditHref(filters, cursor ? { cursor } : {}));
  let page: Awaited<ReturnType<typeof listEvents>> = { events: [], nextCursor: null, scope: "own" };
  let problem = view.problem;
  const [teams, saved] = await Promise.all([listTeams(ctx), ctx.actor.userId ? listSavedViews(ctx) : { views: [] }]);
  try {
    page = await listEvents(ctx, view.query);
  } catch (error) {
    // Only a hand-edited cursor gets here: every filter was validated by parseViewParams.
    problem = error instanceof Error ? error.message : "invalid query";
  }
  const filtered = Object.keys(filters).length > 0;
  const search = viewSearch(filters);
  const exportHref = (format: "csv" | "ndjson", profile?: "cloudflare") => `/audit/export?${viewSearch(filters, { format, ...(profile ? { profile } : {}) })}`;
  return (
    <div className="space-y-6">
      <Card
        title="MCP calls through the portal"
        description="Newest first. Times are UTC. Every filter is in the page's address: copy it to share this view."
        actions={
          <div className="flex flex-wrap items-center gap-3 text-sm" aria-label="Export">
            <span className="text-zinc-500">Export</span>
            <a className="text-indigo-700 hover:underline" href={exportHref("csv")} download>
              CSV
            </a>
            <a className="text-indigo-700 hover:underline" href={exportHref("ndjson")} download>
              NDJSON
            </a>
            <a className="text-indigo-700 hover:underline" href={exportHref("csv", "cloudflare")} download title="Cloudflare's mcp_portal_logs field names">
              CSV (Cloudflare fields)
            </a>
          </div>
        }
      >
        <form className="mb-4 flex flex-wrap items-end gap-2" aria-label="Filter calls">
          <input name="user" defaultValue={filters.user} placeholder="User email or id" aria-label="User" className={`${inputClass} w-40`} />
          <select name="team" defaultValue={filters.team ?? ""} aria-label="Team" className={inputClass}>
            <option value="">Any team</option>
            {teams.map((t) => (
              <option key={t.id} value={t.id}>
                {t.slug}
              </option>
            ))}
          </select>
          <input name="server" defaultValue={filters.server} placeholder="Server slug" aria-label="Server" className={`${inputClass} w-28`} />
          <input name="tool" defaultValue={filters.tool} placeholder="Tool" aria-label="Tool" className={`${inputClass} w-28`} />
          <select name="decision" defaultValue={filters.decision ?? ""} aria-label="Decision" className={inputClass}>
            <option value="">Any decision</option>
            <option value="allowed">Allowed</option>
            <option value="denied">Denied</option>
          </select>
          <input name="code" defaultValue={filters.code} placeholder="Denial code" aria-label="Denial code" className={`${inputClass} w-36`} />
          <select name="status" defaultValue={filters.status ?? ""} aria-label="Result" className={inputClass}>
            <option value="">Any result</option>
            <option value="ok">ok</option>
            <option value="error">error</option>
          </select>
          <select name="via" defaultValue={filters.via ?? ""} aria-label="Origin" className={inputClass}>
            <option value="">Any origin</option>
            <option value="codemode">Code Mode</option>
          </select>
          <label className="flex items-center gap-1 text-xs text-zinc-600">
            <input type="checkbox" name="wouldBlock" value="true" defaultChecked={filters.wouldBlock === "true"} />
            Would be blocked
          </label>
          {filters.parent && <input type="hidden" name="parent" value={filters.parent} />}
          {filters.method && <input type="hidden" name="method" value={filters.method} />}
          <label className="text-xs text-zinc-500">
            From (UTC)
            <input type="datetime-local" name="from" defaultValue={forInput(view.where.from)} className={`${inputClass} ml-1`} />
          </label>
          <label className="text-xs text-zinc-500">
            To
            <input type="datetime-local" name="to" defaultValue={forInput(view.where.to)} className={`${inputClass} ml-1`} />
          </label>
          <button className={inputClass}>Filter</button>
          {filtered && (
            <Link href="/audit" className="px-1 py-1 text-sm text-indigo-700 hover:underline">
              Clear
            </Link>
          )}
        </form>
        {problem && (
          <p role="alert" className="mb-3 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
            Ignored: {problem}
          </p>
        )}
        <PortalEventsTable
          events={page.events}
          empty={
            filtered || cursor ? (
              "No call matches these filters."
            ) : (
              <>
                No MCP calls yet. Calls appear here once an AI client calls the portal&apos;s MCP endpoint: the portal buffers each call&apos;s event and
                delivers it to the console within seconds (and keeps retrying while the console is unreachable).
              </>
            )
          }
        />
        <div className="mt-3 flex gap-4 text-sm">
          {cursor && (
            <Link className="text-indigo-700 hover:underline" href={auditHref(filters)}>
              ← Newest
            </Link>
          )}
          {page.nextCursor && (
            <Link className="text-indigo-700 hover:underline" href={auditHref(filters, { cursor: page.nextCursor })}>
              Older →
            </Link>
          )}
        </div>
      </Card>
      {ctx.actor.userId && (
        <Card title="Saved views" description="Yours only. A view keeps its filters; it opens at its newest calls.">
          {saved.views.length > 0 && (
            <ul className="mb-4 divide-y divide-zinc-100" data-testid="saved-views">
              {saved.views.map((v) => (
                <li key={v.id} className="flex items-center justify-between gap-4 py-1.5">
                  <Link className="text-sm text-indigo-700 hover:underline" href={v.href}>
                    {v.name}
                  </Link>
                  <span className="min-w-0 flex-1 truncate font-mono text-xs text-zinc-500">{v.query || "(no filters)"}</span>
                  <DeleteButton action={deleteSavedViewAction} id={v.id} confirm={`Delete the saved view "${v.name}"?`} />
                </li>
              ))}
            </ul>
          )}
          <ActionForm action={saveViewAction} className="flex flex-wrap items-end gap-2" successNote={<p className="text-sm text-emerald-700">View saved.</p>}>
            <input type="hidden" name="query" value={search} />
            <input name="name" required maxLength={100} placeholder="Name of this view" aria-label="View name" className={`${inputClass} w-56`} />
            <SubmitButton variant="secondary" pendingLabel="Saving…">
              Save this view
            </SubmitButton>
          </ActionForm>
        </Card>
      )}
    </div>
  );
}

async function ConsoleChanges({ ctx, params }: { ctx: Ctx; params: SearchParams }) {
  const action = typeof params.action === "string" ? params.action.slice(0, 100) : undefined;
  const before = typeof params.before === "string" && /^\d+$/.test(params.before) ? Number(params.before) : undefined;
  const rows = await listAudit(ctx, { limit: 100, action, before });
  const last = rows.at(-1);
  return (
    <Card
      title="Console audit trail"
      actions={
        <form className="flex gap-2">
          <input type="hidden" name="tab" value="console" />
          <input name="action" defaultValue={action} placeholder="Filter by action, e.g. token." className={inputClass} />
          <button className={inputClass}>Filter</button>
        </form>
      }
    >
      <Table head={["Time (UTC)", "Action", "Actor", "Target", "Details"]} empty="No entries.">
        {rows.map((r) => (
          <tr key={r.id} data-testid="audit-row">
            <Td className="whitespace-nowrap font-mono text-xs">{r.createdAt.slice(0, 19).replace("T", " ")}</Td>
            <Td>
              <Badge tone="indigo">{r.action}</Badge>
            </Td>
            <Td className="text-xs">{r.actorLabel}</Td>
            <Td className="font-mono text-xs">
              {r.targetType}
              {r.targetId ? `:${r.targetId.slice(0, 8)}` : ""}
            </Td>
            <Td className="max-w-md font-mono text-xs text-zinc-600">
              <span className="block truncate" title={JSON.stringify(r.details, null, 2)}>
                {JSON.stringify(r.details)}
              </span>
            </Td>
          </tr>
        ))}
      </Table>
      {rows.length === 100 && last && (
        <a className="mt-3 inline-block text-sm text-indigo-700 hover:underline" href={`?${new URLSearchParams({ tab: "console", ...(action ? { action } : {}), before: String(last.id) })}`}>
          Older entries →
        </a>
      )}
    </Card>
  );
}
