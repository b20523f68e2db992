/**
 * What changed between two snapshots of a server's tools, for review before re-approval (a tool
 * whose description grows an `<IMPORTANT>` block after approval is the classic "rug pull").
 */
import { canonicalJson, hashedToolView } from "./tool-hash";
import { type McpToolDefinition } from "./tool-types";

export interface FieldChange {
  /**
   * Dotted path from the tool: `description`, `inputSchema.properties.path.type`, `x.items[0]`;
   * keys that are not identifiers are quoted: `properties["a.b"]`. Not unique within a tool: a
   * set-like array (`inputSchema.required`) reports one entry per added or removed element.
   */
  path: string;
  kind: "added" | "removed" | "changed";
  before?: unknown;
  after?: unknown;
}

export interface ChangedTool {
  name: string;
  before: McpToolDefinition;
  after: McpToolDefinition;
  fields: FieldChange[];
}

export interface ToolDiff {
  added: McpToolDefinition[];
  removed: McpToolDefinition[];
  changed: ChangedTool[];
  /** Names of tools whose hashed fields are identical. */
  unchanged: string[];
}

/**
 * Arrays whose order carries no meaning in JSON Schema: compared as sets of canonical JSON, and
 * reported element by element (`inputSchema.required` added "head"). An order-only change is still
 * reported, as one `changed`, because it changes the tool hash.
 */
const SET_LIKE_KEYS = new Set(["required", "enum", "type"]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function childPath(path: string, key: string): string {
  if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) return path === "" ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function walk(path: string, key: string, before: unknown, after: unknown, out: FieldChange[]): void {
  if (before === undefined && after === undefined) return;
  if (before === undefined || after === undefined) {
    out.push(before === undefined ? { path, kind: "added", after } : { path, kind: "removed", before });
    return;
  }

  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort(byCodeUnits);
    for (const k of keys) walk(childPath(path, k), k, before[k], after[k], out);
    return;
  }

  if (Array.isArray(before) && Array.isArray(after)) {
    if (SET_LIKE_KEYS.has(key)) return setDiff(path, before, after, out);
    const length = Math.max(before.length, after.length);
    for (let i = 0; i < length; i++) walk(`${path}[${i}]`, "", before[i], after[i], out);
    return;
  }

  if (canonicalJson(before) !== canonicalJson(after)) out.push({ path, kind: "changed", before, after });
}

function setDiff(path: string, before: unknown[], after: unknown[], out: FieldChange[]): void {
  const beforeKeys = before.map((v) => canonicalJson(v));
  const afterKeys = after.map((v) => canonicalJson(v));
  if (beforeKeys.join(",") === afterKeys.join(",")) return;
  const start = out.length;
  after.forEach((value, i) => {
    if (!beforeKeys.includes(afterKeys[i]!)) out.push({ path, kind: "added", after: value });
  });
  before.forEach((value, i) => {
    if (!afterKeys.includes(beforeKeys[i]!)) out.push({ path, kind: "removed", before: value });
  });
  if (out.length === start) out.push({ path, kind: "changed", before, after });
}

/** The field-level differences between two versions of one tool (empty when their hashes match). */
export function diffTool(before: McpToolDefinition, after: McpToolDefinition): FieldChange[] {
  const fields: FieldChange[] = [];
  walk("", "", hashedToolView(before), hashedToolView(after), fields);
  return fields;
}

/** Tools by name; if a server lists a name twice, the first wins (clients disagree on which). */
function byToolName(tools: readonly McpToolDefinition[]): Map<string, McpToolDefinition> {
  const map = new Map<string, McpToolDefinition>();
  for (const tool of tools) if (!map.has(tool.name)) map.set(tool.name, tool);
  return map;
}

/**
 * Tools are matched by name, so a rename is one removed and one added tool. Every list in the
 * result is sorted by tool name; "changed" means exactly "the tool hash differs".
 */
export function diffTools(before: readonly McpToolDefinition[], after: readonly McpToolDefinition[]): ToolDiff {
  const old = byToolName(before);
  const now = byToolName(after);
  const names = [...new Set([...old.keys(), ...now.keys()])].sort(byCodeUnits);
  const diff: ToolDiff = { added: [], removed: [], changed: [], unchanged: [] };
  for (const name of names) {
    const a = old.get(name);
    const b = now.get(name);
    if (a === undefined) diff.added.push(b!);
    else if (b === undefined) diff.removed.push(a);
    else {
      const fields = diffTool(a, b);
      if (fields.length === 0) diff.unchanged.push(name);
      else diff.changed.push({ name, before: a, after: b, fields });
    }
  }
  return diff;
}

export interface TextDiffPart {
  op: "same" | "add" | "del";
  text: string;
}

/** Above this many differing tokens on either side, the diff is one deletion and one addition. */
const MAX_DIFF_TOKENS = 4_000;
/** Above this many edits Myers' trace (quadratic in the edit count) is not worth it either. */
const MAX_EDITS = 1_000;

/** Words, runs of whitespace, and runs of punctuation, so `<IMPORTANT>` stays one readable change. */
function tokenize(text: string): string[] {
  return text.match(/\s+|[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]+/gu) ?? [];
}

/** Myers' O((N+M)·D) shortest edit script; null when it needs more than MAX_EDITS edits. */
function myers(a: string[], b: string[]): TextDiffPart[] | null {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, MAX_EDITS);
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!);
      let x = down ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) return backtrack(a, b, [...trace.slice(1), next], offset, d);
    }
    v = next;
  }
  return null;
}

function backtrack(a: string[], b: string[], trace: Int32Array[], offset: number, depth: number): TextDiffPart[] {
  const parts: TextDiffPart[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = depth; d > 0; d--) {
    const v = trace[d - 1]!;
    const k = x - y;
    const down = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!);
    const prevK = down ? k + 1 : k - 1;
    const prevX = v[offset + prevK]!;
    const prevY = prevX - prevK;
    for (; x > prevX && y > prevY; y--) parts.push({ op: "same", text: a[--x]! });
    if (down) parts.push({ op: "add", text: b[--y]! });
    else parts.push({ op: "del", text: a[--x]! });
  }
  for (; x > 0 && y > 0; y--) parts.push({ op: "same", text: a[--x]! });
  return parts.reverse();
}

/**
 * Merges runs of one op, lets a whitespace-only "same" between two changes join the change (so a
 * rewritten sentence reads as one deletion and one addition), and puts deletions before additions.
 */
function tidy(parts: TextDiffPart[]): TextDiffPart[] {
  const result: TextDiffPart[] = [];
  let del = "";
  let add = "";
  const flush = () => {
    if (del) result.push({ op: "del", text: del });
    if (add) result.push({ op: "add", text: add });
    del = add = "";
  };
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.op === "del") del += part.text;
    else if (part.op === "add") add += part.text;
    else if ((del || add) && /^\s+$/.test(part.text) && parts[i + 1] !== undefined && parts[i + 1]!.op !== "same") {
      del += part.text;
      add += part.text;
    } else {
      flush();
      const last = result[result.length - 1];
      if (last?.op === "same") last.text += part.text;
      else result.push({ op: "same", text: part.text });
    }
  }
  flush();
  return result;
}

/**
 * A word-level diff for showing how a description changed. Concatenating the "same" and "del"
 * parts gives `before`; "same" and "add" give `after`.
 */
export function textDiff(before: string, after: string): TextDiffPart[] {
  const a = tokenize(before);
  const b = tokenize(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }

  const head: TextDiffPart[] = a.slice(0, start).map((text) => ({ op: "same", text }));
  const tail: TextDiffPart[] = a.slice(endA).map((text) => ({ op: "same", text }));
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const middle =
    (midA.length <= MAX_DIFF_TOKENS && midB.length <= MAX_DIFF_TOKENS ? myers(midA, midB) : null) ?? [
      ...midA.map((text): TextDiffPart => ({ op: "del", text })),
      ...midB.map((text): TextDiffPart => ({ op: "add", text })),
    ];
  return tidy([...head, ...middle, ...tail]);
}
