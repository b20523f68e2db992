/** How usage figures read on the page. Pure, for server pages and client components alike. */
import { formatAmount } from "../budgets/format";

const integer = new Intl.NumberFormat("en-US");
const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

/** 1234567 → "1,234,567". */
export const formatCount = (value: number) => integer.format(value);

/** 1234567 → "1.2M": for chart axes. */
export const formatCompact = (value: number) => compact.format(value);

/** Micro-dollars → "$12.50", or "$0.0042" below a dollar. */
export const formatMicroUsd = (micro: number) => formatAmount("usd", micro / 1_000_000);
