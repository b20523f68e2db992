/**
 * The rate-limit algorithm: a sliding window approximated from two fixed buckets (as Cloudflare's),
 * for O(1) state per counter whatever the limit. Pure: the caller passes the time. The integer test,
 * the approximation's error and retry-after: docs/limits.md, "The sliding window".
 */

/** Sanity bound on a rate limit per window (keeps the integer test within 2^53 for a 24 h window). */
export const MAX_RATE_LIMIT = 10_000_000;
/** Longest window: 24 hours. */
export const MAX_WINDOW_MS = 86_400_000;

export interface WindowState {
  /** Window length this state was counted with; a different one starts afresh. */
  windowMs: number;
  /** Start of the current window (ms since the epoch, a multiple of windowMs). */
  start: number;
  /** Requests allowed in the current window. */
  current: number;
  /** Requests allowed in the window just before it. */
  previous: number;
}

export interface WindowCheck {
  allowed: boolean;
  /** The approximated count in the sliding window ending now, before this request. */
  count: number;
  /** 0 when allowed; otherwise the wait in ms until one request fits. */
  retryAfterMs: number;
}

function assertWindow(windowMs: number, limit?: number): void {
  if (!Number.isSafeInteger(windowMs) || windowMs < 1 || windowMs > MAX_WINDOW_MS) throw new RangeError(`windowMs must be an integer in 1..${MAX_WINDOW_MS}, got ${windowMs}`);
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_RATE_LIMIT)) throw new RangeError(`limit must be an integer in 1..${MAX_RATE_LIMIT}, got ${limit}`);
}

/** The state moved forward to the window containing `now` (a fresh one when absent or counted with another window length). */
export function slide(state: WindowState | undefined, now: number, windowMs: number): WindowState {
  assertWindow(windowMs);
  const start = Math.floor(now / windowMs) * windowMs;
  if (!state || state.windowMs !== windowMs) return { windowMs, start, current: 0, previous: 0 };
  // A clock that stepped back keeps the newer window: counts are never dropped because of it.
  if (state.start >= start) return state;
  if (state.start === start - windowMs) return { windowMs, start, current: 0, previous: state.current };
  return { windowMs, start, current: 0, previous: 0 };
}

/** Whether a request of `(previous, current)` fits at elapsed time `elapsed` (integers only). */
function fits(previous: number, current: number, elapsed: number, windowMs: number, limit: number): boolean {
  return previous * (windowMs - elapsed) + (current + 1) * windowMs <= limit * windowMs;
}

/** Smallest elapsed time in a window with `(previous, current)` at which one request fits, or null when none does in that window. */
function firstFit(previous: number, current: number, windowMs: number, limit: number): number | null {
  const room = limit - current - 1;
  if (room < 0) return null;
  if (previous === 0 || room >= previous) return 0;
  let elapsed = Math.max(0, windowMs - Math.floor((room * windowMs) / previous));
  // Guard against a float quotient rounded up to the next integer.
  while (elapsed < windowMs && !fits(previous, current, elapsed, windowMs, limit)) elapsed++;
  return elapsed < windowMs ? elapsed : null;
}

/** Checks one request at `now` without counting it. */
export function checkWindow(state: WindowState | undefined, now: number, windowMs: number, limit: number): WindowCheck {
  assertWindow(windowMs, limit);
  const s = slide(state, now, windowMs);
  const elapsed = now - s.start;
  const count = (s.previous * (windowMs - elapsed)) / windowMs + s.current;
  if (fits(s.previous, s.current, elapsed, windowMs, limit)) return { allowed: true, count, retryAfterMs: 0 };
  const here = firstFit(s.previous, s.current, windowMs, limit);
  if (here !== null) return { allowed: false, count, retryAfterMs: here - elapsed };
  // Not in this window: in the next one this window's count becomes "previous".
  const untilNext = s.start + windowMs - now;
  const next = firstFit(s.current, 0, windowMs, limit);
  // When even that window is too full (limit lowered below the count), the one after starts empty.
  return { allowed: false, count, retryAfterMs: untilNext + (next ?? windowMs) };
}

/** The state with one more request counted at `now` (call after `checkWindow` allowed it). */
export function hitWindow(state: WindowState | undefined, now: number, windowMs: number): WindowState {
  const s = slide(state, now, windowMs);
  return { ...s, current: s.current + 1 };
}

/** When this state no longer affects any decision (both buckets have left the sliding window), so it can be deleted. */
export function windowPruneAfter(state: WindowState): number {
  return state.start + 2 * state.windowMs;
}
