/**
 * Exports of the shadow-MCP block list for Cloudflare's secure web gateway: Gateway HTTP rules
 * (block, and log for entries in their rollout) and a DLP profile that detects MCP JSON-RPC. Pure: builds API request bodies, sends nothing.
 * Where unsure of Cloudflare's behaviour it over-blocks rather than misses; the API sources and
 * what is not confirmed: docs/shadow-exports.md.
 */

import type { BundleBlockEntry } from "@core/bundle/schema";
import { blockModeAt } from "./blocklist";

/** One block-list entry, as the bundle carries it (lib/core/bundle/schema.ts). */
export type BlockEntry = BundleBlockEntry;

interface GatewayRuleBase {
  name: string;
  description: string;
  enabled: boolean;
  filters: ["http"];
  traffic: string;
  identity: string;
  device_posture: string;
  precedence?: number;
}

/** Refuses the entries that block now. */
export interface GatewayBlockRule extends GatewayRuleBase {
  action: "block";
  rule_settings: { block_page_enabled: boolean; block_reason: string };
}

/**
 * The "log" half of a rollout. Gateway has no log-only action: an Allow rule lets the requests
 * through and Gateway's HTTP log records each one with the rule that matched it.
 */
export interface GatewayLogRule extends GatewayRuleBase {
  action: "allow";
  rule_settings: Record<string, never>;
}

export type GatewayRule = GatewayBlockRule | GatewayLogRule;

export interface DlpProfile {
  name: string;
  description: string;
  entries: { name: string; enabled: boolean; pattern: { regex: string } }[];
  /** Related DLP policies trigger when the match count exceeds this number: 0 = any match. */
  allowed_match_count: number;
  context_awareness: { enabled: boolean; skip: { files: boolean } };
  ocr_enabled: boolean;
}

const EMPTY_LIST = "Nothing to export: the block list is empty";

/** A wirefilter string literal: `"` and `\` escaped. */
function str(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Escapes regex metacharacters (Rust regex, and JavaScript alike). */
function regexLiteral(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, (c) => `\\${c}`);
}

interface Target {
  /** The values `http.request.host` may take for this origin (see "Not confirmed" in docs/shadow-exports.md). */
  hosts: string[];
  pathPrefix: string;
}

function targetOf(e: BlockEntry): Target {
  let u: URL;
  try {
    u = new URL(e.origin);
  } catch {
    throw new Error(`Block-list entry ${e.id} has an invalid origin: ${e.origin}`);
  }
  if ((u.protocol !== "https:" && u.protocol !== "http:") || u.hostname === "") {
    throw new Error(`Block-list entry ${e.id} has an invalid origin: ${e.origin}`);
  }
  const hostname = u.hostname; // lower-case, punycode, IPv6 in brackets
  const bare = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  const hosts = [hostname];
  if (bare !== hostname) hosts.push(bare);
  if (u.port !== "") hosts.push(`${hostname}:${u.port}`);
  let pathPrefix = e.pathPrefix.trim();
  while (pathPrefix.endsWith("/")) pathPrefix = pathPrefix.slice(0, -1);
  if (pathPrefix !== "" && !pathPrefix.startsWith("/")) pathPrefix = `/${pathPrefix}`;
  return { hosts, pathPrefix };
}

/** Whether `path` is `prefix` or lies under it on a segment boundary. */
function under(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** Keeps only prefixes not covered by another; "" (whole host) absorbs all. */
function minimalPrefixes(prefixes: readonly string[]): string[] {
  if (prefixes.includes("")) return [];
  const sorted = [...new Set(prefixes)].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  const kept: string[] = [];
  for (const p of sorted) if (!kept.some((k) => under(p, k))) kept.push(p);
  return kept;
}

function pathClause(prefix: string): string {
  return `(http.request.uri.path == ${str(prefix)} or http.request.uri.path matches ${str(`^${regexLiteral(prefix)}/`)})`;
}

/**
 * The Gateway HTTP `traffic` expression that matches every entry: one clause per host (entries on
 * the same host merged, covered prefixes dropped), ORed. Throws on an empty list.
 */
export function gatewayTrafficExpression(entries: readonly BlockEntry[]): string {
  if (entries.length === 0) throw new Error(EMPTY_LIST);
  const groups = new Map<string, { hosts: string[]; prefixes: string[] }>();
  for (const e of entries) {
    const t = targetOf(e);
    const key = t.hosts.join(" ");
    const g = groups.get(key);
    if (g === undefined) groups.set(key, { hosts: t.hosts, prefixes: [t.pathPrefix] });
    else g.prefixes.push(t.pathPrefix);
  }
  const clauses: string[] = [];
  for (const g of groups.values()) {
    const host = g.hosts.length === 1 ? `http.request.host == ${str(g.hosts[0]!)}` : `http.request.host in {${g.hosts.map(str).join(" ")}}`;
    const prefixes = minimalPrefixes(g.prefixes);
    if (prefixes.length === 0) clauses.push(`(${host})`);
    else if (prefixes.length === 1) clauses.push(`(${host} and ${pathClause(prefixes[0]!)})`);
    else clauses.push(`(${host} and (${prefixes.map(pathClause).join(" or ")}))`);
  }
  return clauses.join(" or ");
}

/** The body of POST /accounts/{account_id}/gateway/rules that blocks the whole block list. */
export function gatewayHttpPolicy(entries: readonly BlockEntry[], opts?: { name?: string; precedence?: number }): GatewayBlockRule {
  const traffic = gatewayTrafficExpression(entries);
  const n = entries.length;
  const rule: GatewayBlockRule = {
    name: opts?.name ?? "Portcullis: block shadow MCP servers",
    description: `Blocks ${n} unapproved MCP server${n === 1 ? "" : "s"} from the Portcullis shadow-MCP block list. Generated; edit the list in Portcullis, not here.`,
    action: "block",
    enabled: true,
    filters: ["http"],
    traffic,
    identity: "",
    device_posture: "",
    rule_settings: {
      block_page_enabled: false,
      block_reason: "This MCP server is not approved by your organization (shadow MCP). Ask your security team to review it.",
    },
  };
  if (opts?.precedence !== undefined) rule.precedence = opts.precedence;
  return rule;
}

/** How many entries the log rule's description names with their dates (the rest are counted). */
const DATES_LISTED = 20;

/** `2026-12-20`, or `2026-12-20 14:30 UTC` when not at midnight. */
function utcDate(iso: string): string {
  const time = iso.slice(11, 16);
  return time === "00:00" ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${time} UTC`;
}

/**
 * The Allow rule that logs the entries still in their rollout. Allow stops Gateway's evaluation
 * (first match wins), so its traffic leaves out whatever the block rule matches (`not (…)`): a
 * logged origin with a blocked path under it stays blocked whatever the order of the two rules.
 */
export function gatewayLogPolicy(logging: readonly BlockEntry[], blocking: readonly BlockEntry[], opts?: { name?: string; precedence?: number }): GatewayLogRule {
  const logged = gatewayTrafficExpression(logging);
  const traffic = blocking.length === 0 ? logged : `(${logged}) and not (${gatewayTrafficExpression(blocking)})`;
  const n = logging.length;
  const dates = logging.slice(0, DATES_LISTED).map((e) => `${e.origin}${e.pathPrefix}: ${e.enforceAt ? `switch to block on ${utcDate(e.enforceAt)}` : "no date set (logging until changed in Portcullis)"}`);
  const more = n > DATES_LISTED ? `; and ${n - DATES_LISTED} more (see Portcullis)` : "";
  const rule: GatewayLogRule = {
    name: opts?.name ?? "Portcullis: log shadow MCP servers (would block)",
    description:
      `Logs, without blocking, requests to ${n} MCP server${n === 1 ? "" : "s"} of the Portcullis shadow-MCP block list in their log-first rollout (Allow: each request shows in the HTTP logs under this rule). ` +
      `Gateway cannot switch by itself: on each date, export again from Portcullis and replace both rules. ${dates.join("; ")}${more}. ` +
      "Keep this rule below your other HTTP rules (Allow stops evaluation). Generated; edit the list in Portcullis, not here.",
    action: "allow",
    enabled: true,
    filters: ["http"],
    traffic,
    identity: "",
    device_posture: "",
    rule_settings: {},
  };
  if (opts?.precedence !== undefined) rule.precedence = opts.precedence;
  return rule;
}

/**
 * The block list as Gateway HTTP rules following each entry's rollout at `at` (ms): the entries
 * that block (lib/core/shadow/blocklist.ts `blockModeAt`) in a block rule, those still logging in
 * an Allow rule that logs them. Either rule is left out when it would match nothing; with
 * `precedence`, the block rule takes it and the log rule the next. Throws on an empty list.
 */
export function gatewayHttpPolicies(entries: readonly BlockEntry[], at: number, opts?: { precedence?: number }): GatewayRule[] {
  if (entries.length === 0) throw new Error(EMPTY_LIST);
  const blocking = entries.filter((e) => blockModeAt(e, at) === "block");
  const logging = entries.filter((e) => blockModeAt(e, at) === "log");
  const rules: GatewayRule[] = [];
  if (blocking.length) rules.push(gatewayHttpPolicy(blocking, opts?.precedence === undefined ? undefined : { precedence: opts.precedence }));
  if (logging.length) rules.push(gatewayLogPolicy(logging, blocking, opts?.precedence === undefined ? undefined : { precedence: opts.precedence + 1 }));
  return rules;
}

/** `"method"` key with the given method value (a regex fragment), whitespace tolerant. */
const method = (m: string): string => `"method"\\s*:\\s*"${m}"`;

/**
 * DLP entries. Rust regex syntax kept to what JavaScript reads identically: no lookaround, no
 * backreferences, no inline flags (`[\s\S]` instead of `(?s).`). Method entries require the
 * `"method"` key, so a document that merely mentions "tools/call" in a text field (even quoted,
 * since JSON escapes its quotes as \") does not match. `"initialize"` alone is also LSP's first
 * request, so that entry also requires `"protocolVersion"` (MCP's initialize params carry it; LSP's
 * do not), in either order; DLP scans only the first 1,024 bytes, so `[\s\S]*` stays cheap.
 */
const DLP_ENTRIES: readonly { name: string; regex: string }[] = [
  { name: "MCP Initialize Method", regex: `${method("initialize")}[\\s\\S]*"protocolVersion"|"protocolVersion"[\\s\\S]*${method("initialize")}` },
  { name: "MCP Tools Call", regex: method("tools/call") },
  { name: "MCP Tools List", regex: method("tools/list") },
  { name: "MCP Protocol Version", regex: `"protocolVersion"\\s*:\\s*"20\\d\\d-\\d\\d-\\d\\d"` },
  { name: "MCP Notifications Initialized", regex: method("notifications/initialized") },
  { name: "MCP Resources List", regex: method("resources/list") },
  { name: "MCP Resources Read", regex: method("resources/read") },
  { name: "MCP Prompts List", regex: method("prompts/list") },
  { name: "MCP Prompts Get", regex: method("prompts/get") },
  {
    // Client-to-server methods specific to MCP. Left out: initialize (LSP), ping and
    // notifications/cancelled|progress (generic), tasks/* (A2A uses the same names).
    name: "MCP JSON-RPC Method",
    regex: method(
      "(?:tools/(?:list|call)|resources/(?:list|read|subscribe|unsubscribe|templates/list)|prompts/(?:list|get)|logging/setLevel|completion/complete|notifications/(?:initialized|roots/list_changed))",
    ),
  },
];

/** Names of the DLP entries mcpDlpProfile() exports (lower-case compare is fine). */
export const MCP_DLP_ENTRY_NAMES: readonly string[] = DLP_ENTRIES.map((e) => e.name);

/** The body of POST /accounts/{account_id}/dlp/profiles/custom detecting MCP JSON-RPC requests. */
export function mcpDlpProfile(): DlpProfile {
  return {
    name: "Portcullis: MCP JSON-RPC detection",
    description: "Detects Model Context Protocol JSON-RPC requests in HTTP request bodies (generated by Portcullis).",
    entries: DLP_ENTRIES.map((e) => ({ name: e.name, enabled: true, pattern: { regex: e.regex } })),
    allowed_match_count: 0,
    context_awareness: { enabled: false, skip: { files: false } },
    ocr_enabled: false,
  };
}
