import type { Metadata } from "next";
import Link from "next/link";
import { ServerStatusBadge } from "@/components/servers/badges";
import { Badge } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { Table, Td } from "@/components/ui/table";
import { can } from "@/lib/auth/actor";
import { requirePage } from "@/lib/auth/page";
import { listServers } from "@/lib/servers/queries";
import { ServerStatus } from "@/lib/servers/schemas";

export const metadata: Metadata = { title: "Servers" };

const FILTERS = [
  { value: "", label: "All" },
  { value: "pending_review", label: "Pending review" },
  { value: "approved", label: "Approved" },
  { value: "rejected", label: "Rejected" },
];

export default async function ServersPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const ctx = await requirePage("servers.read");
  const params = await searchParams;
  const status = ServerStatus.safeParse(params.status).data;
  const q = typeof params.q === "string" ? params.q.slice(0, 200) : undefined;
  const servers = await listServers(ctx, { status, q });
  return (
    <div>
      <PageHeader
        title="Servers"
        description="Remote MCP servers known to Portcullis. Only approved servers with enabled tools reach AI clients."
        actions={
          can(ctx.actor, "servers.request") && (
            <Link href="/servers/new" className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-700">
              Request a server
            </Link>
          )
        }
      />
      <Card
        title={
          <span className="flex gap-1">
            {FILTERS.map((f) => (
              <Link
                key={f.value}
                href={`/servers?${new URLSearchParams({ ...(f.value ? { status: f.value } : {}), ...(q ? { q } : {}) })}`}
                className={`rounded-md px-2 py-1 text-xs font-medium ${(status ?? "") === f.value ? "bg-indigo-50 text-indigo-700" : "text-zinc-600 hover:bg-zinc-100"}`}
              >
                {f.label}
              </Link>
            ))}
          </span>
        }
        actions={
          <form className="flex gap-2">
            {status && <input type="hidden" name="status" value={status} />}
            <input name="q" defaultValue={q} placeholder="Search name, slug, URL…" aria-label="Search servers" className="rounded-md border border-zinc-300 px-2 py-1 text-sm" />
            <button className="rounded-md border border-zinc-300 px-2 py-1 text-sm">Search</button>
          </form>
        }
      >
        <Table head={["Server", "Status", "Tools", "Context cost", "Requested by", "Last sync"]} empty={q || status ? "No server matches." : "No servers yet. Request one to get started."}>
          {servers.map((s) => (
            <tr key={s.id} data-testid="server-row">
              <Td>
                <Link href={`/servers/${s.id}`} className="font-medium text-indigo-700 hover:underline">
                  {s.name}
                </Link>
                <div className="font-mono text-xs text-zinc-500">{s.slug} · {s.url}</div>
              </Td>
              <Td>
                <span className="flex flex-wrap gap-1">
                  <ServerStatusBadge status={s.status} />
                  {s.counts.quarantined > 0 && <Badge tone="red">{s.counts.quarantined} quarantined</Badge>}
                  {s.lastSyncError && <Badge tone="amber">sync failing</Badge>}
                </span>
              </Td>
              <Td className="text-xs">
                {s.counts.enabled} enabled / {s.counts.tools}
                {s.counts.highFindings > 0 && <span className="ml-1 text-red-700">· {s.counts.highFindings} flagged</span>}
              </Td>
              <Td className="text-xs text-zinc-600">{s.tokens.json.toLocaleString("en")} tokens</Td>
              <Td className="text-xs text-zinc-600">{s.requestedBy?.email ?? "—"}</Td>
              <Td className="text-xs text-zinc-600">{s.lastSyncedAt ? s.lastSyncedAt.slice(0, 16).replace("T", " ") + " UTC" : "never"}</Td>
            </tr>
          ))}
        </Table>
      </Card>
    </div>
  );
}
