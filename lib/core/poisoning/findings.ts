/** What the poisoning scan reports: the rule table, severities, and the sink that keeps findings short. */

import { each, visible } from "./text";

export type Severity = "low" | "medium" | "high";

export interface Finding {
  rule: string;
  severity: Severity;
  /** Where the text was found: `name`, `title`, `description`, or a path such as `inputSchema.properties.path.description`. */
  field: string;
  /** The matched text, at most ~120 characters, invisible characters written as `<U+E0041>`. */
  match: string;
  message: string;
}

/** Every rule the scan applies, with the highest severity it can raise. */
export const RULES = {
  "hidden-instructions": { maxSeverity: "high", summary: "Instructions aimed at the model: override phrases, <IMPORTANT>-style tags, hiding things from the user, line jumping" },
  "invisible-unicode": { maxSeverity: "high", summary: "Tag characters (ASCII smuggling), zero-width and bidi control characters" },
  "control-characters": { maxSeverity: "high", summary: "ANSI escape sequences and other C0/C1 control characters that can hide text in terminals" },
  "sensitive-data": { maxSeverity: "high", summary: "Secret files and credentials, high when the model is told to read or pass them" },
  exfiltration: { maxSeverity: "high", summary: "URLs or addresses the model is told to send data to, placeholder query parameters, collector hosts" },
  "tool-shadowing": { maxSeverity: "high", summary: "Instructions that change how other tools behave" },
  "shell-command": { maxSeverity: "high", summary: "Shell commands in the text; high for download-and-execute" },
  "encoded-payload": { maxSeverity: "high", summary: "Base64 text that decodes to readable text; high when that text is itself poisoned" },
  "model-directive": { maxSeverity: "medium", summary: "Text addressed to the model (\"the assistant must\", \"as an AI\", role markers)" },
  coercion: { maxSeverity: "medium", summary: "Pressure on the model (\"otherwise the tool will not work\", \"it could upset the user\")" },
  "tool-preference": { maxSeverity: "medium", summary: "Pushes the model to prefer this tool or avoid others" },
  "html-comment": { maxSeverity: "medium", summary: "HTML comments, invisible when the description is rendered" },
  "excessive-length": { maxSeverity: "medium", summary: "Description over 1,000 (low) or 2,000 (medium) characters; schema text over 10,000" },
  "tool-name": { maxSeverity: "medium", summary: "Name outside the spec's [A-Za-z0-9_.-]{1,128}; medium with non-ASCII letters (look-alikes)" },
  "duplicate-tool-name": { maxSeverity: "medium", summary: "Two tools in one list share a name" },
  "cross-tool-reference": { maxSeverity: "low", summary: "Mentions another tool without instructions about it" },
  "external-url": { maxSeverity: "low", summary: "A URL with no sign of data being sent to it" },
} as const satisfies Record<string, { maxSeverity: Severity; summary: string }>;

export type RuleId = keyof typeof RULES;

export const RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3 };

export function highestSeverity(findings: Finding[]): Severity | null {
  let best: Severity | null = null;
  for (const f of findings) if (best === null || RANK[f.severity] > RANK[best]) best = f.severity;
  return best;
}

// Collecting findings: one per (rule, field), the most severe, so output stays short and bounded.

export type Saturation = "open" | "skip" | "stop";
const MAX_COUNTED = 100;

export class Sink {
  private readonly byKey = new Map<string, Finding & { extra: number }>();
  /** The key of (rule, field), built once per pair: the scan asks for it for every match. */
  private readonly keys = new Map<string, Map<string, string>>();

  private key(rule: RuleId, field: string): string {
    let byField = this.keys.get(rule);
    if (!byField) this.keys.set(rule, (byField = new Map()));
    let key = byField.get(field);
    if (key === undefined) byField.set(field, (key = `${rule}\u0000${field}`));
    return key;
  }

  /** `match` may be a function so text is only cut and escaped for findings that are kept. */
  add(rule: RuleId, severity: Severity, field: string, match: string | (() => string), message: string): void {
    const key = this.key(rule, field);
    const prev = this.byKey.get(key);
    if (prev && RANK[prev.severity] >= RANK[severity]) {
      prev.extra += 1;
      return;
    }
    this.byKey.set(key, { rule, severity, field, match: visible(typeof match === "string" ? match : match()), message, extra: prev ? prev.extra + 1 : 0 });
  }

  /**
   * Once a field has a high finding of a rule nothing can outrank it: further matches are only
   * counted ("skip"), and after MAX_COUNTED of them the caller stops looking ("stop").
   */
  saturation(rule: RuleId, field: string): Saturation {
    const prev = this.byKey.get(this.key(rule, field));
    if (prev?.severity !== "high") return "open";
    if (prev.extra >= MAX_COUNTED) return "stop";
    prev.extra += 1;
    return "skip";
  }

  findings(): Finding[] {
    return sortFindings(
      [...this.byKey.values()].map(({ extra, ...f }) =>
        extra > 0 ? { ...f, message: `${f.message} (+${extra}${extra >= MAX_COUNTED ? " or more" : ""} more in this field)` } : f,
      ),
    );
  }
}

export function sortFindings(findings: Finding[]): Finding[] {
  // Array.prototype.sort is stable, so equal severities keep scan order.
  return findings.sort((a, b) => RANK[b.severity] - RANK[a.severity]);
}

export type ReportArgs = [severity: Severity, start: number, end: number, message: string, exact?: boolean];
/** Records a finding on the current field; `exact` shows just the span rather than up to the sentence's end. */
export type Report = ((rule: RuleId, ...args: ReportArgs) => void) & { saturation: (rule: RuleId) => Saturation };

/** Reports every match of each pattern under one rule and severity, with the pattern's message. */
export function firstMatch(patterns: readonly [RegExp, string][], text: string, report: Report, rule: RuleId, severity: Severity): void {
  for (const [re, message] of patterns) each(re, text, (m) => report(rule, severity, m.index, m.index + m[0].length, message));
}
