/**
 * Reads the server list out of one client configuration file, keeping only what may leave the
 * machine: names, commands, redacted arguments and URLs, and the *names* of environment
 * variables and headers. Values of env and headers are never copied (see redact.ts for args/URLs).
 */
import { parse as parseYaml } from "yaml";
import type { ClientId, ConfigFormat } from "./clients";
import { redactArgs, redactUrl, looksSecret, REDACTED } from "./redact";
import { parseToml } from "./toml";

export type Transport = "stdio" | "http" | "sse";

export interface FoundServer {
  client: ClientId;
  configPath: string;
  /** Claude Code's per-project servers: the project directory they belong to. */
  project?: string;
  name: string;
  transport: Transport;
  command?: string;
  args?: string[];
  url?: string;
  envNames: string[];
  headerNames: string[];
  disabled?: boolean;
  /** What was removed from this entry, by name only: `env:NAME`, `header:NAME`, `arg:3`, `url:userinfo`… */
  redactions: string[];
}

export interface RedactionReport {
  envValues: number;
  headerValues: number;
  args: number;
  urlParts: number;
}

export interface ParseResult {
  servers: FoundServer[];
  redactionReport: RedactionReport;
  error?: string;
}

export interface ConfigSource {
  client: ClientId;
  path: string;
  format: ConfigFormat;
}

/**
 * Strips `//` and `/* *\/` comments and trailing commas from JSONC (VS Code, Zed), leaving
 * string contents untouched. Comment bytes become spaces so error offsets stay meaningful.
 */
export function stripJsonComments(text: string): string {
  let out = "";
  let i = 0;
  let inString = false;
  while (i < text.length) {
    const c = text[i] as string;
    const next = text[i + 1];
    if (inString) {
      out += c;
      if (c === "\\" && next !== undefined) {
        out += next;
        i += 2;
        continue;
      }
      if (c === '"') inString = false;
      i++;
    } else if (c === '"') {
      inString = true;
      out += c;
      i++;
    } else if (c === "/" && next === "/") {
      while (i < text.length && text[i] !== "\n") {
        out += " ";
        i++;
      }
    } else if (c === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end === -1 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else {
      out += c;
      i++;
    }
  }
  return removeTrailingCommas(out);
}

function removeTrailingCommas(text: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (c === "\\") out += text[++i] ?? "";
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === ",") {
      const rest = /^\s*([}\]])/.exec(text.slice(i + 1, i + 1 + 4096));
      out += rest ? " " : c;
    } else out += c;
  }
  return out;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);

function transportOf(entry: Json, url: string | undefined, explicitHttp: boolean): Transport {
  const type = String(entry.type ?? (typeof entry.transport === "string" ? entry.transport : "")).toLowerCase();
  if (type === "sse") return "sse";
  if (["http", "streamable-http", "streamablehttp", "streamable_http"].includes(type)) return "http";
  if (type === "stdio") return "stdio";
  if (!url) return "stdio";
  if (explicitHttp) return "http";
  return /\/sse\/?$/i.test(safePath(url)) ? "sse" : "http";
}

function safePath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

/** One server entry, whatever the client's spelling, reduced to its redacted form. */
export function normalizeServer(source: ConfigSource, name: string, raw: unknown, extra: { project?: string; geminiUrl?: boolean } = {}): FoundServer | null {
  if (!isObject(raw)) return null;
  // Zed's older shape nests the command: { command: { path, args, env } }.
  const entry: Json = isObject(raw.command) ? { ...raw, ...raw.command, command: raw.command.path } : raw;
  const redactions: string[] = [];
  const httpUrl = str(entry.httpUrl);
  const rawUrl = httpUrl ?? str(entry.url) ?? str(entry.serverUrl) ?? str(entry.endpoint);
  let transport = transportOf(entry, rawUrl, httpUrl !== undefined);
  // Gemini CLI: `url` is the SSE transport, `httpUrl` the streamable HTTP one.
  if (extra.geminiUrl && !httpUrl && rawUrl && !entry.type) transport = "sse";

  const server: FoundServer = { client: source.client, configPath: source.path, name, transport, envNames: [], headerNames: [], redactions };
  if (extra.project) server.project = extra.project;
  if (entry.disabled === true || entry.enabled === false) server.disabled = true;

  const command = str(entry.command);
  if (command) {
    if (looksSecret(command)) {
      server.command = REDACTED;
      redactions.push("command");
    } else server.command = command;
  }
  if (Array.isArray(entry.args)) {
    const { args, removed } = redactArgs(entry.args.map((a) => String(a)));
    server.args = args;
    redactions.push(...removed);
  }
  if (rawUrl) {
    const { value, removed } = redactUrl(rawUrl);
    server.url = value;
    redactions.push(...removed);
  }
  for (const [key, prefix, list] of [
    ["env", "env", server.envNames],
    ["headers", "header", server.headerNames],
    ["requestInit", "header", server.headerNames],
  ] as const) {
    let value = entry[key];
    if (key === "requestInit") value = isObject(value) ? value.headers : undefined;
    // Continue's YAML allows a list of `NAME=value` strings; record the names only.
    const names = Array.isArray(value)
      ? value.map((v) => String(v).split("=")[0] ?? "").filter(Boolean)
      : isObject(value)
        ? Object.keys(value)
        : [];
    for (const n of names) {
      list.push(n);
      redactions.push(`${prefix}:${n}`);
    }
  }
  if (source.format === "codex-toml") addCodexNames(entry, server);
  return server;
}

/**
 * Codex: `env_vars` and `bearer_token_env_var` / `env_http_headers` name variables read from the
 * machine (names, kept); `http_headers` and an inline `bearer_token` hold values (dropped).
 */
function addCodexNames(entry: Json, server: FoundServer) {
  const header = (name: string, redacted: boolean) => {
    if (!server.headerNames.includes(name)) server.headerNames.push(name);
    if (redacted) server.redactions.push(`header:${name}`);
  };
  if (Array.isArray(entry.env_vars)) server.envNames.push(...entry.env_vars.filter((v): v is string => typeof v === "string"));
  if (isObject(entry.http_headers)) for (const name of Object.keys(entry.http_headers)) header(name, true);
  if (isObject(entry.env_http_headers)) for (const name of Object.keys(entry.env_http_headers)) header(name, false);
  if (str(entry.bearer_token_env_var)) header("Authorization", false);
  if (str(entry.bearer_token)) header("Authorization", true);
}

function fromMap(source: ConfigSource, map: unknown, extra: { project?: string; geminiUrl?: boolean } = {}): FoundServer[] {
  if (!isObject(map)) return [];
  return Object.entries(map).flatMap(([name, raw]) => normalizeServer(source, name, raw, extra) ?? []);
}

function fromList(source: ConfigSource, list: unknown): FoundServer[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((raw, i) => {
    if (!isObject(raw)) return [];
    const entry = isObject(raw.transport) ? { ...raw, ...raw.transport } : raw;
    return normalizeServer(source, str(raw.name) ?? `server-${i + 1}`, entry) ?? [];
  });
}

function extract(source: ConfigSource, doc: unknown): FoundServer[] {
  if (!isObject(doc)) return [];
  switch (source.format) {
    case "mcpServers":
      return fromMap(source, doc.mcpServers, { geminiUrl: source.client === "gemini-cli" });
    case "claude-code": {
      const servers = fromMap(source, doc.mcpServers);
      if (isObject(doc.projects)) {
        for (const [project, settings] of Object.entries(doc.projects)) {
          if (isObject(settings)) servers.push(...fromMap(source, settings.mcpServers, { project }));
        }
      }
      return servers;
    }
    case "vscode-mcp":
      return fromMap(source, doc.servers);
    case "vscode-settings": {
      const mcp = isObject(doc.mcp) ? doc.mcp : undefined;
      return fromMap(source, mcp?.servers ?? doc["mcp.servers"]);
    }
    case "zed":
      return fromMap(source, doc.context_servers);
    case "continue-yaml":
      return fromList(source, doc.mcpServers);
    case "codex-toml":
      return fromMap(source, doc.mcp_servers);
    case "continue-json": {
      const experimental = isObject(doc.experimental) ? doc.experimental : {};
      return [...fromList(source, doc.mcpServers), ...fromList(source, experimental.modelContextProtocolServers)];
    }
  }
}

export function summarizeRedactions(servers: readonly FoundServer[]): RedactionReport {
  const report: RedactionReport = { envValues: 0, headerValues: 0, args: 0, urlParts: 0 };
  for (const s of servers) {
    for (const r of s.redactions) {
      if (r.startsWith("env:")) report.envValues++;
      else if (r.startsWith("header:")) report.headerValues++;
      else if (r.startsWith("arg:") || r === "command") report.args++;
      else if (r.startsWith("url:")) report.urlParts++;
    }
  }
  return report;
}

/**
 * Parses one file's text. Never throws: a broken file is reported with an error that carries
 * no file content (parser messages can quote the offending text, which may be a secret).
 */
export function parseConfig(source: ConfigSource, text: string): ParseResult {
  let doc: unknown;
  const kind = source.format === "continue-yaml" ? "YAML" : source.format === "codex-toml" ? "TOML" : "JSON";
  try {
    doc = kind === "YAML" ? parseYaml(text) : kind === "TOML" ? parseToml(text) : JSON.parse(stripJsonComments(text));
  } catch (error) {
    const where = error instanceof Error ? /position (\d+)|line (\d+)/.exec(error.message)?.[0] : undefined;
    return { servers: [], redactionReport: summarizeRedactions([]), error: `invalid ${kind}${where ? ` at ${where}` : ""}` };
  }
  const servers = extract(source, doc);
  return { servers, redactionReport: summarizeRedactions(servers) };
}

/** Project directories Claude Code knows (the keys of `projects` in ~/.claude.json), to scan too. */
export function claudeCodeProjects(text: string): string[] {
  try {
    const doc: unknown = JSON.parse(text);
    return isObject(doc) && isObject(doc.projects) ? Object.keys(doc.projects) : [];
  } catch {
    return [];
  }
}
