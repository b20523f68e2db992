import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { BackToShadow } from "@/components/shadow/back-link";
import { connection } from "next/server";
import { SEVERITY_TONE, stateLabel, stateTone, utc } from "@/components/shadow/format";
import { TriageForm } from "@/components/shadow/triage-form";
import { Badge } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { can } from "@/lib/auth/actor";
import { requirePage } from "@/lib/auth/page";
import { NotFoundError } from "@/lib/errors";
import { getFinding, triagePeople } from "@/lib/shadow/queries";
import { MCP_THRESHOLD } from "@core/shadow/detect";
import type { FindingDetailOutput } from "@/lib/shadow/schemas";
import { approveFindingAction, triageFindingAction } from "../actions";
import { count } from "@core/text/count";
import { defaultEnforceDate, formatEnforceDate, rolloutStatus } from "@/lib/shadow/rollout";

export const metadata: Metadata = { title: "Shadow MCP finding" };

const EVENT_LABEL: Record<string, string> = {
  detected: "Detected",
  seen: "Seen again",
  state: "State changed",
  assigned: "Assigned",
  note: "Note",
  blocked: "Blocked",
  unblocked: "Unblocked",
  rollout: "Block rollout changed",
  registered: "Registration requested",
  rekeyed: "Keyed by what it launches",
};

function describeEvent(e: FindingDetailOutput["timeline"][number]): string {
  const d = e.details as Record<string, unknown>;
  switch (e.kind) {
    case "detected":
    case "seen":
      return d.upload ? `in traffic upload ${String(d.filename ?? d.upload)} (${count(Number(d.requests ?? 0), "request")}, ${count(Number(d.users ?? 0), "user")})` : d.scan ? `in a laptop scan of ${String(d.device)}` : "";
    case "state":
      return `${String(d.from)} → ${String(d.to)}`;
    case "assigned":
      return d.assignee ? `to ${String(d.assignee)}` : "unassigned";
    case "blocked":
    case "unblocked":
      return d.origin ? `${String(d.origin)}${String(d.pathPrefix ?? "")}${d.mode === "log" ? ` — logging first, ${d.enforceAt ? `blocks on ${formatEnforceDate(new Date(String(d.enforceAt)))}` : "no date set"}` : ""}` : "";
    case "rollout": {
      const side = (r: unknown) => {
        const v = (r ?? {}) as { mode?: string; enforceAt?: string | null };
        return v.mode === "log" ? (v.enforceAt ? `logging until ${formatEnforceDate(new Date(v.enforceAt))}` : "logging (no date)") : "blocking";
      };
      return `${side(d.from)} → ${side(d.to)}`;
    }
    case "rekeyed":
      return `was ${String(d.from)}: scans of the same server with other arguments now merge here`;
    default:
      return "";
  }
}

function Counts({ title, counts }: { title: string; counts: Record<string, number> }) {
  const rows = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  if (rows.length === 0) return null;
  return (
    <div>
      <h3 className="text-xs font-semibold uppercase tracking-wide text-zinc-500">{title}</h3>
      <ul className="mt-1 space-y-0.5 text-sm">
        {rows.slice(0, 30).map(([k, v]) => (
          <li key={k} className="flex justify-between gap-3">
            <span className="font-mono text-xs">{k}</span>
            <span className="tabular-nums text-zinc-600">{v.toLocaleString("en-US")}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

export default async function FindingPage({ params }: { params: Promise<{ id: string }> }) {
  await connection();
  const ctx = await requirePage("shadow.read");
  const { id } = await params;
  let f: FindingDetailOutput;
  try {
    f = await getFinding(ctx, id);
  } catch (error) {
    if (error instanceof NotFoundError) notFound();
    throw error;
  }
  const canTriage = can(ctx.actor, "shadow.triage");
  const people = canTriage ? await triagePeople(ctx) : [];
  const title = f.url ?? f.command ?? "finding";

  return (
    <div className="space-y-6">
      <BackToShadow />
      <PageHeader
        title={f.kind === "remote" ? `Shadow MCP server ${f.host ?? ""}` : `Local MCP server ${f.names[0] ?? ""}`}
        description={<span className="break-all font-mono text-xs">{title}</span>}
        actions={
          <div className="flex gap-1">
            {f.candidate && <Badge>candidate</Badge>}
            <Badge tone={SEVERITY_TONE[f.severity]}>{f.severity} severity</Badge>
            <Badge tone={stateTone(f.state, f.resolution)}>{stateLabel(f.state, f.resolution)}</Badge>
            {f.blocked && <Badge tone="indigo">on the block list</Badge>}
          </div>
        }
      />
      <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_22rem]">
        <div className="min-w-0 space-y-6">
          <Card title="Why it matters">
            <ul className="list-disc space-y-1 pl-5 text-sm text-zinc-800">
              {f.severityReasons.length ? f.severityReasons.map((r) => <li key={r}>{r}</li>) : <li>Nothing raises its severity.</li>}
            </ul>
            <dl className="mt-4 grid grid-cols-2 gap-x-6 gap-y-2 text-sm sm:grid-cols-4">
              <div>
                <dt className="text-xs text-zinc-500">First seen</dt>
                <dd>{utc(f.firstSeen)}</dd>
              </div>
              <div>
                <dt className="text-xs text-zinc-500">Last seen</dt>
                <dd>{utc(f.lastSeen)}</dd>
              </div>
              <div>
                <dt className="text-xs text-zinc-500">Requests</dt>
                <dd className="tabular-nums">{f.requests.toLocaleString("en-US")}</dd>
              </div>
              <div>
                <dt className="text-xs text-zinc-500">Confidence</dt>
                <dd className="tabular-nums" title={`A finding from ${MCP_THRESHOLD} up; below it a candidate`}>
                  {f.confidence === null ? "laptop scan" : f.confidence.toFixed(2)}
                </dd>
              </div>
              <div>
                <dt className="text-xs text-zinc-500">Vendor</dt>
                <dd>{f.vendor ?? (f.kind === "remote" ? "unknown" : "local process")}</dd>
              </div>
            </dl>
            {f.block && (
              <p className="mt-3 text-sm">
                Block-list entry <span className="font-mono text-xs">{f.block.origin}{f.block.pathPrefix}</span>:{" "}
                <Badge tone={f.block.effectiveMode === "log" ? "amber" : "indigo"}>{rolloutStatus(f.block, new Date()).label}</Badge>{" "}
                <Link className="text-indigo-700 underline" href={`/shadow/blocks/${f.block.id}`}>
                  Who would be cut off, notify them, change the rollout
                </Link>
              </p>
            )}
            {f.serverId && (
              <p className="mt-3 text-sm">
                Registration request:{" "}
                <Link className="text-indigo-700 underline" href={`/servers/${f.serverId}`}>
                  open
                </Link>
              </p>
            )}
          </Card>
          <Card title="Evidence" description="What convinced the detector, strongest first, with one sample record each (query values and secrets redacted).">
            <ul className="space-y-3" data-testid="evidence">
              {f.evidence.map((e, i) => {
                const sample = JSON.stringify(e.sample, null, 2);
                // A record that carries several kinds of evidence is shown once, under the first of them.
                const shownAt = f.evidence.findIndex((o) => JSON.stringify(o.sample, null, 2) === sample);
                return (
                  <li key={e.kind} className="rounded border border-zinc-200 p-3">
                    <p className="text-sm text-zinc-900">
                      {e.sentence} <span className="text-xs text-zinc-500">({e.count.toLocaleString("en-US")}×, weight {e.weight})</span>
                    </p>
                    {shownAt < i ? (
                      <p className="mt-1 text-xs text-zinc-500">In the same record as the evidence above (“{f.evidence[shownAt]!.sentence}”).</p>
                    ) : (
                      <pre className="mt-2 overflow-x-auto rounded bg-zinc-50 p-2 text-xs text-zinc-700">{sample}</pre>
                    )}
                  </li>
                );
              })}
            </ul>
          </Card>
          <Card title="Who and what">
            <div className="grid gap-6 sm:grid-cols-2">
              <div>
                <h3 className="text-xs font-semibold uppercase tracking-wide text-zinc-500">Users ({f.userCount})</h3>
                <ul className="mt-1 space-y-0.5 font-mono text-xs">
                  {f.users.map((u) => (
                    <li key={u}>{u}</li>
                  ))}
                </ul>
                {f.devices.length > 0 && (
                  <>
                    <h3 className="mt-3 text-xs font-semibold uppercase tracking-wide text-zinc-500">Devices ({f.devices.length})</h3>
                    <ul className="mt-1 space-y-0.5 font-mono text-xs">
                      {f.devices.map((d) => (
                        <li key={d}>{d}</li>
                      ))}
                    </ul>
                  </>
                )}
              </div>
              <div className="space-y-4">
                <Counts title="Requests by method" counts={f.methods} />
                <Counts title="Tools called" counts={f.tools} />
                {Object.keys(f.clients).length > 0 && (
                  <div>
                    <h3 className="text-xs font-semibold uppercase tracking-wide text-zinc-500">Configured in</h3>
                    <ul className="mt-1 space-y-0.5 text-xs">
                      {Object.entries(f.clients).map(([client, paths]) => (
                        <li key={client}>
                          <span className="font-medium">{client}</span>: <span className="font-mono">{paths.join(", ")}</span>
                        </li>
                      ))}
                    </ul>
                  </div>
                )}
              </div>
            </div>
          </Card>
        </div>
        <div className="space-y-6">
          {canTriage && (
            <Card title="Triage">
              <TriageForm
                key={f.updatedAt}
                id={f.id}
                kind={f.kind}
                state={f.state}
                resolution={f.resolution}
                assigneeId={f.assignee?.id ?? null}
                people={people}
                triage={triageFindingAction}
                approve={approveFindingAction}
                block={f.block ? { mode: f.block.mode, enforceAt: f.block.enforceAt } : null}
                defaultEnforceDate={defaultEnforceDate(new Date())}
              />
            </Card>
          )}
          <Card title="Timeline">
            <ol className="space-y-3" data-testid="timeline">
              {[...f.timeline].reverse().map((e) => (
                <li key={e.id} className="text-sm">
                  <p>
                    <span className="font-medium">{EVENT_LABEL[e.kind] ?? e.kind}</span> <span className="text-zinc-700">{describeEvent(e)}</span>
                  </p>
                  {e.note && <p className="whitespace-pre-wrap rounded bg-zinc-50 p-2 text-zinc-800">{e.note}</p>}
                  <p className="text-xs text-zinc-500">
                    {utc(e.at)} · {e.actor}
                  </p>
                </li>
              ))}
            </ol>
          </Card>
        </div>
      </div>
    </div>
  );
}
