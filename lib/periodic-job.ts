/**
 * Background work of the console process (server re-sync, identity sync): started once per
 * process, never overlapping itself (a slow pass is not joined by the next), never keeping the
 * process alive, and a failed pass is logged and tried again at the next tick.
 */
type WithTimers = typeof globalThis & { [key: symbol]: NodeJS.Timeout | undefined };

export function startPeriodicJob(name: string, intervalMs: number, run: () => Promise<void>): void {
  const g = globalThis as WithTimers;
  const key = Symbol.for(`portcullis.job.${name}`);
  if (g[key] || intervalMs === 0) return;
  let running = false;
  g[key] = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      await run();
    } catch (error) {
      console.error(`[portcullis] ${name} failed:`, error instanceof Error ? error.message : error);
    } finally {
      running = false;
    }
  }, intervalMs);
  g[key].unref();
}

/** An interval setting in `unit`s (`0` turns the job off), in milliseconds. */
export function intervalSetting(env: Record<string, string | undefined>, variable: string, unit: { name: string; ms: number }, fallback: number): number {
  const raw = env[variable]?.trim();
  const value = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${variable} must be a number of ${unit.name} (0 to turn it off)`);
  return Math.round(value * unit.ms);
}
