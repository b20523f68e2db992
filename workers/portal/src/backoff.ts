import { msSetting } from "./settings";

const FIRST_DELAY_MS = 1_000;
const DEFAULT_MAX_DELAY_MS = 60_000;

/**
 * How long to wait before retry number `failures` (1 = the first retry): 1 s, doubling, capped at
 * `maxSetting` ms (a var's text; default 60 s). A cap below 1 s is also the first delay.
 */
export function retryDelayMs(failures: number, maxSetting?: string): number {
  const max = msSetting(maxSetting, DEFAULT_MAX_DELAY_MS);
  return Math.min(FIRST_DELAY_MS * 2 ** Math.min(Math.max(failures, 1) - 1, 30), max);
}
