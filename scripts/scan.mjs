#!/usr/bin/env node
/**
 * Laptop scan: finds the MCP servers configured in this machine's AI clients (Claude Desktop,
 * Claude Code, Cursor, VS Code, Windsurf, Gemini CLI, Cline, Roo Code, Zed, Continue, Codex,
 * LM Studio, Kiro, Amazon Q) and prints them, or reports them to the console. Secret values (env values, header values, tokens in
 * arguments and URLs) never leave the machine: only names and a redacted form.
 *
 *   npm run scan -- [--json] [--console URL --token pcs_…] [--home DIR] [--project DIR]...
 *                   [--platform darwin|win32|linux]
 *
 * --home and --platform point the scan at another home layout (tests, or a mounted disk); with
 * --home, APPDATA / XDG_CONFIG_HOME / CLAUDE_CONFIG_DIR / CODEX_HOME are ignored. --project
 * defaults to the current directory; the projects listed in ~/.claude.json are scanned too. Exit codes: 0 done, 1 failed, 2 usage or the console refused the report.
 */
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const USAGE =
  "usage: npm run scan -- [--json] [--console URL --token pcs_…] [--home DIR] [--project DIR]... [--platform darwin|win32|linux]";

/**
 * The parsing and redaction live in TypeScript (lib/core/laptop-scan, unit-tested there); bundle them
 * in memory with esbuild and import the result, so the CLI needs no build step (~100 ms).
 */
async function loadScanConfig() {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [path.join(root, "lib/core/laptop-scan/index.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    write: false,
    logLevel: "warning",
  });
  const code = result.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
}

function parseCli() {
  try {
    return parseArgs({
      options: {
        json: { type: "boolean", default: false },
        console: { type: "string" },
        token: { type: "string" },
        home: { type: "string" },
        project: { type: "string", multiple: true },
        platform: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    console.error(`${error.message}\n${USAGE}`);
    return null;
  }
}

function formatTable(report, count) {
  const rows = report.servers.map((s) => [
    s.client,
    s.name + (s.disabled ? " (disabled)" : ""),
    s.transport,
    s.url ?? [s.command, ...(s.args ?? [])].filter(Boolean).join(" "),
    [...s.envNames.map((n) => `env ${n}`), ...s.headerNames.map((n) => `header ${n}`)].join(", "),
  ]);
  const header = ["CLIENT", "SERVER", "TRANSPORT", "COMMAND / URL", "SECRETS (names only)"];
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[i].length))));
  const line = (cells) => cells.map((c, i) => (c.length > widths[i] ? `${c.slice(0, widths[i] - 1)}…` : c.padEnd(widths[i]))).join("  ").trimEnd();
  const out = [`Device ${report.device.name} (${report.device.os}), user ${report.device.user}`, ""];
  out.push(line(header), ...rows.map(line), "");
  out.push(`${count(report.servers.length, "server")} in ${count(report.files.length, "file")}:`);
  for (const f of report.files) out.push(`  ${f.client.padEnd(16)} ${f.path}  ${f.error ? `ERROR ${f.error}` : count(f.found, "server")}`);
  const r = report.redactionReport;
  out.push("", `Kept back: ${count(r.envValues, "env value")}, ${count(r.headerValues, "header value")}, ${count(r.args, "argument")}, ${count(r.urlParts, "URL part")}.`);
  return out.join("\n");
}

async function sendToConsole(report, consoleUrl, token, count) {
  const endpoint = `${consoleUrl.replace(/\/+$/, "")}/api/v1/shadow/scans`;
  let response;
  try {
    response = await fetch(endpoint, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(report),
    });
  } catch (error) {
    console.error(`Could not reach the console at ${endpoint} (${error.cause?.code ?? error.message}): check the --console URL and that the console is running. Nothing was sent.`);
    return 1;
  }
  const answer = await response.json().catch(() => null);
  if (response.status === 404) {
    console.error(`The console at ${consoleUrl} does not accept scan reports (${endpoint} answered 404): is it an older Portcullis? Nothing was stored.`);
    return 2;
  }
  if (response.status === 401 || response.status === 403) {
    console.error(`The console refused the token (HTTP ${response.status}): use a token with the scan permission.`);
    return 2;
  }
  if (!response.ok) {
    console.error(`The console answered HTTP ${response.status} to ${endpoint}${answer?.error?.message ? `: ${answer.error.message}` : "."}`);
    return 1;
  }
  const findings = Array.isArray(answer?.findings) ? answer.findings : null;
  const summary = findings ? `: ${answer.shadowServers} not approved (${count(findings.filter((f) => f.created).length, "new finding")} for security to triage)` : "";
  console.error(`Sent ${count(report.servers.length, "server")} to ${consoleUrl}${summary}.`);
  return 0;
}

async function main() {
  const values = parseCli();
  if (!values) return 2;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const platform = values.platform ?? process.platform;
  if (!["darwin", "win32", "linux"].includes(platform)) {
    console.error(`unsupported platform ${platform}\n${USAGE}`);
    return 2;
  }
  if (values.console && !(values.token ?? process.env.PORTCULLIS_TOKEN)) {
    console.error(`--console needs --token (or PORTCULLIS_TOKEN)\n${USAGE}`);
    return 2;
  }
  const { candidatePaths, buildReport, claudeCodeProjects, count } = await loadScanConfig();
  const home = path.resolve(values.home ?? os.homedir());
  const env = values.home ? {} : process.env;
  const projects = (values.project ?? [process.cwd()]).map((p) => path.resolve(p));
  const files = [];
  const seen = new Set();
  const readAll = async (candidates) => {
    for (const candidate of candidates) {
      if (seen.has(candidate.path)) continue;
      seen.add(candidate.path);
      try {
        files.push({ candidate, text: await readFile(candidate.path, "utf8") });
      } catch (error) {
        if (error.code === "ENOENT" || error.code === "ENOTDIR") continue;
        files.push({ candidate, error: error.code ?? "unreadable" });
      }
    }
  };
  await readAll(candidatePaths({ platform, home, env, projects }));
  // The projects Claude Code has opened are where project-level configs (.mcp.json…) live.
  const known = files.filter((f) => f.candidate.format === "claude-code" && f.text).flatMap((f) => claudeCodeProjects(f.text));
  if (known.length > 0) {
    await readAll(candidatePaths({ platform, home, env, projects: known }).filter((c) => c.scope === "project"));
  }
  const user = (() => {
    try {
      return os.userInfo().username;
    } catch {
      return process.env.USER ?? process.env.USERNAME ?? "unknown";
    }
  })();
  const report = buildReport({
    device: { name: os.hostname() || "unknown", os: `${os.platform()} ${os.release()}`, user: user || "unknown" },
    scannedAt: new Date().toISOString(),
    files,
  });
  console.log(values.json ? JSON.stringify(report, null, 2) : formatTable(report, count));
  if (values.console) return sendToConsole(report, values.console, values.token ?? process.env.PORTCULLIS_TOKEN, count);
  return 0;
}

// exitCode, not exit(): let a large --json output drain to a pipe before the process ends.
main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(`scan failed: ${error.message}`);
    process.exitCode = 1;
  },
);
