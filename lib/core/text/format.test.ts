import { describe, expect, it } from "vitest";
import { formatUsdTick } from "./format";

describe("dollar axis ticks", () => {
  it("keeps ticks a few cents apart distinct, and large amounts short", () => {
    expect([0, 0.05, 0.1, 0.15, 0.2, 0.25].map(formatUsdTick)).toEqual(["$0", "$0.050", "$0.10", "$0.15", "$0.20", "$0.25"]);
    expect([2.5, 12, 1500, 2_000_000].map(formatUsdTick)).toEqual(["$2.50", "$12", "$1.5K", "$2M"]);
  });
});
