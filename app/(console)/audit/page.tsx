import type { Metadata } from "next";
import { Badge } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { Table, Td } from "@/components/ui/table";
import { listAudit } from "@/lib/audit/list-audit";
import { requirePage } from "@/lib/auth/page";

export const metadata: Metadata = { title: "Audit" };

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const ctx = await requirePage("audit.read");
  const params = await searchParams;
  const action = typeof params.action === "string" ? params.action.slice(0, 100) : undefined;
  const before = typeof params.before === "string" && /^\d+$/.test(params.before) ? Number(params.before) : undefined;
  const rows = await listAudit(ctx, { limit: 100, action, before });
  const last = rows.at(-1);
  return (
    <div>
      <PageHeader title="Audit" description="Every change made in the console or through the API, with who made it. MCP and LLM traffic will appear here once the portal runs." />
      <Card
        title="Console audit trail"
        actions={
          <form className="flex gap-2">
            <input name="action" defaultValue={action} placeholder="Filter by action, e.g. token." className="rounded-md border border-zinc-300 px-2 py-1 text-sm" />
            <button className="rounded-md border border-zinc-300 px-2 py-1 text-sm">Filter</button>
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
          <a className="mt-3 inline-block text-sm text-indigo-700 hover:underline" href={`?${new URLSearchParams({ ...(action ? { action } : {}), before: String(last.id) })}`}>
            Older entries →
          </a>
        )}
      </Card>
    </div>
  );
}
