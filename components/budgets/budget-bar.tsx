/**
 * Spend against a budget's limit in the current period. Green below 80 %, amber from 80 %, red
 * from 100 %; the bar fills to at most 100 % while the text and `aria-valuenow` say how far over.
 */
export function BudgetBar({ percent, label }: { percent: number; label: string }) {
  const rounded = Math.round(percent);
  const level = percent >= 100 ? "exceeded" : percent >= 80 ? "warning" : "ok";
  const fill = level === "exceeded" ? "bg-red-600" : level === "warning" ? "bg-amber-500" : "bg-emerald-600";
  const text = level === "exceeded" ? "text-red-700" : level === "warning" ? "text-amber-700" : "text-zinc-700";
  return (
    <div
      data-testid="budget-bar"
      data-level={level}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={Math.max(100, rounded)}
      aria-valuenow={rounded}
      aria-valuetext={`${rounded}%`}
      className="flex items-center gap-3"
    >
      <div className="h-2.5 flex-1 overflow-hidden rounded-full bg-zinc-100">
        <div className={`h-full rounded-full ${fill}`} style={{ width: `${Math.min(100, Math.max(0, percent))}%` }} />
      </div>
      <span className={`w-12 text-right text-sm font-medium tabular-nums ${text}`}>{rounded}%</span>
    </div>
  );
}
