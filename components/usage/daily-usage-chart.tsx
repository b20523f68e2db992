"use client";

import { useRouter } from "next/navigation";
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatCompact, formatCount, formatMicroUsd } from "@core/text/format";
import type { DailyUsage } from "@/lib/usage/schemas";
import { auditHref, type ViewFilters } from "@/lib/audit/schemas";

const DAY_MS = 86_400_000;

/**
 * MCP calls and LLM tokens per UTC day (each on its own axis), with the day's spend in the tooltip.
 * With `auditScope` (callers who may read the Audit), a click on a day's MCP bar opens that day's
 * calls in the Audit, with the scope's filters (a user, a team).
 */
export function DailyUsageChart({ data, auditScope }: { data: DailyUsage[]; auditScope?: ViewFilters }) {
  const router = useRouter();
  const openDay = (day: string) => {
    const from = new Date(`${day}T00:00:00.000Z`);
    router.push(auditHref({ ...auditScope, from: from.toISOString(), to: new Date(from.getTime() + DAY_MS).toISOString() }));
  };
  return (
    <div className="h-64 w-full" data-testid="usage-daily-chart">
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={data} margin={{ top: 4, right: 0, bottom: 0, left: -12 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e4e4e7" />
          <XAxis dataKey="day" tickFormatter={(d: string) => d.slice(5)} tick={{ fontSize: 11 }} minTickGap={12} />
          <YAxis yAxisId="calls" allowDecimals={false} tick={{ fontSize: 11 }} tickFormatter={formatCompact} />
          <YAxis yAxisId="tokens" orientation="right" allowDecimals={false} tick={{ fontSize: 11 }} tickFormatter={formatCompact} />
          <YAxis yAxisId="cost" hide />
          <Tooltip formatter={(value, name) => (name === "LLM spend" ? formatMicroUsd(Number(value)) : formatCount(Number(value)))} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar
            yAxisId="calls"
            dataKey="mcpCalls"
            name="MCP calls"
            fill="#6366f1"
            isAnimationActive={false}
            cursor={auditScope ? "pointer" : undefined}
            onClick={auditScope ? (bar: { payload?: DailyUsage }) => bar.payload && openDay(bar.payload.day) : undefined}
          />
          <Bar yAxisId="tokens" dataKey="llmTokens" name="LLM tokens" fill="#f59e0b" isAnimationActive={false} />
          <Line yAxisId="cost" dataKey="costMicroUsd" name="LLM spend" stroke="#059669" dot={false} strokeWidth={2} isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
