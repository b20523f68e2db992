import { Live } from "./live";
import type { Metadata } from "next";
import Link from "next/link";
import { DailyBars } from "@/components/ui/daily-bars";
import { Badge } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { dailyActivity } from "@/lib/audit/activity";
import { can } from "@/lib/auth/actor";
import { requirePage } from "@/lib/auth/page";
import { BlockNotices } from "@/components/shadow/block-notices";
import { myBlockNotices } from "@/lib/shadow/my-notices";
import { formatAmount } from "@core/text/format";
import { formatAge } from "@/lib/overview/format";
import { getOverview, type CallTally } from "@/lib/overview/needs-me";
import { dismissBlockNoticeAction } from "./actions";

export const metadata: Metadata = { title: "Overview" };

const number = (n: number) => n.toLocaleString("en");

function Tally({ label, tally, testId }: { label: string; tally: CallTally; testId: string }) {
  return (
    <div data-testid={testId}>
      <p className="text-xs uppercase tracking-wide text-zinc-500">{label}</p>
      <p className="mt-1 text-2xl font-semibold">{number(tally.calls)}</p>
      <p className="text-xs text-zinc-600">
        <span className={tally.denied ? "font-medium text-red-700" : ""}>{number(tally.denied)} denied</span> ·{" "}
        <span className={tally.errors ? "font-medium text-amber-800" : ""}>{number(tally.errors)} failed</span>
      </p>
    </div>
  );
}

function Empty({ children }: { children: React.ReactNode }) {
  return <p className="text-sm text-zinc-500">{children}</p>;
}

export default async function OverviewPage() {
  const ctx = await requirePage();
  const now = new Date();
  // At once: each on a pool connection of its own (bench/events: the page's server time at ten million events).
  const [overview, notices, activity] = await Promise.all([getOverview(ctx, now), myBlockNotices(ctx), can(ctx.actor, "audit.read") ? dailyActivity(ctx) : null]);
  const own = overview.scope === "own";
  const reviewer = can(ctx.actor, "servers.review");
  const { last24h, config, pendingReviews, newHighFindings, budgetsNearLimit } = overview;
  return (
    <div className="space-y-6">
      <PageHeader
        title="Overview"
        description={own ? "What needs you now: your requests, your budgets and your own calls." : "What needs you now across the organisation."}
        actions={<Live ctx={ctx} />}
      />
      <BlockNotices notices={notices} dismiss={dismissBlockNoticeAction} />
      <div className="grid gap-4 lg:grid-cols-2">
        <Card
          title={reviewer ? "Servers waiting for review" : "Your server requests waiting for review"}
          actions={<Badge tone={pendingReviews.count ? "amber" : "green"}>{number(pendingReviews.count)}</Badge>}
        >
          <div data-testid="needs-reviews">
            {pendingReviews.items.length ? (
              <ul className="space-y-1 text-sm">
                {pendingReviews.items.map((s) => (
                  <li key={s.id}>
                    <Link href={reviewer ? `/servers/${s.id}/review` : `/servers/${s.id}`} className="text-indigo-700 hover:underline">
                      {s.name}
                    </Link>{" "}
                    <span className="text-xs text-zinc-500">requested {formatAge(now.getTime() - Date.parse(s.requestedAt))} ago</span>
                  </li>
                ))}
              </ul>
            ) : (
              <Empty>Nothing waiting.</Empty>
            )}
            {pendingReviews.count > pendingReviews.items.length && (
              <Link href="/servers?status=pending_review" className="mt-2 inline-block text-xs text-indigo-700 hover:underline">
                All {number(pendingReviews.count)}
              </Link>
            )}
          </div>
        </Card>
        {newHighFindings && (
          <Card title="New high-severity shadow MCP findings" actions={<Badge tone={newHighFindings.count ? "red" : "green"}>{number(newHighFindings.count)}</Badge>}>
            <div data-testid="needs-findings">
              {newHighFindings.items.length ? (
                <ul className="space-y-1 text-sm">
                  {newHighFindings.items.map((f) => (
                    <li key={f.id} className="truncate">
                      <Link href={`/shadow/${f.id}`} className="text-indigo-700 hover:underline">
                        {f.label}
                      </Link>{" "}
                      <span className="text-xs text-zinc-500">
                        {number(f.users)} {f.users === 1 ? "user" : "users"}, last seen {formatAge(now.getTime() - Date.parse(f.lastSeen))} ago
                      </span>
                    </li>
                  ))}
                </ul>
              ) : (
                <Empty>No new high-severity finding.</Empty>
              )}
              {newHighFindings.count > newHighFindings.items.length && (
                <Link href="/shadow?state=new&severity=high" className="mt-2 inline-block text-xs text-indigo-700 hover:underline">
                  All {number(newHighFindings.count)}
                </Link>
              )}
            </div>
          </Card>
        )}
        <Card
          title={own ? "Your budgets near their limit" : "Budgets near their limit"}
          description="At 80 % or more of their limit in the current period."
          actions={<Badge tone={budgetsNearLimit.some((b) => b.level === "exceeded") ? "red" : budgetsNearLimit.length ? "amber" : "green"}>{number(budgetsNearLimit.length)}</Badge>}
        >
          <div data-testid="needs-budgets">
            {budgetsNearLimit.length ? (
              <ul className="space-y-1 text-sm">
                {budgetsNearLimit.map((b) => (
                  <li key={b.budget.id} className="flex items-baseline justify-between gap-3">
                    <Link href="/budgets" className="truncate text-indigo-700 hover:underline">
                      {b.budget.name}
                    </Link>
                    <span className="shrink-0 text-xs text-zinc-600">
                      {formatAmount(b.budget.metric, b.spent)} of {formatAmount(b.budget.metric, b.budget.limit)}{" "}
                      <Badge tone={b.level === "exceeded" ? "red" : "amber"}>{b.percent} %</Badge>
                    </span>
                  </li>
                ))}
              </ul>
            ) : (
              <Empty>Every budget has room.</Empty>
            )}
          </div>
        </Card>
        <Card
          title={own ? "Your calls in the last 24 hours" : "Calls in the last 24 hours"}
          actions={
            <Link href={can(ctx.actor, "audit.read") ? "/audit?decision=denied" : "/usage"} className="text-xs text-indigo-700 hover:underline">
              {can(ctx.actor, "audit.read") ? "Denials in the audit log" : "Usage"}
            </Link>
          }
        >
          <div className="grid grid-cols-2 gap-4" data-testid="needs-last-24h">
            <Tally label="MCP requests" tally={last24h.mcp} testId="tally-mcp" />
            <Tally label="LLM calls" tally={last24h.llm} testId="tally-llm" />
          </div>
          {last24h.denialReasons.length > 0 && (
            <p className="mt-3 text-xs text-zinc-600">
              Denied by: {last24h.denialReasons.map((r) => `${r.code} (${number(r.calls)})`).join(", ")}
            </p>
          )}
        </Card>
        <Card title="Configuration in force" actions={<Link href="/portal" className="text-xs text-indigo-700 hover:underline">Portal</Link>}>
          <div data-testid="needs-config">
            {config ? (
              <p className="text-sm">
                <span className="text-2xl font-semibold">v{config.version}</span>{" "}
                <span className="text-zinc-600">
                  published {formatAge(config.ageMs)} ago
                  {config.runningOn ? `, running on ${config.runningOn} ${config.runningOn === 1 ? "portal" : "portals"}` : ", no portal has confirmed it yet"}
                </span>
              </p>
            ) : (
              <Empty>Nothing published yet: the portal denies every call until a configuration is published.</Empty>
            )}
          </div>
        </Card>
      </div>
      {activity && (
        <Card title="Console activity" description="Sign-ins and changes per day (UTC), last 14 days, from the audit trail.">
          <DailyBars
            data={activity}
            series={[
              { key: "signIns", name: "Sign-ins", fill: "#6366f1" },
              { key: "changes", name: "Changes", fill: "#f59e0b" },
            ]}
            testId="activity-chart"
          />
        </Card>
      )}
      <Card title="Getting started" description={own ? "Your own first steps." : "The organisation's first steps, as far as they are done."}>
        <ol className="space-y-2 text-sm" data-testid="getting-started">
          {overview.steps.map((s) => (
            <li key={s.key} className="flex items-center gap-2" data-step={s.key} data-done={s.done ? "true" : "false"}>
              <span className={`flex h-5 w-5 items-center justify-center rounded-full text-xs ${s.done ? "bg-emerald-100 text-emerald-700" : "bg-zinc-100 text-zinc-400"}`}>
                {s.done ? "✓" : "·"}
              </span>
              <Link href={s.href} className={s.done ? "text-zinc-700 hover:underline" : "text-indigo-700 hover:underline"}>
                {s.text}
              </Link>
            </li>
          ))}
        </ol>
      </Card>
    </div>
  );
}
