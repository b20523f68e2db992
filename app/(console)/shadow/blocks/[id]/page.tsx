import type { Metadata } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import { notFound } from "next/navigation";
import { BackToShadow } from "@/components/shadow/back-link";
import { connection } from "next/server";
import { people, stateLabel, utc } from "@/components/shadow/format";
import { NotifyForm } from "@/components/shadow/notify-form";
import { RolloutFields } from "@/components/shadow/rollout-fields";
import { ActionForm, SubmitButton } from "@/components/ui/action-form";
import { Badge } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { DailyBars } from "@/components/ui/daily-bars";
import { PublishLink } from "@/components/ui/row-actions";
import { Table, Td } from "@/components/ui/table";
import { can } from "@/lib/auth/actor";
import { consoleOrigin } from "@/lib/auth/console-origin";
import { requirePage } from "@/lib/auth/page";
import { NotFoundError } from "@/lib/errors";
import { blockImpact } from "@/lib/shadow/block-impact";
import { draftNoticeMessage } from "@/lib/shadow/notify-block";
import { defaultEnforceDate, rolloutStatus } from "@/lib/shadow/rollout";
import { IMPACT_DEFAULT_DAYS, type BlockImpactOutput } from "@/lib/shadow/schemas";
import { count } from "@core/text/count";
import { notifyBlockAction, updateBlockAction } from "../../actions";

export const metadata: Metadata = { title: "Block-list entry" };

const WINDOWS = [7, 14, 30, 90] as const;
const fmt = (n: number) => n.toLocaleString("en-US");

function PortalCounts({ c }: { c: { calls: number; wouldBlock: number; blocked: number } }) {
  return (
    <>
      <Td className="tabular-nums">{fmt(c.calls)}</Td>
      <Td className="tabular-nums text-amber-800">{fmt(c.wouldBlock)}</Td>
      <Td className="tabular-nums text-indigo-700">{fmt(c.blocked)}</Td>
    </>
  );
}

function Subhead({ children }: { children: ReactNode }) {
  return <h3 className="mt-5 text-xs font-semibold uppercase tracking-wide text-zinc-500">{children}</h3>;
}

function ThroughPortal({ p, days }: { p: BlockImpactOutput["portal"]; days: number }) {
  if (p.calls === 0) {
    return (
      <p className="text-sm text-zinc-600" data-testid="portal-empty">
        Nobody called a server this entry covers through the portal in the last {count(days, "day")}, so blocking it there cuts nobody off. (The portal marks calls from the first publish that carries the entry; calls
        made before it are not counted.)
      </p>
    );
  }
  return (
    <div data-testid="portal-impact">
      <p className="text-sm text-zinc-800">
        {count(p.calls, "call")} in the last {count(days, "day")}: <span className="text-amber-800">{fmt(p.wouldBlock)} let through while logging (would be blocked)</span>,{" "}
        <span className="text-indigo-700">{fmt(p.blocked)} refused</span>.
      </p>
      <DailyBars
        data={p.perDay}
        series={[
          { key: "wouldBlock", name: "Would block (logged)", fill: "#f59e0b" },
          { key: "blocked", name: "Refused", fill: "#6366f1" },
        ]}
        testId="portal-per-day"
      />
      <Subhead>Users ({p.users.length})</Subhead>
      <Table head={["User", "Calls", "Would block", "Refused", "Last call"]}>
        {p.users.map((u) => (
          <tr key={u.user}>
            <Td className="font-mono text-xs">{u.user}</Td>
            <PortalCounts c={u} />
            <Td className="whitespace-nowrap text-xs">{utc(u.lastSeen)}</Td>
          </tr>
        ))}
      </Table>
      <div>
        <div>
          <Subhead>Teams</Subhead>
          <Table head={["Team", "Calls", "Would block", "Refused"]} empty="The callers belong to no team.">
            {p.teams.map((t) => (
              <tr key={t.teamId}>
                <Td>{t.team}</Td>
                <PortalCounts c={t} />
              </tr>
            ))}
          </Table>
        </div>
        <div>
          <Subhead>Clients</Subhead>
          <Table head={["Client", "Calls", "Would block", "Refused"]}>
            {p.clients.map((c) => (
              <tr key={c.client}>
                <Td className="font-mono text-xs">{c.client}</Td>
                <PortalCounts c={c} />
              </tr>
            ))}
          </Table>
        </div>
      </div>
    </div>
  );
}

function OutsidePortal({ t, days }: { t: BlockImpactOutput["traffic"]; days: number }) {
  if (t.findings.length === 0) {
    return (
      <p className="text-sm text-zinc-600" data-testid="traffic-empty">
        No shadow MCP finding lies under this entry: no uploaded traffic log or laptop scan showed a server it covers.
      </p>
    );
  }
  return (
    <div data-testid="traffic-impact">
      <p className="text-sm text-zinc-800">
        Under this entry:{" "}
        {t.findings.map((f, i) => (
          <span key={f.id}>
            {i > 0 && ", "}
            <Link className="break-all font-mono text-xs text-indigo-700 underline" href={`/shadow/${f.id}`}>
              {f.url}
            </Link>{" "}
            <span className="text-xs text-zinc-500">({f.candidate ? "candidate" : stateLabel(f.state, f.resolution)})</span>
          </span>
        ))}
        .
      </p>
      {t.requests === 0 ? (
        <p className="mt-2 text-sm text-zinc-600" data-testid="traffic-quiet">
          No uploaded log shows requests to {t.findings.length === 1 ? "it" : "them"} in the last {count(days, "day")}.
        </p>
      ) : (
        <>
          <p className="mt-2 text-sm text-zinc-800">{count(t.requests, "request")} in uploaded logs over the last {count(days, "day")}.</p>
          <DailyBars data={t.perDay} series={[{ key: "requests", name: "Requests (traffic logs)", fill: "#71717a" }]} testId="traffic-per-day" />
          <Subhead>Users ({t.users.length})</Subhead>
          <Table head={["User (as the log names them)", "Requests", "Last day"]} empty="The logs named nobody (requests without a user).">
            {t.users.map((u) => (
              <tr key={u.user}>
                <Td className="font-mono text-xs">{u.user}</Td>
                <Td className="tabular-nums">{fmt(u.requests)}</Td>
                <Td className="text-xs">{u.lastDay}</Td>
              </tr>
            ))}
          </Table>
          <Subhead>Teams</Subhead>
          <Table head={["Team", "Requests"]} empty="No one in the logs is a console user in a team (teams are matched by e-mail address).">
            {t.teams.map((team) => (
              <tr key={team.teamId}>
                <Td>{team.team}</Td>
                <Td className="tabular-nums">{fmt(team.requests)}</Td>
              </tr>
            ))}
          </Table>
        </>
      )}
      {t.clients.length > 0 && (
        <>
          <Subhead>Configured in (laptop scans)</Subhead>
          <ul className="mt-1 text-sm">
            {t.clients.map((c) => (
              <li key={c.client}>
                <span className="font-mono text-xs">{c.client}</span> <span className="text-xs text-zinc-500">({count(c.configs, "config file")})</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

export default async function BlockEntryPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await connection();
  const ctx = await requirePage("shadow.read");
  const { id } = await params;
  const sp = await searchParams;
  const days = WINDOWS.find((w) => String(w) === sp.days) ?? IMPACT_DEFAULT_DAYS;
  const now = new Date();
  let impact: BlockImpactOutput;
  try {
    impact = await blockImpact(ctx, id, { days }, now);
  } catch (error) {
    if (error instanceof NotFoundError) notFound();
    throw error;
  }
  const canTriage = can(ctx.actor, "shadow.triage");
  const e = impact.entry;
  const target = `${e.origin}${e.pathPrefix}`;
  const status = rolloutStatus(e, now);
  const draft = canTriage ? await draftNoticeMessage(ctx, id, await consoleOrigin(), now) : "";

  return (
    <div className="space-y-6">
      <BackToShadow />
      <PageHeader
        title="Block-list entry"
        description={
          <span className="break-all font-mono text-xs">
            {target}
            {e.pathPrefix ? " (and every path under it)" : " (every path)"}
          </span>
        }
        actions={<Badge tone={status.state === "logging" ? "amber" : "indigo"}>{status.label}</Badge>}
      />

      {impact.approvedServers.length > 0 && (
        <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          This entry covers the approved {impact.approvedServers.length === 1 ? "server" : "servers"} {impact.approvedServers.map((s) => `"${s.name}" (${s.slug})`).join(", ")}: {status.state === "logging" ? "once it blocks, the edge refuses" : "the edge refuses"} every call to{" "}
          {impact.approvedServers.length === 1 ? "it" : "them"}. If the approval stands, unblock this entry (and add a narrower one if the rest must stay blocked).
        </p>
      )}

      <Card title="Rollout">
        <dl className="grid gap-x-6 gap-y-2 text-sm sm:grid-cols-2">
          <div>
            <dt className="text-xs text-zinc-500">Now</dt>
            <dd data-testid="rollout-status">{status.label}</dd>
          </div>
          <div>
            <dt className="text-xs text-zinc-500">Reason</dt>
            <dd>{e.findingId ? <Link className="text-indigo-700 underline" href={`/shadow/${e.findingId}`}>{e.reason}</Link> : e.reason}</dd>
          </div>
          <div>
            <dt className="text-xs text-zinc-500">Added</dt>
            <dd>
              {utc(e.createdAt)} by {e.createdBy}
            </dd>
          </div>
          <div>
            <dt className="text-xs text-zinc-500">People notified</dt>
            <dd>{e.lastNotifiedAt ? `last on ${utc(e.lastNotifiedAt)} (${count(impact.notices.length, "notice")})` : "not yet"}</dd>
          </div>
        </dl>
        {canTriage && (
          <ActionForm
            key={`${e.mode}-${e.enforceAt ?? ""}`}
            action={updateBlockAction}
            className="mt-4 space-y-3 border-t border-zinc-100 pt-4"
            successNote={
              <p className="text-xs text-emerald-700" role="status">
                Saved. The edge learns the change with the next publish; a log entry&apos;s switch to block on its date needs no publish.
              </p>
            }
          >
            <input type="hidden" name="id" value={e.id} />
            <RolloutFields legend="Change the rollout" initialMode={e.mode} initialDate={e.mode === "log" ? (e.enforceAt?.slice(0, 10) ?? null) : undefined} defaultDate={defaultEnforceDate(now)} />
            <p className="text-xs text-zinc-500">
              Changes reach the edge when an admin <PublishLink>publishes</PublishLink>. The switch from logging to blocking on the date happens at the edge by itself.
            </p>
            <SubmitButton pendingLabel="Saving…">Save rollout</SubmitButton>
          </ActionForm>
        )}
      </Card>

      <Card
        title="Who would be cut off"
        description={`Last ${count(days, "day")} (UTC days, today included). Through the portal: the calls the edge marked with this entry. Outside the portal: the shadow traffic this console has seen to the servers it covers, which the portal's block does not stop (the Gateway export does) — the people to move onto the portal.`}
        actions={
          <nav className="flex shrink-0 gap-1 whitespace-nowrap text-sm" aria-label="Window">
            {WINDOWS.map((w) => (
              <Link key={w} href={`/shadow/blocks/${e.id}?days=${w}`} aria-current={w === days ? "page" : undefined} className={`rounded px-2 py-1 ${w === days ? "bg-zinc-900 text-white" : "text-zinc-700 hover:bg-zinc-100"}`}>
                {w} days
              </Link>
            ))}
          </nav>
        }
      >
        <h3 className="text-sm font-semibold text-zinc-900">Through the portal</h3>
        <div className="mt-2">
          <ThroughPortal p={impact.portal} days={days} />
        </div>
        <h3 className="mt-8 text-sm font-semibold text-zinc-900">Outside the portal (shadow traffic)</h3>
        <div className="mt-2">
          <OutsidePortal t={impact.traffic} days={days} />
        </div>
      </Card>

      {canTriage && (
        <Card
          title="Notify them"
          description={`${people(impact.people.length)} with an e-mail address in the last ${count(days, "day")}, from both sources. The message links to the prefilled request for this server, so those who need it can ask for it to be approved before the block.`}
        >
          <NotifyForm id={e.id} days={days} emails={impact.people.map((p) => p.email)} draft={draft} subject={`Heads-up: ${target} ${status.state === "blocking" ? "is blocked" : "will be blocked"} for AI clients`} notify={notifyBlockAction} />
        </Card>
      )}

      <Card title="Notices sent">
        <ol className="space-y-3" data-testid="notices">
          {impact.notices.length === 0 && <li className="text-sm text-zinc-500">None yet.</li>}
          {impact.notices.map((n) => (
            <li key={n.id} className="text-sm">
              <p>
                <span className="font-medium">{utc(n.createdAt)}</span> by {n.createdBy}: shown to {people(n.recipients)} in the console
                {n.webhookOrigin ? `; webhook ${n.webhookOrigin}: ${n.webhookStatus}` : ""}
              </p>
              <details className="mt-1">
                <summary className="cursor-pointer text-xs text-zinc-500">Message</summary>
                <p className="mt-1 whitespace-pre-wrap rounded bg-zinc-50 p-2 text-xs text-zinc-800">{n.message}</p>
              </details>
            </li>
          ))}
        </ol>
      </Card>
    </div>
  );
}
