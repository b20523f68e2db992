import { Live } from "../live";
import type { Metadata } from "next";
import { count } from "@core/text/count";
import { AckBadge, AckList } from "@/components/portal/ack-list";
import { BundleDiffView } from "@/components/portal/bundle-diff";
import { PublishButton, PushAgainButton, RollbackButton } from "@/components/portal/publish-controls";
import { Button } from "@/components/ui/button";
import { Card, PageHeader } from "@/components/ui/card";
import { CopyButton } from "@/components/ui/copy-button";
import { Select } from "@/components/ui/field";
import { Table, Td } from "@/components/ui/table";
import { can } from "@/lib/auth/actor";
import { requirePage } from "@/lib/auth/page";
import type { BundleDiff } from "@core/bundle/diff";
import { getConfigDiff, getPortalOverview, listDeployments, type PortalOverview } from "@/lib/config/queries";
import { DomainError } from "@/lib/errors";
import { connectInstructions, mcpEndpoint } from "@/lib/config/connect";
import { listTeams } from "@/lib/teams/queries";
import { ImpactView } from "@/components/policies/impact-view";
import { previewImpact } from "@/lib/policies/impact";
import { getCodemodeSettings } from "@/lib/codemode/settings";
import { CodemodeSettingsForm } from "@/components/portal/codemode-settings";
import { AuditDetailForm } from "@/components/portal/audit-detail-settings";
import { getAuditDetail } from "@/lib/audit/detail-settings";
import { publishConfigAction, pushConfigAction, rollbackConfigAction, updateAuditDetailAction, updateCodemodeAction } from "./actions";

export const metadata: Metadata = { title: "Portal" };

const when = (iso: string) => `${iso.slice(0, 19).replace("T", " ")} UTC`;
const versionParam = (v: string | string[] | undefined) => (typeof v === "string" && /^\d{1,9}$/.test(v) ? Number(v) : undefined);

export default async function PortalPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const ctx = await requirePage("portal.read");
  const sp = await searchParams;
  const canPublish = can(ctx.actor, "config.publish");
  const canRead = can(ctx.actor, "config.read");
  const overview = await getPortalOverview(ctx);
  const deployments = canRead ? await listDeployments(ctx, { limit: 50 }) : [];

  const endpoint = mcpEndpoint(overview.publicUrl);
  let diff: BundleDiff | null = null;
  let diffError: string | null = null;
  const from = versionParam(sp.from) ?? deployments[1]?.version;
  const to = versionParam(sp.to) ?? deployments[0]?.version;
  if (canRead && from !== undefined && to !== undefined) {
    try {
      diff = await getConfigDiff(ctx, { from, to });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      diffError = error.message;
    }
  }
  const impact = can(ctx.actor, "policies.read") ? await previewImpact(ctx) : null;
  const [codemode, auditDetail] = await Promise.all([getCodemodeSettings(ctx), getAuditDetail(ctx)]);
  const teamSlugs = diff ? Object.fromEntries((await listTeams(ctx)).map((t) => [t.id, t.slug])) : {};

  return (
    <div className="space-y-6">
      <PageHeader
        title="Portal"
        description={
          <>
            One MCP endpoint for every approved server: <code className="font-mono text-xs" data-testid="portal-endpoint">{endpoint}</code>
          </>
        }
        actions={
          <div className="flex flex-col items-end gap-1">
            <CopyButton value={endpoint} label="Copy URL" />
            <Live ctx={ctx} />
          </div>
        }
      />

      <div className="grid gap-4 lg:grid-cols-2">
        <Card title="Deployed configuration" description="The config bundle version each portal runs, and the last call any portal reported.">
          <dl className="space-y-3 text-sm">
            <div>
              <dt className="text-xs text-zinc-500">Latest published version</dt>
              <dd data-testid="latest-version">{overview.latestVersion === null ? "nothing published yet — the portal denies every call until a bundle arrives" : `v${overview.latestVersion}`}</dd>
            </div>
            <div>
              <dt className="text-xs text-zinc-500">Portals</dt>
              <dd>
                {overview.portals.length === 0 ? (
                  <span className="text-zinc-500">none configured (PORTCULLIS_PORTAL_URLS)</span>
                ) : (
                  <ul className="space-y-1" data-testid="portal-status">
                    {overview.portals.map((p) => (
                      <li key={p.label} className="flex flex-wrap items-center gap-2">
                        <code className="font-mono text-xs">{p.label}</code>
                        {p.ack ? (
                          <>
                            <AckBadge status={p.ack.status} />
                            <span className="text-xs text-zinc-600">
                              runs {p.ack.activeVersion === null ? "unknown version" : `v${p.ack.activeVersion}`} · pushed v{p.ack.version} at {when(p.ack.at)}
                            </span>
                          </>
                        ) : (
                          <span className="text-xs text-zinc-500">never pushed</span>
                        )}
                        <PortalReconcileState state={p.state} latest={overview.latestVersion} />
                      </li>
                    ))}
                  </ul>
                )}
              </dd>
            </div>
            <div>
              <dt className="text-xs text-zinc-500">Last call</dt>
              <dd data-testid="last-event">{overview.lastEventAt ? when(overview.lastEventAt) : "no calls yet"}</dd>
            </div>
          </dl>
          {canPublish && (
            <div className="mt-4 flex flex-wrap items-start justify-between gap-3 border-t border-zinc-100 pt-4">
              <PublishButton action={publishConfigAction} />
              {overview.latestVersion !== null && <PushAgainButton action={pushConfigAction} />}
            </div>
          )}
        </Card>

        <Card title="Endpoints" description="/mcp aggregates every server you may use as {server}_{tool}; /mcp/{server} serves one server's tools under their own names.">
          <ul className="space-y-1.5 text-sm">
            <li className="flex items-center justify-between gap-2">
              <code className="font-mono text-xs">{endpoint}</code>
              <span className="text-xs text-zinc-500">all servers</span>
            </li>
            {overview.servers.map((s) => (
              <li key={s.slug} className="flex items-center justify-between gap-2">
                <code className="font-mono text-xs">{mcpEndpoint(overview.publicUrl, s.slug)}</code>
                <span className="text-xs text-zinc-500">{s.name}</span>
              </li>
            ))}
            {overview.servers.length === 0 && <li className="text-xs text-zinc-500">No approved server yet.</li>}
          </ul>
        </Card>
      </div>

      <Card
        title="Code Mode"
        description="Instead of every tool's JSON schema, clients get a search tool and an execute tool (or one code tool) and write code against a typed API of their tools; the code runs in a sandbox with no network, and every tool call it makes is checked and audited like a direct one."
      >
        <div className="grid gap-4 lg:grid-cols-2">
          <CodemodeSettingsForm settings={codemode} action={updateCodemodeAction} canEdit={canPublish} />
          <ul className="space-y-1.5 text-sm" data-testid="codemode-urls">
            {(["search_and_execute", "code"] as const).map((shape) => (
              <li key={shape} className="flex items-center justify-between gap-2">
                <code className="font-mono text-xs">{`${endpoint}?codemode=${shape}`}</code>
                <CopyButton value={`${endpoint}?codemode=${shape}`} label="Copy" />
              </li>
            ))}
            <li className="text-xs text-zinc-500">Also on /mcp/{"{server}"}. {codemode.mode === "off" ? "Off: these URLs serve the plain catalog until Code Mode is turned on and published." : ""}</li>
          </ul>
        </div>
      </Card>

      <Card
        title="What audit events keep of tool calls"
        description="Every call is audited with who, which tool, the decision and how it went. Here: whether its arguments and an excerpt of its result are kept too, and how they are masked (the portal masks them before they leave the edge)."
      >
        <AuditDetailForm settings={auditDetail} action={updateAuditDetailAction} canEdit={can(ctx.actor, "policies.manage")} />
      </Card>

      {impact && (
        <Card title="Changes at the next publish" description="Who gains or loses which tools when you publish now: approvals, server access, policies and users together.">
          <ImpactView impact={impact} />
        </Card>
      )}

      <Card title="Connect a client" description="Sign in through the browser when the client asks (OAuth), or send an API token as Authorization: Bearer.">
        <div className="grid gap-4 lg:grid-cols-2">
          {connectInstructions(endpoint).map((c) => (
            <div key={c.id} className="space-y-1.5" data-testid={`connect-${c.id}`}>
              <div className="flex items-center justify-between gap-2">
                <div>
                  <h3 className="text-sm font-medium">{c.client}</h3>
                  <p className="text-xs text-zinc-500">{c.where}</p>
                </div>
                <CopyButton value={c.snippet} />
              </div>
              <pre className="overflow-x-auto rounded-md bg-zinc-900 p-3 font-mono text-xs text-zinc-100">{c.snippet}</pre>
            </div>
          ))}
        </div>
      </Card>

      {canRead && (
        <Card title="Deployments" description="Every published version; a rollback re-publishes an earlier version's content as a new version.">
          <Table head={["Version", "Published", "By", "Content", "Portals", ""]} empty="Nothing published yet.">
            {deployments.map((d) => (
              <tr key={d.version} data-testid={`deployment-${d.version}`}>
                <Td className="font-medium">
                  v{d.version}
                  {d.kind === "rollback" && <span className="ml-1 text-xs text-zinc-500">(rollback to v{d.rolledBackFrom})</span>}
                  {d.kind === "identity" && <span className="ml-1 text-xs text-zinc-500">(users and tokens)</span>}
                </Td>
                <Td className="text-xs text-zinc-600">{when(d.createdAt)}</Td>
                <Td className="text-xs">{d.publishedBy}</Td>
                <Td className="text-xs text-zinc-600">
                  {[
                    count(d.summary.servers, "server"),
                    count(d.summary.tools, "tool"),
                    count(d.summary.rules, "rule"),
                    ...(d.summary.blocks ? [count(d.summary.blocks, "block")] : []),
                    ...(d.summary.rateLimits ? [count(d.summary.rateLimits, "rate limit")] : []),
                    ...(d.summary.budgets ? [count(d.summary.budgets, "budget")] : []),
                    ...(d.summary.llmProviders ? [count(d.summary.llmProviders, "LLM provider")] : []),
                    ...(d.summary.codemode ? [`Code Mode ${d.summary.codemode}`] : []),
                  ].join(" · ")}
                  <br />
                  <code className="font-mono text-[11px] text-zinc-400">{d.contentHash.slice(0, 12)}</code>
                  {d.summary.skipped.length > 0 && <span className="text-amber-800"> · left out: {d.summary.skipped.map((s) => s.slug).join(", ")}</span>}
                </Td>
                <Td>
                  <AckList acks={d.acks} empty="not pushed" />
                </Td>
                <Td>{canPublish && d.version !== deployments[0]?.version && <RollbackButton action={rollbackConfigAction} version={d.version} />}</Td>
              </tr>
            ))}
          </Table>
          {deployments.length > 0 && (
            <div className="mt-6 space-y-3 border-t border-zinc-100 pt-4">
              <form method="get" className="flex flex-wrap items-end gap-2 text-sm" data-testid="diff-form">
                {(
                  [
                    ["from", "From", from ?? deployments[1]?.version ?? deployments[0]?.version],
                    ["to", "To", to ?? deployments[0]?.version],
                  ] as const
                ).map(([name, label, value]) => (
                  <label key={name} className="space-y-1">
                    <span className="block text-xs text-zinc-500">{label}</span>
                    <Select name={name} defaultValue={value !== undefined ? String(value) : undefined}>
                      {deployments.map((d) => (
                        <option key={d.version} value={d.version}>
                          v{d.version}
                        </option>
                      ))}
                    </Select>
                  </label>
                ))}
                <Button type="submit" variant="secondary">
                  Compare
                </Button>
              </form>
              {diffError && <p className="text-sm text-red-700">{diffError}</p>}
              {diff && <BundleDiffView diff={diff} teamSlugs={teamSlugs} />}
            </div>
          )}
        </Card>
      )}
    </div>
  );
}

/** What the reconcile loop last saw: in step (and until when the configuration holds), or lagging and why. */
function PortalReconcileState({ state, latest }: { state: PortalOverview["portals"][number]["state"]; latest: number | null }) {
  if (!state || latest === null) return null;
  if (state.behindSince) {
    return (
      <span className="basis-full text-xs text-red-700" data-testid="portal-lag">
        behind since {when(state.behindSince)}: runs {state.runningVersion === null ? "nothing known" : `v${state.runningVersion}`} of v{latest}
        {state.lastError ? ` — ${state.lastError}` : ""} (retried automatically)
      </span>
    );
  }
  return (
    <span className="basis-full text-xs text-zinc-500" data-testid="portal-in-step">
      in step, checked {when(state.checkedAt)}
      {state.expiresAt ? ` · configuration valid until ${when(state.expiresAt)}` : ""}
    </span>
  );
}
