"use client";

import { useRouter } from "next/navigation";
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatCompact, formatCount, formatMicroUsd, formatUsdTick } from "@core/text/format";
import type { UsageSeries } from "@/lib/usage/schemas";
import { auditHref, type ViewFilters } from "@/lib/audit/schemas";

const STEP_MS = { hour: 3_600_000, day: 86_400_000 } as const;

type Bucket = UsageSeries["buckets"][number];

/** "03-11" by day; "03-11 14:00" by hour (UTC). */
const labelOf = (grain: UsageSeries["grain"]) => (iso: string) => (grain === "hour" ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(5, 10));
const axisLabel = (grain: UsageSeries["grain"]) => ({ value: grain === "hour" ? "hour (UTC)" : "day (UTC)", position: "insideBottom" as const, offset: -12, fontSize: 11 });

/**
 * Calls per hour or UTC day: MCP calls and LLM calls side by side, each stacked with what the portal
 * refused (denied MCP calls; blocked LLM calls — budgets and rate limits answer 429) so refusals are
 * counted apart. With `auditScope` (callers who may read the Audit), a click on an MCP bar opens that
 * hour's or day's calls in the Audit, with the scope's filters (a user, a team).
 */
export function DailyUsageChart({ series, auditScope }: { series: UsageSeries; auditScope?: ViewFilters }) {
  const router = useRouter();
  const label = labelOf(series.grain);
  const rows = series.buckets.map((b) => ({ ...b, mcpOk: b.mcpCalls - b.mcpDenied, llmOk: b.llmCalls - b.llmBlocked }));
  const open = (bucket: string) => {
    const from = new Date(bucket);
    router.push(auditHref({ ...auditScope, from: from.toISOString(), to: new Date(from.getTime() + STEP_MS[series.grain]).toISOString() }));
  };
  const click = auditScope ? (bar: { payload?: Bucket }) => bar.payload && open(bar.payload.bucket) : undefined;
  return (
    <div className="h-64 w-full" data-testid="usage-daily-chart" data-grain={series.grain}>
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={rows} margin={{ top: 12, right: 8, bottom: 16, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e4e4e7" />
          <XAxis dataKey="bucket" tickFormatter={label} tick={{ fontSize: 11 }} minTickGap={16} label={axisLabel(series.grain)} />
          <YAxis allowDecimals={false} tick={{ fontSize: 11 }} tickFormatter={formatCompact} label={{ value: "calls", angle: -90, position: "insideLeft", fontSize: 11 }} />
          <Tooltip labelFormatter={(v) => label(String(v))} formatter={(value) => formatCount(Number(value))} />
          <Legend wrapperStyle={{ fontSize: 12 }} verticalAlign="top" />
          <Bar stackId="mcp" dataKey="mcpOk" name="MCP allowed" fill="#6366f1" isAnimationActive={false} cursor={click ? "pointer" : undefined} onClick={click} />
          <Bar stackId="mcp" dataKey="mcpDenied" name="MCP denied" fill="#dc2626" isAnimationActive={false} cursor={click ? "pointer" : undefined} onClick={click} />
          <Bar stackId="llm" dataKey="llmOk" name="LLM allowed" fill="#f59e0b" isAnimationActive={false} />
          <Bar stackId="llm" dataKey="llmBlocked" name="LLM blocked (429/403)" fill="#7f1d1d" isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

/** LLM tokens (bars, left axis) and spend (line, right axis in dollars) per hour or UTC day, of allowed calls. */
export function SpendChart({ series }: { series: UsageSeries }) {
  const label = labelOf(series.grain);
  return (
    <div className="h-64 w-full" data-testid="usage-spend-chart" data-grain={series.grain}>
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={series.buckets} margin={{ top: 12, right: 8, bottom: 16, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e4e4e7" />
          <XAxis dataKey="bucket" tickFormatter={label} tick={{ fontSize: 11 }} minTickGap={16} label={axisLabel(series.grain)} />
          <YAxis yAxisId="tokens" allowDecimals={false} tick={{ fontSize: 11 }} tickFormatter={formatCompact} label={{ value: "LLM tokens", angle: -90, position: "insideLeft", fontSize: 11 }} />
          <YAxis
            yAxisId="spend"
            orientation="right"
            tick={{ fontSize: 11 }}
            tickFormatter={(micro: number) => formatUsdTick(micro / 1_000_000)}
            label={{ value: "spend (USD)", angle: 90, position: "insideRight", fontSize: 11 }}
          />
          <Tooltip labelFormatter={(v) => label(String(v))} formatter={(value, name) => (name === "LLM spend" ? formatMicroUsd(Number(value)) : formatCount(Number(value)))} />
          <Legend wrapperStyle={{ fontSize: 12 }} verticalAlign="top" />
          <Bar yAxisId="tokens" dataKey="llmTokens" name="LLM tokens" fill="#f59e0b" isAnimationActive={false} />
          <Line yAxisId="spend" dataKey="costMicroUsd" name="LLM spend" stroke="#059669" dot={false} strokeWidth={2} isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
