import { describe, expect, it } from "vitest";
import { formatAmount, formatMicroUsd, formatMs, formatUsdTick } from "./format";

describe("dollar axis ticks", () => {
  it("keeps ticks a few cents apart distinct, and large amounts short", () => {
    expect([0, 0.05, 0.1, 0.15, 0.2, 0.25].map(formatUsdTick)).toEqual(["$0", "$0.050", "$0.10", "$0.15", "$0.20", "$0.25"]);
    expect([2.5, 12, 1500, 2_000_000].map(formatUsdTick)).toEqual(["$2.50", "$12", "$1.5K", "$2M"]);
  });
});

describe("amounts", () => {
  it("show cents, and below a cent the digits that make it nonzero; tokens as a count", () => {
    expect([2_360_000, 856_802, 10_000, 4_200, 42, 0].map(formatMicroUsd)).toEqual(["$2.36", "$0.86", "$0.01", "$0.0042", "$0.000042", "$0.00"]);
    expect(formatAmount("usd", 1234.5)).toBe("$1,234.50");
    expect(formatAmount("tokens", 1234567)).toBe("1,234,567 tokens");
  });
});

describe("milliseconds", () => {
  it("are whole with separators from ten up, a tenth below, and a dash for none", () => {
    expect([2338.7, 2578, 118, 124.6, 9.96, 7.4, 0, null].map(formatMs)).toEqual(["2,339", "2,578", "118", "125", "10", "7.4", "0", "—"]);
  });
});
