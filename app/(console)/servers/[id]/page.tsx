import type { Metadata } from "next";
import Link from "next/link";
import { AccessForm } from "@/components/servers/access-form";
import { ServerStatusBadge } from "@/components/servers/badges";
import { SyncButton } from "@/components/servers/sync-button";
import { ToolTable } from "@/components/servers/tool-table";
import { Badge } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { CopyButton } from "@/components/ui/copy-button";
import { portalPublicUrl } from "@/lib/config/edge-keys";
import { hostedDeployCommands, hostedDeployState } from "@/lib/servers/hosted-deploy";
import { Table, Td } from "@/components/ui/table";
import { can } from "@/lib/auth/actor";
import { requirePage } from "@/lib/auth/page";
import { getServerAccess } from "@/lib/servers/access";
import { getServerDetail } from "@/lib/servers/queries";
import { listTeams } from "@/lib/teams/queries";
import { count } from "@core/text/count";
import { setServerAccessAction, setToolApprovalAction, syncServerAction } from "../actions";

export const metadata: Metadata = { title: "Server" };

const EVENT_LABELS: Record<string, string> = {
  requested: "Requested",
  discovered: "Discovered",
  approved: "Approved",
  reapproved: "Re-approved",
  rejected: "Rejected",
  withdrawn: "Approval withdrawn",
  changed: "Upstream changed",
  sync_failed: "Sync failed",
  access: "Access changed",
};

export default async function ServerPage({ params }: { params: Promise<{ id: string }> }) {
  const ctx = await requirePage("servers.read");
  const { id } = await params;
  const detail = await getServerDetail(ctx, id);
  const { server } = detail;
  const canSetAccess = can(ctx.actor, "servers.access") && server.status !== "rejected";
  const [access, teams] = await Promise.all([getServerAccess(ctx, id), canSetAccess ? listTeams(ctx) : Promise.resolve([])]);
  const canReview = can(ctx.actor, "servers.review") && server.status !== "rejected";
  const needsReview = server.status === "pending_review" || server.counts.quarantined > 0;
  return (
    <div className="space-y-6">
      <PageHeader
        title={server.name}
        description={
          <span className="flex flex-wrap items-center gap-2">
            <ServerStatusBadge status={server.status} />
            {server.hosted && <Badge tone="indigo">hosted</Badge>}
            <code className="font-mono text-xs">{server.endpointUrl}</code>
            <span className="text-xs text-zinc-500">
              {server.transport} · {String(server.serverInfo?.name ?? "?")} {String(server.serverInfo?.version ?? "")} · protocol {server.protocolVersion ?? "?"}
            </span>
          </span>
        }
        actions={
          <div className="flex items-start gap-2">
            {can(ctx.actor, "servers.sync") && <SyncButton serverId={server.id} action={syncServerAction} />}
            {canReview && (
              <Link
                href={`/servers/${server.id}/review`}
                className={`rounded-md px-3 py-1.5 text-sm font-medium ${needsReview ? "bg-indigo-600 text-white hover:bg-indigo-700" : "border border-zinc-300 bg-white text-zinc-800 hover:bg-zinc-50"}`}
              >
                {server.status === "pending_review" ? "Review request" : server.counts.quarantined > 0 ? `Review ${server.counts.quarantined} quarantined` : "Change tools"}
              </Link>
            )}
          </div>
        }
      />
      {server.lastSyncError && (
        <p role="alert" className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900">
          Last sync failed: {server.lastSyncError}
        </p>
      )}
      {server.counts.quarantined > 0 && (
        <p className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800" data-testid="quarantine-banner">
          {server.counts.quarantined} tool{server.counts.quarantined === 1 ? " is" : "s are"} quarantined: the upstream changed since approval, so
          {server.counts.quarantined === 1 ? " it stays" : " they stay"} off until an approver re-approves.{" "}
          <Link href={`/servers/${server.id}/diff`} className="font-medium underline">
            See what changed
          </Link>
        </p>
      )}
      <div className="grid gap-4 lg:grid-cols-3">
        <Card title="Request">
          <dl className="space-y-2 text-sm">
            <div>
              <dt className="text-xs text-zinc-500">Requested by</dt>
              <dd>{server.requestedBy?.email ?? "—"}</dd>
            </div>
            <div>
              <dt className="text-xs text-zinc-500">Owner team</dt>
              <dd>{server.ownerTeam?.name ?? "—"}</dd>
            </div>
            <div>
              <dt className="text-xs text-zinc-500">Justification</dt>
              <dd className="whitespace-pre-line">{server.justification ?? "—"}</dd>
            </div>
            {server.decision.at && (
              <div>
                <dt className="text-xs text-zinc-500">Decision</dt>
                <dd>
                  {server.decision.by ?? "—"}: {server.decision.reason}
                </dd>
              </div>
            )}
          </dl>
        </Card>
        <Card title="Upstream">
          <dl className="space-y-2 text-sm">
            <div>
              <dt className="text-xs text-zinc-500">Authentication</dt>
              <dd>
                {server.auth.type}
                {Object.keys(server.auth.summary).length > 0 && <span className="text-xs text-zinc-500"> ({JSON.stringify(server.auth.summary)})</span>}
              </dd>
            </div>
            <div>
              <dt className="text-xs text-zinc-500">Last sync</dt>
              <dd>{server.lastSyncedAt ? server.lastSyncedAt.slice(0, 19).replace("T", " ") + " UTC" : "never"}</dd>
            </div>
            {detail.instructions && (
              <div>
                <dt className="text-xs text-zinc-500">Instructions</dt>
                <dd className="line-clamp-4 text-xs whitespace-pre-line">{detail.instructions}</dd>
              </div>
            )}
          </dl>
        </Card>
        <Card title="Context cost" description="o200k tokens this server's tools/list puts into a model's context.">
          <p className="text-2xl font-semibold">{server.tokens.json.toLocaleString("en")}</p>
          <p className="text-xs text-zinc-500">as JSON · {server.tokens.typescript.toLocaleString("en")} as TypeScript declarations (Code Mode)</p>
          <p className="mt-2 text-xs text-zinc-600">
            {server.counts.enabled} of {count(server.counts.tools, "tool")} enabled
          </p>
        </Card>
      </div>
      {server.hosted && <HostedCard name={server.slug} url={server.url} dir={server.hosted.dir} />}
      <Card title="Access" description="Who may use this server through the portal. Changes apply at the edge with the next publish.">
        {canSetAccess ? (
          <AccessForm serverId={server.id} everyone={access.everyone} grantedTeamIds={access.teams.map((t) => t.id)} teams={teams} action={setServerAccessAction} />
        ) : (
          <p className="text-sm" data-testid="server-access">
            {access.everyone ? "Everyone" : access.teams.length ? access.teams.map((t) => t.name).join(", ") : "Nobody yet"}
          </p>
        )}
      </Card>
      <Card title={`Tools (${server.counts.tools})`} actions={<Link href={`/servers/${server.id}/diff`} className="text-sm text-indigo-700 hover:underline">Changes</Link>}>
        <ToolTable tools={server.tools ?? []} approval={{ serverId: server.id, ...(canReview ? { action: setToolApprovalAction } : {}) }} />
      </Card>
      <div className="grid gap-4 lg:grid-cols-2">
        <Card title={`Prompts (${detail.prompts.length})`}>
          <Table head={["Prompt", "Description"]} empty="No prompts.">
            {detail.prompts.map((p, i) => (
              <tr key={i}>
                <Td className="font-mono text-xs">{String(p.name)}</Td>
                <Td className="text-xs text-zinc-600">{String(p.description ?? "")}</Td>
              </tr>
            ))}
          </Table>
        </Card>
        <Card title={`Resources (${detail.resources.length}) and templates (${detail.resourceTemplates.length})`}>
          <Table head={["URI", "Name"]} empty="No resources.">
            {[...detail.resourceTemplates.map((r) => ({ uri: String(r.uriTemplate), name: String(r.name ?? "") })), ...detail.resources.slice(0, 50).map((r) => ({ uri: String(r.uri), name: String(r.name ?? "") }))].map((r, i) => (
              <tr key={i}>
                <Td className="max-w-xs truncate font-mono text-xs">{r.uri}</Td>
                <Td className="text-xs text-zinc-600">{r.name}</Td>
              </tr>
            ))}
          </Table>
        </Card>
      </div>
      <Card title="Timeline">
        <ol className="space-y-3" data-testid="timeline">
          {detail.timeline.map((e) => (
            <li key={e.id} className="text-sm">
              <span className="font-medium">{EVENT_LABELS[e.kind] ?? e.kind}</span> <span className="text-zinc-500">by {e.actor}</span>{" "}
              <span className="font-mono text-xs text-zinc-500">{e.at.slice(0, 19).replace("T", " ")} UTC</span>
              {e.reason && <p className="text-xs whitespace-pre-line text-zinc-700">“{e.reason}”</p>}
              {Object.keys(e.details).length > 0 && <p className="font-mono text-xs break-all text-zinc-500">{JSON.stringify(e.details)}</p>}
            </li>
          ))}
        </ol>
      </Card>
    </div>
  );
}

/** A server made with `npx portcullis new-server` that `npm start` runs next to the portal: where it runs, and how to deploy it. */
function HostedCard({ name, url, dir }: { name: string; url: string; dir: string }) {
  const state = hostedDeployState(url);
  const commands = hostedDeployCommands({ dir, name, portalUrl: portalPublicUrl() }).join("\n");
  return (
    <Card title="Hosted" description={`Made with npx portcullis new-server; its project: ${dir}`}>
      <div className="space-y-3 text-sm" data-testid="hosted">
        <p>
          Deploy state:{" "}
          {state === "local" ? (
            <>
              <Badge tone="amber">local</Badge> runs in the local workerd next to the portal (npm start, PORTCULLIS_HOSTED_DIR); not deployed to Cloudflare.
            </>
          ) : (
            <>
              <Badge tone="green">deployed</Badge> registered at {url}.
            </>
          )}
        </p>
        <p className="text-zinc-700">
          To deploy it to Cloudflare (fill in your account&apos;s workers.dev subdomain; the portal must be reachable from Cloudflare), then request the registration of its
          workers.dev URL: a new request, reviewed, pinned and scanned like any server.
        </p>
        <pre className="overflow-x-auto whitespace-pre-wrap break-all rounded bg-zinc-900 p-3 font-mono text-xs text-zinc-50" data-testid="deploy-commands">
          {commands}
        </pre>
        <CopyButton value={commands} label="Copy the commands" />
      </div>
    </Card>
  );
}
