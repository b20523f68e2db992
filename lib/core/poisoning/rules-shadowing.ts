/** Tool shadowing: instructions in one tool's text that change how other tools behave. */

import { firstMatch, type Report } from "./findings";
import { each, sentenceStart } from "./text";

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Other tools' names as one alternation, longest first. A leading `_` is allowed so namespaced
 * mentions such as `mcp_tool_send_email` still count.
 */
export function namesPattern(names: string[]): RegExp {
  const sorted = [...new Set(names)].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  return new RegExp(`(?<![A-Za-z0-9-])(?:${sorted.map(escapeRegExp).join("|")})(?![\\w-])`, "gi");
}

const CONDITION_BEFORE = /\b(?:when|whenever|before|after|if|once|every\s+time|each\s+time|while)\b[^.!?\n]{0,40}$/i;
const USED_AFTER = /^[`'")\]]*\s*(?:\(?[\w\s]{0,20}\)?\s*)?(?:tool\s+|function\s+)?(?:is|are|gets?|has\s+been|was)\s+(?:being\s+)?(?:used|called|invoked|run|executed|triggered|available|requested|present|loaded)\b/i;
const INSTEAD_BEFORE = /\binstead\s+of\s+(?:using\s+|calling\s+|invoking\s+)?(?:the\s+)?[`'"]?$/i;
const DIRECTIVE_AFTER = /^[`'")\]]*\s*(?:tool\s+|function\s+)?(?:must|should|shall|will\s+now|needs?\s+to|has\s+to|always|never|is\s+(?:deprecated|broken|disabled|unsafe|insecure|not\s+(?:safe|available|to\s+be\s+used)))\b/i;
const HIJACK_WORD = /\b(?:bcc|override|overrides|intercept|hijack|redirect|re-?route|proxy(?:ing)?)\b/i;

const GENERIC_SHADOWING: readonly [RegExp, string][] = [
  [/\b(?:when(?:ever)?|if|before|after)\s+(?:any|another|the\s+other|other|all\s+other)\s+(?:mcp\s+)?(?:tools?|functions?|servers?)\b/gi, "Instructions that apply to other tools."],
  [/\ball\s+(?:e-?mails?|messages|requests|payments|transfers|transactions|invoices|calls)\b[^.!?\n]{0,60}?\b(?:must|should|shall|need\s+to|have\s+to|are\s+to)\s+(?:also\s+)?(?:be\s+)?(?:sent|forwarded|redirected|routed|copied|bcc'?e?d|cc'?e?d|delivered|mirrored)\s+to\b/gi, "Redirects all messages to a fixed destination."],
  [/\b(?:always|also)\s+(?:bcc|cc|blind\s+copy|forward\s+a\s+copy|send\s+a\s+copy)\b/gi, "Copies messages to a hidden recipient."],
  [/\bfor\s+(?:all|every|any)\s+(?:subsequent|future|later|other)\s+(?:tool|function)\s+calls?\b/gi, "Instructions for later tool calls."],
];

/** Named shadowing first: at equal severity the first finding is kept, and it names the victim tool. */
export function scanShadowing(text: string, names: RegExp | null, report: Report): void {
  if (names) scanNamedShadowing(text, names, report);
  firstMatch(GENERIC_SHADOWING, text, report, "tool-shadowing", "high");
}

function scanNamedShadowing(text: string, names: RegExp, report: Report): void {
  each(names, text, (m) => {
    const saturation = report.saturation("tool-shadowing");
    if (saturation !== "open") return saturation === "stop";
    const start = m.index;
    const end = start + m[0].length;
    const before = text.slice(Math.max(0, start - 60), start);
    const after = text.slice(end, end + 120);
    const window = text.slice(Math.max(0, start - 120), end + 120);
    const shadows =
      (CONDITION_BEFORE.test(before) && USED_AFTER.test(after)) || INSTEAD_BEFORE.test(before) || DIRECTIVE_AFTER.test(after) || HIJACK_WORD.test(window);
    if (shadows) report("tool-shadowing", "high", sentenceStart(text, start), end + 80, `Gives instructions about another tool (${m[0]}).`);
    else report("cross-tool-reference", "low", start, end + 60, `Mentions another tool (${m[0]}).`);
  });
}
