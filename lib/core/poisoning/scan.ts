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

import { type Finding, type Report, type ReportArgs, type RuleId, type Severity, Sink, sortFindings } from "./findings";
import { scanControl, scanInvisible, scanName } from "./rules-characters";
import { scanSensitive, scanShell, scanUrlsAndAddresses } from "./rules-data";
import { scanEncoded } from "./rules-encoded";
import { scanHtmlComments, scanInstructions, scanManipulation } from "./rules-instructions";
import { namesPattern, scanShadowing } from "./rules-shadowing";
import { excerpt, stripInvisible, visible } from "./text";

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

/** Longer descriptions crowd the context window and give payloads room to hide. */
const DESCRIPTION_LOW = 1_000;
const DESCRIPTION_MEDIUM = 2_000;
const SCHEMA_TEXT_MEDIUM = 10_000;
/** A schema nested deeper than this is itself suspicious; stop rather than recurse without end. */
const MAX_DEPTH = 64;

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
