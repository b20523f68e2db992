import type { Metadata } from "next";
import Link from "next/link";
import { DailyBars } from "@/components/ui/daily-bars";
import { Card, PageHeader } from "@/components/ui/card";
import { dailyActivity } from "@/lib/audit/activity";
import { can } from "@/lib/auth/actor";
import { requirePage } from "@/lib/auth/page";
import { listTeams } from "@/lib/teams/queries";
import { listTokens } from "@/lib/tokens/queries";
import { BlockNotices } from "@/components/shadow/block-notices";
import { myBlockNotices } from "@/lib/shadow/my-notices";
import { dismissBlockNoticeAction } from "./actions";

export const metadata: Metadata = { title: "Overview" };

export default async function OverviewPage() {
  const ctx = await requirePage();
  const [teams, tokens, notices] = await Promise.all([listTeams(ctx), listTokens(ctx, { all: false, includeRevoked: false }), myBlockNotices(ctx)]);
  const activity = can(ctx.actor, "audit.read") ? await dailyActivity(ctx) : null;
  const steps = [
    { done: true, text: "Sign in to the console" },
    { done: teams.length > 0, text: "Create teams (or map them to IdP groups)", href: "/settings/teams" },
    { done: tokens.length > 0, text: "Create an API token for automation", href: "/settings/tokens" },
    { done: false, text: "Register and approve MCP servers (coming next)" },
    { done: false, text: "Publish the configuration to the edge portal (coming next)" },
  ];
  return (
    <div className="space-y-6">
      <PageHeader title="Overview" description="Portcullis decides which MCP servers your company's AI clients may use, and sees every call." />
      <BlockNotices notices={notices} dismiss={dismissBlockNoticeAction} />
      <div className="grid gap-4 sm:grid-cols-3">
        <Card>
          <p className="text-xs uppercase tracking-wide text-zinc-500">Your role</p>
          <p className="mt-1 text-2xl font-semibold">{ctx.actor.role}</p>
        </Card>
        <Card>
          <p className="text-xs uppercase tracking-wide text-zinc-500">Teams</p>
          <p className="mt-1 text-2xl font-semibold">{teams.length}</p>
        </Card>
        <Card>
          <p className="text-xs uppercase tracking-wide text-zinc-500">Your active API tokens</p>
          <p className="mt-1 text-2xl font-semibold">{tokens.length}</p>
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
      <Card title="Getting started">
        <ol className="space-y-2 text-sm">
          {steps.map((s) => (
            <li key={s.text} className="flex items-center gap-2">
              <span className={`flex h-5 w-5 items-center justify-center rounded-full text-xs ${s.done ? "bg-emerald-100 text-emerald-700" : "bg-zinc-100 text-zinc-400"}`}>
                {s.done ? "✓" : "·"}
              </span>
              {s.href ? (
                <Link href={s.href} className="text-indigo-700 hover:underline">
                  {s.text}
                </Link>
              ) : (
                <span className={s.done ? "" : "text-zinc-600"}>{s.text}</span>
              )}
            </li>
          ))}
        </ol>
      </Card>
    </div>
  );
}
