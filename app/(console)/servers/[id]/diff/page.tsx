import type { Metadata } from "next";
import Link from "next/link";
import { TextDiff } from "@/components/servers/text-diff";
import { Badge } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { requirePage } from "@/lib/auth/page";
import { textDiff } from "@core/tools/tool-diff";
import { getServer, getSnapshotDiff } from "@/lib/servers/queries";

export const metadata: Metadata = { title: "Changes" };

const show = (v: unknown) => (v === undefined ? "—" : JSON.stringify(v));

export default async function ServerDiffPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const ctx = await requirePage("servers.read");
  const { id } = await params;
  const sp = await searchParams;
  const server = await getServer(ctx, id);
  const { from, to, diff } = await getSnapshotDiff(ctx, id, {
    from: typeof sp.from === "string" ? sp.from : undefined,
    to: typeof sp.to === "string" ? sp.to : undefined,
  });
  const nothing = diff.added.length + diff.removed.length + diff.changed.length === 0;
  return (
    <div className="space-y-6">
      <PageHeader
        title={`What changed in ${server.name}`}
        description={
          <>
            {from ? `Snapshot of ${from.at.slice(0, 19).replace("T", " ")} UTC` : "Nothing"} → snapshot of {to.at.slice(0, 19).replace("T", " ")} UTC ·{" "}
            <Link href={`/servers/${server.id}`} className="text-indigo-700 hover:underline">
              back to the server
            </Link>
          </>
        }
      />
      {nothing && (
        <Card>
          <p className="text-sm text-zinc-600">{from ? "No tool changed between these snapshots." : "This is the first snapshot: every tool is new."}</p>
        </Card>
      )}
      {diff.added.length > 0 && (
        <Card title={`Added (${diff.added.length})`}>
          <ul className="space-y-2 text-sm" data-testid="diff-added">
            {diff.added.map((t) => (
              <li key={t.name}>
                <Badge tone="green">new</Badge> <code className="font-mono">{t.name}</code> <span className="text-xs text-zinc-600">{t.description}</span>
              </li>
            ))}
          </ul>
        </Card>
      )}
      {diff.removed.length > 0 && (
        <Card title={`Removed (${diff.removed.length})`}>
          <ul className="space-y-2 text-sm">
            {diff.removed.map((t) => (
              <li key={t.name}>
                <Badge tone="red">removed</Badge> <code className="font-mono">{t.name}</code>
              </li>
            ))}
          </ul>
        </Card>
      )}
      {diff.changed.map((c) => (
        <Card key={c.name} title={<span data-testid="diff-changed-tool">Changed: <code className="font-mono">{c.name}</code></span>}>
          <div className="space-y-3">
            {c.fields.map((f, i) => (
              <div key={`${f.path}:${i}`} className="text-sm">
                <p className="font-mono text-xs text-zinc-500">
                  {f.path} <Badge tone={f.kind === "added" ? "green" : f.kind === "removed" ? "red" : "amber"}>{f.kind}</Badge>
                </p>
                {typeof f.before === "string" && typeof f.after === "string" ? (
                  <TextDiff parts={textDiff(f.before, f.after)} />
                ) : (
                  <p className="font-mono text-xs">
                    <del className="bg-red-100 text-red-900">{show(f.before)}</del> → <ins className="bg-emerald-100 text-emerald-900 no-underline">{show(f.after)}</ins>
                  </p>
                )}
              </div>
            ))}
          </div>
        </Card>
      ))}
    </div>
  );
}
