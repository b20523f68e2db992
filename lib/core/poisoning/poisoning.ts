/**
 * MCP tool-poisoning scan: flags text in a tool's name, title, description and schemas that tries
 * to steer the model rather than describe the tool (Invariant Labs' "tool poisoning attack", tool
 * shadowing, line jumping, CyberArk's full-schema poisoning, ASCII smuggling, ANSI tricks).
 *
 * Pure and deterministic: no I/O, so the console and the edge scan alike. Every pattern is linear
 * or bounded (`{0,n}` windows, no nested quantifiers), because descriptions come from untrusted
 * servers and a pathological one must not stall the scan. Tuned so the official reference
 * servers' tools (everything, filesystem, memory, github) raise nothing high.
 */

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

export interface ScannableTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema?: unknown;
  outputSchema?: unknown;
  annotations?: unknown;
}

export interface ScanContext {
  /** Names of the other tools the model will see next to this one, to spot instructions about them. */
  otherToolNames?: string[];
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

const RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3 };
const MATCH_LIMIT = 120;
/** Longer descriptions crowd the context window and give payloads room to hide. */
const DESCRIPTION_LOW = 1_000;
const DESCRIPTION_MEDIUM = 2_000;
const SCHEMA_TEXT_MEDIUM = 10_000;
/** A schema nested deeper than this is itself suspicious; stop rather than recurse without end. */
const MAX_DEPTH = 64;
/** The spec (2025-11-25) says tool names SHOULD be 1–128 of these characters. */
const SPEC_TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

export function highestSeverity(findings: Finding[]): Severity | null {
  let best: Severity | null = null;
  for (const f of findings) if (best === null || RANK[f.severity] > RANK[best]) best = f.severity;
  return best;
}

export function scanTools(tools: ScannableTool[]): Record<string, Finding[]> {
  const names = tools.map((t) => t.name);
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  // A Map, then fromEntries: a tool named "__proto__" must stay an ordinary key.
  const out = new Map<string, Finding[]>();
  for (const tool of tools) {
    const findings = scanTool(tool, { otherToolNames: names.filter((n) => n !== tool.name) });
    const earlier = out.get(tool.name);
    if (!earlier && (counts.get(tool.name) ?? 0) > 1) {
      findings.push({ rule: "duplicate-tool-name", severity: "medium", field: "name", match: visible(tool.name), message: "Another tool in this list has the same name; clients may call the wrong one." });
    }
    out.set(tool.name, sortFindings([...(earlier ?? []), ...findings]));
  }
  return Object.fromEntries(out);
}

export function scanTool(tool: ScannableTool, context: ScanContext = {}): Finding[] {
  const names = (context.otherToolNames ?? []).filter((n) => n !== tool.name && n.trim().length >= 3);
  const sink = new Sink();
  const ctx: TextContext = { sink, otherNames: names.length > 0 ? namesPattern(names) : null };

  scanName(tool.name, sink);
  scanText(tool.name, "name", ctx, false);
  if (typeof tool.title === "string") scanText(tool.title, "title", ctx, false);
  if (typeof tool.description === "string") {
    scanText(tool.description, "description", ctx, false);
    const length = tool.description.length;
    if (length > DESCRIPTION_LOW) {
      sink.add("excessive-length", length > DESCRIPTION_MEDIUM ? "medium" : "low", "description", tool.description, `Description is ${length} characters (over ${length > DESCRIPTION_MEDIUM ? DESCRIPTION_MEDIUM : DESCRIPTION_LOW}); long descriptions hide instructions.`);
    }
  }
  for (const root of ["inputSchema", "outputSchema", "annotations"] as const) {
    const value = tool[root];
    if (value === undefined) continue;
    const total = walk(value, root, ctx, 0, new WeakSet());
    if (total > SCHEMA_TEXT_MEDIUM) sink.add("excessive-length", "medium", root, "", `${root} holds ${total} characters of text (over ${SCHEMA_TEXT_MEDIUM}).`);
  }
  return sink.findings();
}

// ---------------------------------------------------------------------------------------------
// Collecting findings: one per (rule, field), the most severe, so output stays short and bounded.

type Saturation = "open" | "skip" | "stop";
const MAX_COUNTED = 100;

class Sink {
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

function sortFindings(findings: Finding[]): Finding[] {
  // Array.prototype.sort is stable, so equal severities keep scan order.
  return findings.sort((a, b) => RANK[b.severity] - RANK[a.severity]);
}

// ---------------------------------------------------------------------------------------------
// Walking schemas: every string value and every key, with a readable path.

/** JSON Schema keywords whose value is an identifier URI, not text shown to anyone. */
const SCHEMA_URI_KEYWORDS = /\.(?:\$schema|\$id|\$ref|\$dynamicRef)$/;

function walk(value: unknown, path: string, ctx: TextContext, depth: number, seen: WeakSet<object>): number {
  if (typeof value === "string") {
    scanText(value, path, ctx, false, SCHEMA_URI_KEYWORDS.test(path));
    return value.length;
  }
  if (value === null || typeof value !== "object" || depth > MAX_DEPTH || seen.has(value)) return 0;
  seen.add(value);
  let total = 0;
  if (Array.isArray(value)) {
    value.forEach((item, i) => (total += walk(item, `${path}[${i}]`, ctx, depth + 1, seen)));
    return total;
  }
  for (const [key, item] of Object.entries(value)) {
    const childPath = /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
    scanText(key, childPath, ctx, true);
    total += key.length + walk(item, childPath, ctx, depth + 1, seen);
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Text rules.

interface TextContext {
  sink: Sink;
  otherNames: RegExp | null;
}

/**
 * Scans one string. Invisible and control characters are judged on the raw text; the other rules
 * run on a normalized copy (invisibles removed, NFKC) so `ig\u200Bnore` or full-width letters do
 * not slip past. Property keys are also read with `_`/`-` as spaces (`ignore_previous_instructions`).
 */
function scanText(raw: string, field: string, ctx: TextContext, isKey: boolean, isSchemaUri = false): void {
  if (raw.length === 0) return;
  const { sink } = ctx;
  scanInvisible(raw, field, sink);
  scanControl(raw, field, sink);

  let text = stripInvisible(raw).normalize("NFKC");
  if (isKey) text = text.replace(/[_-]+/g, " ");
  // For a key, show the key as written rather than the spaced copy.
  const show = (start: number, end: number, exact?: boolean) => () => (isKey ? raw : exact ? text.slice(start, end) : excerpt(text, start, end));
  const report: Report = Object.assign(
    (rule: RuleId, severity: Severity, start: number, end: number, message: string, exact?: boolean) => sink.add(rule, severity, field, show(start, end, exact), message),
    { saturation: (rule: RuleId) => sink.saturation(rule, field) },
  );

  scanInstructions(text, report);
  scanSensitive(text, report);
  scanShadowing(text, ctx.otherNames, report);
  scanUrlsAndAddresses(text, isSchemaUri ? Object.assign((rule: RuleId, ...rest: ReportArgs) => void (rule !== "external-url" && report(rule, ...rest)), { saturation: report.saturation }) : report);
  scanShell(text, report);
  scanManipulation(text, report);
  if (!isKey) {
    scanHtmlComments(text, report);
    scanEncoded(text, field, sink);
  }
}

type ReportArgs = [severity: Severity, start: number, end: number, message: string, exact?: boolean];
/** Records a finding on the current field; `exact` shows just the span rather than up to the sentence's end. */
type Report = ((rule: RuleId, ...args: ReportArgs) => void) & { saturation: (rule: RuleId) => Saturation };

/** Calls `fn` for every match of a global regex; `fn` returns true to stop early. */
function each(re: RegExp, text: string, fn: (m: RegExpExecArray) => boolean | void): void {
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (fn(m) === true) break;
    if (m[0].length === 0) re.lastIndex++;
  }
}

function firstMatch(patterns: readonly [RegExp, string][], text: string, report: Report, rule: RuleId, severity: Severity): void {
  for (const [re, message] of patterns) each(re, text, (m) => report(rule, severity, m.index, m.index + m[0].length, message));
}

// 1. Hidden instructions ------------------------------------------------------------------------

const HIDDEN_INSTRUCTIONS: readonly [RegExp, string][] = [
  [/\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+|every\s+)?(?:of\s+)?(?:the\s+|your\s+|these\s+|those\s+)?(?:previous|prior|above|earlier|preceding|former|original|system|existing|other)\s+(?:instructions?|prompts?|rules|directions|directives|guidelines|guidance|context|messages|commands)\b/gi, "Tells the model to drop its instructions."],
  [/\bdisregard\s+(?:all|any|everything|anything|the\s+(?:above|user)|your|what)\b/gi, "Tells the model to disregard its instructions."],
  [/<\s*\/?\s*(?:important|system|instructions?|secret|hidden|admin|critical|override|system[\s_-]?(?:prompt|message|instructions?)|(?:assistant|ai|llm|model)[\s_-]?(?:instructions?|note)|note[\s_-]?(?:to|for)[\s_-]?(?:the[\s_-]?)?(?:ai|assistant|model|llm))\b[^<>\n]{0,40}>/gi, "Instruction tag aimed at the model (<IMPORTANT>-style)."],
  [/<\|(?:im_start|im_end|system|endoftext|eot_id|start_header_id)\|>|\[\/?INST\]|<<\/?SYS>>/gi, "Chat-template control token: tries to forge a system or user turn."],
  [/\b(?:do\s+not|don'?t|never|must\s+not|should\s+not)\s+(?:tell|mention|inform|reveal|show|disclose|notify|alert|let\s+on\s+to|explain\s+(?:this\s+)?to)\s+(?:this\s+|it\s+|that\s+|anything\s+)?(?:to\s+)?(?:the\s+|your\s+)user\b/gi, "Tells the model to hide something from the user."],
  [/\b(?:do\s+not|don'?t|never)\s+(?:mention|reveal|disclose)\s+(?:this|that|it|the\s+fact|anything)\b/gi, "Tells the model to keep something quiet."],
  [/\bwithout\s+(?:telling|informing|notifying|alerting|letting|warning)\s+(?:the\s+|your\s+)?user\b/gi, "Tells the model to act without the user knowing."],
  [/\b(?:the\s+)?user\s+(?:must|should|shall|need|needs|does|do)\s*(?:not|n'?t)\s+(?:know|see|notice|find\s+out|learn|be\s+(?:told|informed|aware|notified|shown))\b/gi, "Tells the model to keep the user unaware."],
  [/\bbefore\s+(?:you\s+)?(?:use|using|call|calling|invoke|invoking|execute|executing|run|running|answer|answering|respond|responding)\b[^\n]{0,40}?[,:]?\s*(?:read|you\s+must|send|include|pass)\b/gi, "Line jumping: a precondition the model must carry out before acting."],
  [/\bnew\s+(?:system\s+)?(?:instructions?|rules|directives|task)\s*:/gi, "Announces replacement instructions."],
  [/\bsystem\s+(?:prompt|override|message|instructions?)\s*:/gi, "Poses as a system prompt."],
  [/\b(?:reveal|print|output|repeat|show|leak)\s+(?:your|the)\s+(?:system\s+prompt|hidden\s+prompt|initial\s+instructions|instructions\s+above)\b/gi, "Asks the model to leak its instructions."],
];

function scanInstructions(text: string, report: Report): void {
  firstMatch(HIDDEN_INSTRUCTIONS, text, report, "hidden-instructions", "high");
}

// 2. Invisible Unicode, and control characters --------------------------------------------------

/** Characters with no glyph that can carry or hide text. */
function invisibleSeverity(cp: number): Severity | null {
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
const INVISIBLE_RUN = /(?:[\u00AD\u061C\u115F\u1160\u180E\u200B\u200C\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB]|\u034F|\u200D|[\uFE00-\uFE0F]|[\u{E0000}-\u{E007F}]|[\u{E0100}-\u{E01EF}])+/gu;
/** Joiners legitimately used inside emoji sequences and in scripts such as Persian or Devanagari. */
const LEGIT_JOINER = /(?<=\p{Extended_Pictographic}|[\u{1F3FB}-\u{1F3FF}]|\uFE0F)\u200D(?=\p{Extended_Pictographic})|(?<=[\p{L}\p{M}])(?<![\p{Script=Latin}\p{Script=Common}])[\u200C\u200D](?=[\p{L}\p{M}])(?![\p{Script=Latin}\p{Script=Common}])/gu;

function stripInvisible(text: string): string {
  INVISIBLE_RUN.lastIndex = 0;
  return INVISIBLE_RUN.test(text) ? text.replace(INVISIBLE_RUN, "") : text;
}

/** Characters of a run examined to grade and decode it; the message shows at most 200 anyway. */
const RUN_SAMPLE = 2_000;

function scanInvisible(raw: string, field: string, sink: Sink): void {
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

/** C0 and C1 controls other than tab, LF and CR; ESC drives terminals (Trail of Bits' ANSI trick). */
function isControl(cp: number): boolean {
  return (cp < 0x20 && cp !== 0x09 && cp !== 0x0a && cp !== 0x0d) || (cp >= 0x7f && cp <= 0x9f);
}

function scanControl(raw: string, field: string, sink: Sink): void {
  let index = -1;
  for (let i = 0; i < raw.length && index === -1; i++) if (isControl(raw.charCodeAt(i))) index = i;
  if (index === -1) return;
  const ansi = raw.includes("\u001b[") || raw.includes("\u009b");
  const start = Math.max(0, index - 12);
  sink.add("control-characters", "high", field, raw.slice(start, index + 40), ansi ? "ANSI escape sequence: can hide or rewrite text in a terminal." : "Control character in text meant for people and models.");
}

// 3. Sensitive data -----------------------------------------------------------------------------

const SENSITIVE_PATH = new RegExp(
  [
    String.raw`(?<![\w])\.ssh(?![\w-])`,
    String.raw`(?<![A-Za-z0-9])id[\s_-]?(?:rsa|dsa|ecdsa|ed25519)(?![A-Za-z0-9])`,
    String.raw`(?<![\w.-])\.env(?![A-Za-z0-9_-])`,
    String.raw`\/etc\/(?:passwd|shadow|sudoers)\b`,
    String.raw`\.aws\/(?:credentials|config)\b`,
    String.raw`\baws[\s_]secret[\s_]access[\s_]key\b`,
    String.raw`(?<![\w-])mcp\.json\b`,
    String.raw`\bclaude_desktop_config\.json\b`,
    String.raw`(?<![\w])\.cursor\/`,
    String.raw`\.kube\/config\b`,
    String.raw`\.docker\/config\.json\b`,
    String.raw`\.config\/gh\/hosts\.yml\b`,
    String.raw`(?<![\w])\.(?:npmrc|pypirc|netrc|git-credentials|pgpass|bash_history|zsh_history|gnupg)\b`,
    String.raw`\bwallet\.dat\b`,
  ].join("|"),
  "gi",
);
const SENSITIVE_WORD = /\b(?:private[\s_-]?keys?|api[\s_-]?keys?|secret[\s_-]?keys?|passwords?|passphrases?|credentials?|(?:access|auth|bearer|refresh)[\s_-]?tokens?|session[\s_-]?(?:cookies?|tokens?)|seed[\s_-]?phrases?|mnemonic[\s_-]?phrases?|ssh[\s_-]?keys?)\b/gi;
/**
 * Imperative and gerund forms only: "read ~/.ssh/id_rsa" instructs the model, while "reads
 * settings from .env" describes the tool.
 */
const READ_VERB = /(?<![A-Za-z])(?:read|reading|cat|open|opening|retrieve|retrieving|fetch|fetching|extract|extracting|collect|collecting|gather|grab|dump|print|output|copy|copying)(?![A-Za-z])/gi;
const SEND_VERB = /(?<![A-Za-z])(?:send|sending|sent|include|including|pass|passing|upload|uploading|post|posting|forward|forwarding|share|sharing|attach|attaching|append|appending|embed|embedding|exfiltrate|leak|transmit|provide|providing|paste|insert|submit|put)(?![A-Za-z])/gi;
/** How far (in characters) a verb may be from the secret it refers to. */
const VERB_REACH = 100;

/** Start offsets of every match, found once per text so each secret's check is a binary search. */
function offsets(re: RegExp, text: string): number[] {
  const found: number[] = [];
  each(re, text, (m) => void found.push(m.index));
  return found;
}

function anyWithin(sorted: number[], from: number, to: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] ?? 0) < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && (sorted[lo] ?? 0) <= to;
}

/**
 * A secret path is high when a verb nearby tells the model to do something with it; a credential
 * word only when the verb moves data (send, include, pass…), since tools that manage passwords
 * legitimately "get" or "read" them.
 */
function scanSensitive(text: string, report: Report): void {
  let tokenEnd = 0;
  let verbs: { read: number[]; send: number[] } | undefined;
  const near = (kind: "read" | "send", start: number, end: number) => {
    verbs ??= { read: offsets(READ_VERB, text), send: offsets(SEND_VERB, text) };
    return anyWithin(verbs[kind], start - VERB_REACH, end + VERB_REACH);
  };
  each(SENSITIVE_PATH, text, (m) => {
    // `~/.cursor/mcp.json` matches twice (".cursor/", "mcp.json"): one path, one finding.
    if (m.index < tokenEnd) return;
    const [start, end] = token(text, m.index, m.index + m[0].length);
    tokenEnd = end;
    const saturation = report.saturation("sensitive-data");
    if (saturation !== "open") return saturation === "stop";
    const acted = near("read", m.index, end) || near("send", m.index, end);
    report("sensitive-data", acted ? "high" : "medium", start, end, acted ? "Tells the model to read or pass on a secret file." : "Mentions a secret file.", true);
  });
  each(SENSITIVE_WORD, text, (m) => {
    const saturation = report.saturation("sensitive-data");
    if (saturation !== "open") return saturation === "stop";
    const end = m.index + m[0].length;
    const severity: Severity = near("send", m.index, end) ? "high" : near("read", m.index, end) ? "medium" : "low";
    report("sensitive-data", severity, m.index, m.index + m[0].length, severity === "high" ? "Tells the model to pass on a credential." : "Mentions a credential.");
  });
}

// 4. Exfiltration -------------------------------------------------------------------------------

const URL_PATTERN = /\b(?:https?|ftp|wss?):\/\/[^\s<>"'`)\]]+/gi;
const COLLECTOR_HOST = /(?:^|\.)(?:webhook\.site|requestbin\.(?:com|net)|pipedream\.net|ngrok\.io|ngrok\.app|ngrok-free\.app|pastebin\.com|paste\.ee|hastebin\.com|transfer\.sh|burpcollaborator\.net|oastify\.com|oast\.(?:pro|live|site|online|fun|me)|interact\.sh|requestcatcher\.com|beeceptor\.com|hookbin\.com|canarytokens\.com|trycloudflare\.com|serveo\.net|loca\.lt|localtunnel\.me|hooks\.slack\.com|api\.telegram\.org)$/i;
const WEBHOOK_PATH = /\/api\/webhooks\//i;
const PLACEHOLDER_PARAM = /[?&][\w.[\]-]+=(?:$|&|\{|\$\{|%7B|%3C|\[|…)/i;
const DATA_PARAM = /[?&](?:data|payload|secret|secrets|token|key|apikey|api_key|password|passwd|pwd|creds|credentials|ssh|exfil|leak|content|contents|conversation|history|chat|messages?|env|cookie|session|file)=/i;
const SEND_TO = /\b(?:send|sends|sending|sent|post|posts|posting|upload|uploads|forward|forwards|transmit|submit|leak|exfiltrate|deliver|beacon)\b[^\n]{0,100}?\b(?:to|at|into|via)\s*[`'"(<[:]*\s*$/i;
const EMAIL_LOCAL = /[\w.+-]/;
const EMAIL_DOMAIN = /^[\w-]+(?:\.[\w-]+)+/;
const MAIL_TO = /\b(?:send|sends|forward|forwards|bcc|cc|copy|redirect|deliver|route|email|mail)\b[^\n]{0,80}?\b(?:to|at)\s*:?\s*[`'"(<]*\s*$|\b(?:bcc|cc)\s*:?\s*$/i;
const DATA_WORDS = /\b(?:all|every|any|each|copy|contents?|data|conversation|history|messages?|e-?mails?|secrets?|keys?|credentials?|passwords?|tokens?|files?|bcc|cc|everything)\b/i;
const IPV4_HOST = /^\d{1,3}(?:\.\d{1,3}){3}$/;

function hostOf(url: string): string {
  const m = /^[a-z]+:\/\/(?:[^@/?#]*@)?([^/?#:]+)/i.exec(url);
  return (m?.[1] ?? "").toLowerCase();
}

/**
 * Email addresses found from each "@" outwards: a regex such as `[\w.]+@…` would retry the whole
 * run of word characters at every position of a long text with no "@" (quadratic).
 */
function emailAddresses(text: string): [number, number][] {
  const found: [number, number][] = [];
  for (let at = text.indexOf("@"); at !== -1; at = text.indexOf("@", at + 1)) {
    let start = at;
    while (start > 0 && at - start < 64 && EMAIL_LOCAL.test(text[start - 1] ?? " ")) start--;
    const domain = EMAIL_DOMAIN.exec(text.slice(at + 1, at + 256));
    if (start < at && domain) found.push([start, at + 1 + domain[0].length]);
  }
  return found;
}

function scanUrlsAndAddresses(text: string, report: Report): void {
  each(URL_PATTERN, text, (m) => {
    const saturation = report.saturation("exfiltration");
    if (saturation !== "open") return saturation === "stop";
    const url = m[0].replace(/[.,;:!?]+$/, "");
    const start = m.index;
    const end = start + url.length;
    const host = hostOf(url);
    const before = text.slice(Math.max(0, start - 120), start);
    const placeholder = PLACEHOLDER_PARAM.test(url) || (url.endsWith("=") && /^[<[{]/.test(text.slice(end, end + 1)));
    if (COLLECTOR_HOST.test(host) || WEBHOOK_PATH.test(url)) {
      report("exfiltration", "high", start, end, `Data-collector host (${host}).`, true);
    } else if (placeholder || DATA_PARAM.test(url)) {
      report("exfiltration", "high", start, end, "URL with a query parameter for the model to fill with data.", true);
    } else if (SEND_TO.test(before)) {
      report("exfiltration", DATA_WORDS.test(before) ? "high" : "medium", start, end, "Tells the model to send something to this URL.", true);
    } else if (IPV4_HOST.test(host)) {
      report("exfiltration", "medium", start, end, "URL to a bare IP address.", true);
    } else {
      report("external-url", "low", start, end, `Links to ${host || "an external site"}.`, true);
    }
  });
  for (const [start, end] of emailAddresses(text)) {
    const saturation = report.saturation("exfiltration");
    if (saturation === "stop") break;
    if (saturation === "skip") continue;
    const before = text.slice(Math.max(0, start - 100), start);
    if (!MAIL_TO.test(before)) continue;
    report("exfiltration", DATA_WORDS.test(before) ? "high" : "medium", start, end, "Tells the model to send messages or data to this address.", true);
  }
}

// Shell commands --------------------------------------------------------------------------------

const SHELL_FETCH = /\b(?:curl|wget|Invoke-WebRequest|iwr)\b[^\n]{0,200}/gi;
const SHELL_DATA_FLAG = /(?:^|\s)(?:-d|--data(?:-binary|-raw|-urlencode)?|-F|--form|-T|--upload-file|--post-data|--post-file|-X\s*(?:POST|PUT)|-Method\s+Post)(?=\s|=|$)|\$\(|`[^`]*`|@[~/$]/;
const SHELL_PIPE_EXEC = /\|\s*(?:sudo\s+)?(?:sh|bash|zsh|python3?|node|perl|iex)\b/i;
const SHELL_OTHER: readonly [RegExp, string][] = [
  [/\brm\s+-(?:rf|fr)\s+[~/*$]/gi, "Destructive shell command."],
  [/\bchmod\s+(?:\+x|777)\b/gi, "Shell command changing permissions."],
  [/\bbase64\s+(?:-d|--decode)\b/gi, "Shell command decoding a hidden payload."],
];

function scanShell(text: string, report: Report): void {
  each(SHELL_FETCH, text, (m) => {
    const cmd = m[0];
    const end = m.index + cmd.length;
    const hasTarget = /https?:\/\/|\b\w+(?:\.\w+)+\//.test(cmd);
    if (SHELL_PIPE_EXEC.test(cmd)) report("shell-command", "high", m.index, end, "Download-and-execute shell command.");
    else if (hasTarget && SHELL_DATA_FLAG.test(cmd)) report("exfiltration", "high", m.index, end, "Shell command that uploads data.");
    else if (hasTarget) report("shell-command", "medium", m.index, end, "Shell command fetching a URL.");
  });
  firstMatch(SHELL_OTHER, text, report, "shell-command", "medium");
}

// 5. Shadowing ----------------------------------------------------------------------------------

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Other tools' names as one alternation, longest first. A leading `_` is allowed so namespaced
 * mentions such as `mcp_tool_send_email` still count.
 */
function namesPattern(names: string[]): RegExp {
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
function scanShadowing(text: string, names: RegExp | null, report: Report): void {
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

// 7. Manipulation of the model (literature: tool poisoning, preference manipulation) -------------

const MODEL_DIRECTIVE: readonly [RegExp, string][] = [
  [/\b(?:the\s+)?(?:assistant|ai|model|llm|agent|claude|chatgpt|gpt|copilot)\s+(?:must|should|shall|needs?\s+to|has\s+to|is\s+required\s+to|will\s+always|must\s+always)\b/gi, "Addresses the model directly."],
  [/\bas\s+an?\s+(?:ai|assistant|language\s+model|llm|ai\s+model)\b/gi, "Addresses the model directly."],
  [/\byou\s+are\s+now\b|\byou\s+are\s+in\s+(?:developer|debug|admin|god|dan|unrestricted|jailbreak|maintenance)\s+mode\b/gi, "Tries to change the model's role or mode."],
  [/\b(?:from\s+now\s+on|henceforth|for\s+the\s+rest\s+of\s+(?:this|the)\s+(?:conversation|session|chat))\b/gi, "Tries to change the model's behavior beyond this tool."],
  [/\byour\s+(?:new\s+|real\s+|actual\s+)?(?:instructions|task|goal|objective|purpose)\s+(?:is|are)\b/gi, "Tries to give the model a new task."],
  [/\byou\s+must\s+(?:always|never|first)\b/gi, "Imperative aimed at the model."],
  [/(?:^|\n)[ \t]*(?:system|assistant)[ \t]*:/gi, "Forges a conversation role marker."],
];
const COERCION: readonly [RegExp, string][] = [
  [/\botherwise\s+(?:the\s+)?(?:tool|function|system|request|it|this)\s+(?:will|would|might|may|can)\s*(?:not\s+work|fail|crash|break|not\s+function)/gi, "Threatens failure to force compliance."],
  [/\b(?:this\s+is\s+)?(?:very|extremely|critically|vitally)\s+important\b/gi, "Urgency aimed at the model."],
  [/\b(?:could|would|will|might|may)\s+(?:even\s+)?(?:upset|scare|alarm|worry|confuse)\s+the\s+user\b/gi, "Uses the user's feelings to justify secrecy."],
  [/\b(?:it\s+is|this\s+is|it's)\s+(?:just\s+|only\s+|merely\s+)?an?\s+implementation\s+detail\b/gi, "Plays down an instruction as an implementation detail."],
  [/\bfailure\s+to\s+(?:comply|follow|do\s+so)\b/gi, "Threatens consequences to force compliance."],
];
const TOOL_PREFERENCE: readonly [RegExp, string][] = [
  [/\b(?:always|only)\s+(?:use|prefer|call|choose|select|pick)\s+this\s+(?:tool|function|server)\b/gi, "Pushes the model to always pick this tool."],
  [/\b(?:do\s+not|don'?t|never)\s+(?:use|call|invoke|trust)\s+(?:any\s+)?(?:other|another|the\s+other)\s+(?:tools?|functions?|servers?)\b/gi, "Tells the model to avoid other tools."],
  [/\bthis\s+is\s+the\s+(?:best|only|preferred|most\s+reliable|official|recommended)\s+(?:tool|function|way)\b/gi, "Claims to be the best tool."],
  [/\b(?:prefer|use)\s+this\s+(?:tool|function)\s+(?:over|instead\s+of)\b/gi, "Pushes the model to pick this tool over others."],
];
const GENERIC_REDIRECT = /\b(?:change|replace|set|override|rewrite|modify|swap)\s+(?:the\s+)?(?:recipient|destination|receiver|to\s+address|email\s+address|phone\s+number|account\s+number|iban|wallet\s+address)\b/gi;

function scanManipulation(text: string, report: Report): void {
  firstMatch(MODEL_DIRECTIVE, text, report, "model-directive", "medium");
  firstMatch(COERCION, text, report, "coercion", "medium");
  firstMatch(TOOL_PREFERENCE, text, report, "tool-preference", "medium");
  each(GENERIC_REDIRECT, text, (m) => report("tool-shadowing", "medium", m.index, m.index + m[0].length, "Tells the model to change where something goes."));
}

function scanHtmlComments(text: string, report: Report): void {
  // indexOf rather than a lazy regex: an unclosed "<!--" repeated 10,000 times stays linear.
  for (let open = text.indexOf("<!--"); open !== -1; ) {
    const close = text.indexOf("-->", open + 4);
    const end = close === -1 ? text.length : close + 3;
    report("html-comment", "medium", open, end, "HTML comment: hidden when the description is rendered, still read by the model.");
    if (close === -1) return;
    open = text.indexOf("<!--", end);
  }
}

// Encoded payloads ------------------------------------------------------------------------------

const BASE64_RUN = /[A-Za-z0-9+/_-]{40,}={0,2}/g;

function decodeBase64(s: string): string | null {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  if (b64.length % 4 === 1) return null;
  try {
    return atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  } catch {
    return null;
  }
}

/** Readable text: nearly all printable ASCII and at least one space, so hashes and URLs do not count. */
function looksLikeText(s: string): boolean {
  if (!s.includes(" ")) return false;
  let printable = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d || c === 0x09) printable++;
  }
  return printable / s.length >= 0.95;
}

function scanEncoded(text: string, field: string, sink: Sink): void {
  each(BASE64_RUN, text, (m) => {
    if (!/[A-Z]/.test(m[0]) || !/[a-z]/.test(m[0])) return;
    const decoded = decodeBase64(m[0]);
    if (decoded === null || !looksLikeText(decoded)) return;
    // Judge the decoded text with the high-severity rules, one level deep.
    const inner = new Sink();
    const innerReport: Report = Object.assign((rule: RuleId, severity: Severity, s: number, e: number, message: string) => inner.add(rule, severity, field, decoded.slice(s, e), message), {
      saturation: (rule: RuleId) => inner.saturation(rule, field),
    });
    scanInstructions(decoded, innerReport);
    scanSensitive(decoded, innerReport);
    scanUrlsAndAddresses(decoded, innerReport);
    const poisoned = highestSeverity(inner.findings()) === "high";
    sink.add("encoded-payload", poisoned ? "high" : "medium", field, m[0], `Base64 text decodes to: "${clip(decoded, 160)}"${poisoned ? " — and that text is poisoned." : "."}`);
  });
}

// Names -----------------------------------------------------------------------------------------

function scanName(name: string, sink: Sink): void {
  if (SPEC_TOOL_NAME.test(name)) return;
  const lookAlike = /[^\p{ASCII}\p{Cf}\u{E0000}-\u{E007F}]/u.test(name) && /\p{L}/u.test(name.replace(/\p{ASCII}/gu, ""));
  sink.add("tool-name", lookAlike ? "medium" : "low", "name", name, lookAlike ? "Name has non-ASCII letters: may imitate another tool's name." : "Name is outside the spec's 1–128 characters of [A-Za-z0-9_.-].");
}

// ---------------------------------------------------------------------------------------------
// Showing matches.

/** The enclosing whitespace-delimited token, e.g. the whole `~/.cursor/mcp.json` around `mcp.json`. */
const TOKEN_STOP = new Set(Array.from(" \t\n\r`'\"<>()[]{},;", (c) => c.charCodeAt(0)));

function token(text: string, start: number, end: number): [number, number] {
  let s = start;
  let e = end;
  while (s > 0 && start - s < 80 && !TOKEN_STOP.has(text.charCodeAt(s - 1))) s--;
  while (e < text.length && e - end < 80 && !TOKEN_STOP.has(text.charCodeAt(e))) e++;
  return [s, e];
}

/** Where the sentence around `index` begins, looking back at most 60 characters, else the word there. */
function sentenceStart(text: string, index: number): number {
  const from = Math.max(0, index - 60);
  const before = text.slice(from, index);
  const boundary = /(?:[.!?]\s+|\n\s*)(?=[^.!?\n]*$)/.exec(before);
  if (boundary) return from + boundary.index + boundary[0].length;
  if (from === 0) return 0;
  const space = before.indexOf(" ");
  return space === -1 ? index : from + space + 1;
}

/** From the match to the end of its sentence, so the reader sees what the text asks for. */
function excerpt(text: string, start: number, end: number): string {
  const limit = Math.min(text.length, start + MATCH_LIMIT + 20);
  if (end >= limit) return text.slice(start, end);
  const rest = text.slice(end, limit);
  const stop = /[.!?](?:\s|$)|\n/.exec(rest);
  return text.slice(start, stop ? end + stop.index + 1 : limit);
}

function clip(s: string, max: number): string {
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
