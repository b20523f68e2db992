/** Rules on characters rather than words: invisible Unicode, control characters, and tool names. */

import { RANK, type Severity, type Sink } from "./findings";
import { clip, each, invisibleSeverity, INVISIBLE_RUN, isControl, LEGIT_JOINER } from "./text";

// Invisible Unicode, and control characters.

/** Characters of a run examined to grade and decode it; the message shows at most 200 anyway. */
const RUN_SAMPLE = 2_000;

export function scanInvisible(raw: string, field: string, sink: Sink): void {
  const text = raw.includes("\u200C") || raw.includes("\u200D") ? raw.replace(LEGIT_JOINER, "") : raw;
  each(INVISIBLE_RUN, text, (m) => {
    const saturation = sink.saturation("invisible-unicode", field);
    if (saturation !== "open") return saturation === "stop";
    const run = m[0];
    let severity: Severity | null = null;
    let tagText = "";
    let selectorsOnly = true;
    for (let i = 0; i < run.length && i < RUN_SAMPLE; i++) {
      const cp = run.codePointAt(i) ?? 0;
      if (cp > 0xffff) i++;
      const s = invisibleSeverity(cp);
      if (s && (severity === null || RANK[s] > RANK[severity])) severity = s;
      if (cp >= 0xe0020 && cp <= 0xe007e) tagText += String.fromCharCode(cp - 0xe0000);
      if (cp < 0xfe00 || cp > 0xfe0f) selectorsOnly = false;
    }
    let count = run.length;
    for (let i = 0; i < run.length; i++) {
      const c = run.charCodeAt(i);
      if (c >= 0xdc00 && c <= 0xdfff) count--;
    }
    // One variation selector after an emoji is ordinary; a run of them encodes bytes.
    if (selectorsOnly) severity = count >= 2 ? "high" : null;
    if (severity === null || severity === "low") return;
    const start = Math.max(0, m.index - 12);
    const around = text.slice(start, m.index + run.length + 12);
    const decoded = tagText ? ` Tag characters decode to: "${clip(tagText, 200)}".` : "";
    sink.add("invisible-unicode", severity, field, around, `${count} invisible character${count === 1 ? "" : "s"} (${describeRun(run)}).${decoded}`);
  });
}

function describeRun(run: string): string {
  const kinds = new Set<string>();
  for (let i = 0; i < run.length && i < RUN_SAMPLE; i++) {
    const cp = run.codePointAt(i) ?? 0;
    if (cp > 0xffff) i++;
    if (cp >= 0xe0000 && cp <= 0xe007f) kinds.add("tag characters");
    else if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0x200e || cp === 0x200f || cp === 0x061c) kinds.add("bidi controls");
    else if ((cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef)) kinds.add("variation selectors");
    else if ((cp >= 0x200b && cp <= 0x200d) || (cp >= 0x2060 && cp <= 0x2064) || cp === 0xfeff) kinds.add("zero-width");
    else kinds.add("invisible formatting");
  }
  return [...kinds].join(", ");
}

export function scanControl(raw: string, field: string, sink: Sink): void {
  let index = -1;
  for (let i = 0; i < raw.length && index === -1; i++) if (isControl(raw.charCodeAt(i))) index = i;
  if (index === -1) return;
  const ansi = raw.includes("\u001b[") || raw.includes("\u009b");
  const start = Math.max(0, index - 12);
  sink.add("control-characters", "high", field, raw.slice(start, index + 40), ansi ? "ANSI escape sequence: can hide or rewrite text in a terminal." : "Control character in text meant for people and models.");
}

// Names.

/** The spec (2025-11-25) says tool names SHOULD be 1–128 of these characters. */
const SPEC_TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

export function scanName(name: string, sink: Sink): void {
  if (SPEC_TOOL_NAME.test(name)) return;
  const lookAlike = /[^\p{ASCII}\p{Cf}\u{E0000}-\u{E007F}]/u.test(name) && /\p{L}/u.test(name.replace(/\p{ASCII}/gu, ""));
  sink.add("tool-name", lookAlike ? "medium" : "low", "name", name, lookAlike ? "Name has non-ASCII letters: may imitate another tool's name." : "Name is outside the spec's 1–128 characters of [A-Za-z0-9_.-].");
}
