import { describe, expect, it } from "vitest";
import { checkWindow, hitWindow, slide, windowPruneAfter, type WindowState } from "./sliding-window";
import { seededRandom } from "@/testing/seeded-random.mjs";

const W = 10_000;

/** Tries one request; counts it when allowed. */
function attempt(state: WindowState | undefined, now: number, limit: number, windowMs = W) {
  const check = checkWindow(state, now, windowMs, limit);
  return { check, state: check.allowed ? hitWindow(state, now, windowMs) : state };
}


describe("two-bucket sliding window", () => {
  it("allows `limit` requests in a fresh window, then refuses until the next window", () => {
    let state: WindowState | undefined;
    const t0 = 5 * W + 1_000;
    for (let i = 0; i < 3; i++) {
      const r = attempt(state, t0 + i, 3);
      expect(r.check.allowed).toBe(true);
      state = r.state;
    }
    const refused = checkWindow(state, t0 + 3, W, 3);
    expect(refused.allowed).toBe(false);
    // In the next window the 3 requests weigh 3 × (W − e) / W: one more fits once that is ≤ 2, at e = W/3.
    const wait = refused.retryAfterMs;
    expect(wait).toBe(6 * W - (t0 + 3) + Math.ceil(W / 3));
    expect(checkWindow(state, t0 + 3 + wait, W, 3).allowed).toBe(true);
    expect(checkWindow(state, t0 + 3 + wait - 1, W, 3).allowed).toBe(false);
  });

  it("weights the previous window by the share of it still inside the sliding window", () => {
    // 10 requests in the previous window; halfway through the current one they count as 5.
    const state: WindowState = { windowMs: W, start: 0, current: 10, previous: 0 };
    let s: WindowState | undefined = state;
    const mid = W + W / 2;
    expect(checkWindow(s, mid, W, 10).count).toBe(5);
    let allowed = 0;
    for (let i = 0; i < 10; i++) {
      const r = attempt(s, mid, 10);
      if (r.check.allowed) allowed++;
      s = r.state;
    }
    expect(allowed).toBe(5);
  });

  it("returns the exact shortest wait: a request fits after retryAfterMs and not 1 ms before", () => {
    const rand = seededRandom(7);
    for (let n = 0; n < 2_000; n++) {
      const windowMs = 1 + Math.floor(rand() * 60_000);
      const limit = 1 + Math.floor(rand() * 50);
      const start = Math.floor(rand() * 1_000) * windowMs;
      const state: WindowState = { windowMs, start, current: Math.floor(rand() * (limit + 3)), previous: Math.floor(rand() * (limit + 3)) };
      const now = start + Math.floor(rand() * windowMs);
      const check = checkWindow(state, now, windowMs, limit);
      if (check.allowed) {
        expect(check.retryAfterMs).toBe(0);
        continue;
      }
      expect(check.retryAfterMs).toBeGreaterThan(0);
      expect(checkWindow(state, now + check.retryAfterMs, windowMs, limit).allowed).toBe(true);
      expect(checkWindow(state, now + check.retryAfterMs - 1, windowMs, limit).allowed).toBe(false);
    }
  });

  it("waits for the window after next when the limit was lowered below the current count", () => {
    const state: WindowState = { windowMs: W, start: 0, current: 5, previous: 0 };
    const check = checkWindow(state, 1_000, W, 1);
    expect(check.allowed).toBe(false);
    expect(check.retryAfterMs).toBe(2 * W - 1_000);
  });

  it("never allows more than `limit` in one aligned window, and at most 2 × limit − 1 in any interval of one window length", () => {
    const rand = seededRandom(42);
    const limit = 20;
    let state: WindowState | undefined;
    const allowedAt: number[] = [];
    let now = 0;
    for (let i = 0; i < 20_000; i++) {
      // Bursty traffic: mostly tight bursts, sometimes long pauses.
      now += rand() < 0.9 ? Math.floor(rand() * 50) : Math.floor(rand() * 3 * W);
      const r = attempt(state, now, limit);
      if (r.check.allowed) allowedAt.push(now);
      state = r.state;
    }
    const perWindow = new Map<number, number>();
    for (const t of allowedAt) perWindow.set(Math.floor(t / W), (perWindow.get(Math.floor(t / W)) ?? 0) + 1);
    expect(Math.max(...perWindow.values())).toBeLessThanOrEqual(limit);
    let maxSliding = 0;
    for (let i = 0, j = 0; j < allowedAt.length; j++) {
      while (allowedAt[i]! <= allowedAt[j]! - W) i++;
      maxSliding = Math.max(maxSliding, j - i + 1);
    }
    expect(maxSliding).toBeLessThanOrEqual(2 * limit - 1);
    expect(maxSliding).toBeGreaterThan(limit); // the documented approximation error is real, not hypothetical
  });

  it("starts afresh when the window length changes, and ages states out", () => {
    const state: WindowState = { windowMs: W, start: 0, current: 9, previous: 9 };
    expect(slide(state, 100, 2 * W)).toEqual({ windowMs: 2 * W, start: 0, current: 0, previous: 0 });
    expect(slide(state, W + 1, W)).toEqual({ windowMs: W, start: W, current: 0, previous: 9 });
    expect(slide(state, 2 * W, W)).toEqual({ windowMs: W, start: 2 * W, current: 0, previous: 0 });
    expect(windowPruneAfter(state)).toBe(2 * W);
    // A clock stepping back keeps the newer counts.
    expect(slide({ windowMs: W, start: 3 * W, current: 4, previous: 1 }, 2 * W, W).current).toBe(4);
  });

  it("refuses nonsense windows and limits", () => {
    expect(() => checkWindow(undefined, 0, 0, 1)).toThrow(RangeError);
    expect(() => checkWindow(undefined, 0, W, 0)).toThrow(RangeError);
    expect(() => checkWindow(undefined, 0, W, 1.5)).toThrow(RangeError);
  });
});
