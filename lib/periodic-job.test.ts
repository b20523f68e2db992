import { afterEach, describe, expect, it, vi } from "vitest";
import { intervalSetting, startPeriodicJob } from "./periodic-job";

describe("periodic jobs", () => {
  afterEach(() => vi.useRealTimers());

  it("runs once per process, never overlaps a slow pass, and carries on after a failure", async () => {
    vi.useFakeTimers();
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    let release: () => void = () => undefined;
    let passes = 0;
    const run = vi.fn(async () => {
      passes++;
      if (passes === 1) throw new Error("boom");
      if (passes === 2) await new Promise<void>((r) => (release = r));
    });
    const name = `test-${crypto.randomUUID()}`;
    startPeriodicJob(name, 1000, run);
    startPeriodicJob(name, 1000, run); // a second start in the same process is a no-op
    await vi.advanceTimersByTimeAsync(1000);
    expect(errors).toHaveBeenCalledWith(`[portcullis] ${name} failed:`, "boom");
    await vi.advanceTimersByTimeAsync(1000); // pass 2 starts and hangs
    await vi.advanceTimersByTimeAsync(3000); // ticks while it runs are skipped
    expect(run).toHaveBeenCalledTimes(2);
    release();
    await vi.advanceTimersByTimeAsync(1000);
    expect(run).toHaveBeenCalledTimes(3);
    errors.mockRestore();
  });

  it("reads interval settings, 0 meaning off, and refuses nonsense naming the variable", () => {
    const minutes = { name: "minutes", ms: 60_000 };
    expect(intervalSetting({}, "X_MINUTES", minutes, 60)).toBe(3_600_000);
    expect(intervalSetting({ X_MINUTES: " 0 " }, "X_MINUTES", minutes, 60)).toBe(0);
    expect(intervalSetting({ X_MINUTES: "1.5" }, "X_MINUTES", minutes, 60)).toBe(90_000);
    expect(() => intervalSetting({ X_MINUTES: "-1" }, "X_MINUTES", minutes, 60)).toThrow("X_MINUTES must be a number of minutes (0 to turn it off)");
    expect(() => intervalSetting({ X_MINUTES: "soon" }, "X_MINUTES", minutes, 60)).toThrow(/X_MINUTES/);
  });
});
