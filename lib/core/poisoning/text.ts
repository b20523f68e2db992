/** Text utilities of the poisoning scan: invisible and control characters, and how a match is cut and shown. */

import type { Severity } from "./findings";

const MATCH_LIMIT = 120;

/** Calls `fn` for every match of a global regex; `fn` returns true to stop early. */
export function each(re: RegExp, text: string, fn: (m: RegExpExecArray) => boolean | void): void {
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (fn(m) === true) break;
    if (m[0].length === 0) re.lastIndex++;
  }
}

// Invisible Unicode and control characters.

/** Characters with no glyph that can carry or hide text. */
export function invisibleSeverity(cp: number): Severity | null {
  if (cp >= 0xe0000 && cp <= 0xe007f) return "high"; // tag characters: ASCII smuggling
  if (cp >= 0xe0100 && cp <= 0xe01ef) return "high"; // variation selectors supplement: byte smuggling
  if ((cp >= 0x200b && cp <= 0x200d) || (cp >= 0x2060 && cp <= 0x2064) || cp === 0xfeff) return "high"; // zero-width
  if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) return "high"; // bidi embedding/override/isolate
  if (cp === 0x115f || cp === 0x1160 || cp === 0x3164 || cp === 0xffa0 || cp === 0x180e || (cp >= 0x206a && cp <= 0x206f)) return "high"; // blank fillers, deprecated format
  if (cp === 0x00ad || cp === 0x034f || cp === 0x061c || cp === 0x200e || cp === 0x200f || (cp >= 0xfff9 && cp <= 0xfffb)) return "medium"; // soft hyphen, marks
  if (cp >= 0xfe00 && cp <= 0xfe0f) return "low"; // variation selectors: normal after emoji, judged in runs below
  return null;
}

// Combining and joining characters sit in alternatives of their own: inside one character class
// they would read as combining with their neighbour (no-misleading-character-class).
export const INVISIBLE_RUN = /(?:[\u00AD\u061C\u115F\u1160\u180E\u200B\u200C\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB]|\u034F|\u200D|[\uFE00-\uFE0F]|[\u{E0000}-\u{E007F}]|[\u{E0100}-\u{E01EF}])+/gu;
/** Joiners legitimately used inside emoji sequences and in scripts such as Persian or Devanagari. */
export const LEGIT_JOINER = /(?<=\p{Extended_Pictographic}|[\u{1F3FB}-\u{1F3FF}]|\uFE0F)\u200D(?=\p{Extended_Pictographic})|(?<=[\p{L}\p{M}])(?<![\p{Script=Latin}\p{Script=Common}])[\u200C\u200D](?=[\p{L}\p{M}])(?![\p{Script=Latin}\p{Script=Common}])/gu;

export function stripInvisible(text: string): string {
  INVISIBLE_RUN.lastIndex = 0;
  return INVISIBLE_RUN.test(text) ? text.replace(INVISIBLE_RUN, "") : text;
}

/** C0 and C1 controls other than tab, LF and CR; ESC drives terminals (Trail of Bits' ANSI trick). */
export function isControl(cp: number): boolean {
  return (cp < 0x20 && cp !== 0x09 && cp !== 0x0a && cp !== 0x0d) || (cp >= 0x7f && cp <= 0x9f);
}

// Showing matches.

/** The enclosing whitespace-delimited token, e.g. the whole `~/.cursor/mcp.json` around `mcp.json`. */
const TOKEN_STOP = new Set(Array.from(" \t\n\r`'\"<>()[]{},;", (c) => c.charCodeAt(0)));

export function token(text: string, start: number, end: number): [number, number] {
  let s = start;
  let e = end;
  while (s > 0 && start - s < 80 && !TOKEN_STOP.has(text.charCodeAt(s - 1))) s--;
  while (e < text.length && e - end < 80 && !TOKEN_STOP.has(text.charCodeAt(e))) e++;
  return [s, e];
}

/** Where the sentence around `index` begins, looking back at most 60 characters, else the word there. */
export function sentenceStart(text: string, index: number): number {
  const from = Math.max(0, index - 60);
  const before = text.slice(from, index);
  const boundary = /(?:[.!?]\s+|\n\s*)(?=[^.!?\n]*$)/.exec(before);
  if (boundary) return from + boundary.index + boundary[0].length;
  if (from === 0) return 0;
  const space = before.indexOf(" ");
  return space === -1 ? index : from + space + 1;
}

/** From the match to the end of its sentence, so the reader sees what the text asks for. */
export function excerpt(text: string, start: number, end: number): string {
  const limit = Math.min(text.length, start + MATCH_LIMIT + 20);
  if (end >= limit) return text.slice(start, end);
  const rest = text.slice(end, limit);
  const stop = /[.!?](?:\s|$)|\n/.exec(rest);
  return text.slice(start, stop ? end + stop.index + 1 : limit);
}

export function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * Makes text safe to show: invisible and control characters become `<U+XXXX>`, whitespace runs
 * become one space, and the result is cut to about 120 characters.
 */
export function visible(s: string, max: number = MATCH_LIMIT): string {
  let out = "";
  let space = false;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    let piece: string;
    if (cp === 0x20 || cp === 0x09 || cp === 0x0a || cp === 0x0d || cp === 0x2028 || cp === 0x2029) {
      if (space || out.length === 0) continue;
      space = true;
      piece = " ";
    } else {
      space = false;
      const hidden = invisibleSeverity(cp) !== null || isControl(cp);
      piece = hidden ? `<U+${cp.toString(16).toUpperCase().padStart(4, "0")}>` : ch;
    }
    if (out.length + piece.length > max) return `${out.trimEnd()}…`;
    out += piece;
  }
  return out.trimEnd();
}
