/**
 * The policy editor's and simulator's form fields → the API's input shapes. Text stays text: the
 * verbs validate (a number field that is not a whole number reaches zod as text and is refused
 * there with a message, not turned into NaN here).
 */
import { type DAY_NAMES } from "@core/policy/subject";
import type { PolicyInputRaw, SimulateInput } from "./schemas";

const text = (form: FormData, name: string): string => {
  const v = form.get(name);
  return typeof v === "string" ? v.trim() : "";
};

const wholeNumber = (value: string): number | string => (/^\d{1,9}$/.test(value) ? Number(value) : value);

export function policyInputFromForm(form: FormData): PolicyInputRaw {
  const days = form.getAll("days").filter((d): d is string => typeof d === "string");
  const start = text(form, "start");
  const end = text(form, "end");
  const cidrs = text(form, "cidrs")
    .split(/[\s,]+/)
    .filter(Boolean);
  const timeWindow = start || end ? { start, end, ...(days.length && days.length < 7 ? { days: days as (typeof DAY_NAMES)[number][] } : {}) } : undefined;
  const conditions = timeWindow || cidrs.length ? { ...(timeWindow ? { timeWindow } : {}), ...(cidrs.length ? { clientCidrs: cidrs } : {}) } : null;
  return {
    name: text(form, "name"),
    description: text(form, "description") || null,
    effect: text(form, "effect") as "allow" | "deny",
    subject: text(form, "subject"),
    server: text(form, "server"),
    tool: text(form, "tool") || "*",
    priority: (text(form, "priority") ? wholeNumber(text(form, "priority")) : 100) as number,
    conditions,
    enabled: form.get("enabled") === "on",
  };
}

/** `datetime-local` gives "2026-11-26T14:30" with no zone; the form says UTC, so it is read as UTC. */
export function simulateInputFromForm(form: FormData): SimulateInput {
  const at = text(form, "at");
  return {
    user: text(form, "user"),
    tool: text(form, "tool"),
    clientIp: text(form, "clientIp") || null,
    at: at ? (/^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(at) ? `${at}:00Z` : at) : null,
    tokenId: text(form, "tokenId") || null,
    against: (text(form, "against") || "draft") as "draft" | "deployed",
  };
}
