/**
 * Code Mode: MCP tools rendered as TypeScript declarations, so a model writes code against typed
 * functions instead of reading JSON Schema. Pure and deterministic: the same tools always render
 * to the same text (the text is shown to models and counted for token cost).
 */
import { type McpToolDefinition } from "@core/tools/tool-types";

export interface RenderOptions {
  /** Wrap the declarations in `declare namespace <namespace> { … }` (e.g. the server's slug). */
  namespace?: string;
}

/** `$ref` chains deeper than this render as `unknown`; a schema that refers to itself does at once. */
const MAX_REF_DEPTH = 8;
/** Nesting deeper than this renders as `unknown`. */
const MAX_NESTING = 24;
/**
 * Schema nodes visited per root schema. Inlining `$ref`s can grow exponentially (each definition
 * referring to several others), so past this budget every further node renders as `unknown`.
 */
const MAX_NODES = 5_000;
const INDENT = "  ";

// Words that cannot name a function declared in strict code (ECMAScript reserved, strict-mode
// reserved, and the two names strict mode forbids binding).
const RESERVED = new Set(
  (
    "break case catch class const continue debugger default delete do else enum export extends false finally for function if import in " +
    "instanceof new null return super switch this throw true try typeof var void while with implements interface let package private " +
    "protected public static yield await arguments eval"
  ).split(" "),
);
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * A TypeScript identifier for a tool name: characters outside `[A-Za-z0-9_]` become `_` one for
 * one (so `a-b` and `a--b` stay distinct), a leading digit gets a `_` prefix, a reserved word a `_`
 * suffix. `github/create-issue` → `github_create_issue`. Names that still collide are told apart
 * by {@link renderToolsModule}; the original name is kept in the `@mcpTool` tag.
 */
export function toolIdentifier(name: string): string {
  let id = "";
  for (const ch of name) id += /[A-Za-z0-9_]/.test(ch) ? ch : "_";
  if (id === "") id = "_";
  if (/^[0-9]/.test(id)) id = `_${id}`;
  if (RESERVED.has(id)) id = `${id}_`;
  return id;
}

/** Text safe inside a `/** … *\/` block: `*\/` cannot end it early, and lines are trimmed. */
function docLines(text: string): string[] {
  const lines = text
    .replace(/\r\n?/g, "\n")
    .replace(/\*\//g, "*\\/")
    .split("\n")
    .map((line) => line.trimEnd());
  while (lines.length > 0 && lines[0] === "") lines.shift();
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function renderDoc(lines: string[], indent: string): string {
  if (lines.length === 0) return "";
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((l) => (l === "" ? `${indent} *` : `${indent} * ${l}`)).join("\n")}\n${indent} */\n`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A rendered type and whether it must be parenthesized inside `T[]` or an intersection. */
interface Rendered {
  text: string;
  /** 0 = atom (keyword, literal, object, tuple, array), 1 = intersection, 2 = union. */
  precedence: 0 | 1 | 2;
}

const UNKNOWN: Rendered = { text: "unknown", precedence: 0 };
const NEVER: Rendered = { text: "never", precedence: 0 };
const atom = (text: string): Rendered => ({ text, precedence: 0 });

function wrap(type: Rendered, maxPrecedence: number): string {
  return type.precedence > maxPrecedence ? `(${type.text})` : type.text;
}

/** Members deduplicated by text, `unknown` absorbing and `never` vanishing, as in TypeScript. */
function distinct(members: Rendered[], absorbing: string, vanishing: string): Rendered[] | "absorbed" {
  const kept: Rendered[] = [];
  for (const m of members) {
    if (m.text === absorbing) return "absorbed";
    if (m.text !== vanishing && !kept.some((k) => k.text === m.text)) kept.push(m);
  }
  return kept;
}

function union(members: Rendered[]): Rendered {
  const kept = distinct(members, "unknown", "never");
  if (kept === "absorbed") return UNKNOWN;
  if (kept.length <= 1) return kept[0] ?? NEVER;
  // Every other form binds tighter than `|`, and a nested union simply flattens.
  return { text: kept.map((m) => m.text).join(" | "), precedence: 2 };
}

function intersection(members: Rendered[]): Rendered {
  const kept = distinct(members, "never", "unknown");
  if (kept === "absorbed") return NEVER;
  if (kept.length <= 1) return kept[0] ?? UNKNOWN;
  return { text: kept.map((m) => wrap(m, 1)).join(" & "), precedence: 1 };
}

function literal(value: unknown): Rendered {
  if (typeof value === "string" || typeof value === "boolean" || value === null) return atom(JSON.stringify(value));
  if (typeof value === "number" && Number.isFinite(value)) return atom(String(value));
  // Object and array constants are rare in tool schemas; describing them structurally is not worth it.
  return UNKNOWN;
}

function propertyKey(key: string): string {
  return IDENTIFIER.test(key) ? key : JSON.stringify(key);
}

interface Context {
  root: Record<string, unknown>;
  refStack: string[];
  nodesLeft: number;
}

function resolveRef(ref: string, root: Record<string, unknown>): unknown {
  if (ref === "#") return root;
  if (!ref.startsWith("#/$defs/") && !ref.startsWith("#/definitions/")) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split("/")) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    } catch {
      return undefined; // malformed percent-encoding
    }
    if (!isRecord(node) || !Object.hasOwn(node, segment)) return undefined;
    node = node[segment];
  }
  return node;
}

function schemaType(schema: unknown, ctx: Context, depth: number, level: number): Rendered {
  if (schema === false) return NEVER;
  if (!isRecord(schema) || depth > MAX_NESTING || ctx.nodesLeft <= 0) return UNKNOWN;
  ctx.nodesLeft--;

  if (typeof schema.$ref === "string") {
    const ref = schema.$ref;
    if (ctx.refStack.includes(ref) || ctx.refStack.length >= MAX_REF_DEPTH) return UNKNOWN;
    const target = resolveRef(ref, ctx.root);
    if (target === undefined) return UNKNOWN;
    ctx.refStack.push(ref);
    try {
      return schemaType(target, ctx, depth + 1, level);
    } finally {
      ctx.refStack.pop();
    }
  }

  const nullable = schema.nullable === true; // OpenAPI 3.0 style, common in generated schemas
  const withNull = (t: Rendered) => (nullable ? union([t, atom("null")]) : t);

  if (Object.hasOwn(schema, "const")) return withNull(literal(schema.const));
  if (Array.isArray(schema.enum)) return withNull(union(schema.enum.map(literal)));

  const combined: Rendered[] = [];
  if (Array.isArray(schema.anyOf)) combined.push(union(schema.anyOf.map((s) => schemaType(s, ctx, depth + 1, level))));
  if (Array.isArray(schema.oneOf)) combined.push(union(schema.oneOf.map((s) => schemaType(s, ctx, depth + 1, level))));
  if (Array.isArray(schema.allOf)) combined.push(intersection(schema.allOf.map((s) => schemaType(s, ctx, depth + 1, level))));
  const own = ownType(schema, ctx, depth, level);
  if (combined.length > 0) {
    // Sibling keywords such as `type: "object"` next to `anyOf` only narrow; the combinator says more.
    const ownIsVague = own.text === "unknown" || own.text === "Record<string, unknown>";
    return withNull(intersection(ownIsVague ? combined : [own, ...combined]));
  }
  return withNull(own);
}

/** The type described by `type` (or implied by `properties` / `items`) alone. */
function ownType(schema: Record<string, unknown>, ctx: Context, depth: number, level: number): Rendered {
  const declared = schema.type;
  if (Array.isArray(declared)) {
    return union(declared.map((t) => (typeof t === "string" ? typeOfKind(t, schema, ctx, depth, level) : UNKNOWN)));
  }
  if (typeof declared === "string") return typeOfKind(declared, schema, ctx, depth, level);
  if (isRecord(schema.properties) || isRecord(schema.additionalProperties)) return typeOfKind("object", schema, ctx, depth, level);
  if (schema.items !== undefined || Array.isArray(schema.prefixItems)) return typeOfKind("array", schema, ctx, depth, level);
  return UNKNOWN;
}

function typeOfKind(kind: string, schema: Record<string, unknown>, ctx: Context, depth: number, level: number): Rendered {
  switch (kind) {
    case "string":
      return atom("string");
    case "number":
    case "integer":
      return atom("number");
    case "boolean":
      return atom("boolean");
    case "null":
      return atom("null");
    case "array":
      return arrayType(schema, ctx, depth, level);
    case "object":
      return objectType(schema, ctx, depth, level);
    default:
      return UNKNOWN;
  }
}

function arrayType(schema: Record<string, unknown>, ctx: Context, depth: number, level: number): Rendered {
  // 2020-12 uses `prefixItems` + `items`; draft-07 an array in `items` + `additionalItems`.
  const tuple = Array.isArray(schema.prefixItems) ? schema.prefixItems : Array.isArray(schema.items) ? schema.items : undefined;
  const rest = Array.isArray(schema.prefixItems) ? schema.items : Array.isArray(schema.items) ? schema.additionalItems : schema.items;
  if (tuple) {
    const elements = tuple.map((s) => schemaType(s, ctx, depth + 1, level).text);
    if (rest !== false) elements.push(`...${wrap(schemaType(rest, ctx, depth + 1, level), 0)}[]`);
    return atom(`[${elements.join(", ")}]`);
  }
  return atom(`${wrap(schemaType(rest, ctx, depth + 1, level), 0)}[]`);
}

function objectType(schema: Record<string, unknown>, ctx: Context, depth: number, level: number): Rendered {
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === "string") : []);
  const keys = Object.keys(properties);
  const extra = schema.additionalProperties;
  const patterns = isRecord(schema.patternProperties) ? Object.values(schema.patternProperties) : [];

  if (keys.length === 0) {
    if (extra === false && patterns.length === 0) return atom("Record<string, never>");
    const valueSchemas = [...(extra === undefined || extra === false ? [] : [extra]), ...patterns];
    const value = valueSchemas.length === 0 ? UNKNOWN : union(valueSchemas.map((s) => schemaType(s, ctx, depth + 1, level)));
    return atom(`Record<string, ${value.text}>`);
  }

  const inner = INDENT.repeat(level + 1);
  let body = "";
  for (const key of keys) {
    const property = properties[key];
    body += renderDoc(propertyDoc(property), inner);
    body += `${inner}${propertyKey(key)}${required.has(key) ? "" : "?"}: ${schemaType(property, ctx, depth + 1, level + 1).text};\n`;
  }
  // Extra keys are typed `unknown`: a narrower index signature would have to admit every declared
  // property's type too, and that union says nothing useful.
  if ((extra !== undefined && extra !== false) || patterns.length > 0) body += `${inner}[key: string]: unknown;\n`;
  return atom(`{\n${body}${INDENT.repeat(level)}}`);
}

function propertyDoc(property: unknown): string[] {
  if (!isRecord(property)) return [];
  const lines = typeof property.description === "string" ? docLines(property.description) : [];
  if (property.default !== undefined) {
    const json = JSON.stringify(property.default);
    if (json !== undefined) lines.push(...docLines(`@default ${json}`));
  }
  if (property.deprecated === true) lines.push("@deprecated");
  return lines;
}

function rootType(schema: Record<string, unknown> | undefined, level: number): Rendered {
  if (schema === undefined) return UNKNOWN;
  return schemaType(schema, { root: schema, refStack: [], nodesLeft: MAX_NODES }, 0, level);
}

/** True when `{}` satisfies the input type, so the argument may be left out. */
function inputIsOptional(schema: Record<string, unknown>): boolean {
  const required = schema.required;
  return !(Array.isArray(required) && required.length > 0) && schema.$ref === undefined && schema.anyOf === undefined && schema.oneOf === undefined && schema.allOf === undefined;
}

function renderFunction(tool: McpToolDefinition, identifier: string, level: number, prefix: string): string {
  const indent = INDENT.repeat(level);
  const doc = tool.description === undefined ? [] : docLines(tool.description);
  const lines = [...doc, ...(doc.length > 0 ? [""] : []), ...docLines(`@mcpTool ${tool.name}`)];
  const input = rootType(tool.inputSchema, level);
  const output = rootType(tool.outputSchema, level);
  const param = `input${inputIsOptional(tool.inputSchema) ? "?" : ""}: ${input.text}`;
  return `${renderDoc(lines, indent)}${indent}${prefix}function ${identifier}(${param}): Promise<${output.text}>;\n`;
}

/** Identifiers for tools in name order, told apart with `_2`, `_3`… when the mapping collides. */
function assignIdentifiers(tools: McpToolDefinition[]): Map<McpToolDefinition, string> {
  const taken = new Set<string>();
  const result = new Map<McpToolDefinition, string>();
  for (const tool of tools) {
    const base = toolIdentifier(tool.name);
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}_${n}`;
    taken.add(id);
    result.set(tool, id);
  }
  return result;
}

function byName(a: McpToolDefinition, b: McpToolDefinition): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function inNamespace(namespace: string, body: string): string {
  return `declare namespace ${toolIdentifier(namespace)} {\n${body}}\n`;
}

/**
 * One tool as a documented `declare function`. With a namespace, the function is declared inside
 * `declare namespace <ns> { … }`.
 */
export function renderToolDeclaration(tool: McpToolDefinition, options: RenderOptions = {}): string {
  const identifier = toolIdentifier(tool.name);
  if (options.namespace === undefined) return renderFunction(tool, identifier, 0, "declare ");
  return inNamespace(options.namespace, renderFunction(tool, identifier, 1, ""));
}

/**
 * All tools of a server as one script of declarations, sorted by tool name so the text does not
 * depend on the order of `tools/list`.
 */
export function renderToolsModule(tools: readonly McpToolDefinition[], options: RenderOptions = {}): string {
  const sorted = [...tools].sort(byName);
  const ids = assignIdentifiers(sorted);
  const nested = options.namespace !== undefined;
  const body = sorted.map((tool) => renderFunction(tool, ids.get(tool)!, nested ? 1 : 0, nested ? "" : "declare ")).join("\n");
  return nested ? inNamespace(options.namespace!, body) : body;
}
