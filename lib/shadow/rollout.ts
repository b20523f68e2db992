/**
 * The rollout of a block-list entry ("log for two weeks, then block"): the mode and enforce time
 * people choose, checked against the clock, and how the console words where an entry stands.
 * The edge decides with lib/core/shadow/blocklist.ts `blockModeAt`; this file only speaks for it.
 */
import { ValidationError } from "@/lib/errors";
import { blockModeAt, type BlockMode } from "@core/shadow/blocklist";
import { DEFAULT_ROLLOUT_DAYS } from "./schemas";

const DAY_MS = 86_400_000;

export interface Rollout {
  mode: BlockMode;
  enforceAt: Date | null;
}

/**
 * The stored rollout for what was asked. `current`: the entry as it is (when changing one), whose
 * future date a "log" without a date keeps. A date must lie ahead of `now`: a date already past
 * would block at once while the console says "logging".
 */
export function resolveRollout(mode: BlockMode, enforceAt: string | null | undefined, now: Date, current?: Rollout): Rollout {
  if (mode === "block") return { mode, enforceAt: null };
  if (enforceAt === null) return { mode, enforceAt: null };
  if (enforceAt === undefined) {
    if (current?.mode === "log" && (current.enforceAt === null || current.enforceAt > now)) return { mode, enforceAt: current.enforceAt };
    return { mode, enforceAt: new Date(now.getTime() + DEFAULT_ROLLOUT_DAYS * DAY_MS) };
  }
  const at = new Date(enforceAt);
  if (!(at.getTime() > now.getTime())) {
    throw new ValidationError(`enforceAt: the date to start blocking must be in the future (got ${at.toISOString()}); choose a later one, or block now`, { enforceAt: "must be in the future" });
  }
  return { mode, enforceAt: at };
}

/** `2026-12-20` (UTC) of the day `days` after `now`: the date the forms offer. */
export function defaultEnforceDate(now: Date, days = DEFAULT_ROLLOUT_DAYS): string {
  return new Date(now.getTime() + days * DAY_MS).toISOString().slice(0, 10);
}

/** A form's date field (`2026-12-20`: blocking from 00:00 UTC that day) as an ISO time; "" = no date (log until changed). */
export function enforceAtFromDate(date: string): string | null {
  const d = date.trim();
  if (d === "") return null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(d) || Number.isNaN(Date.parse(`${d}T00:00:00Z`))) {
    throw new ValidationError(`enforceAt: "${d}" is not a date (YYYY-MM-DD)`, { enforceAt: "must be a date (YYYY-MM-DD)" });
  }
  return `${d}T00:00:00.000Z`;
}

/** `20 Dec 2026`, with the UTC time when it is not midnight. */
export function formatEnforceDate(at: Date): string {
  const day = at.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  const time = at.toISOString().slice(11, 16);
  return time === "00:00" ? day : `${day}, ${time} UTC`;
}

/** `in 14 days` (UTC calendar days: on 6 Dec, 20 Dec is 14 days away at any hour), `in 5 hours`, `in less than an hour`. */
export function inHowLong(at: Date, now: Date): string {
  const ms = at.getTime() - now.getTime();
  if (ms < 3_600_000) return "in less than an hour";
  if (ms < DAY_MS) {
    const h = Math.floor(ms / 3_600_000);
    return `in ${h} ${h === 1 ? "hour" : "hours"}`;
  }
  const d = Math.floor(at.getTime() / DAY_MS) - Math.floor(now.getTime() / DAY_MS);
  return `in ${d} ${d === 1 ? "day" : "days"}`;
}

export interface RolloutStatus {
  /** logging: calls go through, marked would-block; blocking: refused (`ended`: a rollout's date has passed). */
  state: "logging" | "blocking";
  ended: boolean;
  label: string;
}

/** Where an entry stands at `now`, in the words of the block list. */
export function rolloutStatus(entry: { mode: BlockMode; enforceAt: Date | string | null }, now: Date): RolloutStatus {
  const at = entry.enforceAt === null ? null : new Date(entry.enforceAt);
  if (blockModeAt(entry, now.getTime()) === "log") {
    return { state: "logging", ended: false, label: at ? `Logging — blocks on ${formatEnforceDate(at)} (${inHowLong(at, now)})` : "Logging — no date set: logs until changed" };
  }
  if (entry.mode === "log" && at && !Number.isNaN(at.getTime())) return { state: "blocking", ended: true, label: `Blocking since ${formatEnforceDate(at)} (rollout ended)` };
  return { state: "blocking", ended: false, label: "Blocking" };
}

/** A rollout as the audit trail and the finding timeline record it. */
export function rolloutAuditDetails(r: Rollout): { mode: BlockMode; enforceAt: string | null } {
  return { mode: r.mode, enforceAt: r.enforceAt?.toISOString() ?? null };
}
