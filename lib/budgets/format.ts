/** How budget amounts read on the page. Pure, for server pages and client components alike. */
import type { BudgetMetric } from "./schemas";

const tokens = new Intl.NumberFormat("en-US");

/** 1234567 tokens → "1,234,567 tokens"; 12.5 usd → "$12.50"; 0.0042 usd → "$0.0042". */
export function formatAmount(metric: BudgetMetric, value: number): string {
  if (metric === "tokens") return `${tokens.format(value)} tokens`;
  const small = value !== 0 && Math.abs(value) < 1;
  return new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: small ? 6 : 2 }).format(value);
}

/** "2026-12-01T00:00:00.000Z" → "2026-12-01 00:00 UTC". */
export const formatUtc = (iso: string) => `${iso.slice(0, 16).replace("T", " ")} UTC`;
