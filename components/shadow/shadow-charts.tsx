"use client";

import type { ReactNode } from "react";
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatCount } from "@core/text/format";
import type { ShadowStatsOutput } from "@/lib/shadow/schemas";
import { DailyBars } from "../ui/daily-bars";

const STATE_COLORS: Record<string, string> = {
  new: "#ef4444",
  investigating: "#f59e0b",
  "resolved: approved": "#059669",
  "resolved: blocked": "#3f3f46",
  "resolved: false positive": "#a1a1aa",
};

const LABEL_WIDTH = 170;
const TICK = { fontSize: 11 };

const fmt = (n: unknown) => formatCount(Number(n));

function clip(label: string, max = 22): string {
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}

function Panel({ title, testId, empty, children }: { title: string; testId: string; empty: boolean; children: ReactNode }) {
  return (
    <section aria-label={title} data-testid={testId} className="rounded-lg border border-zinc-200 bg-white p-4">
      <h3 className="text-sm font-semibold text-zinc-900">{title}</h3>
      {empty ? <p className="mt-3 text-sm text-zinc-500">No data yet</p> : <div className="mt-3">{children}</div>}
    </section>
  );
}

function HorizontalBars({
  data,
  labelKey,
  valueKey,
  valueName,
  extraKey,
  extraName,
  fill,
}: {
  data: Record<string, string | number>[];
  labelKey: string;
  valueKey: string;
  valueName: string;
  extraKey: string;
  extraName: string;
  fill: string;
}) {
  return (
    <div className="h-56 w-full">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} layout="vertical" margin={{ top: 4, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" horizontal={false} stroke="#e4e4e7" />
          <XAxis type="number" allowDecimals={false} tick={TICK} tickFormatter={fmt} />
          <YAxis type="category" dataKey={labelKey} width={LABEL_WIDTH} tick={TICK} tickFormatter={(v: string) => clip(String(v))} interval={0} />
          <Tooltip
            formatter={(value, _name, item) => [
              `${fmt(value)} (${fmt((item.payload as Record<string, unknown>)[extraKey])} ${extraName})`,
              valueName,
            ]}
          />
          <Bar dataKey={valueKey} name={valueName} fill={fill} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export function ShadowCharts({ stats }: { stats: ShadowStatsOutput }) {
  const noNew = stats.newPerDay.every((d) => d.remote + d.stdio === 0);
  const states = stats.byState.filter((s) => s.count > 0);

  return (
    <div className="grid gap-4 lg:grid-cols-2">
      <Panel title="New shadow servers per day" testId="shadow-chart-new" empty={noNew}>
        <DailyBars
          data={stats.newPerDay}
          series={[
            { key: "remote", name: "Remote", fill: "#6366f1" },
            { key: "stdio", name: "Local (stdio)", fill: "#f59e0b" },
          ]}
        />
      </Panel>

      <Panel title="Findings by state" testId="shadow-chart-states" empty={states.length === 0}>
        <div className="h-56 w-full">
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={states} layout="vertical" margin={{ top: 4, right: 12, bottom: 0, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" horizontal={false} stroke="#e4e4e7" />
              <XAxis type="number" allowDecimals={false} tick={TICK} tickFormatter={fmt} />
              <YAxis type="category" dataKey="state" width={LABEL_WIDTH} tick={TICK} interval={0} />
              <Tooltip formatter={(value) => [fmt(value), "Findings"]} />
              <Bar dataKey="count" name="Findings" isAnimationActive={false}>
                {states.map((s) => (
                  <Cell key={s.state} fill={STATE_COLORS[s.state] ?? "#71717a"} />
                ))}
              </Bar>
            </BarChart>
          </ResponsiveContainer>
        </div>
      </Panel>

      <Panel title="Top users" testId="shadow-chart-users" empty={stats.topUsers.length === 0}>
        <HorizontalBars
          data={stats.topUsers}
          labelKey="user"
          valueKey="requests"
          valueName="Requests"
          extraKey="findings"
          extraName="findings"
          fill="#6366f1"
        />
        {stats.topTeams.length > 0 && (
          <table className="mt-3 w-full text-xs" aria-label="Top teams">
            <thead>
              <tr className="text-left text-zinc-500">
                <th className="py-1 font-medium">Team</th>
                <th className="py-1 text-right font-medium">Findings</th>
                <th className="py-1 text-right font-medium">Requests</th>
              </tr>
            </thead>
            <tbody>
              {stats.topTeams.map((t) => (
                <tr key={t.team} className="border-t border-zinc-100 text-zinc-700">
                  <td className="max-w-0 truncate py-1" title={t.team}>
                    {t.team}
                  </td>
                  <td className="py-1 text-right tabular-nums">{fmt(t.findings)}</td>
                  <td className="py-1 text-right tabular-nums">{fmt(t.requests)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>

      <Panel title="Top hosts" testId="shadow-chart-hosts" empty={stats.topHosts.length === 0}>
        <HorizontalBars
          data={stats.topHosts}
          labelKey="host"
          valueKey="requests"
          valueName="Requests"
          extraKey="findings"
          extraName="findings"
          fill="#f59e0b"
        />
      </Panel>
    </div>
  );
}
