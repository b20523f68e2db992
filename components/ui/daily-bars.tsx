"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatCount } from "@core/text/format";

const TICK = { fontSize: 11 };
const count = (value: unknown) => formatCount(Number(value));

/** Counts per UTC day as stacked bars, one colour per series, the days labelled MM-DD. */
export function DailyBars<Day extends { day: string }>({ data, series, testId }: { data: Day[]; series: { key: keyof Day & string; name: string; fill: string }[]; testId?: string }) {
  return (
    <div className="h-56 w-full" data-testid={testId}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: -20 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e4e4e7" />
          <XAxis dataKey="day" tickFormatter={(d: string) => d.slice(5)} tick={TICK} minTickGap={12} />
          <YAxis allowDecimals={false} tick={TICK} tickFormatter={count} />
          <Tooltip formatter={count} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {series.map((s) => (
            // A plain string key: recharts cannot check a key of a generic row type.
            <Bar key={s.key} dataKey={s.key as string} name={s.name} stackId="a" fill={s.fill} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
