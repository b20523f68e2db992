import { Live } from "../live";
import type { Metadata } from "next";
import Link from "next/link";
import { PortalEventsTable } from "@/components/audit/portal-events-table";
import { Badge } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { Table, Td } from "@/components/ui/table";
import { listAudit } from "@/lib/audit/list-audit";
import { can } from "@/lib/auth/actor";
import { requirePage } from "@/lib/auth/page";
import type { Ctx } from "@/lib/context";
import { listEvents } from "@/lib/audit/list-events";
import { ListEventsQuery } from "@/lib/audit/schemas";

export const metadata: Metadata = { title: "Audit" };

type SearchParams = Record<string, string | string[] | undefined>;

const one = (value: string | string[] | undefined) => (typeof value === "string" && value.trim() !== "" ? value.trim() : undefined);

/** `<input type="datetime-local">` sends `2030-01-01T12:00` (no zone): the page labels it UTC. */
const asUtc = (value: string | undefined) => (value && /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(value) ? `${value.length === 16 ? `${value}:00` : value}Z` : value);
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
  const filters = {
    user: one(params.user),
    server: one(params.server),
    tool: one(params.tool),
    decision: one(params.decision),
    via: one(params.via),
    parent: one(params.parent),
    from: asUtc(one(params.from)),
    to: asUtc(one(params.to)),
  };
  const cursor = one(params.cursor);
  const parsed = ListEventsQuery.safeParse({ ...filters, cursor });
  let page: Awaited<ReturnType<typeof listEvents>> = { events: [], nextCursor: null, scope: "own" };
  let problem: string | null = parsed.success ? null : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  if (parsed.success) {
    try {
      page = await listEvents(ctx, parsed.data);
    } catch (error) {
      // Only a hand-edited cursor gets here; the filters were validated above.
      problem = error instanceof Error ? error.message : "invalid query";
    }
  }
  const active = Object.fromEntries(Object.entries(filters).filter((e): e is [string, string] => e[1] !== undefined));
  const filtered = Object.keys(active).length > 0;
  return (
    <Card
      title="MCP calls through the portal"
      description="Newest first. Times are UTC."
      actions={
        <form className="flex flex-wrap items-end gap-2" aria-label="Filter calls">
          <input name="user" defaultValue={filters.user} placeholder="User email or id" aria-label="User" className={`${inputClass} w-40`} />
          <input name="server" defaultValue={filters.server} placeholder="Server slug" aria-label="Server" className={`${inputClass} w-28`} />
          <input name="tool" defaultValue={filters.tool} placeholder="Tool" aria-label="Tool" className={`${inputClass} w-28`} />
          <select name="decision" defaultValue={filters.decision ?? ""} aria-label="Decision" className={inputClass}>
            <option value="">Any decision</option>
            <option value="allowed">Allowed</option>
            <option value="denied">Denied</option>
          </select>
          <select name="via" defaultValue={filters.via ?? ""} aria-label="Origin" className={inputClass}>
            <option value="">Any origin</option>
            <option value="codemode">Code Mode</option>
          </select>
          {filters.parent && <input type="hidden" name="parent" value={filters.parent} />}
          <label className="text-xs text-zinc-500">
            From (UTC)
            <input type="datetime-local" name="from" defaultValue={forInput(parsed.success ? parsed.data.from : undefined)} className={`${inputClass} ml-1`} />
          </label>
          <label className="text-xs text-zinc-500">
            To
            <input type="datetime-local" name="to" defaultValue={forInput(parsed.success ? parsed.data.to : undefined)} className={`${inputClass} ml-1`} />
          </label>
          <button className={inputClass}>Filter</button>
          {filtered && (
            <Link href="/audit" className="px-1 py-1 text-sm text-indigo-700 hover:underline">
              Clear
            </Link>
          )}
        </form>
      }
    >
      {problem && (
        <p role="alert" className="mb-3 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {problem}
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
          <Link className="text-indigo-700 hover:underline" href={`/audit?${new URLSearchParams(active)}`}>
            ← Newest
          </Link>
        )}
        {page.nextCursor && (
          <Link className="text-indigo-700 hover:underline" href={`/audit?${new URLSearchParams({ ...active, cursor: page.nextCursor })}`}>
            Older →
          </Link>
        )}
      </div>
    </Card>
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
