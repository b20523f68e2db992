"use client";

import { CartesianGrid, ComposedChart, Legend, Line, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { BudgetMetric } from "@core/limits/schema";
import { formatAmount, formatCompact, formatUsdTick } from "@core/text/format";
import type { BurnDown } from "@/lib/budgets/burn-down";

const DAY_MS = 86_400_000;

const axisAmount = (metric: BudgetMetric) => (v: number) => (metric === "usd" ? formatUsdTick(v) : formatCompact(v));

/** "03-11" for a period of days, "14:00" within one day (UTC). */
function tickOf(data: BurnDown) {
  const oneDay = data.end - data.start <= DAY_MS;
  return (t: number) => {
    const iso = new Date(t).toISOString();
    return oneDay ? iso.slice(11, 16) : iso.slice(5, 10);
  };
}

/**
 * Cumulative spend over a budget's current period against its limit: the alert thresholds as labelled
 * dashed lines, and the spend rate so far projected in a straight (dotted) line to the period's end.
 */
export function BurnDownChart({ data, metric, name }: { data: BurnDown; metric: BudgetMetric; name: string }) {
  // The limit and what is spent stay readable: a projection far over the limit runs off the top (the text below the chart says where it ends).
  const top = Math.max(data.limit * 1.2, data.spent * 1.1);
  const oneDay = data.end - data.start <= DAY_MS;
  const ticks = oneDay ? Array.from({ length: 5 }, (_, i) => data.start + i * 6 * 3_600_000) : undefined;
  const tooltipTime = (t: number) => `${new Date(t).toISOString().slice(0, 16).replace("T", " ")} UTC`;
  return (
    <figure className="h-48 w-full" data-testid="budget-burn-down" aria-label={`${name}: cumulative spend this period against the limit, with alert thresholds and a projection`}>
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart margin={{ top: 8, right: 56, bottom: 14, left: 4 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e4e4e7" />
          <XAxis
            type="number"
            dataKey="t"
            domain={[data.start, data.end]}
            ticks={ticks}
            tickFormatter={tickOf(data)}
            tick={{ fontSize: 11 }}
            allowDuplicatedCategory={false}
            label={{ value: oneDay ? "hour (UTC)" : "day (UTC)", position: "insideBottom", offset: -10, fontSize: 11 }}
          />
          <YAxis
            type="number"
            domain={[0, top]}
            allowDataOverflow
            tick={{ fontSize: 11 }}
            tickFormatter={axisAmount(metric)}
            width={52}
            label={{ value: metric === "usd" ? "spend (USD)" : "tokens", angle: -90, position: "insideLeft", offset: 8, fontSize: 11 }}
          />
          <Tooltip labelFormatter={(t) => tooltipTime(Number(t))} formatter={(value, label) => [formatAmount(metric, metric === "tokens" ? Math.round(Number(value)) : Number(value)), label]} />
          <Legend wrapperStyle={{ fontSize: 11 }} verticalAlign="top" height={20} />
          {data.thresholds.map((th) => (
            <ReferenceLine
              key={th.percent}
              y={th.amount}
              stroke={th.percent >= 100 ? "#dc2626" : th.percent >= 80 ? "#d97706" : "#a1a1aa"}
              strokeDasharray={th.percent >= 100 ? undefined : "4 3"}
              label={{ value: `${th.percent}%`, position: "right", fontSize: 11, fill: th.percent >= 100 ? "#b91c1c" : "#52525b" }}
              ifOverflow="extendDomain"
            />
          ))}
          <ReferenceLine x={data.now} stroke="#d4d4d8" label={{ value: "now", position: "insideTopLeft", fontSize: 10, fill: "#71717a" }} />
          <Line data={data.actual} dataKey="spent" name="spent so far" stroke="#4f46e5" strokeWidth={2} dot={false} isAnimationActive={false} />
          {data.projection.length > 0 && (
            <Line data={data.projection} dataKey="spent" name="projected at this rate" stroke="#4f46e5" strokeDasharray="2 4" strokeWidth={2} dot={false} isAnimationActive={false} />
          )}
        </ComposedChart>
      </ResponsiveContainer>
    </figure>
  );
}
