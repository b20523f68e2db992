import { describe, expect, it } from "vitest";
import { retryDelayMs } from "./src/backoff";

describe("event delivery backoff", () => {
  it("starts at 1 s, doubles, and stops at 60 s by default", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 100].map((n) => retryDelayMs(n))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });

  it("takes its cap from PORTCULLIS_EVENTS_MAX_BACKOFF_MS, ignoring nonsense", () => {
    expect(retryDelayMs(10, "5000")).toBe(5_000);
    expect(retryDelayMs(1, "200")).toBe(200);
    for (const bad of ["", "0", "-5", "soon"]) expect(retryDelayMs(10, bad)).toBe(60_000);
  });
});
