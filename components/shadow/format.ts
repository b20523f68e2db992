import type { BadgeTone } from "../ui/badge";

export const SEVERITY_TONE: Record<"low" | "medium" | "high", BadgeTone> = { high: "red", medium: "amber", low: "neutral" };

export function stateLabel(state: string, resolution: string | null): string {
  return state === "resolved" ? `resolved: ${(resolution ?? "").replace("_", " ")}` : state;
}

export function stateTone(state: string, resolution: string | null): BadgeTone {
  if (state === "new") return "red";
  if (state === "investigating") return "amber";
  return resolution === "approved" ? "green" : resolution === "blocked" ? "indigo" : "neutral";
}

/** `2026-11-26 17:04 UTC` */
export function utc(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** "1 person", "5 people". */
export function people(n: number): string {
  return n === 1 ? "1 person" : `${n.toLocaleString("en-US")} people`;
}
