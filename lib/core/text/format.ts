/** How counts, amounts and times read on the page: pure, for server pages and client components alike. */
import type { BudgetMetric } from "@core/limits/schema";

const integer = new Intl.NumberFormat("en-US");
const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

/** 1234567 tokens → "1,234,567 tokens"; 12.5 usd → "$12.50"; 0.0042 usd → "$0.0042". */
export function formatAmount(metric: BudgetMetric, value: number): string {
  if (metric === "tokens") return `${integer.format(value)} tokens`;
  // Cents, as a bill shows them; below a cent the digits that make it nonzero (an LLM call can cost $0.000042).
  const belowACent = value !== 0 && Math.abs(value) < 0.01;
  return new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: belowACent ? 6 : 2 }).format(value);
}

/** Micro-dollars → "$12.50", "$0.86", or "$0.0042" below a cent. */
export const formatMicroUsd = (micro: number) => formatAmount("usd", micro / 1_000_000);

/** 1234567 → "1,234,567". */
export const formatCount = (value: number) => integer.format(value);

/** Milliseconds in a table: "2,339", "118", "7.4" (a tenth only under ten), "—" for none. */
export const formatMs = (ms: number | null) => (ms === null ? "—" : ms < 10 ? oneDecimal.format(ms) : integer.format(Math.round(ms)));
const oneDecimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

/** 1234567 → "1.2M": for chart axes. */
export const formatCompact = (value: number) => compact.format(value);

/** Dollars on a chart axis: "$1.2K", "$12", "$0.25", "$0.005" — enough digits that ticks a cent apart differ. */
export function formatUsdTick(dollars: number): string {
  const size = Math.abs(dollars);
  if (size >= 1000) return `$${compact.format(dollars)}`;
  if (size >= 10 || size === 0) return `$${Math.round(dollars)}`;
  return `$${dollars.toFixed(size >= 0.1 ? 2 : 3)}`;
}

/** "2026-12-01T00:00:00.000Z" → "2026-12-01 00:00 UTC". */
export const formatUtc = (iso: string) => `${iso.slice(0, 16).replace("T", " ")} UTC`;
