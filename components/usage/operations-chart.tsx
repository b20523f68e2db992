"use client";

import { Bar, CartesianGrid, ComposedChart, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatCompact, formatCount } from "@core/text/format";
import type { OperationsOutput } from "@/lib/usage/operations";

/** MCP calls per hour or day, with errors, denials and would-block calls stacked apart (labelled axes). */
export function OperationsChart({ data, grain }: { data: OperationsOutput["mcp"]["series"]; grain: OperationsOutput["grain"] }) {
  const rows = data.map((d) => ({ ...d, ok: Math.max(0, d.calls - d.errors - d.denied) }));
  const label = (iso: string) => (grain === "hour" ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(5, 10));
  return (
    <div className="h-64 w-full" data-testid="operations-chart">
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={rows} margin={{ top: 4, right: 8, bottom: 16, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e4e4e7" />
          <XAxis dataKey="bucket" tickFormatter={label} tick={{ fontSize: 11 }} minTickGap={16} label={{ value: grain === "hour" ? "hour (UTC)" : "day (UTC)", position: "insideBottom", offset: -12, fontSize: 11 }} />
          <YAxis allowDecimals={false} tick={{ fontSize: 11 }} tickFormatter={formatCompact} label={{ value: "MCP calls", angle: -90, position: "insideLeft", fontSize: 11 }} />
          <Tooltip labelFormatter={(v) => label(String(v))} formatter={(value) => formatCount(Number(value))} />
          <Legend wrapperStyle={{ fontSize: 12 }} verticalAlign="top" />
          <Bar stackId="calls" dataKey="ok" name="succeeded" fill="#6366f1" isAnimationActive={false} />
          <Bar stackId="calls" dataKey="errors" name="errors" fill="#f59e0b" isAnimationActive={false} />
          <Bar stackId="calls" dataKey="denied" name="denied" fill="#dc2626" isAnimationActive={false} />
          <Bar dataKey="wouldBlock" name="would be blocked" fill="#a855f7" isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
